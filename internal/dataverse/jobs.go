package dataverse

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

const (
	setAsyncOperations = "asyncoperations"
	// statusFailed is asyncoperation.statuscode for a failed system job.
	statusFailed = 31
)

// lookupTableAnnotation asks Dataverse to name the table of each lookup value, here the
// system job's regarding record.
const lookupTableAnnotation = `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`

// SystemJob is an asyncoperation row.
type SystemJob struct {
	ID, Name                          string
	StepID                            string // _owningextensionid_value
	FriendlyMessage, Message          string
	ErrorCode                         int // as Dataverse stores it: a signed 32-bit number
	CreatedOn, StartedOn, CompletedOn time.Time
	CorrelationID                     string // shared with the request that triggered the job and the x-ms-correlation-request-id header
	MessageName                       string // the message that triggered the job, such as Update
	// The row whose change triggered the job (regardingobjectid), where Dataverse recorded one:
	// its table comes from the lookup's annotation, else from primaryentitytype.
	RecordTable, RecordID string
	RetryCount            int
}

// ErrorCodeHex writes a Dataverse error code as Microsoft's documentation does: 0x80050201 for
// the -2147155455 that asyncoperation.errorcode holds. Zero is "".
func ErrorCodeHex(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprintf("0x%08X", uint32(int32(code))) //nolint:gosec // the column is an Int32; the conversion is the point
}

// webhookStatusPattern finds the HTTP status in the message of a webhook's non-2xx failure
// (error 0x80050201): "Non success http status code: 500 received from server for OrgId: …".
var webhookStatusPattern = regexp.MustCompile(`(?i)non[- ]success http status code:?\s*(\d{3})\b`)

// HTTPStatus is the HTTP status the webhook's endpoint answered, read from the job's message;
// 0 when the message names none (a timeout, a refused connection, an unusable secret).
func (j SystemJob) HTTPStatus() int {
	m := webhookStatusPattern.FindStringSubmatch(j.Message)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
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
	rows, err := c.jobRows(ctx, ids, max(q.Top, 0), true, func(stepFilter string, aliases query) *request {
		filter := "statuscode eq " + strconv.Itoa(statusFailed)
		if stepFilter != "" {
			filter += " and " + stepFilter
		}
		if !q.Since.IsZero() {
			filter += " and completedon ge " + filterDateTime(q.Since)
		}
		opts := query{}.
			with("$select", joinColumns(systemJobColumns)).
			with("$filter", filter).
			with("$orderby", "completedon desc")
		r := &request{path: setAsyncOperations, prefer: []string{"odata.maxpagesize=" + strconv.Itoa(c.pageSize), lookupTableAnnotation}}
		if q.Top > 0 && q.Top <= c.pageSize {
			// The rows fit one page: $top asks for just those, and no page-size preference is needed.
			opts = opts.with("$top", strconv.Itoa(q.Top))
			r.prefer = []string{lookupTableAnnotation}
		}
		r.query = append(opts, aliases...)
		return r
	})
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
			CreatedOn:       timeOrZero(row.CreatedOn),
			StartedOn:       timeOrZero(row.StartedOn),
			CompletedOn:     timeOrZero(row.CompletedOn),
			CorrelationID:   row.CorrelationID,
			MessageName:     row.MessageName,
			RecordTable:     recordTable(row),
			RecordID:        row.RegardingID,
			RetryCount:      row.RetryCount,
		})
	}
	return out, nil
}

// JobsBeyond says whether more failed jobs match than a list cut to its Top holds.
type JobsBeyond int

const (
	NoJobsBeyond    JobsBeyond = iota // the list holds every job that matches
	JobsBeyondTop                     // more jobs match
	MaybeJobsBeyond                   // the list is full at a page or more: more may match
)

// ListFailedJobsUpTo lists at most q.Top (> 0) failed jobs, as ListFailedJobs, and says whether
// more match. It asks for one job more while that still fits in one page; at a page's size one
// more would cost a second page, so there a full list says only that more may match.
func (c *Client) ListFailedJobsUpTo(ctx context.Context, q FailedJobsQuery) ([]SystemJob, JobsBeyond, error) {
	top := max(q.Top, 1)
	q.Top = top
	if top < c.pageSize {
		q.Top++
	}
	jobs, err := c.ListFailedJobs(ctx, q)
	switch {
	case err != nil:
		return nil, NoJobsBeyond, err
	case len(jobs) > top:
		return jobs[:top], JobsBeyondTop, nil
	case top >= c.pageSize && len(jobs) == top:
		return jobs, MaybeJobsBeyond, nil
	}
	return jobs, NoJobsBeyond, nil
}

// jobRows reads the system job rows of the request jobRequest builds: with no step ids in one
// paged query, else in one per chunk of steps (getRowsByIDs), given the chunk as a filter of
// parameter aliases. The rows are put in completedon order, newest first when newestFirst, as
// each query orders its own, and cut to limit (0: all).
func (c *Client) jobRows(ctx context.Context, stepIDs []string, limit int, newestFirst bool, jobRequest func(stepFilter string, aliases query) *request) ([]systemJobRow, error) {
	if len(stepIDs) == 0 {
		return getCollection[systemJobRow](ctx, c, jobRequest("", nil), limit)
	}
	rows, err := getRowsByIDs[systemJobRow](ctx, c, stepIDs, limit, func(chunk []string) *request {
		return jobRequest(anyOfIDs("_owningextensionid_value", "s", chunk))
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b systemJobRow) int {
		order := timeOrZero(a.CompletedOn).Compare(timeOrZero(b.CompletedOn))
		if newestFirst {
			return -order
		}
		return order
	})
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, nil
}

func recordTable(row systemJobRow) string {
	switch {
	case row.RegardingID == "":
		return ""
	case row.RegardingTable != "":
		return row.RegardingTable
	default:
		return row.PrimaryEntity
	}
}
