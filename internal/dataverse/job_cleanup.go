package dataverse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// statusSucceeded is asyncoperation.statuscode for a system job that succeeded.
const statusSucceeded = 30

// stateCompleted is asyncoperation.statecode of a finished job, the only ones that may be deleted.
const stateCompleted = 3

// JobCleanup chooses completed system jobs to delete: those of the steps, failed, succeeded or
// both, completed before CompletedBefore. At most Max are deleted in one call.
type JobCleanup struct {
	StepIDs           []string
	Failed, Succeeded bool
	CompletedBefore   time.Time
	Max               int
	// Parallel bounds the deletes in flight, below the client's own limit; 0 means 4.
	Parallel int
}

// JobCleanupResult says what a clean-up did.
type JobCleanupResult struct {
	Deleted int
	// More is true when more jobs matched than Max allowed deleting.
	More bool
}

// maxJobCleanup bounds Max, so one call makes a known number of requests.
const maxJobCleanup = 5000

// DeleteCompletedJobs deletes the oldest system jobs q chooses, at most q.Max, with one paged
// query (one page per 5000 rows) and one DELETE per job, a few at a time; every request goes
// through the client's retries, which wait as Retry-After says when Dataverse throttles. A job
// already gone is not counted. On an error it stops and returns what it deleted so far. progress,
// when set, hears the running count after each delete.
func (c *Client) DeleteCompletedJobs(ctx context.Context, q JobCleanup, progress func(deleted int)) (JobCleanupResult, error) {
	var res JobCleanupResult
	ids := uniqueIDs(q.StepIDs)
	if len(ids) == 0 {
		return res, nil
	}
	for _, id := range ids {
		if err := checkID("step id", id); err != nil {
			return res, err
		}
	}
	if !q.Failed && !q.Succeeded {
		return res, errors.New("dataverse: a job clean-up needs failed jobs, succeeded jobs or both")
	}
	if q.Max < 1 || q.Max > maxJobCleanup {
		return res, fmt.Errorf("dataverse: a job clean-up deletes between 1 and %d jobs, not %d", maxJobCleanup, q.Max)
	}
	if q.CompletedBefore.IsZero() {
		return res, errors.New("dataverse: a job clean-up needs a completion time to stay below")
	}
	var statuses []string
	if q.Failed {
		statuses = append(statuses, "statuscode eq "+strconv.Itoa(statusFailed))
	}
	if q.Succeeded {
		statuses = append(statuses, "statuscode eq "+strconv.Itoa(statusSucceeded))
	}
	// One more than Max tells whether more remain.
	rows, err := c.jobRows(ctx, ids, q.Max+1, false, func(stepFilter string, aliases query) *request {
		filter := "statecode eq " + strconv.Itoa(stateCompleted) + " and (" + strings.Join(statuses, " or ") + ") and " + stepFilter +
			" and completedon lt " + filterDateTime(q.CompletedBefore)
		opts := query{}.
			// completedon orders the rows of several queries; with the rest, it shows each row is
			// one the filter chose.
			with("$select", "asyncoperationid,completedon,statecode,statuscode,_owningextensionid_value").
			with("$filter", filter).
			with("$orderby", "completedon asc")
		r := &request{path: setAsyncOperations}
		if q.Max+1 <= c.pageSize {
			opts = opts.with("$top", strconv.Itoa(q.Max+1))
			r.prefer = []string{}
		}
		r.query = append(opts, aliases...)
		return r
	})
	if err != nil {
		return res, err
	}
	if len(rows) > q.Max {
		res.More = true
		rows = rows[:q.Max]
	}
	// The ids are the server's text, and go into the delete's URL. Each row must be one the
	// filter chose: a server that answered with others (say, through a next link that dropped
	// the filter) would otherwise have any job it names deleted.
	for _, row := range rows {
		if err := checkID("system job id in the answer", row.ID); err != nil {
			return res, err
		}
		if !q.chose(row, ids) {
			return res, errors.New("dataverse: the server listed a system job the clean-up did not ask for (not completed, of another status or step, or completed later); deleting none")
		}
	}
	res.Deleted, err = c.deleteJobs(ctx, rows, q.Parallel, progress)
	return res, err
}

// chose reports whether row is one the clean-up's filter asks for, of one of the steps.
func (q JobCleanup) chose(row systemJobRow, stepIDs []string) bool {
	status := (q.Failed && row.StatusCode == statusFailed) || (q.Succeeded && row.StatusCode == statusSucceeded)
	ofAStep := slices.ContainsFunc(stepIDs, func(id string) bool { return strings.EqualFold(id, row.StepID) })
	return row.StateCode == stateCompleted && status && ofAStep && row.CompletedOn != nil && row.CompletedOn.Before(q.CompletedBefore)
}

// deleteJobs deletes the rows, parallel at a time, and returns how many it deleted.
func (c *Client) deleteJobs(ctx context.Context, rows []systemJobRow, parallel int, progress func(int)) (int, error) {
	if parallel <= 0 {
		parallel = 4
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		deleted  int
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan string)
	for range min(parallel, len(rows)) {
		wg.Go(func() {
			for id := range next {
				err := c.delete(ctx, entityPath(setAsyncOperations, id))
				mu.Lock()
				switch {
				case err == nil:
					deleted++
					if progress != nil {
						progress(deleted)
					}
				case errors.Is(err, ErrNotFound):
					// deleted meanwhile, by asyncautodelete or someone else
				case firstErr == nil:
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, row := range rows {
		select {
		case next <- row.ID:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return deleted, firstErr
}
