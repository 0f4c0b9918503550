package emulator

import (
	"context"
	"time"
)

// eventPlan is the work registered steps do for one write.
type eventPlan struct{}

// planEvents collects the steps a write fires. Callers hold the store lock.
func (e *Emulator) planEvents(op writeOp, kind opKind, before, after *record, now time.Time) *eventPlan {
	return nil
}

func (p *eventPlan) hasSync() bool { return false }

func (p *eventPlan) runSync(ctx context.Context) *apiError { return nil }

func (p *eventPlan) queueAsync() {}
