package query

import (
	"context"
	"errors"
	"time"

	"github.com/influxdata/influxql"
)

// ErrStatementNotSupported is returned (possibly wrapped) by a
// StatementExecutor for statements it does not handle, so the next executor
// in a chain may try.
var ErrStatementNotSupported = errors.New("statement not supported yet")

// StatementExecutor runs one InfluxQL statement. Implementations must be safe
// for concurrent use.
type StatementExecutor interface {
	// ExecuteStatement runs stmt and returns its result (StatementID is set by
	// the caller). A statement-level failure is returned as an error and is
	// reported in that statement's "error" member; ErrStatementNotSupported
	// means "not mine".
	ExecuteStatement(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error)
}

// ExecutionContext carries the request parameters a statement needs.
type ExecutionContext struct {
	// Database is the db parameter, the default for statements that name none.
	Database string
	// RetentionPolicy is the rp parameter.
	RetentionPolicy string
	// Epoch is the epoch parameter, normalised to h, m, s, ms, u or ns
	// ("" = RFC3339 times; an unknown value becomes ns, like InfluxDB).
	// Executors always put int64 Unix nanoseconds in a "time" column; the
	// HTTP layer renders them according to Epoch.
	Epoch string
}

// Response is the body of a /query answer, InfluxDB 1.8's shape.
type Response struct {
	Results []*Result `json:"results,omitempty"`
	Err     string    `json:"error,omitempty"`
}

// Result is the outcome of one statement.
type Result struct {
	StatementID int        `json:"statement_id"`
	Series      []*Row     `json:"series,omitempty"`
	Messages    []*Message `json:"messages,omitempty"`
	Partial     bool       `json:"partial,omitempty"`
	Err         string     `json:"error,omitempty"`
	// Location is the statement's tz() zone: RFC3339 times are rendered in
	// it (nil: UTC). It is not part of the JSON.
	Location *time.Location `json:"-"`
}

// Row is one series of a result. When Columns[0] is "time", Values[i][0] is
// an int64 of Unix nanoseconds until the HTTP layer formats it.
type Row struct {
	Name    string            `json:"name,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values,omitempty"`
	Partial bool              `json:"partial,omitempty"`
}

// Message is an informational message attached to a result.
type Message struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}
