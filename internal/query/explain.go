package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// executeExplain answers EXPLAIN (the plan of each source) and EXPLAIN
// ANALYZE (the plan, then timings, output size and storage reads of a real run).
func (e *Executor) executeExplain(ctx context.Context, s *influxql.ExplainStatement, ec ExecutionContext) (*Result, error) {
	if s.Statement.Target != nil {
		return nil, fmt.Errorf("EXPLAIN does not run SELECT ... INTO")
	}
	var lines []string
	t0 := time.Now()
	p, err := e.plan(ctx, s.Statement, ec)
	if err != nil {
		return nil, err
	}
	planning := time.Since(t0)
	lines = append(lines, "QUERY: "+s.Statement.String())
	var interval string
	switch {
	case p.months > 0:
		interval = fmt.Sprintf("%d calendar month(s)", p.months)
	case p.interval > 0:
		interval = time.Duration(p.interval).String()
	default:
		interval = "none"
	}
	lines = append(lines,
		fmt.Sprintf("TIME RANGE: %s .. %s", fmtTime(p.tmin), fmtTime(p.tmax)),
		fmt.Sprintf("GROUP BY TIME: %s", interval),
		fmt.Sprintf("COLUMNS: %s", strings.Join(p.columns, ", ")))
	p.explain = &lines
	p.explainOnly = !s.Analyze
	var stats tsdb.ReadStats
	runCtx := tsdb.WithReadStats(ctx, &stats)
	t1 := time.Now()
	var rows []*Row
	var points int64
	for _, src := range p.stmt.Sources {
		switch src := src.(type) {
		case *influxql.Measurement:
			got, err := p.runMeasurement(runCtx, src, &points)
			if err != nil {
				return nil, err
			}
			rows = append(rows, got...)
		case *influxql.SubQuery:
			lines = append(lines, "SOURCE: subquery ("+src.Statement.String()+")")
			if s.Analyze {
				got, err := p.runSubquery(runCtx, src)
				if err != nil {
					return nil, err
				}
				rows = append(rows, got...)
			}
		}
	}
	col := "QUERY PLAN"
	if s.Analyze {
		col = "EXPLAIN ANALYZE"
		exec := time.Since(t1)
		values := 0
		for _, r := range rows {
			values += len(r.Values)
		}
		lines = append(lines,
			fmt.Sprintf("PLANNING TIME: %s", planning),
			fmt.Sprintf("EXECUTION TIME: %s", exec),
			fmt.Sprintf("TOTAL TIME: %s", planning+exec),
			fmt.Sprintf("OUTPUT: %d series, %d rows", len(rows), values),
			fmt.Sprintf("BLOCKS DECODED: %d (%d bytes)", stats.BlocksDecoded.Load(), stats.BytesRead.Load()),
			fmt.Sprintf("BLOCKS FROM STATISTICS: %d", stats.BlocksFromStats.Load()),
			fmt.Sprintf("BLOCKS SKIPPED (outside the time range): %d", stats.BlocksSkipped.Load()),
			fmt.Sprintf("HEAD ROWS: %d", stats.HeadRows.Load()))
	}
	row := &Row{Columns: []string{col}}
	for _, l := range lines {
		row.Values = append(row.Values, []any{l})
	}
	return &Result{Series: []*Row{row}}, nil
}

func fmtTime(t int64) string {
	switch t {
	case influxql.MinTime:
		return "-inf"
	case influxql.MaxTime:
		return "+inf"
	}
	return time.Unix(0, t).UTC().Format(time.RFC3339Nano)
}

// tagExprString renders a tag predicate for EXPLAIN.
func tagExprString(te *tsdb.TagExpr) string {
	if te == nil {
		return "all series"
	}
	switch te.Op {
	case tsdb.TagEq:
		return fmt.Sprintf("%s = '%s'", te.Key, te.Value)
	case tsdb.TagNotEq:
		return fmt.Sprintf("%s != '%s'", te.Key, te.Value)
	case tsdb.TagRegex:
		return fmt.Sprintf("%s =~ /%s/", te.Key, te.Regex)
	case tsdb.TagNotRegex:
		return fmt.Sprintf("%s !~ /%s/", te.Key, te.Regex)
	case tsdb.TagAnd:
		return "(" + tagExprString(te.Left) + " AND " + tagExprString(te.Right) + ")"
	case tsdb.TagOr:
		return "(" + tagExprString(te.Left) + " OR " + tagExprString(te.Right) + ")"
	}
	return "?"
}

func exprString(x influxql.Expr) string {
	if x == nil {
		return "none"
	}
	return x.String()
}
