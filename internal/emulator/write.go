package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

// maxBodyBytes bounds a request body; Dataverse's own limit is far larger
// than anything webhook registration sends.
const maxBodyBytes = 16 << 20

// bindRef is the row an @odata.bind names; an empty id clears the lookup.
type bindRef struct {
	set, id string
	nav     string
}

// changeSet is what a create or update body asks for, already type-checked.
type changeSet struct {
	cols    map[string]any     // plain columns by logical name
	binds   map[string]bindRef // lookups by column logical name
	secret  *string            // authvalue; "" clears it
	touched []string           // attribute logical names the body sets, sorted
	key     string             // primary key given in the body
}

func (cs *changeSet) has(name string) bool {
	i := sort.SearchStrings(cs.touched, name)
	return i < len(cs.touched) && cs.touched[i] == name
}

// decodeBody reads a JSON object body, keeping numbers exact.
func decodeBody(r *http.Request, t *table) (map[string]any, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, payloadError(t, "The request body could not be read.")
	}
	if len(b) > maxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, codePayload, "The request body is too large.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, payloadError(t, "The request body is empty; a JSON object was expected.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, payloadError(t, "The request body is not a JSON object.")
	}
	if dec.More() {
		return nil, payloadError(t, "The request body holds more than one JSON value.")
	}
	return body, nil
}

// parseChanges checks a body against the table's columns: types, option
// values, lengths, unknown properties and binds.
func (e *Emulator) parseChanges(t *table, body map[string]any) (*changeSet, *apiError) {
	cs := &changeSet{cols: map[string]any{}, binds: map[string]bindRef{}}
	touched := map[string]bool{}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := body[k]
		if navName, ok := strings.CutSuffix(k, "@odata.bind"); ok {
			n := t.navs[navName]
			if n == nil || !n.bindable {
				// Binding a polymorphic lookup by its own name (eventhandler@odata.bind)
				// lands here too: only its navigation properties can be bound.
				return nil, payloadError(t, "An undeclared property '%s' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.", navName)
			}
			if prev, dup := cs.binds[n.column]; dup {
				return nil, payloadError(t, "The lookup '%s' is bound twice, through '%s' and '%s'.", n.column, prev.nav, navName)
			}
			ref, err := e.parseBind(t, n, v)
			if err != nil {
				return nil, err
			}
			cs.binds[n.column] = ref
			touched[n.column] = true
			continue
		}
		if strings.Contains(k, "@") {
			if k == "@odata.type" || strings.HasSuffix(k, "@odata.type") {
				continue
			}
			return nil, payloadError(t, "The annotation '%s' is not supported in a request body.", k)
		}
		c := t.cols[k]
		if c == nil {
			if t.open && openColumnName.MatchString(k) {
				val, err := openValue(t, k, v)
				if err != nil {
					return nil, err
				}
				cs.cols[k] = val
				touched[k] = true
				continue
			}
			return nil, unknownBodyProperty(t, k)
		}
		switch {
		case c.kind == kindLookup:
			return nil, payloadError(t, "A value was given for the navigation property '%s'; set a lookup with '<navigation property>@odata.bind'.", k)
		case k == t.key:
			s, _ := v.(string)
			id, ok := parseGUID(s)
			if !ok {
				return nil, payloadError(t, "Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v)
			}
			cs.key = id
			continue
		case c.readOnly:
			// Dataverse drops attributes that are not valid for create or update.
			continue
		}
		val, err := checkValue(t, c, v)
		if err != nil {
			return nil, err
		}
		if c.writeOnly {
			s, _ := val.(string)
			cs.secret = &s
		} else {
			cs.cols[k] = val
		}
		touched[k] = true
	}
	for k := range touched {
		cs.touched = append(cs.touched, k)
	}
	sort.Strings(cs.touched)
	return cs, nil
}

// parseBind reads "/set(id)" (or the same with the service root in front).
func (e *Emulator) parseBind(t *table, n *nav, v any) (bindRef, *apiError) {
	if v == nil {
		return bindRef{set: n.target, nav: n.name}, nil
	}
	s, ok := v.(string)
	if !ok {
		return bindRef{}, payloadError(t, "The value of '%s@odata.bind' must be a URL such as /%s(<id>).", n.name, n.target)
	}
	ref := s
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	}
	open := strings.IndexByte(ref, '(')
	if open <= 0 || !strings.HasSuffix(ref, ")") {
		return bindRef{}, payloadError(t, "The URL '%s' in '%s@odata.bind' is not a valid entity reference.", s, n.name)
	}
	set, key := ref[:open], ref[open+1:len(ref)-1]
	if set != n.target {
		return bindRef{}, payloadError(t, "The navigation property '%s' points to '%s', not to '%s'.", n.name, n.target, set)
	}
	id, ok := parseGUID(key)
	if !ok {
		return bindRef{}, payloadError(t, "The URL '%s' in '%s@odata.bind' does not end in a valid key.", s, n.name)
	}
	return bindRef{set: set, id: id, nav: n.name}, nil
}

