package query

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/influxdata/influxql"
)

// Options configure an Executor.
type Options struct {
	// Storage is the engine queries read from. Required.
	Storage Storage
	// Now is the clock for now() and open time ranges; default time.Now.
	Now func() time.Time
	// MaxSelectSeries fails a SELECT that would read more series; 0 = unlimited.
	MaxSelectSeries int
	// MaxSelectPoints fails a SELECT that would read more points; 0 = unlimited.
	MaxSelectPoints int64
	// MaxSelectBuckets fails a SELECT whose GROUP BY time would create more windows; 0 = unlimited.
	MaxSelectBuckets int
	// MaxQueryMemory fails a statement whose estimated memory (rows read,
	// buffered points, output) passes it; 0 = unlimited.
	MaxQueryMemory int64
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
}

// Executor runs InfluxQL statements against a Storage. It is safe for concurrent use.
type Executor struct {
	opts Options
	log  *slog.Logger
}

var _ StatementExecutor = (*Executor)(nil)

// New returns an Executor.
func New(opts Options) *Executor {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Executor{opts: opts, log: opts.Logger}
}

// ErrInternal marks a failure that is a bug in the executor (a recovered
// panic); the statement fails, the server keeps running.
var ErrInternal = errors.New("internal error")

// ExecuteStatement implements StatementExecutor.
func (e *Executor) ExecuteStatement(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("query panicked", "query", influxql.Sanitize(stmt.String()), "panic", r, "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("%w: %v", ErrInternal, r)
		}
	}()
	switch s := stmt.(type) {
	case *influxql.SelectStatement:
		return e.executeSelect(ctx, s, ec)
	case *influxql.ExplainStatement:
		return e.executeExplain(ctx, s, ec)
	}
	return e.executeMeta(ctx, stmt, ec)
}
