package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPayloadBytes is the size above which Dataverse drops the bulky parts of
// the execution context and says so in x-ms-dynamics-msg-size-exceeded.
const maxPayloadBytes = 256 * 1024

const (
	entityType          = "Entity:http://schemas.microsoft.com/xrm/2011/Contracts"
	entityReferenceType = "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"
	optionSetValueType  = "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts"
)

// keyValue is how the context serializes its collections.
type keyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// stringPair is a serialized KeyValuePair<string, string>, as in ChangedEntityTypes.
type stringPair struct {
	Type  string `json:"__type"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// entityReference is a serialized Microsoft.Xrm.Sdk.EntityReference.
type entityReference struct {
	Type          string     `json:"__type"`
	ID            string     `json:"Id"`
	KeyAttributes []keyValue `json:"KeyAttributes"`
	LogicalName   string     `json:"LogicalName"`
	Name          any        `json:"Name"`
	RowVersion    any        `json:"RowVersion"`
}

func newEntityReference(logical, id string) entityReference {
	return entityReference{Type: entityReferenceType, ID: id, KeyAttributes: []keyValue{}, LogicalName: logical}
}

// optionSetValue is a serialized choice value.
type optionSetValue struct {
	Type  string `json:"__type"`
	Value int64  `json:"Value"`
}

// entity is a serialized Microsoft.Xrm.Sdk.Entity. Images carry no __type.
type entity struct {
	Type            string     `json:"__type,omitempty"`
	Attributes      []keyValue `json:"Attributes"`
	EntityState     any        `json:"EntityState"`
	FormattedValues []keyValue `json:"FormattedValues"`
	ID              string     `json:"Id"`
	KeyAttributes   []keyValue `json:"KeyAttributes"`
	LogicalName     string     `json:"LogicalName"`
	RelatedEntities []keyValue `json:"RelatedEntities"`
	RowVersion      any        `json:"RowVersion"`
}

// owningExtension names the step in the context.
type owningExtension struct {
	ID            string     `json:"Id"`
	KeyAttributes []keyValue `json:"KeyAttributes"`
	LogicalName   string     `json:"LogicalName"`
	Name          any        `json:"Name"` // null in every real capture
	RowVersion    any        `json:"RowVersion"`
}

// executionContext is the RemoteExecutionContext a webhook receives, its
// members in the order Dataverse serializes them.
type executionContext struct {
	BusinessUnitID      string          `json:"BusinessUnitId"`
	CorrelationID       string          `json:"CorrelationId"`
	Depth               int             `json:"Depth"`
	InitiatingUserID    string          `json:"InitiatingUserId"`
	InputParameters     []keyValue      `json:"InputParameters"`
	IsExecutingOffline  bool            `json:"IsExecutingOffline"`
	IsInTransaction     bool            `json:"IsInTransaction"`
	IsOfflinePlayback   bool            `json:"IsOfflinePlayback"`
	IsolationMode       int             `json:"IsolationMode"`
	MessageName         string          `json:"MessageName"`
	Mode                int64           `json:"Mode"`
	OperationCreatedOn  string          `json:"OperationCreatedOn"`
	OperationID         string          `json:"OperationId"`
	OrganizationID      string          `json:"OrganizationId"`
	OrganizationName    string          `json:"OrganizationName"`
	OutputParameters    []keyValue      `json:"OutputParameters"`
	OwningExtension     owningExtension `json:"OwningExtension"`
	ParentContext       any             `json:"ParentContext"`
	PostEntityImages    []keyValue      `json:"PostEntityImages"`
	PreEntityImages     []keyValue      `json:"PreEntityImages"`
	PrimaryEntityID     string          `json:"PrimaryEntityId"`
	PrimaryEntityName   string          `json:"PrimaryEntityName"`
	RequestID           any             `json:"RequestId"`
	SecondaryEntityName string          `json:"SecondaryEntityName"`
	SharedVariables     []keyValue      `json:"SharedVariables"`
	Stage               int64           `json:"Stage"`
	UserID              string          `json:"UserId"`
}

// mainOperationContext is the context of the main operation (stage 30) that an asynchronous
// step's context carries as its ParentContext, as in both real asynchronous bodies
// (webhook-body-captured-create-async.jsonc, webhook-body-msdocs-update-async.json.md): the
// same operation, request and step, with SuppressDuplicateDetection beside the Create or Update
// Target, no images or output parameters, and no parent of its own (the Create capture's had the
// batch request it came in, which a single Web API request does not have). An Update's main
// operation shares ChangedEntityTypes: in Microsoft's sample, 13 other tables and then the
// step's own, each with "Update"; why those others is not known, and the emulator lists its own
// table only.
func mainOperationContext(c *executionContext, op writeOp) *executionContext {
	kind := op.kind
	parent := *c
	parent.Stage = stageMainOperation
	parent.IsInTransaction = false
	parent.InputParameters = append([]keyValue{}, c.InputParameters...)
	if kind == opUpdate {
		// The main operation's Target is the request's: its columns and the key, without
		// what the platform added for the step (the sample's stage-30 Target).
		for i, kv := range parent.InputParameters {
			if target, ok := kv.Value.(entity); ok && kv.Key == "Target" {
				target.Attributes = slices.DeleteFunc(slices.Clone(target.Attributes), func(a keyValue) bool {
					return a.Key != op.t.key && !slices.Contains(op.changes.touched, a.Key)
				})
				parent.InputParameters[i].Value = target
			}
		}
	}
	if kind == opCreate || kind == opUpdate {
		parent.InputParameters = append(parent.InputParameters, keyValue{"SuppressDuplicateDetection", false})
	}
	parent.OutputParameters = []keyValue{}
	parent.PreEntityImages, parent.PostEntityImages = []keyValue{}, []keyValue{}
	parent.ParentContext = nil
	parent.SharedVariables = append([]keyValue{}, c.SharedVariables...)
	if kind == opUpdate {
		parent.SharedVariables = append(parent.SharedVariables, keyValue{"ChangedEntityTypes", []stringPair{
			{Type: "KeyValuePairOfstringstring:#System.Collections.Generic", Key: c.PrimaryEntityName, Value: "Update"},
		}})
	}
	return &parent
}

// wcfDate renders a time as the .NET JSON serializer does: /Date(ms)/.
func wcfDate(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + ")/"
}

// wcfDateOffset is the same with the offset the serializer writes for a
// local DateTime, as OperationCreatedOn carries it in real bodies
// ("/Date(1557799664000+0000)/"); the emulator's clock is UTC.
func wcfDateOffset(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + "+0000)/"
}

// inTransaction: a synchronous step runs inside the operation's database transaction, except
// in PreValidation, which Dataverse runs before the transaction begins; asynchronous steps run
// after it has committed.
func inTransaction(s stepInfo) bool {
	return s.mode == modeSynchronous && s.stage != stagePreValidation
}

// buildContext assembles what a step receives. Callers hold the store lock.
func (e *Emulator) buildContext(op writeOp, kind opKind, run *stepRun, before, after *record, user string, now time.Time) *executionContext {
	t := op.t
	c := &executionContext{
		BusinessUnitID:     businessUnitID,
		CorrelationID:      op.correlationID,
		Depth:              1,
		InitiatingUserID:   op.initiatingUser,
		InputParameters:    []keyValue{},
		IsInTransaction:    inTransaction(run.step),
		IsolationMode:      1, // as in every real capture
		MessageName:        kind.message(),
		Mode:               run.step.mode,
		OperationCreatedOn: wcfDateOffset(now),
		OperationID:        newGUID(),
		OrganizationID:     organizationID,
		OrganizationName:   organizationName,
		OutputParameters:   []keyValue{},
		OwningExtension: owningExtension{
			ID: run.step.id, KeyAttributes: []keyValue{}, LogicalName: "sdkmessageprocessingstep",
		},
		PostEntityImages:    []keyValue{},
		PreEntityImages:     []keyValue{},
		PrimaryEntityID:     op.id,
		PrimaryEntityName:   t.logical,
		RequestID:           op.requestID,
		SecondaryEntityName: "none",
		SharedVariables:     []keyValue{},
		Stage:               run.step.stage,
		UserID:              user,
	}
	switch kind {
	case opCreate:
		c.InputParameters = append(c.InputParameters, keyValue{"Target", e.xrmEntity(t, after, nil, true)})
		if run.step.stage == stagePostOperation {
			c.OutputParameters = append(c.OutputParameters, keyValue{"id", op.id})
		}
	case opUpdate:
		c.InputParameters = append(c.InputParameters, keyValue{"Target", e.updateTarget(t, op.changes.touched, after)})
	case opDelete:
		c.InputParameters = append(c.InputParameters, keyValue{"Target", newEntityReference(t.logical, op.id)})
	}

	for _, img := range e.store.rows["sdkmessageprocessingstepimages"] {
		if img.cols[lookupKey("sdkmessageprocessingstepid")] != run.step.id {
			continue
		}
		imageType, _ := intOf(img.cols["imagetype"])
		alias := stringOf(img.cols["entityalias"])
		var columns []string
		if list := strings.TrimSpace(stringOf(img.cols["attributes"])); list != "" {
			for _, name := range strings.Split(list, ",") {
				if name = strings.TrimSpace(name); name != "" {
					columns = append(columns, name)
				}
			}
		} else {
			columns = nil // all columns
		}
		// A pre image needs a row before the operation (none on Create); a post
		// image a row after it, which exists only in PostOperation (none on Delete).
		if (imageType == imageTypePre || imageType == imageTypeBoth) && before != nil {
			c.PreEntityImages = append(c.PreEntityImages, keyValue{alias, e.imageEntity(t, before, columns)})
		}
		if (imageType == imageTypePost || imageType == imageTypeBoth) && after != nil && run.step.stage == stagePostOperation {
			c.PostEntityImages = append(c.PostEntityImages, keyValue{alias, e.imageEntity(t, after, columns)})
		}
	}
	// Asynchronous steps get a post-image of the row's primary name and id
	// that nobody registered (seen in real Create and Update bodies).
	if run.step.mode == modeAsynchronous && after != nil && run.step.stage == stagePostOperation && t.primaryName != "" {
		c.PostEntityImages = append(c.PostEntityImages, keyValue{asyncPrimaryNameImage, e.primaryNameEntity(t, after)})
	}
	sort.SliceStable(c.PreEntityImages, func(i, j int) bool { return c.PreEntityImages[i].Key < c.PreEntityImages[j].Key })
	sort.SliceStable(c.PostEntityImages, func(i, j int) bool { return c.PostEntityImages[i].Key < c.PostEntityImages[j].Key })
	return c
}

// asyncPrimaryNameImage is the key of the platform's own post-image on asynchronous steps.
const asyncPrimaryNameImage = "AsynchronousStepPrimaryName"

// primaryNameEntity is that image: the primary name column and the key, with
// no formatted values.
func (e *Emulator) primaryNameEntity(t *table, r *record) entity {
	ent := e.xrmEntityExact(t, r, []string{t.primaryName, t.key})
	ent.Attributes = []keyValue{{t.primaryName, primaryNameOf(t, r)}, {t.key, stringOf(r.cols[t.key])}}
	ent.FormattedValues = []keyValue{}
	return ent
}

// primaryNameOf is the row's primary name; a person's full name is composed
// from first and last name when not stored.
func primaryNameOf(t *table, r *record) any {
	if v, ok := r.cols[t.primaryName]; ok && v != nil {
		return v
	}
	if t.primaryName == "fullname" {
		full := strings.TrimSpace(stringOf(r.cols["firstname"]) + " " + stringOf(r.cols["lastname"]))
		if full != "" {
			return full
		}
	}
	return nil
}

// imageEntity is a row restricted to the image's columns (all when nil).
func (e *Emulator) imageEntity(t *table, r *record, columns []string) entity {
	if columns == nil {
		return e.xrmEntity(t, r, nil, false)
	}
	// Exactly the listed columns, even those without a value.
	return e.xrmEntityExact(t, r, columns)
}

// xrmEntity serializes a row's columns: the named ones, or every column that
// has a value when names is nil (a Create target carries what was stored).
func (e *Emulator) xrmEntity(t *table, r *record, names []string, typed bool) entity {
	if names == nil {
		for k, v := range r.cols {
			if v == nil || k == "versionnumber" {
				continue
			}
			names = append(names, logicalOf(t, k))
		}
	}
	ent := e.xrmEntityExact(t, r, names)
	if typed {
		ent.Type = entityType
	}
	return ent
}

// updateTarget is an Update step's Target, as in Microsoft's sample
// (webhook-body-msdocs-update-async.json.md): the columns the request set, the
// key, the full name (and its phonetic twin) the platform composed when a name
// part changed, and the modified columns it set, in that order, with no
// formatted values.
func (e *Emulator) updateTarget(t *table, touched []string, after *record) entity {
	names := append(append([]string{}, touched...), t.key)
	composed := t.primaryName == "fullname" && !slices.Contains(touched, "fullname") &&
		(slices.Contains(touched, "firstname") || slices.Contains(touched, "lastname"))
	if composed {
		names = append(names, "fullname")
		if _, ok := t.cols["yomifullname"]; ok {
			names = append(names, "yomifullname")
		}
	}
	names = append(names, "modifiedon", "modifiedby", "modifiedonbehalfby")
	ent := e.xrmEntityInOrder(t, after, names)
	for i, kv := range ent.Attributes {
		// In the sample both carry the name composed from its parts (no phonetic parts were set).
		if composed && (kv.Key == "fullname" || kv.Key == "yomifullname") && kv.Value == nil {
			ent.Attributes[i].Value = primaryNameOf(t, after)
		}
	}
	ent.FormattedValues = []keyValue{}
	ent.Type = entityType
	return ent
}

// xrmEntityExact serializes exactly the named columns (logical names), sorted.
func (e *Emulator) xrmEntityExact(t *table, r *record, names []string) entity {
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	return e.xrmEntityInOrder(t, r, sorted)
}

// xrmEntityInOrder serializes exactly the named columns, in the order named.
func (e *Emulator) xrmEntityInOrder(t *table, r *record, names []string) entity {
	seen := map[string]bool{}
	var unique []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			unique = append(unique, n)
		}
	}
	ent := entity{
		Attributes:      []keyValue{},
		FormattedValues: []keyValue{},
		ID:              stringOf(r.cols[t.key]),
		KeyAttributes:   []keyValue{},
		LogicalName:     t.logical,
		RelatedEntities: []keyValue{},
	}
	for _, name := range unique {
		ent.Attributes = append(ent.Attributes, keyValue{name, e.xrmValue(t, r, name)})
		if f, ok := formattedValue(t, r, name); ok {
			ent.FormattedValues = append(ent.FormattedValues, keyValue{name, f})
		}
	}
	return ent
}

// choiceLabels are the labels of the state and status choices of the
// business tables, as a user with English settings sees them.
var choiceLabels = map[string]map[int64]string{
	"statecode":  {0: "Active", 1: "Inactive", 2: "Disqualified"},
	"statuscode": {1: "Active", 2: "Inactive", 3: "Qualified", 4: "Lost", 5: "Cannot Contact", 6: "No Longer Interested", 7: "Canceled"},
}

// formattedValue is what FormattedValues carries for a column: the label of
// a choice, a date-time in ISO 8601 with its offset (real captures fill both).
func formattedValue(t *table, r *record, name string) (string, bool) {
	c := t.cols[name]
	if c == nil {
		return "", false
	}
	switch c.kind {
	case kindChoice:
		if v, ok := intOf(r.cols[name]); ok {
			label, known := choiceLabels[name][v]
			return label, known
		}
	case kindDateTime:
		if tm, err := time.Parse(time.RFC3339, stringOf(r.cols[name])); err == nil {
			return tm.UTC().Format("2006-01-02T15:04:05-07:00"), true
		}
	}
	return "", false
}

// logicalOf maps a stored column name to its logical name (_x_value → x).
func logicalOf(t *table, stored string) string {
	if strings.HasPrefix(stored, "_") && strings.HasSuffix(stored, "_value") {
		if c, ok := t.cols[stored[1:len(stored)-6]]; ok && c.kind == kindLookup {
			return c.name
		}
	}
	return stored
}

// xrmValue serializes one attribute as the SDK types it: lookups as
// EntityReference, choices as OptionSetValue, date-times as /Date(ms)/.
func (e *Emulator) xrmValue(t *table, r *record, name string) any {
	c := t.cols[name]
	if c == nil {
		return r.cols[name]
	}
	switch c.kind {
	case kindLookup:
		id := stringOf(r.cols[lookupKey(name)])
		if id == "" {
			return nil
		}
		return newEntityReference(e.schema[e.store.lookupTarget(t, r, name)].logical, id)
	case kindChoice:
		if v, ok := intOf(r.cols[name]); ok {
			return optionSetValue{Type: optionSetValueType, Value: v}
		}
		return nil
	case kindDateTime:
		if tm, err := time.Parse(time.RFC3339, stringOf(r.cols[name])); err == nil {
			return wcfDate(tm)
		}
		return nil
	}
	return r.cols[name]
}

// deliveryResult is the outcome of posting to one webhook.
type deliveryResult struct {
	err      error
	attempts int
	code     string // Dataverse error code on failure
	message  string // detailed message (system job message, sync error)
	friendly string // short message (system job friendlymessage)
}

func failed(code, message, friendly string, attempts int) deliveryResult {
	return deliveryResult{err: errors.New(message), code: code, message: message, friendly: friendly, attempts: attempts}
}

// deliver posts the execution context to the step's endpoint with its
// authentication. Only the status code is read; a 502, 503 or 504 gets
// exactly one more attempt.
func (e *Emulator) deliver(ctx context.Context, run *stepRun) deliveryResult {
	ep := run.endpoint
	// The platform's sender trims the url and removes trailing slashes.
	target, err := url.Parse(strings.TrimRight(strings.TrimSpace(ep.url), "/"))
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		return failed(codeWebhookSend, fmt.Sprintf("The url of service endpoint %s (%s) is not valid.", ep.name, ep.id),
			"The webhook url is not valid.", 0)
	}
	// Dataverse posts only to ports 80 and 443 of public hosts. The emulator
	// posts to any port but only to this machine, so that it never reaches
	// out to the network.
	if !isLoopbackHost(target.Hostname()) {
		return failed(codeWebhookSend, fmt.Sprintf("The emulator delivers webhooks only to loopback addresses; %s (%s) points to %s.", ep.name, ep.id, target.Host),
			"The webhook endpoint is not on this machine.", 0)
	}
	headers := http.Header{}
	switch ep.authType {
	case authTypeWebhookKey:
		if key := strings.TrimSpace(ep.secret); key != "" {
			q := target.Query()
			setQueryFold(q, "code", key)
			target.RawQuery = q.Encode()
		}
	case authTypeHTTPHeader:
		pairs, err := parseSettings(ep.secret, true)
		if err == nil {
			err = checkHeaderNames(pairs)
		}
		if err != nil {
			// The sender's own words (webhookclient-decompiled-facts.md); the exception is ours.
			return failed(codeWebhookHeaders, fmt.Sprintf("Received exception when adding custom http headers: for OrgId:%s, serviceEndpointId: %s, name: %s, exception:%v", run.ctx.OrganizationID, ep.id, ep.name, err),
				"The webhook's authentication headers are not valid.", 0)
		}
		for _, p := range pairs {
			headers.Add(p[0], p[1])
		}
	case authTypeHTTPQueryString:
		pairs, err := parseSettings(ep.secret, false)
		if err != nil {
			return failed(codeWebhookQuery, fmt.Sprintf("Received exception when extracing keyValue pairs for custom query params  for OrgId:%s, serviceEndpointId: %s, name: %s, exception:%v", run.ctx.OrganizationID, ep.id, ep.name, err),
				"The webhook's authentication query parameters are not valid.", 0)
		}
		q := target.Query()
		for _, p := range pairs {
			setQueryFold(q, p[0], p[1])
		}
		target.RawQuery = q.Encode()
	}

	body, exceeded, err := encodeContext(run.ctx)
	if err != nil {
		return failed(codeWebhookSend, "The execution context could not be serialized: "+err.Error(), "Internal error.", 0)
	}
	if len(body) > maxPayloadBytes {
		// Still too large without the bulky members: nothing is sent.
		return failed(codeWebhookTooLarge,
			fmt.Sprintf("RemoteExecutionContext exceeded max allowed message size event after reducing size. Message will not be sent. Actual Size: %d bytes, Max Size: %d bytes for OrganizationId:%s, serviceEndpointId: %s, name: %s",
				len(body), maxPayloadBytes, run.ctx.OrganizationID, ep.id, ep.name),
			"The event is too large to send to the webhook.", 0)
	}
	headers.Set("Content-Type", "application/json")
	headers.Set("x-ms-dynamics-organization", e.organizationHeader())
	headers.Set("x-ms-dynamics-entity-name", run.ctx.PrimaryEntityName)
	headers.Set("x-ms-dynamics-request-name", run.ctx.MessageName)
	headers.Set("x-ms-correlation-request-id", run.ctx.CorrelationID)
	if exceeded {
		headers.Set("x-ms-dynamics-msg-size-exceeded", "true")
	}

	var status int
	attempts := 0
	for attempts < 2 {
		attempts++
		status, err = e.post(ctx, target.String(), headers, body)
		// The error of a failed request quotes the URL, whose query holds the key.
		errText := ""
		if err != nil {
			errText = redactURL(err, target)
		}
		e.log.Debug("webhook delivery", "step", run.step.id, "endpoint", ep.id,
			"url", target.Scheme+"://"+target.Host+target.Path, "attempt", attempts, "status", status, "error", errText)
		if err != nil {
			if ctx.Err() != nil {
				return failed(codeWebhookSend, "The delivery was canceled: "+errStopped.Error()+".", "The delivery was canceled.", attempts)
			}
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				return failed(codeWebhookTimeout, fmt.Sprintf("The webhook call to service endpoint %s (%s) timed out after %s.", ep.name, ep.id, e.opts.DeliveryTimeout),
					"The webhook endpoint did not answer in time.", attempts)
			}
			return failed(codeWebhookSend, fmt.Sprintf("The webhook call to service endpoint %s (%s) failed: %v.", ep.name, ep.id, redactURL(err, target)),
				"The webhook endpoint could not be reached.", attempts)
		}
		if status >= 200 && status < 300 {
			return deliveryResult{attempts: attempts}
		}
		if status != http.StatusBadGateway && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout {
			break
		}
	}
	return failed(codeWebhookStatus,
		// The sender's own words (webhookclient-decompiled-facts.md).
		fmt.Sprintf("Non success http status code: %d received from server for OrgId:%s, serviceEndpointId: %s, name: %s, retryCount: %d",
			status, run.ctx.OrganizationID, ep.id, ep.name, attempts-1),
		fmt.Sprintf("The webhook endpoint answered %d %s.", status, http.StatusText(status)), attempts)
}

// newDeliveryClient builds the client that posts webhook deliveries.
func (e *Emulator) newDeliveryClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			// The sender keeps connections alive and asks for no compression
			// (webhookclient-decompiled-facts.md). It keeps them idle up to 120 s; here 30 s, under
			// the idle timeouts of the receivers the tests use (the webhook recorder's is a
			// minute), since a POST on a connection the receiver closed fails and is not retried.
			Proxy:               nil,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
			TLSHandshakeTimeout: 10 * time.Second,
			TLSClientConfig:     &tls.Config{RootCAs: e.deliveryRoots(), MinVersion: tls.VersionTLS12},
		},
		// Only the status code matters; a redirect is not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// deliveryRoots trusts the system roots (SSL_CERT_FILE included) and the
// emulator's own CA, so a webhook receiver may also use the emulator's certificate.
// setQueryFold sets name in q, replacing a parameter of that name in any case: the sender merges
// pairs into a .NET query collection, whose names ignore case (webhookclient-decompiled-facts.md).
func setQueryFold(q url.Values, name, value string) {
	for have := range q {
		if strings.EqualFold(have, name) {
			delete(q, have)
		}
	}
	q.Set(name, value)
}

func (e *Emulator) deliveryRoots() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pool.AddCert(e.certs.ca)
	return pool
}

// post makes one attempt and returns the status code.
func (e *Emulator) post(ctx context.Context, target string, headers http.Header, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = headers.Clone()
	if _, set := req.Header["User-Agent"]; !set {
		req.Header["User-Agent"] = []string{""} // Go's own is not the sender's: send none
	}
	resp, err := e.delivery.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// redactURL removes the request URL (which may carry a key in its query)
// from a client error.
func redactURL(err error, target *url.URL) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return strings.ReplaceAll(err.Error(), target.String(), target.Scheme+"://"+target.Host+target.Path)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// encodeContext serializes the context as the .NET JSON serializer does
// (every '/' escaped). Above 256 KB the bulky members are dropped.
func encodeContext(c *executionContext) ([]byte, bool, error) {
	b, err := marshalContext(c)
	if err != nil || len(b) <= maxPayloadBytes {
		return b, false, err
	}
	trimmed := *c
	trimmed.ParentContext = nil
	trimmed.InputParameters = []keyValue{}
	trimmed.PreEntityImages = []keyValue{}
	trimmed.PostEntityImages = []keyValue{}
	b, err = marshalContext(&trimmed)
	return b, true, err
}

func marshalContext(c *executionContext) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	// '/' occurs only inside JSON strings, so escaping every one is safe.
	return bytes.ReplaceAll(bytes.TrimRight(buf.Bytes(), "\n"), []byte("/"), []byte(`\/`)), nil
}

// parseSettings reads the HttpHeader/HttpQueryString auth value as the
// platform's sender does: XmlDocument.LoadXml, then GetElementsByTagName
// ("settings") must find exactly one element, by its qualified name as
// written, anywhere in the document; its every child node must be a
// <setting> (name compared without case) with exactly two attributes, name
// and value, both non-blank; names and values are trimmed. A comment, text,
// instruction or declaration among the settings fails, and so does a repeated
// name (without regard to case for headers, which name one header either
// way). What lies inside a setting, or elsewhere in the document, is not
// looked at once the document loads. Not modeled: a DOCTYPE's internal
// subset (its entities and default attributes), and CDATA among the
// settings, which encoding/xml reports as text (refused only when not blank).
func parseSettings(raw string, header bool) ([][2]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("the auth value is empty; a <settings> element was expected")
	}
	if err := loadsAsXMLDocument(raw); err != nil {
		return nil, err
	}
	// Names as written: RawToken keeps prefixes, as the DOM's qualified names do.
	dec := xml.NewDecoder(strings.NewReader(raw))
	dec.CharsetReader = passCharset
	var out [][2]string
	seen := map[string]bool{}
	// settingsAt is the depth of the settings element while inside it, 0 before, -1 after.
	depth, settingsAt, found, children := 0, 0, 0, 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.New("the auth value is not well-formed XML")
		}
		childLevel := settingsAt > 0 && depth == settingsAt
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if tok.Name.Space == "" && tok.Name.Local == "settings" {
				found++
				if settingsAt == 0 {
					settingsAt = depth
				}
			}
			if !childLevel {
				continue
			}
			children++
			name, value, err := settingPair(tok)
			if err != nil {
				return nil, err
			}
			key := name
			if header {
				key = strings.ToLower(name)
			}
			if seen[key] {
				return nil, fmt.Errorf("the setting %q appears more than once", name)
			}
			seen[key] = true
			out = append(out, [2]string{name, value})
		case xml.EndElement:
			if depth == settingsAt {
				settingsAt = -1
			}
			depth--
		case xml.Comment, xml.ProcInst, xml.Directive:
			if childLevel {
				return nil, errors.New("invalid 'setting' node: only <setting> elements may be among the settings")
			}
		case xml.CharData:
			if childLevel && !xmlBlank(tok) {
				return nil, errors.New("invalid 'setting' node: text")
			}
		}
	}
	if found != 1 {
		return nil, errors.New("exactly one 'settings' element is expected")
	}
	if children == 0 {
		return nil, errors.New("at least one 'setting' element is expected")
	}
	return out, nil
}

// loadsAsXMLDocument refuses what XmlDocument.LoadXml refuses and encoding/xml's Token, on its
// own, lets through: more than one root element, text beside the root, a declaration that is
// not first, a prefix no xmlns declares. LoadXml reads a string, so a declared encoding is
// ignored.
func loadsAsXMLDocument(raw string) error {
	bad := errors.New("the auth value is not well-formed XML")
	dec := xml.NewDecoder(strings.NewReader(raw))
	dec.CharsetReader = passCharset
	depth, roots, first := 0, 0, true
	declared := []map[string]bool{{"xml": true, "xmlns": true}}
	isDeclared := func(prefix string) bool {
		for _, d := range declared {
			if d[prefix] {
				return true
			}
		}
		return false
	}
	for ; ; first = false {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					return bad
				}
			}
			depth++
			scope := map[string]bool{}
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" {
					scope[a.Name.Local] = true
				}
			}
			declared = append(declared, scope)
			if tok.Name.Space != "" && !isDeclared(tok.Name.Space) {
				return bad
			}
			for _, a := range tok.Attr {
				if a.Name.Space != "" && !isDeclared(a.Name.Space) {
					return bad
				}
			}
		case xml.EndElement:
			depth--
			declared = declared[:len(declared)-1]
		case xml.CharData:
			if depth == 0 && !xmlBlank(tok) {
				return bad
			}
		case xml.ProcInst:
			if strings.EqualFold(tok.Target, "xml") && !first {
				return bad
			}
		}
	}
	if roots != 1 {
		return bad
	}
	// Token matches end tags to start tags, which RawToken does not.
	dec = xml.NewDecoder(strings.NewReader(raw))
	dec.CharsetReader = passCharset
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return bad
		}
	}
}

// passCharset reads the document as it is: LoadXml takes a string, whatever its declaration says.
func passCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// xmlBlank reports text of XML white space only (space, tab, CR, LF), which the DOM does not
// keep as a node; any other character, a no-break space included, is text.
func xmlBlank(text []byte) bool { return strings.Trim(string(text), " \t\r\n") == "" }

func settingPair(el xml.StartElement) (name, value string, err error) {
	if el.Name.Space != "" || !strings.EqualFold(el.Name.Local, "setting") || len(el.Attr) != 2 {
		return "", "", errors.New(`invalid 'setting' node: every child must be <setting name="…" value="…" />`)
	}
	var haveName, haveValue bool
	for _, a := range el.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "name":
			name, haveName = strings.TrimSpace(a.Value), true
		case "value":
			value, haveValue = strings.TrimSpace(a.Value), true
		}
	}
	if !haveName || !haveValue || name == "" || value == "" {
		return "", "", errors.New("invalid 'setting' node: the name and value must not be blank")
	}
	return name, value, nil
}

// restrictedHeaderNames are the names .NET's header collection refuses to
// set by name, which the platform's sender uses for HttpHeader pairs.
var restrictedHeaderNames = []string{
	"accept", "connection", "content-length", "content-type", "date", "expect", "host",
	"if-modified-since", "proxy-connection", "range", "referer", "transfer-encoding", "user-agent",
}

// checkHeaderNames refuses what .NET's header collection refuses when the sender adds a pair: a
// restricted name, a name that is not an HTTP token, a value holding a control character.
func checkHeaderNames(pairs [][2]string) error {
	for _, p := range pairs {
		if containsString(restrictedHeaderNames, strings.ToLower(p[0])) {
			return fmt.Errorf("the header %q cannot be set by name", p[0])
		}
		if strings.IndexFunc(p[0], func(r rune) bool { return !isTokenRune(r) }) >= 0 {
			return fmt.Errorf("the header name %q holds a character a header name cannot have", p[0])
		}
		if strings.IndexFunc(p[1], func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) }) >= 0 {
			return fmt.Errorf("the value of header %q holds a control character", p[0])
		}
	}
	return nil
}

// isTokenRune reports whether r may be in an HTTP token (RFC 9110, section 5.6.2).
func isTokenRune(r rune) bool {
	return r < 0x7f && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// organizationHeader is x-ms-dynamics-organization: the environment's host
// name in lower case (a real sample: org6eadd181.crm.dynamics.com).
func (e *Emulator) organizationHeader() string {
	u, err := url.Parse(e.baseURL)
	if err != nil {
		return strings.ToLower(organizationName)
	}
	return strings.ToLower(u.Hostname())
}

// errorCodeInt turns "0x80050201" into the signed integer asyncoperation.errorcode holds.
func errorCodeInt(code string) int64 {
	u, err := strconv.ParseUint(strings.TrimPrefix(code, "0x"), 16, 32)
	if err != nil {
		return 0
	}
	v := int64(u)
	if v >= 1<<31 {
		v -= 1 << 32
	}
	return v
}
