package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

// webAPIVersions are the versions the Web API answers under; the seed's
// documentation uses v9.0, current clients v9.2.
var webAPIVersions = map[string]bool{"v9.0": true, "v9.1": true, "v9.2": true}

// call is one authenticated Web API request.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	base  string // https://host/api/data/v9.2
	path  string // the resource path after the base, e.g. serviceendpoints(…)
	query url.Values
	// user is the systemuserid the request acts as; initiatingUser is the
	// authenticated caller (they differ under CallerObjectId impersonation).
	user           string
	initiatingUser string
	prefer         preferences
	correlationID  string
	// requestID names this one request; real bodies carry it as RequestId, apart from the
	// CorrelationId that the whole chain of requests shares.
	requestID string
	// dropped, for an operation of a $batch, is set where the answer would be dropped: the
	// batch drops its own answer once every operation has run.
	dropped *bool
}

// preferences are the parts of the Prefer header the Web API honors.
type preferences struct {
	representation bool
	maxPageSize    int              // 0: not given
	annotations    annotationFilter // odata.include-annotations; nil: none
}

// annotationFilter is the value of odata.include-annotations: annotation terms
// ("Microsoft.Dynamics.CRM.lookuplogicalname"), namespaces ("Microsoft.Dynamics.CRM.*"), "*",
// and exclusions of either ("-OData.Community.Display.V1.FormattedValue"). The Web API
// returns only the annotations it names, and echoes it in Preference-Applied.
type annotationFilter []string

// includes reports whether the filter asks for the annotation term.
func (f annotationFilter) includes(term string) bool {
	matches := func(pattern string) bool {
		if pattern == "*" || pattern == term {
			return true
		}
		ns, ok := strings.CutSuffix(pattern, "*")
		return ok && strings.HasSuffix(ns, ".") && strings.HasPrefix(term, ns)
	}
	in := false
	for _, pattern := range f {
		if excluded, ok := strings.CutPrefix(pattern, "-"); ok {
			if matches(excluded) {
				return false
			}
		} else if matches(pattern) {
			in = true
		}
	}
	return in
}

// splitPreferences splits a Prefer header line at the commas outside quoted values: the value
// of odata.include-annotations is a quoted, comma-separated list.
func splitPreferences(line string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, line[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, line[start:])
}

func parsePrefer(h http.Header) preferences {
	var p preferences
	for _, line := range h.Values("Prefer") {
		for _, part := range splitPreferences(line) {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "return":
				p.representation = strings.EqualFold(strings.TrimSpace(value), "representation")
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n > 0 {
					p.maxPageSize = n
				}
			case "odata.include-annotations":
				p.annotations = nil
				for _, pattern := range strings.Split(strings.Trim(strings.TrimSpace(value), `"`), ",") {
					if pattern = strings.TrimSpace(pattern); pattern != "" {
						p.annotations = append(p.annotations, pattern)
					}
				}
			}
		}
	}
	return p
}

// serveWebAPI runs the request through what Dataverse's front door does —
// gateway faults, authentication, service protection limits, latency — and
// then routes it.
func (e *Emulator) serveWebAPI(rw http.ResponseWriter, r *http.Request) {
	w := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
	start := time.Now()
	// The query is left out: it is not needed to follow a run, and paths
	// and statuses never carry secrets.
	defer func() {
		e.log.Debug("web api", "method", r.Method, "path", r.URL.Path, "status", w.status, "duration", time.Since(start).Round(time.Millisecond))
	}()
	w.Header().Set("OData-Version", "4.0")
	rest := strings.TrimPrefix(r.URL.Path, "/api/data/")
	version, resource, _ := strings.Cut(rest, "/")
	e.stats.request(r.Method, entitySetSegment(resource))

	if e.opts.FaultRate > 0 && e.faults.hit(e.opts.FaultRate) {
		status := []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}[e.faults.pick(3)]
		e.stats.add(&e.stats.faults)
		e.log.Debug("injected fault", "method", r.Method, "path", r.URL.Path, "status", status)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status) + "\n"))
		return
	}

	user, initiating, authErr := e.authenticate(r)
	if authErr != nil {
		if authErr.Status == http.StatusUnauthorized {
			// Dataverse answers an unauthenticated request with an empty body
			// and a challenge naming the authority and the resource.
			w.Header().Set("WWW-Authenticate", "Bearer authorization_uri="+e.AuthorityHost()+"/"+e.TenantID()+
				"/oauth2/authorize, resource_id="+e.baseURL)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeAPIError(w, authErr)
		return
	}

	release, code, retryAfter := e.limits.acquire(initiating, e.now())
	if release == nil {
		e.stats.add(&e.stats.throttled)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		var msg string
		if code == codeThrottleConcurrency {
			msg = "Number of concurrent requests exceeded the limit of " + strconv.Itoa(e.opts.MaxConcurrent) + "."
		} else {
			msg = "Number of requests exceeded the limit of " + strconv.Itoa(e.opts.MaxRequestsPerWindow) +
				" over time window of " + strconv.Itoa(int(e.opts.Window/time.Second)) + " seconds."
		}
		writeAPIError(w, newError(http.StatusTooManyRequests, code, "%s", msg))
		return
	}
	defer release()
	if hook := e.admitted.Load(); hook != nil {
		(*hook)(r.Context())
	}

	if d := e.opts.Latency + e.jitter.duration(e.opts.LatencyJitter); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	if !webAPIVersions[version] {
		writeAPIError(w, newError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", version))
		return
	}
	c := &call{
		w:              w,
		r:              r,
		base:           e.baseURL + "/api/data/" + version,
		path:           resource,
		user:           user,
		initiatingUser: initiating,
		prefer:         parsePrefer(r.Header),
		correlationID:  newGUID(),
		requestID:      newGUID(),
	}
	q, err := odata.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		writeAPIError(w, fromOData(err))
		return
	}
	c.query = q
	if resource == "$batch" {
		// A batch takes the transaction lock itself, per operation or changeset.
		e.route(c)
		return
	}
	e.tx.RLock()
	defer e.tx.RUnlock()
	e.route(c)
}

