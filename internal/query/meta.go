package query

import (
	"context"
	"fmt"

	"github.com/influxdata/influxql"
)

// metaStorage is the part of Storage the SHOW/DROP/DELETE statements use.
type metaStorage interface{}

// executeMeta runs the SHOW, DROP and DELETE statements.
func (e *Executor) executeMeta(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error) {
	return nil, fmt.Errorf("%w: %s", ErrStatementNotSupported, stmt.String())
}
