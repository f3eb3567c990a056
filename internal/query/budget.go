package query

import (
	"fmt"
	"sync/atomic"
)

// memBudget tracks an estimate of the memory one query holds (rows read,
// points buffered, accumulators, output rows) against Options.MaxQueryMemory.
// Estimates, not exact accounting: the point is to stop a query long before
// it threatens the hub, with an error that says what to do.
type memBudget struct {
	max  int64 // 0: unlimited
	used atomic.Int64
}

// charge adds n bytes and fails once the total passes the limit.
func (b *memBudget) charge(n int64) error {
	if b == nil || b.max <= 0 {
		return nil
	}
	if u := b.used.Add(n); u > b.max {
		return &limitError{msg: fmt.Sprintf("max-query-memory limit exceeded: the query needs more than %d MiB (narrow the time range or the series, add LIMIT, or raise --max-query-memory)", b.max>>20)}
	}
	return nil
}

// Rough sizes of what the executor holds, in bytes.
const (
	pointBytes    = 104 // functions.Point
	rowValueBytes = 24  // one boxed value in an output row
	columnBytes   = 9   // one stored value and its validity in a column
)

type budgetKey struct{}

// budgetFrom returns the budget of the statement running in ctx, making
// one when there is none (a subquery shares its statement's budget).
func budgetFrom(ctx interface{ Value(any) any }, max int64) *memBudget {
	if b, ok := ctx.Value(budgetKey{}).(*memBudget); ok {
		return b
	}
	return &memBudget{max: max}
}
