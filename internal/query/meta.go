package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// metaStorage is the part of Storage the SHOW/DROP/DELETE statements use.
// Time ranges are inclusive Unix nanoseconds; math.MinInt64..math.MaxInt64
// means any time. Per-measurement answers are aligned with the measurements
// passed in.
type metaStorage interface {
	// MeasurementNames lists, sorted, the measurements with a series matching expr with data in the range.
	MeasurementNames(ctx context.Context, db string, expr *tsdb.TagExpr, tmin, tmax int64) ([]string, error)
	// TagKeys lists each measurement's tag keys (sorted) of the series matching expr with data in the range.
	TagKeys(ctx context.Context, db string, measurements []string, expr *tsdb.TagExpr, tmin, tmax int64) ([][]string, error)
	// TagValues lists each measurement's key/value pairs (sorted) for the keys keyMatch accepts.
	TagValues(ctx context.Context, db string, measurements []string, keyMatch func(string) bool, expr *tsdb.TagExpr, tmin, tmax int64) ([][]tsdb.TagValue, error)
	// SeriesKeys lists each measurement's series keys (sorted, escaped like InfluxDB's).
	SeriesKeys(ctx context.Context, db string, measurements []string, expr *tsdb.TagExpr, tmin, tmax int64) ([][]string, error)
	// SeriesCardinality counts each measurement's series exactly.
	SeriesCardinality(ctx context.Context, db string, measurements []string, expr *tsdb.TagExpr, tmin, tmax int64) ([]int, error)
	// DropMeasurement removes a measurement, its series, data and field types.
	DropMeasurement(ctx context.Context, db, measurement string) error
	// DropSeries removes the matching series from the index and deletes their data.
	DropSeries(ctx context.Context, db string, measurements []string, expr *tsdb.TagExpr) error
	// DeleteRange deletes the matching series' data in the range; series left empty leave the index.
	DeleteRange(ctx context.Context, db string, measurements []string, expr *tsdb.TagExpr, tmin, tmax int64) error
}

var errDatabaseRequired = errors.New("database name required")

// executeMeta runs the SHOW, DROP and DELETE statements on series metadata.
// Anything else (databases, retention policies, queries, users, continuous
// queries) is ErrStatementNotSupported, for the next executor in the chain.
func (e *Executor) executeMeta(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error) {
	switch s := stmt.(type) {
	case *influxql.ShowMeasurementsStatement:
		return e.showMeasurements(ctx, s, ec)
	case *influxql.ShowTagKeysStatement:
		return e.showTagKeys(ctx, s, ec)
	case *influxql.ShowTagValuesStatement:
		return e.showTagValues(ctx, s, ec)
	case *influxql.ShowFieldKeysStatement:
		return e.showFieldKeys(ctx, s, ec)
	case *influxql.ShowSeriesStatement:
		return e.showSeries(ctx, s, ec)
	case *influxql.ShowSeriesCardinalityStatement:
		return e.showSeriesCardinality(ctx, s, ec)
	case *influxql.ShowMeasurementCardinalityStatement:
		return e.showMeasurementCardinality(ctx, s, ec)
	case *influxql.ShowTagKeyCardinalityStatement:
		return e.showTagKeyCardinality(ctx, s, ec)
	case *influxql.ShowTagValuesCardinalityStatement:
		return e.showTagValuesCardinality(ctx, s, ec)
	case *influxql.ShowFieldKeyCardinalityStatement:
		return e.showFieldKeyCardinality(ctx, s, ec)
	case *influxql.DropMeasurementStatement:
		return e.dropMeasurement(ctx, s, ec)
	case *influxql.DropSeriesStatement:
		return e.dropSeries(ctx, s, ec)
	case *influxql.DeleteSeriesStatement:
		return e.deleteSeries(ctx, s, ec)
	}
	return nil, fmt.Errorf("%w: %s", ErrStatementNotSupported, stmt.String())
}

// metaDatabase picks the statement's database (ON db, else the request's)
// and checks that it exists.
func (e *Executor) metaDatabase(on string, ec ExecutionContext) (string, error) {
	db := on
	if db == "" {
		db = ec.Database
	}
	if db == "" {
		return "", errDatabaseRequired
	}
	for _, d := range e.opts.Storage.Databases() {
		if d.Name == db {
			return db, nil
		}
	}
	return "", fmt.Errorf("%w: %s", errDatabaseNotFound, db)
}

