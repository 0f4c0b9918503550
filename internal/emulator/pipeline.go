package emulator

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"
)

// eventPlan is the work registered steps do for one write of a business
// row: synchronous steps run inside the request, asynchronous ones after it.
type eventPlan struct {
	e     *Emulator
	op    writeOp
	sync  []*stepRun // stage, then rank order
	async []*stepRun
}

// stepRun is one step firing: what to post where.
type stepRun struct {
	step     stepInfo
	endpoint endpointInfo
	ctx      *executionContext
}

type stepInfo struct {
	id, name        string
	mode, stage     int64
	rank            int64
	asyncAutoDelete bool
	createdOn       string
}

type endpointInfo struct {
	id, name, url string
	authType      int64
	secret        string
}

func (p *eventPlan) hasSync() bool { return p != nil && len(p.sync) > 0 }

// planEvents collects the enabled steps a write fires and builds the
// execution context each receives. Callers hold the store lock.
func (e *Emulator) planEvents(op writeOp, kind opKind, before, after *record, now time.Time) *eventPlan {
	message := kind.message()
	messageID := SDKMessageID(message)
	stepsTable := e.schema["sdkmessageprocessingsteps"]
	plan := &eventPlan{e: e, op: op}
	var runs []*stepRun
	for _, r := range e.store.rows[stepsTable.set] {
		if r.cols[lookupKey("sdkmessageid")] != messageID {
			continue
		}
		if state, _ := intOf(r.cols["statecode"]); state != 0 {
			continue // disabled
		}
		if dep, _ := intOf(r.cols["supporteddeployment"]); dep == 1 {
			continue // Outlook client only: never runs on the server
		}
		if filterID, _ := r.cols[lookupKey("sdkmessagefilterid")].(string); filterID != "" {
			f := e.store.get("sdkmessagefilters", filterID)
			if f == nil || f.cols["primaryobjecttypecode"] != op.t.logical {
				continue
			}
		}
		// Steps of plug-in types have no code to run here; only service
		// endpoints are executed.
		if e.store.lookupTarget(stepsTable, r, "eventhandler") != "serviceendpoints" {
			continue
		}
		endpoint := e.store.get("serviceendpoints", stringOf(r.cols[lookupKey("eventhandler")]))
		if endpoint == nil {
			continue
		}
		if kind == opUpdate && !matchesFilteringAttributes(stringOf(r.cols["filteringattributes"]), op.changes) {
			continue
		}
		run := &stepRun{
			step: stepInfo{
				id:              stringOf(r.cols[stepsTable.key]),
				name:            stringOf(r.cols["name"]),
				createdOn:       stringOf(r.cols["createdon"]),
				asyncAutoDelete: r.cols["asyncautodelete"] == true,
			},
			endpoint: endpointInfo{
				id:     stringOf(endpoint.cols["serviceendpointid"]),
				name:   stringOf(endpoint.cols["name"]),
				url:    stringOf(endpoint.cols["url"]),
				secret: endpoint.secret,
			},
		}
		run.step.mode, _ = intOf(r.cols["mode"])
		run.step.stage, _ = intOf(r.cols["stage"])
		run.step.rank, _ = intOf(r.cols["rank"])
		run.endpoint.authType, _ = intOf(endpoint.cols["authtype"])
		user := op.user
		if imp := stringOf(r.cols[lookupKey("impersonatinguserid")]); imp != "" {
			user = imp
		}
		run.ctx = e.buildContext(op, kind, run, before, after, user, now)
		runs = append(runs, run)
	}
	if len(runs) == 0 {
		return nil
	}
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i].step, runs[j].step
		if a.stage != b.stage {
			return a.stage < b.stage
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.createdOn != b.createdOn {
			return a.createdOn < b.createdOn
		}
		return a.id < b.id
	})
	for _, run := range runs {
		if run.step.mode == modeAsynchronous {
			plan.async = append(plan.async, run)
		} else {
			plan.sync = append(plan.sync, run)
		}
	}
	return plan
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// matchesFilteringAttributes says whether an Update step fires: always
// without filtering attributes, otherwise when the update sets one of them.
func matchesFilteringAttributes(list string, cs *changeSet) bool {
	if strings.TrimSpace(list) == "" {
		return true
	}
	for _, name := range strings.Split(list, ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" && cs.has(name) {
			return true
		}
	}
	return false
}

// runSync posts to the synchronous steps in order; the first failure fails
// the user's operation, which is then not stored.
func (p *eventPlan) runSync(ctx context.Context) *apiError {
	for _, run := range p.sync {
		res := p.e.deliver(ctx, run)
		if res.err == nil {
			continue
		}
		p.e.log.Info("synchronous webhook failed", "step", run.step.id, "endpoint", run.endpoint.id, "code", res.code)
		// Dataverse answers an error raised in the pipeline as a 400 carrying
		// the error's code and message.
		return newError(http.StatusBadRequest, res.code, "%s", res.message)
	}
	return nil
}

