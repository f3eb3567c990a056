package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/influxdata/influxql"
)

// Query management errors, worded as InfluxDB 1.8 words them (query/executor.go
// and query/task_manager.go there): clients and scripts match on the text.
var (
	// ErrQueryInterrupted is the error of a query stopped by KILL QUERY.
	ErrQueryInterrupted = errors.New("query interrupted")
	// ErrQueryTimeout is the error of a query that ran past Options.QueryTimeout.
	ErrQueryTimeout = errors.New("query-timeout limit exceeded")
	// ErrAlreadyKilled answers KILL QUERY for a query that is already being killed.
	ErrAlreadyKilled = errors.New("already killed")
	// ErrQueryEngineShutdown stops running queries and refuses new ones once
	// API.StopQueries has been called (server shutdown).
	ErrQueryEngineShutdown = errors.New("query engine shutdown")
)

// errMaxConcurrentQueries is InfluxDB's refusal when n queries already run and the limit is max.
func errMaxConcurrentQueries(n, max int) error {
	return fmt.Errorf("max-concurrent-queries limit exceeded(%d, %d)", n, max)
}

// queryManager tracks the running /query requests, like InfluxDB's
// TaskManager: each request gets a query id (one per request, covering all
// its statements, as in InfluxDB), is listed by SHOW QUERIES until it
// returns, and can be stopped by KILL QUERY, the timeout, or the client
// going away. It is safe for concurrent use and starts no goroutines (the
// timeout is a context deadline, the slow-query log a time.AfterFunc that is
// stopped when the query ends).
type queryManager struct {
	timeout       time.Duration // 0: none
	maxConcurrent int           // 0: unlimited
	logAfter      time.Duration // 0: never
	log           *slog.Logger
	metrics       *metrics // nil records nothing
	now           func() time.Time

	// mu guards the fields below.
	mu struct {
		sync.Mutex
		nextID  uint64
		running map[uint64]*runningQuery
		limited int  // running queries that count against maxConcurrent
		stopped bool // set by stopAll: no new queries
	}
}

// runningQuery is one tracked /query request.
type runningQuery struct {
	id       uint64
	text     string // passwords redacted
	database string
	start    time.Time
	// limited is set when the query counts against the concurrency limit.
	limited bool
	cancel  context.CancelCauseFunc
	release context.CancelFunc // releases the timeout's timer
	slow    *time.Timer        // nil unless logAfter > 0
	// killed is guarded by queryManager.mu.
	killed bool
}

func newQueryManager(opts Options, log *slog.Logger, met *metrics) *queryManager {
	m := &queryManager{timeout: opts.QueryTimeout, maxConcurrent: opts.MaxConcurrentQueries,
		logAfter: opts.LogQueriesAfter, log: log, metrics: met, now: time.Now}
	m.mu.nextID = 1
	m.mu.running = make(map[uint64]*runningQuery)
	return m
}

// attach registers a query and returns the context its statements run
// under: canceled with ErrQueryInterrupted by KILL QUERY, with
// ErrQueryTimeout after the timeout, or when parent ends. Queries made only
// of SHOW QUERIES and KILL QUERY statements do not count against the
// concurrency limit (InfluxDB counts them, which leaves no way to kill
// anything once the limit is reached). The caller must call detach.
func (m *queryManager) attach(parent context.Context, q *influxql.Query, database string) (context.Context, *runningQuery, error) {
	// The context is complete before the query is published, so kill and
	// stopAll always find its cancel func.
	ctx, cancel := context.WithCancelCause(parent)
	release := context.CancelFunc(func() {})
	if m.timeout > 0 {
		ctx, release = context.WithTimeoutCause(ctx, m.timeout, ErrQueryTimeout)
	}
	rq := &runningQuery{text: influxql.Sanitize(q.String()), database: database, start: m.now(),
		limited: !managementOnly(q), cancel: cancel, release: release}
	refuse := func(err error) (context.Context, *runningQuery, error) {
		release()
		cancel(err)
		return nil, nil, err
	}
	m.mu.Lock()
	if m.mu.stopped {
		m.mu.Unlock()
		return refuse(ErrQueryEngineShutdown)
	}
	if rq.limited && m.maxConcurrent > 0 && m.mu.limited >= m.maxConcurrent {
		n := m.mu.limited
		m.mu.Unlock()
		m.metrics.queryStopped(stopRejected)
		return refuse(errMaxConcurrentQueries(n, m.maxConcurrent))
	}
	rq.id = m.mu.nextID
	m.mu.nextID++
	m.mu.running[rq.id] = rq
	if rq.limited {
		m.mu.limited++
	}
	m.mu.Unlock()
	m.metrics.queryRunning(1)

	if m.logAfter > 0 {
		rq.slow = time.AfterFunc(m.logAfter, func() {
			m.log.Warn("slow query", "qid", rq.id, "query", rq.text, "database", rq.database,
				"threshold", m.logAfter.String())
		})
	}
	return ctx, rq, nil
}

