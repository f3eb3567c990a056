package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// selectPlan is a SELECT statement prepared for execution.
type selectPlan struct {
	e    *Executor
	ec   ExecutionContext
	stmt *influxql.SelectStatement // rewritten: wildcards expanded, sources resolved
	// columns are the output column names, "time" (or its alias) first.
	columns []string
	// exprs are the output expressions after time, aligned with columns[1:].
	exprs []influxql.Expr
	// tmin and tmax bound the query (inclusive); lowerOpen is set when WHERE
	// gave no lower bound.
	tmin, tmax       int64
	lowerOpen        bool
	interval, offset int64
	// months is set for calendar intervals (GROUP BY time(1mo) or (1y)).
	months int
	loc    *time.Location
	// cond is the WHERE condition without its time predicates.
	cond influxql.Expr
	raw  bool
	// selectorTime: the query's only call is a selector and there is no
	// GROUP BY time, so rows carry the selected point's time.
	selectorTime bool
	// aux lists the output expressions outside any call (fields and tags
	// printed next to a selector).
	aux   []bool
	calls int
	// explain, when set, collects the plan of each source; with
	// explainOnly the sources are planned but not read.
	explain     *[]string
	explainOnly bool
	// mem is the statement's memory budget (shared with its subqueries).
	mem *memBudget
}

// executeSelect runs a SELECT statement.
func (e *Executor) executeSelect(ctx context.Context, s *influxql.SelectStatement, ec ExecutionContext) (*Result, error) {
	rows, err := e.selectRows(ctx, s, ec)
	if err != nil {
		return nil, err
	}
	if s.Target != nil {
		return e.writeInto(ctx, s, ec, rows)
	}
	return &Result{Series: rows, Location: s.Location}, nil
}