// openValue accepts any JSON scalar for an undeclared column of an open table.
func openValue(t *table, name string, v any) (any, *apiError) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		return normalizeNumber(x), nil
	}
	return nil, payloadError(t, "The value of '%s' must be a string, number, boolean or null.", name)
}

// checkValue type-checks one column value and converts it to its stored form.
func checkValue(t *table, c *column, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	mismatch := func(edm string) *apiError {
		return payloadError(t, "Cannot convert the literal '%v' to the expected type '%s' of property '%s'.", v, edm, c.name)
	}
	switch c.kind {
	case kindString, kindMemo:
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("Edm.String")
		}
		if c.maxLen > 0 && utf8.RuneCountInString(s) > c.maxLen {
			return nil, newError(http.StatusBadRequest, codeStringTooLong,
				"A validation error occurred. The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.",
				c.name, t.logical, c.maxLen)
		}
		return s, nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch("Edm.Boolean")
		}
		return b, nil
	case kindInt, kindBigInt, kindChoice:
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch("Edm.Int32")
		}
		i, err := n.Int64()
		if err != nil || (c.kind != kindBigInt && (i < math.MinInt32 || i > math.MaxInt32)) {
			return nil, mismatch("Edm.Int32")
		}
		if c.kind == kindChoice && !containsInt(c.choices, int(i)) {
			return nil, newError(http.StatusBadRequest, codeValueOutOfRange,
				"A validation error occurred. The value %d of '%s' on record of type '%s' is outside the valid range. Accepted Values: %s",
				i, c.name, t.logical, joinInts(c.choices))
		}
		return i, nil
	case kindGUID:
		s, _ := v.(string)
		id, ok := parseGUID(s)
		if !ok {
			return nil, mismatch("Edm.Guid")
		}
		return id, nil
	case kindDateTime:
		s, _ := v.(string)
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, mismatch("Edm.DateTimeOffset")
		}
		return formatTime(tm), nil
	}
	return nil, mismatch("Edm.String")
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// opKind is the message a write carries out.
type opKind int

const (
	opCreate opKind = iota
	opUpdate
	opDelete
)

func (k opKind) message() string {
	return [...]string{"Create", "Update", "Delete"}[k]
}

// writeOp is one create, update (or upsert) or delete.
type writeOp struct {
	kind           opKind
	t              *table
	id             string
	changes        *changeSet
	upsert         bool   // PATCH without If-Match may create
	ifMatch        string // "", "*" or W/"<version>"
	ifNoneMatch    string // "" or "*"
	solution       string // MSCRM.SolutionUniqueName
	user           string
	initiatingUser string
	correlationID  string
}

// writeResult is the committed outcome of a writeOp.
type writeResult struct {
	rec     *record // the row after the write; nil after a delete
	created bool
}