// detach removes a finished query, counts how it was stopped (ctx is the
// context attach returned) and releases its context.
func (m *queryManager) detach(ctx context.Context, rq *runningQuery) {
	if rq.slow != nil {
		rq.slow.Stop()
	}
	switch context.Cause(ctx) {
	case ErrQueryInterrupted:
		m.metrics.queryStopped(stopKilled)
	case ErrQueryTimeout:
		m.metrics.queryStopped(stopTimeout)
	}
	m.metrics.queryRunning(-1)
	rq.release()
	rq.cancel(context.Canceled)
	m.mu.Lock()
	delete(m.mu.running, rq.id)
	if rq.limited {
		m.mu.limited--
	}
	m.mu.Unlock()
}

// kill stops query qid: its context is canceled with ErrQueryInterrupted and
// it shows as "killed" until it has returned.
func (m *queryManager) kill(qid uint64) error {
	m.mu.Lock()
	rq := m.mu.running[qid]
	if rq == nil {
		m.mu.Unlock()
		return fmt.Errorf("no such query id: %d", qid)
	}
	if rq.killed {
		m.mu.Unlock()
		return ErrAlreadyKilled
	}
	rq.killed = true
	m.mu.Unlock()
	rq.cancel(ErrQueryInterrupted)
	return nil
}

// stopAll stops every running query with ErrQueryEngineShutdown and
// refuses new ones, as InfluxDB does when its query engine closes.
func (m *queryManager) stopAll() {
	m.mu.Lock()
	m.mu.stopped = true
	running := make([]*runningQuery, 0, len(m.mu.running))
	for _, rq := range m.mu.running {
		rq.killed = true
		running = append(running, rq)
	}
	m.mu.Unlock()
	for _, rq := range running {
		rq.cancel(ErrQueryEngineShutdown)
	}
}

// showQueries is SHOW QUERIES: InfluxDB's columns, one row per running
// query in id order, the duration truncated to a whole second, millisecond
// or microsecond as InfluxDB does.
func (m *queryManager) showQueries() *Result {
	now := m.now()
	row := &Row{Columns: []string{"qid", "query", "database", "duration", "status"}}
	m.mu.Lock()
	ids := make([]uint64, 0, len(m.mu.running))
	for id := range m.mu.running {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		rq := m.mu.running[id]
		status := "running"
		if rq.killed {
			status = "killed"
		}
		row.Values = append(row.Values, []any{id, rq.text, rq.database, prettyDuration(now.Sub(rq.start)), status})
	}
	m.mu.Unlock()
	return &Result{Series: []*Row{row}}
}

// prettyDuration truncates d to the largest unit it reaches (s, ms, µs) and
// formats it like time.Duration ("3s", "1m5s", "250ms", "17µs").
func prettyDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Truncate(time.Second)
	case d >= time.Millisecond:
		d = d.Truncate(time.Millisecond)
	case d >= time.Microsecond:
		d = d.Truncate(time.Microsecond)
	}
	return d.String()
}

// managementOnly reports whether q has only SHOW QUERIES and KILL QUERY statements.
func managementOnly(q *influxql.Query) bool {
	for _, stmt := range q.Statements {
		switch stmt.(type) {
		case *influxql.ShowQueriesStatement, *influxql.KillQueryStatement:
		default:
			return false
		}
	}
	return len(q.Statements) > 0
}