// sourceDatabase is ON db, else the database a FROM source names ("db"."rp"."m").
func sourceDatabase(on string, sources influxql.Sources) string {
	if on != "" {
		return on
	}
	for _, src := range sources {
		if m, ok := src.(*influxql.Measurement); ok && m.Database != "" {
			return m.Database
		}
	}
	return ""
}

// errDatabaseNotFound is wrapped as "database not found: <name>", InfluxDB's text.
var errDatabaseNotFound = errors.New("database not found")

// metaFilter is a SHOW statement's WHERE clause: a tag predicate for the
// index and a time range.
type metaFilter struct {
	expr       *tsdb.TagExpr
	tmin, tmax int64
	// name, when set, restricts measurements (WHERE _name = 'cpu' AND ...).
	name func(string) bool
}

// keep reports whether measurement m passes the filter's _name conditions.
func (f *metaFilter) keep(m string) bool { return f.name == nil || f.name(m) }

// errInvalidTagComparison is InfluxDB's answer to a WHERE condition the
// index cannot evaluate (a field, or a tag compared with < or >).
var errInvalidTagComparison = errors.New("invalid tag comparison operator")

// anyTime is the unbounded time range.
var anyTime = metaFilter{tmin: math.MinInt64, tmax: math.MaxInt64}

// metaCondition splits cond into its time range and its tag predicate. Only
// tag comparisons the index answers (=, !=, =~, !~ with AND/OR) are allowed.
// noTime, when set, is the error for a condition on time.
func (e *Executor) metaCondition(cond influxql.Expr, noTime string) (metaFilter, error) {
	f := anyTime
	if cond == nil {
		return f, nil
	}
	if influxql.HasTimeExpr(cond) {
		if noTime != "" {
			return f, errors.New(noTime)
		}
		rest, tr, err := influxql.ConditionExpr(cond, &influxql.NowValuer{Now: e.opts.Now()})
		if err != nil {
			return f, err
		}
		if !tr.Min.IsZero() {
			f.tmin = tr.Min.UnixNano()
		}
		if !tr.Max.IsZero() {
			f.tmax = tr.Max.UnixNano()
		}
		cond = rest
	}
	cond, f.name = splitNameCondition(cond)
	if cond == nil {
		return f, nil
	}
	te, residual, err := splitCondition(cond, func(string) bool { return false })
	if err != nil {
		return f, err
	}
	if residual != nil {
		return f, errInvalidTagComparison
	}
	f.expr = te
	return f, nil
}

// splitNameCondition takes the top-level AND terms that compare the
// measurement name (_name =, !=, =~, !~) out of cond as a predicate.
func splitNameCondition(cond influxql.Expr) (influxql.Expr, func(string) bool) {
	var preds []func(string) bool
	var rest influxql.Expr
	var walk func(influxql.Expr)
	walk = func(x influxql.Expr) {
		if p, ok := x.(*influxql.ParenExpr); ok {
			walk(p.Expr)
			return
		}
		if b, ok := x.(*influxql.BinaryExpr); ok {
			if b.Op == influxql.AND {
				walk(b.LHS)
				walk(b.RHS)
				return
			}
			if ref, ok := b.LHS.(*influxql.VarRef); ok && ref.Val == "_name" {
				if m, err := tagKeyMatcher(b.Op, b.RHS); err == nil {
					preds = append(preds, m)
					return
				}
			}
		}
		rest = andExpr(rest, x)
	}
	walk(cond)
	if len(preds) == 0 {
		return cond, nil
	}
	return rest, func(m string) bool {
		for _, p := range preds {
			if !p(m) {
				return false
			}
		}
		return true
	}
}