// entitySetSegment is the first path segment without its key, for the statistics.
func entitySetSegment(resource string) string {
	end := strings.IndexAny(resource, "(/")
	if end >= 0 {
		return resource[:end]
	}
	return resource
}

// authenticate verifies the bearer token and finds the caller's systemuser.
// It returns the user the request acts as and the authenticated user.
func (e *Emulator) authenticate(r *http.Request) (user, initiating string, err *apiError) {
	unauthorized := &apiError{Status: http.StatusUnauthorized}
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return "", "", unauthorized
	}
	claims, verr := e.entra.VerifyAccessToken(strings.TrimSpace(raw), *e.audience.Load())
	if verr != nil {
		e.log.Debug("rejected bearer token", "reason", tokenRejection(verr))
		return "", "", unauthorized
	}
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	caller := e.findUser("applicationid", claims.ClientID)
	if caller == "" {
		return "", "", newError(http.StatusForbidden, codeNotAMember, "The user is not a member of the organization.")
	}
	user = caller
	if oid := strings.TrimSpace(r.Header.Get("CallerObjectId")); oid != "" {
		impersonated := e.findUser("azureactivedirectoryobjectid", strings.ToLower(oid))
		if impersonated == "" {
			return "", "", newError(http.StatusForbidden, codeNotAMember,
				"The user with azureactivedirectoryobjectid %s is not a member of the organization.", oid)
		}
		user = impersonated
	}
	return user, caller, nil
}

// tokenRejection names why a token was refused, without the token itself.
func tokenRejection(err error) string {
	for _, known := range []error{entra.ErrTokenMalformed, entra.ErrTokenSignature, entra.ErrTokenExpired, entra.ErrTokenIssuer, entra.ErrTokenNotYetValid, entra.ErrTokenAudience} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return "invalid token"
}

// findUser returns the enabled systemuser whose column equals value; callers hold the store lock.
func (e *Emulator) findUser(column, value string) string {
	if value == "" {
		return ""
	}
	for id, r := range e.store.rows["systemusers"] {
		if v, _ := r.cols[column].(string); strings.EqualFold(v, value) {
			if disabled, _ := r.cols["isdisabled"].(bool); disabled {
				return ""
			}
			return id
		}
	}
	return ""
}

// resourcePath is a parsed Web API resource path.
type resourcePath struct {
	t      *table
	id     string // set when the path names one row
	hasKey bool
	coll   *collectionNav // a collection-valued navigation after the key
}

