package emulator

import (
	"net/http"
	"strings"
)

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