// selectRows runs a SELECT and returns its series, sorted by name and tags.
func (e *Executor) selectRows(ctx context.Context, s *influxql.SelectStatement, ec ExecutionContext) ([]*Row, error) {
	p, err := e.plan(ctx, s, ec)
	if err != nil {
		return nil, err
	}
	var rows []*Row
	var points int64
	for _, src := range p.stmt.Sources {
		var got []*Row
		switch src := src.(type) {
		case *influxql.Measurement:
			got, err = p.runMeasurement(ctx, src, &points)
		case *influxql.SubQuery:
			got, err = p.runSubquery(ctx, src)
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	oneMeasurement := false
	if len(p.stmt.Sources) == 1 {
		_, oneMeasurement = p.stmt.Sources[0].(*influxql.Measurement)
	}
	// One measurement's groups come sorted by their tag values already,
	// which is the tags order below.
	if len(rows) > 1 && !oneMeasurement {
		keys := make(map[*Row]string, len(rows))
		for _, r := range rows {
			keys[r] = r.Name + "\x00" + tagsKey(r.Tags)
		}
		sort.SliceStable(rows, func(i, j int) bool { return keys[rows[i]] < keys[rows[j]] })
	}
	if !p.stmt.TimeAscending() {
		// InfluxDB walks series in reverse too when time runs backwards.
		slices.Reverse(rows)
	}
	if p.stmt.SOffset > 0 {
		if p.stmt.SOffset >= len(rows) {
			rows = nil
		} else {
			rows = rows[p.stmt.SOffset:]
		}
	}
	if p.stmt.SLimit > 0 && len(rows) > p.stmt.SLimit {
		rows = rows[:p.stmt.SLimit]
	}
	return rows, nil
}

// tagsKey renders tags sorted by key, for ordering series.
func tagsKey(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(tags[k])
		b.WriteByte(0)
	}
	return b.String()
}

// plan validates and rewrites a SELECT.
func (e *Executor) plan(ctx context.Context, s *influxql.SelectStatement, ec ExecutionContext) (*selectPlan, error) {
	now := e.opts.Now()
	srcs, err := e.expandSources(s.Sources, ec)
	if err != nil {
		return nil, err
	}
	cond, tr, err := influxql.ConditionExpr(s.Condition, &influxql.NowValuer{Now: now, Location: s.Location})
	if err != nil {
		return nil, err
	}
	p := &selectPlan{e: e, ec: ec, loc: s.Location, cond: cond, mem: budgetFrom(ctx, e.opts.MaxQueryMemory)}
	p.tmin, p.tmax = tr.MinTimeNano(), tr.MaxTimeNano()
	p.lowerOpen = tr.Min.IsZero()
	stmt := s.Clone()
	stmt.Sources = srcs
	interval, err := stmt.GroupByInterval()
	if err != nil {
		return nil, err
	}
	offset, err := stmt.GroupByOffset()
	if err != nil {
		return nil, err
	}
	p.interval, p.offset = int64(interval), int64(offset)
	p.months = calendarMonths(p.interval)
	if p.interval > 0 {
		p.offset %= p.interval
		if tr.Max.IsZero() {
			// Like InfluxDB: a GROUP BY time query without an upper bound ends now.
			p.tmax = now.UnixNano()
		}
	}
	fm := &fieldMapper{e: e, ctx: ctx, tmin: p.tmin, tmax: p.tmax}
	stmt, err = stmt.RewriteFields(fm)
	if err != nil {
		return nil, err
	}
	if fm.err != nil {
		return nil, fm.err
	}
	stmt.RewriteDistinct()
	stmt.RewriteTimeFields()
	p.stmt = stmt
	if len(stmt.Fields) == 0 {
		return nil, errors.New("at least 1 non-time field must be queried")
	}
	if err := p.classify(); err != nil {
		return nil, err
	}
	// After classify: influxql's ColumnNames assumes valid call arguments.
	p.columns = stmt.ColumnNames()
	if extra := p.extraIntervals(); extra > 0 && p.interval > 0 && p.months == 0 {
		// Like InfluxDB: derivative(mean(x)) and friends read extra windows
		// before the range (after it, newest first) so the first window of
		// the range has an output.
		switch {
		case stmt.TimeAscending() && !p.lowerOpen:
			p.tmin -= extra * p.interval
		case !stmt.TimeAscending() && p.tmax < influxql.MaxTime-extra*p.interval:
			p.tmax += extra * p.interval
		}
	}
	if p.interval > 0 && p.e.opts.MaxSelectBuckets > 0 && !p.lowerOpen {
		if n := (p.tmax-p.tmin)/p.interval + 1; n > int64(p.e.opts.MaxSelectBuckets) {
			return nil, fmt.Errorf("max-select-buckets limit exceeded: (%d/%d)", n, p.e.opts.MaxSelectBuckets)
		}
	}
	return p, nil
}

// classify works out the kind of query and checks its shape like InfluxDB.
func (p *selectPlan) classify() error {
	var selectors, others int
	var firstSelector string
	sameSelector := true // every selector call is the same text
	for _, f := range p.stmt.Fields {
		p.exprs = append(p.exprs, f.Expr)
		calls := 0
		var err error
		influxql.WalkFunc(f.Expr, func(n influxql.Node) {
			c, ok := n.(*influxql.Call)
			if !ok || err != nil {
				return
			}
			switch functions.Lookup(c.Name) {
			case functions.NotAFunction:
				err = fmt.Errorf("undefined function %s()", c.Name)
				return
			case functions.Math:
				return
			case functions.Selector:
				selectors++
				if firstSelector == "" {
					firstSelector = c.String()
				} else if c.String() != firstSelector {
					sameSelector = false
				}
			default:
				others++
			}
			calls++
			if verr := functions.ValidateCall(c, p.interval > 0); verr != nil {
				err = verr
			}
		})
		if err != nil {
			return err
		}
		p.calls += calls
		p.aux = append(p.aux, calls == 0)
		if c, ok := f.Expr.(*influxql.Call); ok && (c.Name == "top" || c.Name == "bottom") {
			for _, a := range c.Args[1 : len(c.Args)-1] {
				if ref, ok := a.(*influxql.VarRef); ok {
					p.exprs = append(p.exprs, ref)
					p.aux = append(p.aux, true)
				}
			}
		}
	}
	for _, f := range p.stmt.Fields {
		c, ok := f.Expr.(*influxql.Call)
		if !ok || (c.Name != "top" && c.Name != "bottom") || p.stmt.Limit == 0 {
			continue
		}
		if n, ok := c.Args[len(c.Args)-1].(*influxql.IntegerLiteral); ok && n.Val > int64(p.stmt.Limit) {
			return fmt.Errorf("limit (%d) in %s function can not be larger than the LIMIT (%d) in the select statement", n.Val, c.Name, p.stmt.Limit)
		}
	}
	p.raw = p.calls == 0
	if p.raw {
		if p.interval > 0 {
			return errors.New("GROUP BY requires at least one aggregate function")
		}
		return nil
	}
	hasAux := false
	for _, a := range p.aux {
		hasAux = hasAux || a
	}
	for _, f := range p.stmt.Fields {
		if c, ok := f.Expr.(*influxql.Call); ok && c.Name == "distinct" && (len(p.stmt.Fields) > 1 || hasAux) {
			return errors.New("aggregate function distinct() cannot be combined with other functions or fields")
		}
	}
	single := selectors == 1 && others == 0
	if hasAux && !single {
		if others == 0 {
			return errors.New("mixing multiple selector functions with tags or fields is not supported")
		}
		return errors.New("mixing aggregate and non-aggregate queries is not supported")
	}
	// Repeating one selector (first(x), first(x)) still selects one point.
	p.selectorTime = (single || (selectors > 1 && others == 0 && sameSelector && !hasAux)) && p.interval == 0
	for _, d := range p.stmt.Dimensions {
		if c, ok := d.Expr.(*influxql.Call); ok && c.Name == "time" {
			continue
		}
	}
	return nil
}

// extraIntervals is how many windows before the range the query's
// transformations of aggregates need (InfluxDB's ExtraIntervals).
func (p *selectPlan) extraIntervals() int64 {
	var extra int64
	for _, x := range p.exprs {
		influxql.WalkFunc(x, func(n influxql.Node) {
			c, ok := n.(*influxql.Call)
			if !ok || len(c.Args) == 0 {
				return
			}
			if _, inner := c.Args[0].(*influxql.Call); !inner {
				return
			}
			var e int64
			switch c.Name {
			case "derivative", "non_negative_derivative", "difference", "non_negative_difference", "elapsed":
				e = 1
			case "moving_average":
				// One window, whatever the average's length: what InfluxDB 1.8
				// answers (checked by make difftest).
				e = 1
			}
			extra = max(extra, e)
		})
	}
	return extra
}

// zeroTime is the time of rows of an aggregate without GROUP BY time.
func (p *selectPlan) zeroTime() int64 {
	if p.lowerOpen {
		return 0
	}
	return p.tmin
}

// dimensions returns the GROUP BY tag keys for a source, sorted.
func (p *selectPlan) dimensions(tagKeys []string) []string {
	set := map[string]bool{}
	for _, d := range p.stmt.Dimensions {
		switch x := d.Expr.(type) {
		case *influxql.VarRef:
			set[x.Val] = true
		case *influxql.RegexLiteral:
			for _, k := range tagKeys {
				if x.Val.MatchString(k) {
					set[k] = true
				}
			}
		case *influxql.Wildcard:
			for _, k := range tagKeys {
				set[k] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// neededFields lists the fields of sc the query reads.
func (p *selectPlan) neededFields(isField func(string) bool) []string {
	set := map[string]bool{}
	visit := func(n influxql.Node) {
		if ref, ok := n.(*influxql.VarRef); ok && ref.Type != influxql.Tag && isField(ref.Val) {
			set[ref.Val] = true
		}
	}
	for _, x := range p.exprs {
		influxql.WalkFunc(x, visit)
	}
	if p.cond != nil {
		influxql.WalkFunc(p.cond, visit)
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// group is one output series: the input series that share the GROUP BY tag values.
type group struct {
	name   string
	tags   map[string]string
	key    string
	series []tsdb.SeriesInfo
	data   []*seriesData
	merged []rowRef
}

// runMeasurement executes the plan on one measurement.
func (p *selectPlan) runMeasurement(ctx context.Context, m *influxql.Measurement, points *int64) ([]*Row, error) {
	fm := &fieldMapper{e: p.e, ctx: ctx, tmin: p.tmin, tmax: p.tmax}
	sc, err := fm.schema(m, false)
	if err != nil {
		return nil, err
	}
	isField := func(n string) bool { _, ok := sc.fields[n]; return ok }
	te, residual, err := splitCondition(p.cond, isField)
	if err != nil {
		return nil, err
	}
	series, err := p.e.opts.Storage.SelectSeries(ctx, m.Database, m.RetentionPolicy, m.Name, te, p.tmin, p.tmax)
	if err != nil {
		return nil, rpNotFound(err, m.Database, m.RetentionPolicy)
	}
	if len(series) == 0 {
		return nil, nil
	}
	if max := p.e.opts.MaxSelectSeries; max > 0 && len(series) > max {
		return nil, fmt.Errorf("max-select-series limit exceeded: (%d/%d)", len(series), max)
	}
	keys := map[string]bool{}
	for _, s := range series {
		for _, t := range s.Tags {
			keys[string(t.Key)] = true
		}
	}
	tagKeys := make([]string, 0, len(keys))
	for k := range keys {
		tagKeys = append(tagKeys, k)
	}
	sort.Strings(tagKeys)
	dims := p.dimensions(tagKeys)
	groups := groupSeries(m.Name, series, dims)
	fields := p.neededFields(isField)
	fieldIdx := make(map[string]int, len(fields))
	for i, f := range fields {
		fieldIdx[f] = i
	}
	ev, err := p.newEvaluator(fieldIdx, residual)
	if err != nil {
		return nil, err
	}
	ev.types = sc.fields
	if p.explain != nil {
		path := "general: rows read, merged by time, reduced per window"
		switch {
		case p.raw:
			path = "raw: rows read and merged by time"
		case ev.columnarOK():
			path = "columnar: all fields of each series read once, typed per-window accumulators"
		case ev.fastPath(nil) && ev.lastFromCache():
			path = "last-value cache"
		case ev.fastPath(nil):
			path = "storage window aggregates (block statistics where possible)"
		}
		*p.explain = append(*p.explain,
			fmt.Sprintf("SOURCE: %s.%s.%s", m.Database, m.RetentionPolicy, m.Name),
			fmt.Sprintf("  TAG CONDITION: %s", tagExprString(te)),
			fmt.Sprintf("  ROW CONDITION: %s", exprString(residual)),
			fmt.Sprintf("  SERIES: %d in %d groups", len(series), len(groups)),
			fmt.Sprintf("  FIELDS: %s", strings.Join(fields, ", ")),
			fmt.Sprintf("  PATH: %s", path))
		if p.explainOnly {
			return nil, nil
		}
	}
	if ev.columnarOK() {
		return ev.runColumnar(ctx, m, groups)
	}
	if ev.fastPath(nil) && ev.lastFromCache() {
		return ev.runLastCacheAll(ctx, m, groups)
	}
	var rows []*Row
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if ev.fastPath(g) {
			row, err := ev.runFast(ctx, m, g)
			if err != nil {
				return nil, err
			}
			if row != nil {
				rows = append(rows, row)
			}
			continue
		}
		g.data, err = p.e.loadSeries(ctx, m, g.series, fields, p.tmin, p.tmax, points)
		if err != nil {
			return nil, err
		}
		var n int64
		for _, sd := range g.data {
			n += int64(len(sd.ts)) * (8 + int64(len(fields))*columnBytes)
		}
		if err := p.mem.charge(n); err != nil {
			return nil, err
		}
		row, err := ev.run(g)
		if err != nil {
			return nil, err
		}
		if row != nil {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// groupSeries splits series by the values of the dimension keys; each
// group's series are sorted by series key and groups by their tag values.
func groupSeries(name string, series []tsdb.SeriesInfo, dims []string) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, s := range series {
		var b strings.Builder
		tags := make(map[string]string, len(dims))
		for _, d := range dims {
			v := ""
			for _, t := range s.Tags {
				if string(t.Key) == d {
					v = string(t.Value)
					break
				}
			}
			tags[d] = v
			b.WriteString(v)
			b.WriteByte(0)
		}
		k := b.String()
		g := byKey[k]
		if g == nil {
			g = &group{name: name, tags: tags, key: k}
			byKey[k] = g
			out = append(out, g)
		}
		g.series = append(g.series, s)
	}
	for _, g := range out {
		sort.Slice(g.series, func(i, j int) bool { return g.series[i].Key() < g.series[j].Key() })
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// runSubquery runs the inner statement and evaluates the outer plan on its rows.
func (p *selectPlan) runSubquery(ctx context.Context, sq *influxql.SubQuery) ([]*Row, error) {
	inner := sq.Statement.Clone()
	if !influxql.HasTimeExpr(inner.Condition) && (!p.lowerOpen || p.tmax != influxql.MaxTime) {
		var tc influxql.Expr
		if !p.lowerOpen {
			tc = &influxql.BinaryExpr{Op: influxql.GTE, LHS: &influxql.VarRef{Val: "time"}, RHS: &influxql.IntegerLiteral{Val: p.tmin}}
		}
		if p.tmax != influxql.MaxTime {
			tc = andExpr(tc, &influxql.BinaryExpr{Op: influxql.LTE, LHS: &influxql.VarRef{Val: "time"}, RHS: &influxql.IntegerLiteral{Val: p.tmax}})
		}
		inner.Condition = andExpr(inner.Condition, tc)
	}
	// The inner statement spends the outer one's memory budget.
	rows, err := p.e.selectRows(context.WithValue(ctx, budgetKey{}, p.mem), inner, p.ec)
	if err != nil {
		return nil, err
	}
	// Fields of the subquery are its columns; its GROUP BY tags are tags.
	colType := map[string]bool{}
	for _, r := range rows {
		for _, c := range r.Columns[1:] {
			colType[c] = true
		}
	}
	isField := func(n string) bool { return colType[n] }
	fields := p.neededFields(isField)
	fieldIdx := make(map[string]int, len(fields))
	for i, f := range fields {
		fieldIdx[f] = i
	}
	// A subquery has no index: the whole condition is evaluated per row.
	ev, err := p.newEvaluator(fieldIdx, p.cond)
	if err != nil {
		return nil, err
	}
	tagKeySet := map[string]bool{}
	for _, r := range rows {
		for k := range r.Tags {
			tagKeySet[k] = true
		}
	}
	tagKeys := make([]string, 0, len(tagKeySet))
	for k := range tagKeySet {
		tagKeys = append(tagKeys, k)
	}
	sort.Strings(tagKeys)
	dims := p.dimensions(tagKeys)
	type gk struct{ name, key string }
	byKey := map[gk]*group{}
	var groups []*group
	for _, r := range rows {
		sd := &seriesData{name: r.Name, tags: r.Tags, cols: make([]column, len(fields))}
		if sd.tags == nil {
			sd.tags = map[string]string{}
		}
		colIdx := make([]int, len(fields))
		for i, f := range fields {
			colIdx[i] = -1
			for ci, c := range r.Columns {
				if c == f && ci > 0 {
					colIdx[i] = ci
				}
			}
		}
		for _, vals := range r.Values {
			t, _ := vals[0].(int64)
			if t < p.tmin || t > p.tmax {
				continue
			}
			n := len(sd.ts)
			sd.ts = append(sd.ts, t)
			for i, ci := range colIdx {
				pt := null
				if ci >= 0 {
					pt = anyPoint(vals[ci])
				}
				sd.cols[i].appendPoint(pt, n)
			}
		}
		var b strings.Builder
		tags := make(map[string]string, len(dims))
		for _, d := range dims {
			tags[d] = sd.tags[d]
			b.WriteString(sd.tags[d])
			b.WriteByte(0)
		}
		k := gk{r.Name, b.String()}
		g := byKey[k]
		if g == nil {
			g = &group{name: r.Name, tags: tags, key: k.key}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.data = append(g.data, sd)
	}
	var out []*Row
	for _, g := range groups {
		row, err := ev.run(g)
		if err != nil {
			return nil, err
		}
		if row != nil {
			out = append(out, row)
		}
	}
	return out, nil
}

// anyPoint converts a result value back to a Point.
func anyPoint(v any) Point {
	switch x := v.(type) {
	case float64:
		return floatPoint(x)
	case int64:
		return intPoint(x)
	case uint64:
		return Point{Type: influxql.Unsigned, U: x, Aux: -1}
	case bool:
		return boolPoint(x)
	case string:
		return Point{Type: influxql.String, S: x, Aux: -1}
	}
	return null
}

// windowStart returns the start of the GROUP BY time window holding t,
// aligned in the query's time zone.
func (p *selectPlan) windowStart(t int64) int64 {
	if p.interval <= 0 {
		return p.tmin
	}
	if p.months > 0 {
		return monthWindowStart(t-p.offset, p.months, p.loc) + p.offset
	}
	var off int64
	if p.loc != nil {
		off = zoneOffset(p.loc, t)
	}
	lt := t + off
	dt := (lt - p.offset) % p.interval
	if dt < 0 {
		dt += p.interval
	}
	if lt-dt > lt { // overflow at the far end of time
		return math.MinInt64
	}
	start := lt - dt
	if p.loc != nil {
		s := start - off
		if o2 := zoneOffset(p.loc, s); o2 != off {
			// The window began before a DST change: use the offset in force then.
			s = start - o2
		}
		return s
	}
	return start
}

// nextWindow returns the start of the window after the one starting at s.
func (p *selectPlan) nextWindow(s int64) int64 {
	if p.months > 0 {
		return monthWindowNext(s-p.offset, p.months, p.loc) + p.offset
	}
	if p.loc == nil {
		return s + p.interval
	}
	// Half an interval more absorbs DST days of 23 or 25 hours.
	n := p.windowStart(s + p.interval + p.interval/2)
	if n <= s {
		n = s + p.interval
	}
	return n
}

func zoneOffset(loc *time.Location, t int64) int64 {
	_, off := time.Unix(0, t).In(loc).Zone()
	return int64(off) * int64(time.Second)
}
