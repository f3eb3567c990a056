package query

import (
	"context"
	"fmt"

	"github.com/influxdata/influxql"
)

// executeSelect runs a SELECT statement.
func (e *Executor) executeSelect(ctx context.Context, s *influxql.SelectStatement, ec ExecutionContext) (*Result, error) {
	return nil, fmt.Errorf("%w: %s", ErrStatementNotSupported, s.String())
}