func (e *Emulator) serveCreate(c *call, p *resourcePath) {
	t := p.t
	if err := e.writable(t, opCreate); err != nil {
		writeAPIError(c.w, err)
		return
	}
	body, apiErr := decodeBody(c.r, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	cs, apiErr := e.parseChanges(t, body)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	o, apiErr := e.representationOptions(c, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	id := cs.key
	if id == "" {
		id = newGUID()
	}
	op := e.newWriteOp(c, opCreate, t, id, cs)
	res, apiErr := e.commitWrite(c.r.Context(), op)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	e.maybeDrop(c)
	e.respondWrite(c, t, res, o, http.StatusCreated)
}

func (e *Emulator) serveUpdate(c *call, p *resourcePath) {
	t := p.t
	if err := e.writable(t, opUpdate); err != nil {
		writeAPIError(c.w, err)
		return
	}
	body, apiErr := decodeBody(c.r, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	if t.set == "asyncoperations" {
		// Clients may only change a system job's state (to cancel, pause or resume it).
		for k := range body {
			if k != "statecode" && k != "statuscode" && k != "@odata.type" {
				writeAPIError(c.w, invalidArgument("Only statecode and statuscode of a system job can be changed; '%s' cannot.", k))
				return
			}
		}
	}
	cs, apiErr := e.parseChanges(t, body)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	if cs.key != "" && cs.key != p.id {
		writeAPIError(c.w, invalidArgument("The primary key '%s' cannot be changed.", t.key))
		return
	}
	o, apiErr := e.representationOptions(c, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	op := e.newWriteOp(c, opUpdate, t, p.id, cs)
	// Upsert: without If-Match a PATCH of a missing row creates it. Asynchronous
	// jobs cannot be created by clients, so for them it is a plain update.
	op.upsert = t.set != "asyncoperations"
	res, apiErr := e.commitWrite(c.r.Context(), op)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	e.maybeDrop(c)
	e.respondWrite(c, t, res, o, http.StatusOK)
}

func (e *Emulator) serveDelete(c *call, p *resourcePath) {
	t := p.t
	if err := e.writable(t, opDelete); err != nil {
		writeAPIError(c.w, err)
		return
	}
	op := e.newWriteOp(c, opDelete, t, p.id, nil)
	if _, apiErr := e.commitWrite(c.r.Context(), op); apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	e.maybeDrop(c)
	c.w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) newWriteOp(c *call, kind opKind, t *table, id string, cs *changeSet) writeOp {
	return writeOp{
		kind:           kind,
		t:              t,
		id:             id,
		changes:        cs,
		ifMatch:        strings.TrimSpace(c.r.Header.Get("If-Match")),
		ifNoneMatch:    strings.TrimSpace(c.r.Header.Get("If-None-Match")),
		solution:       strings.TrimSpace(c.r.Header.Get("MSCRM.SolutionUniqueName")),
		user:           c.user,
		initiatingUser: c.initiatingUser,
		correlationID:  c.correlationID,
	}
}

// writable refuses writes to the catalogs and system tables. Microsoft
// documents no code for this; the emulator answers the generic invalid
// argument code with the message Dataverse uses for a message a table does
// not support.
func (e *Emulator) writable(t *table, kind opKind) *apiError {
	if t.readOnly || (t.set == "asyncoperations" && kind == opCreate) {
		return invalidArgument("The '%s' method does not support entities of type '%s'.", kind.message(), t.logical)
	}
	return nil
}

// maybeDrop drops the connection of a committed write without answering,
// as often as DropAfterCommitRate says.
func (e *Emulator) maybeDrop(c *call) {
	if e.opts.DropAfterCommitRate > 0 && e.drops.hit(e.opts.DropAfterCommitRate) {
		if c.dropped != nil {
			*c.dropped = true
			return
		}
		e.log.Debug("dropping the response of a committed write", "method", c.r.Method, "path", c.r.URL.Path)
		panic(http.ErrAbortHandler)
	}
}

// representationOptions checks the $select and $expand a write's
// representation will honor, before anything is written.
func (e *Emulator) representationOptions(c *call, t *table) (*odata.Options, *apiError) {
	if !c.prefer.representation {
		return nil, nil
	}
	return e.readOptions(c, t)
}

// respondWrite answers a create or update: 204 with OData-EntityId, or the
// row (honoring $select) with Prefer: return=representation.
func (e *Emulator) respondWrite(c *call, t *table, res *writeResult, o *odata.Options, representationStatus int) {
	if o == nil {
		id, _ := res.rec.cols[t.key].(string)
		c.w.Header().Set("OData-EntityId", c.base+"/"+t.set+"("+id+")")
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	sel, expand := o.Select, o.Expand
	e.store.mu.RLock()
	body := e.project(t, res.rec, sel, expand, c.prefer.annotations)
	e.store.mu.RUnlock()
	body["@odata.context"] = contextURL(c.base, t.set, sel, expand, true)
	e.preferenceApplied(c, true, false)
	writeJSON(c.w, representationStatus, body)
}

// commitWrite validates and stores one write. For business tables it runs
// the synchronous steps around the change (outside the store lock, holding
// only the row's lock) and queues the asynchronous ones after it.
func (e *Emulator) commitWrite(ctx context.Context, op writeOp) (*writeResult, *apiError) {
	unlock := e.rowLocks.lock(op.t.set + "(" + op.id + ")")
	defer unlock()
	now := e.now()

	e.store.mu.Lock()
	locked := true
	defer func() {
		if locked {
			e.store.mu.Unlock()
		}
	}()

	solutionID, apiErr := e.solutionFor(op)
	if apiErr != nil {
		return nil, apiErr
	}
	existing := e.store.get(op.t.set, op.id)
	if apiErr := checkPreconditions(op, existing); apiErr != nil {
		return nil, apiErr
	}
	kind := op.kind
	if kind == opUpdate && existing == nil {
		kind = opCreate // upsert
	}
	var after *record
	var cascade []rowRef
	if kind == opDelete {
		cascade = e.cascadeOf(op.t, op.id)
	} else {
		if after, apiErr = e.applyChanges(op, existing, kind == opCreate, now); apiErr != nil {
			return nil, apiErr
		}
	}

	var plan *eventPlan
	if op.t.business {
		plan = e.planEvents(op, kind, existing, after, now)
	}
	if plan != nil && plan.hasSync() {
		e.store.mu.Unlock()
		locked = false
		runCtx, cancel := e.operationContext(ctx)
		err := plan.runSync(runCtx)
		cancel()
		if err != nil {
			return nil, err
		}
		e.store.mu.Lock()
		locked = true
	}

	if kind == opDelete {
		for _, ref := range cascade {
			e.store.remove(ref.set, ref.id)
			e.removeComponents(ref.id)
		}
		e.store.remove(op.t.set, op.id)
		e.removeComponents(op.id)
	} else {
		e.store.put(op.t.set, op.id, after)
		if op.t.componentType != 0 {
			if kind == opCreate {
				e.addComponent(stableGUID("solution", defaultSolution), op.id, op.t.componentType)
			}
			if solutionID != "" {
				e.addComponent(solutionID, op.id, op.t.componentType)
			}
		}
	}
	if plan != nil {
		plan.queueAsync()
	}
	res := &writeResult{created: kind == opCreate}
	if after != nil {
		res.rec = after.clone()
	}
	return res, nil
}

// checkPreconditions applies the existence rules and If-Match/If-None-Match.
func checkPreconditions(op writeOp, existing *record) *apiError {
	switch op.kind {
	case opCreate:
		if existing != nil {
			return newError(http.StatusPreconditionFailed, codeDuplicateRecord,
				"A record with matching key values already exists.")
		}
		return nil
	case opUpdate:
		if existing == nil {
			if op.ifMatch != "" {
				// Microsoft's documented answer to If-Match: * on a missing row
				// carries an empty code.
				e := notFound(op.t, op.id)
				e.Code = ""
				return e
			}
			if !op.upsert {
				return notFound(op.t, op.id)
			}
			return nil
		}
		if op.ifNoneMatch == "*" {
			// Documented with an empty code, unlike a create with a key in use.
			return newError(http.StatusPreconditionFailed, "",
				"A record with matching key values already exists.")
		}
	case opDelete:
		if existing == nil {
			return notFound(op.t, op.id)
		}
	}
	if op.ifMatch != "" && op.ifMatch != "*" && op.ifMatch != etagOf(existing) {
		// Documented with an empty code.
		return newError(http.StatusPreconditionFailed, "",
			"The version of the existing record doesn't match the RowVersion property provided.")
	}
	return nil
}

// applyChanges builds the row a create or update leaves behind and checks the
// table's rules against it. Callers hold the store lock.
func (e *Emulator) applyChanges(op writeOp, existing *record, create bool, now time.Time) (*record, *apiError) {
	t, cs := op.t, op.changes
	var r *record
	if create {
		r = &record{cols: map[string]any{}}
		for _, c := range t.cols {
			if c.def != nil && !cs.has(c.name) {
				r.cols[c.name] = c.def
			}
		}
	} else {
		r = existing.clone()
	}
	for col, ref := range cs.binds {
		c := t.cols[col]
		if ref.id == "" {
			r.cols[lookupKey(col)] = nil
			delete(r.targets, col)
			continue
		}
		if e.store.get(ref.set, ref.id) == nil {
			return nil, notFound(e.schema[ref.set], ref.id)
		}
		r.cols[lookupKey(col)] = ref.id
		if len(c.navs) > 1 {
			if r.targets == nil {
				r.targets = map[string]string{}
			}
			r.targets[col] = ref.set
		}
	}
	for k, v := range cs.cols {
		r.cols[k] = v
	}
	if cs.secret != nil {
		r.secret, r.hasSecret = *cs.secret, *cs.secret != ""
	}
	names := make([]string, 0, len(t.cols))
	for name := range t.cols {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := t.cols[name]
		if !c.required {
			continue
		}
		key := name
		if c.kind == kindLookup {
			key = lookupKey(name)
		}
		if v := r.cols[key]; v == nil || v == "" {
			return nil, invalidArgument("The required attribute '%s' of entity '%s' is missing or empty.", name, t.logical)
		}
	}
	if rule := tableRules[t.set]; rule != nil {
		if err := rule(e, op, r); err != nil {
			return nil, err
		}
	}

	r.cols[t.key] = op.id
	if create {
		r.cols["createdon"] = formatTime(now)
		r.cols[lookupKey("createdby")] = op.user
		if t.owned {
			r.cols[lookupKey("ownerid")] = op.user
		}
		if _, ok := t.cols["organizationid"]; ok {
			r.cols[lookupKey("organizationid")] = organizationID
		}
		if _, ok := t.cols["solutionid"]; ok {
			r.cols["solutionid"] = activeSolutionID
			r.cols["ismanaged"] = false
		}
		if _, ok := t.cols["customizationlevel"]; ok {
			r.cols["customizationlevel"] = int64(1)
		}
	}
	r.cols["modifiedon"] = formatTime(now)
	r.cols[lookupKey("modifiedby")] = op.user
	if _, versioned := t.cols["versionnumber"]; versioned {
		r.cols["versionnumber"] = e.store.nextVersion()
	}
	return r, nil
}

// rowRef names a row.
type rowRef struct{ set, id string }

// cascadeOf lists the rows a delete takes with it: a serviceendpoint's steps
// and every step's images. Callers hold the store lock.
func (e *Emulator) cascadeOf(t *table, id string) []rowRef {
	var out []rowRef
	switch t.set {
	case "serviceendpoints":
		steps := e.schema["sdkmessageprocessingsteps"]
		for sid, r := range e.store.rows[steps.set] {
			if r.cols[lookupKey("eventhandler")] == id && e.store.lookupTarget(steps, r, "eventhandler") == t.set {
				out = append(out, rowRef{steps.set, sid})
				out = append(out, e.cascadeOf(steps, sid)...)
			}
		}
	case "sdkmessageprocessingsteps":
		for iid, r := range e.store.rows["sdkmessageprocessingstepimages"] {
			if r.cols[lookupKey("sdkmessageprocessingstepid")] == id {
				out = append(out, rowRef{"sdkmessageprocessingstepimages", iid})
			}
		}
	}
	return out
}

// solutionFor resolves MSCRM.SolutionUniqueName. Microsoft does not document
// the error for an unknown solution; the emulator answers the not-found code.
// Tables that are not solution-aware ignore the header. Callers hold the store lock.
func (e *Emulator) solutionFor(op writeOp) (string, *apiError) {
	if op.solution == "" || op.kind == opDelete || op.t.componentType == 0 {
		return "", nil
	}
	for id, r := range e.store.rows["solutions"] {
		if name, _ := r.cols["uniquename"].(string); strings.EqualFold(name, op.solution) {
			if managed, _ := r.cols["ismanaged"].(bool); managed {
				return "", invalidArgument("Cannot add a component to the managed solution '%s'.", op.solution)
			}
			return id, nil
		}
	}
	return "", newError(http.StatusNotFound, codeObjectDoesNotExist, "The solution with unique name '%s' does not exist.", op.solution)
}

// addComponent records a solution component once. Callers hold the store lock.
func (e *Emulator) addComponent(solutionID, objectID string, componentType int) {
	id := stableGUID("solutioncomponent", solutionID+"/"+objectID)
	if e.store.get("solutioncomponents", id) != nil {
		return
	}
	now := formatTime(e.now())
	e.store.put("solutioncomponents", id, &record{cols: map[string]any{
		"solutioncomponentid":   id,
		"objectid":              objectID,
		"componenttype":         int64(componentType),
		"rootcomponentbehavior": int64(0),
		"ismetadata":            false,
		lookupKey("solutionid"): solutionID,
		"createdon":             now,
		"modifiedon":            now,
		lookupKey("createdby"):  systemUserID,
		lookupKey("modifiedby"): systemUserID,
		"versionnumber":         e.store.nextVersion(),
	}})
}

// removeComponents forgets the solution components of a deleted row. Callers hold the store lock.
func (e *Emulator) removeComponents(objectID string) {
	for id, r := range e.store.rows["solutioncomponents"] {
		if r.cols["objectid"] == objectID {
			e.store.remove("solutioncomponents", id)
		}
	}
}

// errStopped reports a delivery cut short by Close.
var errStopped = errors.New("emulator is closing")
