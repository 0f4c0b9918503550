package dataverse

import (
	"context"
	"strconv"
	"time"
)

const (
	setAsyncOperations = "asyncoperations"
	// statusFailed is asyncoperation.statuscode for a failed system job.
	statusFailed = 31
)

// SystemJob is an asyncoperation row.
type SystemJob struct {
	ID, Name                          string
	StepID                            string // _owningextensionid_value
	FriendlyMessage, Message          string
	ErrorCode                         int
	StatusCode                        int
	CreatedOn, StartedOn, CompletedOn time.Time
}

// FailedJobsQuery selects failed system jobs. StepIDs empty means jobs of any step; Since zero
// means no lower bound on completedon; Top 0 means all.
type FailedJobsQuery struct {
	StepIDs []string
	Since   time.Time
	Top     int
}

// ListFailedJobs returns failed system jobs (statuscode 31), newest completedon first, in one
// paged query whatever the number of steps.
func (c *Client) ListFailedJobs(ctx context.Context, q FailedJobsQuery) ([]SystemJob, error) {
	ids := uniqueIDs(q.StepIDs)
	for _, id := range ids {
		if err := checkID("step id", id); err != nil {
			return nil, err
		}
	}
	filter := "statuscode eq " + strconv.Itoa(statusFailed)
	var aliases query
	if len(ids) > 0 {
		var idFilter string
		idFilter, aliases = anyOfIDs("_owningextensionid_value", "s", ids)
		filter += " and " + idFilter
	}
	if !q.Since.IsZero() {
		filter += " and completedon ge " + filterDateTime(q.Since)
	}
	opts := query{}.
		with("$select", joinColumns(systemJobColumns)).
		with("$filter", filter).
		with("$orderby", "completedon desc")
	r := &request{path: setAsyncOperations}
	if q.Top > 0 && q.Top <= c.pageSize {
		// The rows fit one page: $top asks for just those, and no page-size preference is needed.
		opts = opts.with("$top", strconv.Itoa(q.Top))
		r.prefer = []string{}
	}
	r.query = append(opts, aliases...)
	rows, err := getCollection[systemJobRow](ctx, c, r, max(q.Top, 0))
	if err != nil {
		return nil, err
	}
	out := make([]SystemJob, 0, len(rows))
	for _, row := range rows {
		out = append(out, SystemJob{
			ID:              row.ID,
			Name:            row.Name,
			StepID:          row.StepID,
			FriendlyMessage: row.FriendlyMessage,
			Message:         row.Message,
			ErrorCode:       row.ErrorCode,
			StatusCode:      row.StatusCode,
			CreatedOn:       timeOrZero(row.CreatedOn),
			StartedOn:       timeOrZero(row.StartedOn),
			CompletedOn:     timeOrZero(row.CompletedOn),
		})
	}
	return out, nil
}