// metaMeasurements resolves FROM sources (names and regular expressions) to
// the sorted measurements of db that exist; no sources means all of them.
func (e *Executor) metaMeasurements(ctx context.Context, db string, sources influxql.Sources, f *metaFilter) ([]string, error) {
	all, err := e.opts.Storage.MeasurementNames(ctx, db, nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	var out []string
	for _, name := range all {
		if f != nil && !f.keep(name) {
			continue
		}
		if len(sources) == 0 {
			out = append(out, name)
			continue
		}
		for _, src := range sources {
			if m, ok := src.(*influxql.Measurement); ok && matchMeasurement(m, name) {
				out = append(out, name)
				break
			}
		}
	}
	return out, nil
}

func matchMeasurement(m *influxql.Measurement, name string) bool {
	if m.Regex != nil {
		return m.Regex.Val.MatchString(name)
	}
	return m.Name == name
}

// paginate applies OFFSET then LIMIT (0 = unlimited) to s.
func paginate[T any](s []T, limit, offset int) []T {
	if offset > 0 {
		if offset >= len(s) {
			return nil
		}
		s = s[offset:]
	}
	if limit > 0 && limit < len(s) {
		s = s[:limit]
	}
	return s
}

// SHOW MEASUREMENTS: one series "measurements" with column "name".
func (e *Executor) showMeasurements(ctx context.Context, s *influxql.ShowMeasurementsStatement, ec ExecutionContext) (*Result, error) {
	if s.WildcardDatabase || s.WildcardRetentionPolicy {
		return nil, errors.New("SHOW MEASUREMENTS ON with a wildcard is not supported")
	}
	db, err := e.metaDatabase(s.Database, ec)
	if errors.Is(err, errDatabaseNotFound) {
		return &Result{}, nil // 1.8 answers an unknown database with no measurements
	}
	if err != nil {
		return nil, err
	}
	f, err := e.metaCondition(s.Condition, "SHOW MEASUREMENTS doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	names, err := e.opts.Storage.MeasurementNames(ctx, db, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	m, _ := s.Source.(*influxql.Measurement)
	kept := names[:0]
	for _, n := range names {
		if f.keep(n) && (m == nil || matchMeasurement(m, n)) {
			kept = append(kept, n)
		}
	}
	names = kept
	names = paginate(names, s.Limit, s.Offset)
	if len(names) == 0 {
		return &Result{}, nil
	}
	row := &Row{Name: "measurements", Columns: []string{"name"}, Values: make([][]any, len(names))}
	for i, n := range names {
		row.Values[i] = []any{n}
	}
	return &Result{Series: []*Row{row}}, nil
}

// SHOW TAG KEYS: one series per measurement with column "tagKey"; LIMIT and
// OFFSET apply per measurement (SLIMIT/SOFFSET are ignored, as in 1.8).
func (e *Executor) showTagKeys(ctx context.Context, s *influxql.ShowTagKeysStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	f, err := e.metaCondition(s.Condition, "")
	if err != nil {
		return nil, err
	}
	keyMatch, err := tagKeyMatcher(s.TagKeyOp, s.TagKeyExpr)
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	keys, err := e.opts.Storage.TagKeys(ctx, db, ms, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	res := &Result{}
	for i, m := range ms {
		var kept []string
		for _, k := range keys[i] {
			if keyMatch(k) {
				kept = append(kept, k)
			}
		}
		kept = paginate(kept, s.Limit, s.Offset)
		if len(kept) == 0 {
			continue
		}
		row := &Row{Name: m, Columns: []string{"tagKey"}, Values: make([][]any, len(kept))}
		for j, k := range kept {
			row.Values[j] = []any{k}
		}
		res.Series = append(res.Series, row)
	}
	return res, nil
}

// tagKeyMatcher turns WITH KEY op expr into a predicate on tag keys (nil op: all keys).
func tagKeyMatcher(op influxql.Token, expr influxql.Expr) (func(string) bool, error) {
	if expr == nil {
		return func(string) bool { return true }, nil
	}
	switch x := expr.(type) {
	case *influxql.StringLiteral:
		switch op {
		case influxql.EQ:
			return func(k string) bool { return k == x.Val }, nil
		case influxql.NEQ:
			return func(k string) bool { return k != x.Val }, nil
		}
	case *influxql.ListLiteral:
		if op == influxql.IN {
			set := make(map[string]bool, len(x.Vals))
			for _, v := range x.Vals {
				set[v] = true
			}
			return func(k string) bool { return set[k] }, nil
		}
	case *influxql.RegexLiteral:
		re := x.Val
		switch op {
		case influxql.EQREGEX:
			return re.MatchString, nil
		case influxql.NEQREGEX:
			return func(k string) bool { return !re.MatchString(k) }, nil
		}
	}
	return nil, fmt.Errorf("unsupported WITH KEY clause: %s %s", op, expr)
}

// SHOW TAG VALUES: one series per measurement with columns key, value,
// sorted by key then value; LIMIT and OFFSET apply per measurement.
func (e *Executor) showTagValues(ctx context.Context, s *influxql.ShowTagValuesStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	vals, ms, err := e.tagValues(ctx, db, s.Sources, s.Op, s.TagKeyExpr, s.Condition)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for i, m := range ms {
		kv := paginate(vals[i], s.Limit, s.Offset)
		if len(kv) == 0 {
			continue
		}
		row := &Row{Name: m, Columns: []string{"key", "value"}, Values: make([][]any, len(kv))}
		cells := make([]any, 2*len(kv)) // one allocation for every row's cells
		var key any
		for j, v := range kv {
			if j == 0 || v.Key != kv[j-1].Key {
				key = v.Key // boxed once per key
			}
			cells[2*j], cells[2*j+1] = key, v.Value
			row.Values[j] = cells[2*j : 2*j+2 : 2*j+2]
		}
		res.Series = append(res.Series, row)
	}
	return res, nil
}

func (e *Executor) tagValues(ctx context.Context, db string, sources influxql.Sources, op influxql.Token, keyExpr influxql.Literal, cond influxql.Expr) ([][]tsdb.TagValue, []string, error) {
	f, err := e.metaCondition(cond, "")
	if err != nil {
		return nil, nil, err
	}
	keyMatch, err := tagKeyMatcher(op, keyExpr)
	if err != nil {
		return nil, nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, sources, &f)
	if err != nil {
		return nil, nil, err
	}
	vals, err := e.opts.Storage.TagValues(ctx, db, ms, keyMatch, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, nil, dbNotFound(err, db)
	}
	return vals, ms, nil
}

// SHOW FIELD KEYS: one series per measurement with columns fieldKey,
// fieldType, sorted by key; LIMIT and OFFSET apply per measurement.
func (e *Executor) showFieldKeys(ctx context.Context, s *influxql.ShowFieldKeysStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, nil)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, m := range ms {
		fields, err := e.opts.Storage.Fields(db, m)
		if err != nil {
			return nil, dbNotFound(err, db)
		}
		fields = paginate(fields, s.Limit, s.Offset)
		if len(fields) == 0 {
			continue
		}
		row := &Row{Name: m, Columns: []string{"fieldKey", "fieldType"}, Values: make([][]any, len(fields))}
		for j, f := range fields {
			row.Values[j] = []any{f.Name, dataType(f.Type).String()}
		}
		res.Series = append(res.Series, row)
	}
	return res, nil
}

// SHOW SERIES: one unnamed series with column key, sorted by measurement
// then key; LIMIT and OFFSET apply to the whole list.
func (e *Executor) showSeries(ctx context.Context, s *influxql.ShowSeriesStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	f, err := e.metaCondition(s.Condition, "")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	keys, err := e.opts.Storage.SeriesKeys(ctx, db, ms, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	var all []string
	for _, k := range keys {
		if all == nil {
			all = k // no copy when one measurement has series
		} else {
			all = append(all[:len(all):len(all)], k...)
		}
	}
	all = paginate(all, s.Limit, s.Offset)
	if len(all) == 0 {
		return &Result{}, nil
	}
	row := &Row{Columns: []string{"key"}, Values: make([][]any, len(all))}
	cells := make([]any, len(all))
	for i, k := range all {
		cells[i] = k
		row.Values[i] = cells[i : i+1 : i+1]
	}
	return &Result{Series: []*Row{row}}, nil
}

// estimateRow is the answer of an estimated cardinality: Fieldhub's
// estimate is the exact count.
func estimateRow(n int) *Result {
	return &Result{Series: []*Row{{Columns: []string{"cardinality estimation"}, Values: [][]any{{int64(n)}}}}}
}

// countRows builds InfluxDB's exact-cardinality answer: per measurement a
// series with one "count" row, omitted when the count is 0; LIMIT and OFFSET
// apply to each series' single row.
func countRows(ms []string, counts []int, limit, offset int) *Result {
	res := &Result{}
	for i, m := range ms {
		if counts[i] == 0 {
			continue
		}
		vals := paginate([][]any{{int64(counts[i])}}, limit, offset)
		if len(vals) == 0 {
			continue
		}
		res.Series = append(res.Series, &Row{Name: m, Columns: []string{"count"}, Values: vals})
	}
	return res
}

var errGroupByCardinality = errors.New("GROUP BY is not supported in cardinality queries")

// SHOW SERIES [EXACT] CARDINALITY.
func (e *Executor) showSeriesCardinality(ctx context.Context, s *influxql.ShowSeriesCardinalityStatement, ec ExecutionContext) (*Result, error) {
	estimate := !s.Exact && s.Sources == nil && s.Condition == nil && s.Dimensions == nil && s.Limit == 0 && s.Offset == 0
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if estimate && errors.Is(err, errDatabaseNotFound) {
		return estimateRow(0), nil // as 1.8
	}
	if err != nil {
		return nil, err
	}
	if len(s.Dimensions) > 0 {
		return nil, errGroupByCardinality
	}
	f, err := e.metaCondition(s.Condition, "SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	counts, err := e.opts.Storage.SeriesCardinality(ctx, db, ms, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	if estimate {
		total := 0
		for _, n := range counts {
			total += n
		}
		return estimateRow(total), nil
	}
	return countRows(ms, counts, s.Limit, s.Offset), nil
}

// SHOW MEASUREMENT [EXACT] CARDINALITY: the estimate form gives
// "cardinality estimation", the exact one a single unnamed "count".
func (e *Executor) showMeasurementCardinality(ctx context.Context, s *influxql.ShowMeasurementCardinalityStatement, ec ExecutionContext) (*Result, error) {
	estimate := !s.Exact && s.Sources == nil && s.Condition == nil && s.Dimensions == nil && s.Limit == 0 && s.Offset == 0
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if estimate && errors.Is(err, errDatabaseNotFound) {
		return estimateRow(0), nil // as 1.8
	}
	if err != nil {
		return nil, err
	}
	if len(s.Dimensions) > 0 {
		return nil, errGroupByCardinality
	}
	f, err := e.metaCondition(s.Condition, "SHOW MEASUREMENT EXACT CARDINALITY doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	names, err := e.opts.Storage.MeasurementNames(ctx, db, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	if len(s.Sources) > 0 || f.name != nil {
		var kept []string
		for _, n := range names {
			if !f.keep(n) {
				continue
			}
			if len(s.Sources) == 0 {
				kept = append(kept, n)
			}
			for _, src := range s.Sources {
				if m, ok := src.(*influxql.Measurement); ok && matchMeasurement(m, n) {
					kept = append(kept, n)
					break
				}
			}
		}
		names = kept
	}
	if estimate {
		return estimateRow(len(names)), nil
	}
	if len(names) == 0 {
		return &Result{}, nil
	}
	vals := paginate([][]any{{int64(len(names))}}, s.Limit, s.Offset)
	if len(vals) == 0 {
		return &Result{}, nil
	}
	return &Result{Series: []*Row{{Columns: []string{"count"}, Values: vals}}}, nil
}

// SHOW TAG KEY [EXACT] CARDINALITY: per measurement, the number of tag keys.
func (e *Executor) showTagKeyCardinality(ctx context.Context, s *influxql.ShowTagKeyCardinalityStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	if len(s.Dimensions) > 0 {
		return nil, errGroupByCardinality
	}
	f, err := e.metaCondition(s.Condition, "SHOW TAG KEY EXACT CARDINALITY doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	keys, err := e.opts.Storage.TagKeys(ctx, db, ms, f.expr, f.tmin, f.tmax)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	counts := make([]int, len(ms))
	for i := range ms {
		counts[i] = len(keys[i])
	}
	return countRows(ms, counts, s.Limit, s.Offset), nil
}

// SHOW TAG VALUES [EXACT] CARDINALITY: per measurement, the number of
// distinct values of the selected keys.
func (e *Executor) showTagValuesCardinality(ctx context.Context, s *influxql.ShowTagValuesCardinalityStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	if len(s.Dimensions) > 0 {
		return nil, errGroupByCardinality
	}
	vals, ms, err := e.tagValues(ctx, db, s.Sources, s.Op, s.TagKeyExpr, s.Condition)
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(ms))
	for i := range ms {
		counts[i] = distinctValues(vals[i])
	}
	return countRows(ms, counts, s.Limit, s.Offset), nil
}

// distinctValues counts the distinct values of pairs sorted by key.
func distinctValues(kv []tsdb.TagValue) int {
	if len(kv) == 0 || kv[0].Key == kv[len(kv)-1].Key {
		return len(kv) // one key: its values are distinct already
	}
	distinct := make(map[string]struct{}, len(kv))
	for _, v := range kv {
		distinct[v.Value] = struct{}{}
	}
	return len(distinct)
}

// SHOW FIELD KEY [EXACT] CARDINALITY: per measurement, the number of fields.
func (e *Executor) showFieldKeyCardinality(ctx context.Context, s *influxql.ShowFieldKeyCardinalityStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase(sourceDatabase(s.Database, s.Sources), ec)
	if err != nil {
		return nil, err
	}
	if len(s.Dimensions) > 0 {
		return nil, errGroupByCardinality
	}
	f, err := e.metaCondition(s.Condition, "SHOW FIELD KEY CARDINALITY doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	if f.expr != nil {
		// Only measurements with a series matching the condition count.
		has, err := e.opts.Storage.MeasurementNames(ctx, db, f.expr, f.tmin, f.tmax)
		if err != nil {
			return nil, dbNotFound(err, db)
		}
		ms = intersectSorted(ms, has)
	}
	counts := make([]int, len(ms))
	for i, m := range ms {
		fields, err := e.opts.Storage.Fields(db, m)
		if err != nil {
			return nil, dbNotFound(err, db)
		}
		counts[i] = len(fields)
	}
	return countRows(ms, counts, s.Limit, s.Offset), nil
}

func intersectSorted(a, b []string) []string {
	var out []string
	for _, x := range a {
		if i := sort.SearchStrings(b, x); i < len(b) && b[i] == x {
			out = append(out, x)
		}
	}
	return out
}

// DROP MEASUREMENT m.
func (e *Executor) dropMeasurement(ctx context.Context, s *influxql.DropMeasurementStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase("", ec)
	if err != nil {
		return nil, err
	}
	if err := e.opts.Storage.DropMeasurement(ctx, db, s.Name); err != nil {
		return nil, dbNotFound(err, db)
	}
	return &Result{}, nil
}

// DROP SERIES [FROM ...] [WHERE tags].
func (e *Executor) dropSeries(ctx context.Context, s *influxql.DropSeriesStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase("", ec)
	if err != nil {
		return nil, err
	}
	f, err := e.metaCondition(s.Condition, "DROP SERIES doesn't support time in WHERE clause")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return &Result{}, nil
	}
	if err := e.opts.Storage.DropSeries(ctx, db, ms, f.expr); err != nil {
		return nil, dbNotFound(err, db)
	}
	return &Result{}, nil
}

// DELETE [FROM ...] [WHERE tags and time].
func (e *Executor) deleteSeries(ctx context.Context, s *influxql.DeleteSeriesStatement, ec ExecutionContext) (*Result, error) {
	db, err := e.metaDatabase("", ec)
	if err != nil {
		return nil, err
	}
	f, err := e.metaCondition(s.Condition, "")
	if err != nil {
		return nil, err
	}
	ms, err := e.metaMeasurements(ctx, db, s.Sources, &f)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return &Result{}, nil
	}
	if err := e.opts.Storage.DeleteRange(ctx, db, ms, f.expr, f.tmin, f.tmax); err != nil {
		return nil, dbNotFound(err, db)
	}
	return &Result{}, nil
}