func (e *Emulator) parseResource(c *call) (*resourcePath, *apiError) {
	segments := strings.Split(c.path, "/")
	first := segments[0]
	name, key, hasKey := first, "", false
	if i := strings.IndexByte(first, '('); i >= 0 {
		if !strings.HasSuffix(first, ")") {
			return nil, newError(http.StatusBadRequest, codeQuerySyntax, "Bad Request - Error in query syntax.")
		}
		name, key, hasKey = first[:i], first[i+1:len(first)-1], true
	}
	t := e.schema[name]
	if t == nil {
		return nil, newError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", name)
	}
	p := &resourcePath{t: t, hasKey: hasKey}
	if hasKey {
		id, err := e.parseKey(t, key, c.query)
		if err != nil {
			return nil, err
		}
		p.id = id
	}
	switch {
	case len(segments) == 1:
	case len(segments) == 2 && hasKey && segments[1] != "":
		cn := t.collNavs[segments[1]]
		if cn == nil {
			return nil, newError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", segments[1])
		}
		p.coll = cn
	default:
		return nil, newError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", segments[len(segments)-1])
	}
	return p, nil
}

// parseKey reads the key in set(<key>): a GUID, a parameter alias (@id, with
// the GUID given as @id=<guid>), or primarykey=<guid>.
func (e *Emulator) parseKey(t *table, key string, q url.Values) (string, *apiError) {
	raw := key
	if name, value, ok := strings.Cut(key, "="); ok {
		if name != t.key {
			return "", unknownQueryProperty(t, name)
		}
		raw = value
	}
	if strings.HasPrefix(raw, "@") {
		raw = q.Get(raw)
	}
	id, ok := parseGUID(raw)
	if !ok {
		return "", newError(http.StatusBadRequest, codeQuerySyntax,
			"Bad Request - Error in query syntax. The key '%s' is not a valid Edm.Guid.", key)
	}
	return id, nil
}

func (e *Emulator) route(c *call) {
	switch {
	case c.path == "WhoAmI" || c.path == "WhoAmI()":
		if c.r.Method != http.MethodGet {
			// Microsoft's captured answer to a function called with the wrong method.
			writeAPIError(c.w, newError(http.StatusNotFound, "", "No HTTP resource was found that matches the request URI '%s/%s'.", c.base, c.path))
			return
		}
		e.serveWhoAmI(c)
		return
	case attributesPath.MatchString(c.path):
		e.serveAttributes(c, attributesPath.FindStringSubmatch(c.path)[1])
		return
	case c.path == "$batch":
		e.serveBatch(c)
		return
	case c.path == "" || c.path == "$metadata":
		// The service document and metadata are not emulated.
		writeAPIError(c.w, newError(http.StatusNotImplemented, codeUnexpectedServerSide, "'%s' is not supported by the emulator.", c.path))
		return
	}
	p, err := e.parseResource(c)
	if err != nil {
		writeAPIError(c.w, err)
		return
	}
	handlers := setMethods
	switch {
	case p.coll != nil:
		handlers = collectionNavMethods
	case p.hasKey:
		handlers = rowMethods
	}
	serve, ok := handlers[c.r.Method]
	if !ok {
		writeAPIError(c.w, methodNotAllowed(c.r.Method))
		return
	}
	serve(e, c, p)
}

// The methods a resource path answers, by what it names; any other gets 405.
var (
	setMethods = map[string]func(*Emulator, *call, *resourcePath){
		http.MethodGet:  (*Emulator).serveList,
		http.MethodPost: (*Emulator).serveCreate,
	}
	rowMethods = map[string]func(*Emulator, *call, *resourcePath){
		http.MethodGet:    (*Emulator).serveRetrieve,
		http.MethodPatch:  (*Emulator).serveUpdate,
		http.MethodDelete: (*Emulator).serveDelete,
	}
	collectionNavMethods = map[string]func(*Emulator, *call, *resourcePath){
		http.MethodGet: (*Emulator).serveList,
	}
)

func methodNotAllowed(method string) *apiError {
	return newError(http.StatusMethodNotAllowed, codeUnexpectedServerSide, "The HTTP method '%s' is not allowed for this resource.", method)
}

func (e *Emulator) serveWhoAmI(c *call) {
	writeJSON(c.w, http.StatusOK, map[string]any{
		"@odata.context": c.base + "/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
		"BusinessUnitId": businessUnitID,
		"UserId":         c.user,
		"OrganizationId": organizationID,
	})
}

// fromOData converts a query error of the odata package.
func fromOData(err error) *apiError {
	var oe *odata.Error
	if errors.As(err, &oe) {
		return &apiError{Status: oe.Status, Code: oe.Code, Message: oe.Message}
	}
	return newError(http.StatusBadRequest, codeQuerySyntax, "%s", err.Error())
}

// operationContext is the context a write's deliveries run under: the
// request's, canceled too when the emulator closes.
func (e *Emulator) operationContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(e.bgCtx, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// statusRecorder remembers the status a handler answered, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