// queueAsync records a system job for every asynchronous step and starts
// its delivery. Callers hold the store lock; deliveries wait for it.
func (p *eventPlan) queueAsync() {
	e := p.e
	for _, run := range p.async {
		jobID := newGUID()
		run.ctx.OperationID = jobID
		// Real asynchronous bodies carry a RequestId on Create and none on Update.
		run.ctx.RequestID = nil
		if p.op.kind == opCreate {
			run.ctx.RequestID = p.op.requestID
			// Both real asynchronous Create bodies' contexts carry it.
			run.ctx.SharedVariables = []keyValue{{"DefaultsAddedFlag", true}}
		}
		run.ctx.ParentContext = mainOperationContext(run.ctx, p.op)
		now := formatTime(e.now())
		cols := map[string]any{
			"asyncoperationid": jobID,
			"name":             run.step.name,
			"operationtype":    int64(1), // System Event
			"statecode":        int64(0),
			"statuscode":       int64(0), // Waiting For Resources
			"message":          nil,
			"friendlymessage":  nil,
			"errorcode":        nil,
			"startedon":        nil,
			"completedon":      nil,
			// The job's own retries by the asynchronous service; the sender's one retry of a
			// 502, 503 or 504 happens inside a single run and is not counted here.
			"retrycount":                   int64(0),
			"depth":                        int64(1),
			"messagename":                  p.op.kind.message(),
			"primaryentitytype":            p.op.t.logical,
			"correlationid":                p.op.correlationID,
			lookupKey("owningextensionid"): run.step.id,
			lookupKey("regardingobjectid"): p.op.id,
			lookupKey("ownerid"):           p.op.user,
			lookupKey("createdby"):         p.op.user,
			lookupKey("modifiedby"):        p.op.user,
			"createdon":                    now,
			"modifiedon":                   now,
			// The other columns a live row filled (asyncoperation-row-live.jsonc); the rest of
			// its columns are null there, as here.
			lookupKey("owninguser"):         p.op.user,
			lookupKey("owningbusinessunit"): businessUnitID,
			"timezoneruleversionnumber":     int64(0),
			"parentpluginexecutionid":       "00000000-0000-0000-0000-000000000000",
			"iswaitingforevent":             false,
			"retainjobhistory":              false,
			"correlationupdatedtime":        now,
			"expanderstarttime":             now,
			"sequence":                      e.jobSequence.Add(1),
		}
		rec := &record{cols: cols, targets: map[string]string{"regardingobjectid": p.op.t.set}}
		if p.op.kind == opDelete {
			// The row is gone; the job no longer points at it.
			cols[lookupKey("regardingobjectid")] = nil
			rec.targets = nil
		}
		e.store.put("asyncoperations", jobID, rec)
		// When the emulator is closing the job stays waiting, as it would
		// on a stopped server. A changeset's jobs start when it commits.
		e.store.afterCommit(func() { e.goAsync(func() { e.runAsync(jobID, run) }) })
	}
}

// runAsync delivers one asynchronous step and records the outcome on its job.
func (e *Emulator) runAsync(jobID string, run *stepRun) {
	select {
	case e.asyncSem <- struct{}{}:
	case <-e.bgCtx.Done():
		return
	}
	defer func() { <-e.asyncSem }()

	started := e.now()
	e.updateJob(jobID, map[string]any{"statecode": int64(2), "statuscode": int64(20), "startedon": formatTime(started),
		"hostid": asyncHostID})
	res := e.deliver(e.bgCtx, run)
	if e.bgCtx.Err() != nil {
		return // closing: the job stays in progress, as it would on a stopped server
	}
	completed := e.now()
	done := map[string]any{"statecode": int64(3), "completedon": formatTime(completed),
		// In seconds, as the live row's 118.337 for a job of about two minutes.
		"executiontimespan": completed.Sub(started).Seconds()}
	if res.err == nil {
		if run.step.asyncAutoDelete {
			e.store.mu.Lock()
			e.store.remove("asyncoperations", jobID)
			e.store.mu.Unlock()
			return
		}
		done["statuscode"] = int64(30)
	} else {
		done["statuscode"] = int64(31)
		done["message"] = res.message
		done["friendlymessage"] = res.friendly
		done["errorcode"] = errorCodeInt(res.code)
		e.log.Info("asynchronous webhook failed", "job", jobID, "step", run.step.id, "code", res.code)
	}
	e.updateJob(jobID, done)
}

// asyncHostID names the asynchronous service that ran a job, in the live row's form
// (<machine>.MSCRMAsyncService.<id>).
const asyncHostID = "EMULATOR.MSCRMAsyncService.3f2a9c61-4b7e-4d08-9a15-6c0e2b8d7f34"

func (e *Emulator) updateJob(id string, cols map[string]any) {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	r := e.store.get("asyncoperations", id)
	if r == nil {
		return // deleted meanwhile
	}
	r = r.clone()
	for k, v := range cols {
		r.cols[k] = v
	}
	r.cols["modifiedon"] = formatTime(e.now())
	e.store.put("asyncoperations", id, r)
}
