package emulator

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

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
	requestID      string
}

// writeResult is the committed outcome of a writeOp.
type writeResult struct {
	rec *record // the row after the write; nil after a delete
}

func (e *Emulator) serveCreate(c *call, p *resourcePath) {
	t := p.t
	body, ok := e.decodeWrite(c, t, opCreate)
	if !ok {
		return
	}
	cs, apiErr := e.parseChanges(t, body)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	id := cs.key
	if id == "" {
		id = newGUID()
	}
	e.commitAndRespond(c, e.newWriteOp(c, opCreate, t, id, cs), http.StatusCreated)
}

func (e *Emulator) serveUpdate(c *call, p *resourcePath) {
	t := p.t
	body, ok := e.decodeWrite(c, t, opUpdate)
	if !ok {
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
	op := e.newWriteOp(c, opUpdate, t, p.id, cs)
	// Upsert: without If-Match a PATCH of a missing row creates it. Asynchronous
	// jobs cannot be created by clients, so for them it is a plain update.
	op.upsert = t.set != "asyncoperations"
	e.commitAndRespond(c, op, http.StatusOK)
}

// decodeWrite refuses a write t does not take and decodes the request body; when it
// returns false it has answered the error.
func (e *Emulator) decodeWrite(c *call, t *table, kind opKind) (map[string]any, bool) {
	if err := e.writable(t, kind); err != nil {
		writeAPIError(c.w, err)
		return nil, false
	}
	body, apiErr := decodeBody(c.r, t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return nil, false
	}
	return body, true
}

// commitAndRespond commits a create or update and answers it. The representation's $select
// and $expand are checked first, so a request that asks for a bad one writes nothing.
func (e *Emulator) commitAndRespond(c *call, op writeOp, representationStatus int) {
	o, apiErr := e.representationOptions(c, op.t)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	res, apiErr := e.commitWrite(c.r.Context(), op)
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	e.maybeDrop(c)
	e.respondWrite(c, op.t, res, o, representationStatus)
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
		requestID:      c.requestID,
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
		e.stats.add(&e.stats.dropped)
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
	res := &writeResult{}
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
	names := slices.Sorted(maps.Keys(t.cols))
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

// errStopped reports a delivery cut short by Close.
var errStopped = errors.New("emulator is closing")
