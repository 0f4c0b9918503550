package emulator

import (
	"fmt"
	"net/http"
	"testing"
)

// An asynchronous step's system job is written in the transaction of the write that fired it:
// a changeset that rolls back leaves no job and sends nothing, one that commits delivers.
func TestChangesetDeliversAsynchronousStepsOnlyWhenItCommits(t *testing.T) {
	t.Parallel()
	e, c, rc := deliveryEnv(t, Options{})
	hook := c.createWebhook("changeset hook", rc.srv.URL, 4, "k")
	step := c.createStep(stepSpec{name: "async create", endpoint: hook, message: "Create", table: "contact", mode: 1, stage: 40, rank: 1})
	jobsOfStep := func() int {
		n := 0
		for _, job := range e.Rows("asyncoperations") {
			if job["_owningextensionid_value"] == step {
				n++
			}
		}
		return n
	}

	rolledBack := newGUID()
	ct, body := changesetBody(e,
		[3]string{"POST", "contacts", fmt.Sprintf(`{"contactid":%q,"lastname":"Rolled back"}`, rolledBack)},
		[3]string{"DELETE", "contacts(" + newGUID() + ")", ""})
	if got := postBatch(t, c, http.StatusNotFound, ct, body); len(got) != 1 || got[0] != http.StatusNotFound {
		t.Fatalf("answers %v, want the failing delete's 404 alone", got)
	}
	waitIdle(t, e)
	if _, ok := e.Row("contacts", rolledBack); ok {
		t.Fatal("the contact of the rolled-back changeset was kept")
	}
	if n := jobsOfStep(); n != 0 {
		t.Errorf("%d system jobs left by the rolled-back changeset, want 0", n)
	}
	if got := rc.received(); len(got) != 0 {
		t.Fatalf("the rolled-back changeset sent %d deliveries, want none", len(got))
	}

	committed := newGUID()
	ct, body = changesetBody(e, [3]string{"POST", "contacts", fmt.Sprintf(`{"contactid":%q,"lastname":"Committed"}`, committed)})
	if got := postBatch(t, c, http.StatusOK, ct, body); len(got) != 1 || got[0] != http.StatusNoContent {
		t.Fatalf("answers %v, want 204", got)
	}
	waitIdle(t, e)
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("the committed changeset sent %d deliveries, want 1", len(got))
	}
	if id := path(got[0].body, "PrimaryEntityId"); id != committed {
		t.Errorf("delivered PrimaryEntityId %v, want the committed contact %s", id, committed)
	}
	if n := jobsOfStep(); n != 1 {
		t.Errorf("%d system jobs after the committed changeset, want 1", n)
	}
}
