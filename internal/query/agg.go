package query

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/influxdata/influxql"
)

// evaluator computes the output rows of one group for a plan on one source.
type evaluator struct {
	p        *selectPlan
	fieldIdx map[string]int
	// types are the stored field types of the source (nil for subqueries).
	types map[string]influxql.DataType
	cond  predFunc
	// rowFns evaluate the row-level expressions (raw queries and aux columns).
	rowFns      []rowFunc
	isFieldExpr []bool
}

func (p *selectPlan) newEvaluator(fieldIdx map[string]int, residual influxql.Expr) (*evaluator, error) {
	ev := &evaluator{p: p, fieldIdx: fieldIdx}
	if residual != nil {
		f, err := compilePred(residual, fieldIdx)
		if err != nil {
			return nil, err
		}
		ev.cond = f
	}
	ev.rowFns = make([]rowFunc, len(p.exprs))
	ev.isFieldExpr = make([]bool, len(p.exprs))
	for i, x := range p.exprs {
		if !p.aux[i] {
			continue
		}
		f, err := compileRow(x, fieldIdx)
		if err != nil {
			return nil, err
		}
		ev.rowFns[i] = f
		influxql.WalkFunc(x, func(n influxql.Node) {
			if ref, ok := n.(*influxql.VarRef); ok {
				if _, isField := fieldIdx[ref.Val]; isField && ref.Type != influxql.Tag {
					ev.isFieldExpr[i] = true
				}
			}
		})
	}
	return ev, nil
}

// run evaluates a loaded group; nil when it produces no rows.
func (ev *evaluator) run(g *group) (*Row, error) {
	if len(g.data) == 0 {
		return nil, nil
	}
	g.merged = mergeRows(g.data, ev.cond)
	if len(g.merged) == 0 {
		return nil, nil
	}
	// Per row: its reference, a point per call, an output row at most.
	perRow := int64(8) + int64(ev.p.calls)*pointBytes + int64(1+len(ev.p.exprs))*rowValueBytes
	if err := ev.p.mem.charge(int64(len(g.merged)) * perRow); err != nil {
		return nil, err
	}
	if ev.p.raw {
		return ev.runRaw(g), nil
	}
	pts, err := ev.evalOutputs(g)
	if err != nil {
		return nil, err
	}
	return ev.assemble(g, pts), nil
}

// runRaw emits one row per input row that has a value in any selected field.
func (ev *evaluator) runRaw(g *group) *Row {
	p := ev.p
	row := p.newRow(g)
	for _, ref := range g.merged {
		s := g.data[ref.s]
		vals := make([]any, 1+len(p.exprs))
		vals[0] = s.ts[ref.r]
		any := false
		for i, f := range ev.rowFns {
			v := f(s, int(ref.r))
			vals[i+1] = pointValue(v)
			if ev.isFieldExpr[i] && vals[i+1] != nil {
				any = true
			}
		}
		if any {
			row.Values = append(row.Values, vals)
		}
	}
	return p.finishRow(row)
}

func (p *selectPlan) newRow(g *group) *Row {
	row := &Row{Name: g.name, Columns: p.columns}
	if len(g.tags) > 0 {
		row.Tags = g.tags
	}
	return row
}

// finishRow orders, offsets and limits the rows of a series; nil when empty.
func (p *selectPlan) finishRow(row *Row) *Row {
	if !p.stmt.TimeAscending() {
		v := row.Values
		for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
			v[i], v[j] = v[j], v[i]
		}
	}
	if p.stmt.Offset > 0 {
		if p.stmt.Offset >= len(row.Values) {
			row.Values = nil
		} else {
			row.Values = row.Values[p.stmt.Offset:]
		}
	}
	if p.stmt.Limit > 0 && len(row.Values) > p.stmt.Limit {
		row.Values = row.Values[:p.stmt.Limit]
	}
	if len(row.Values) == 0 {
		return nil
	}
	return row
}

// aggSeries is an evaluated expression: points in ascending time, or a constant.
type aggSeries struct {
	pts   []Point
	konst bool
	k     Point
}

// evalOutputs evaluates every non-aux output expression of the group.
func (ev *evaluator) evalOutputs(g *group) ([][]Point, error) {
	out := make([][]Point, len(ev.p.exprs))
	for i, x := range ev.p.exprs {
		if ev.p.aux[i] {
			continue
		}
		s, err := ev.evalAgg(x, g)
		if err != nil {
			return nil, err
		}
		if s.konst {
			continue
		}
		out[i] = s.pts
	}
	return out, nil
}

// assemble joins the evaluated columns by time into the group's row.
func (ev *evaluator) assemble(g *group, cols [][]Point) *Row {
	p := ev.p
	empty := true
	selIdx := -1
	for i, c := range cols {
		if len(c) > 0 {
			empty = false
		}
		if selIdx < 0 && !p.aux[i] && isSelectorExpr(p.exprs[i]) {
			selIdx = i
		}
	}
	if empty {
		return nil
	}
	row := p.newRow(g)
	idx := make([]int, len(cols))
	for {
		t := int64(math.MaxInt64)
		found := false
		for i, c := range cols {
			if p.aux[i] || idx[i] >= len(c) {
				continue
			}
			if c[idx[i]].Time <= t {
				t = c[idx[i]].Time
				found = true
			}
		}
		if !found {
			break
		}
		vals := make([]any, 1+len(cols))
		vals[0] = t
		sel := -1
		for i, c := range cols {
			if p.aux[i] || idx[i] >= len(c) || c[idx[i]].Time != t {
				continue
			}
			vals[i+1] = pointValue(c[idx[i]])
			if i == selIdx {
				sel = c[idx[i]].Aux
			}
			idx[i]++
		}
		if sel >= 0 && sel < len(g.merged) && g.data != nil {
			ref := g.merged[sel]
			for i, f := range ev.rowFns {
				if f != nil {
					vals[i+1] = pointValue(f(g.data[ref.s], int(ref.r)))
				}
			}
		}
		row.Values = append(row.Values, vals)
	}
	return p.finishRow(row)
}

// isSelectorExpr reports whether x is a selector call (its points carry Aux).
func isSelectorExpr(x influxql.Expr) bool {
	c, ok := x.(*influxql.Call)
	return ok && functions.Lookup(c.Name) == functions.Selector
}

// evalAgg evaluates an expression of an aggregate query over a group.
func (ev *evaluator) evalAgg(x influxql.Expr, g *group) (aggSeries, error) {
	switch x := x.(type) {
	case *influxql.ParenExpr:
		return ev.evalAgg(x.Expr, g)
	case *influxql.Call:
		switch functions.Lookup(x.Name) {
		case functions.Aggregate, functions.Selector:
			pts, err := ev.evalReduce(x, g)
			return aggSeries{pts: pts}, err
		case functions.Transform, functions.Predictor:
			var in []Point
			switch arg := x.Args[0].(type) {
			case *influxql.Call:
				s, err := ev.evalAgg(arg, g)
				if err != nil {
					return aggSeries{}, err
				}
				in = s.pts
			case *influxql.VarRef:
				in, _ = ev.fieldStream(g, arg, nil)
			default:
				return aggSeries{}, fmt.Errorf("unsupported argument to %s(): %s", x.Name, arg)
			}
			desc := !ev.p.stmt.TimeAscending()
			tr, err := functions.NewTransformer(x, functions.TransformOptions{Interval: ev.p.interval, Descending: desc})
			if err != nil {
				return aggSeries{}, err
			}
			if !desc {
				return aggSeries{pts: tr.Process(in)}, nil
			}
			// ORDER BY time DESC: InfluxDB runs transformations newest first
			// (a derivative's sign, a cumulative sum's start); the rest of the
			// pipeline is ascending and reverses at the end.
			rev := slices.Clone(in)
			slices.Reverse(rev)
			out := slices.Clone(tr.Process(rev))
			slices.Reverse(out)
			return aggSeries{pts: out}, nil
		case functions.Math:
			args := make([]aggSeries, len(x.Args))
			for i, a := range x.Args {
				s, err := ev.evalAgg(a, g)
				if err != nil {
					return aggSeries{}, err
				}
				args[i] = s
			}
			name := x.Name
			return joinApply(args, func(in []Point) Point {
				v, err := functions.EvalMath(name, in)
				if err != nil {
					return null
				}
				return v
			}), nil
		}
		return aggSeries{}, fmt.Errorf("undefined function %s()", x.Name)
	case *influxql.BinaryExpr:
		l, err := ev.evalAgg(x.LHS, g)
		if err != nil {
			return aggSeries{}, err
		}
		r, err := ev.evalAgg(x.RHS, g)
		if err != nil {
			return aggSeries{}, err
		}
		op := x.Op
		return joinApply([]aggSeries{l, r}, func(in []Point) Point { return binaryOp(op, in[0], in[1]) }), nil
	case *influxql.VarRef:
		return aggSeries{}, fmt.Errorf("mixing aggregate and non-aggregate queries is not supported")
	}
	lit, err := literalPoint(x)
	if err != nil {
		return aggSeries{}, err
	}
	return aggSeries{konst: true, k: lit}, nil
}

// joinApply joins series by time and applies f to each row of values;
// constants are repeated, a missing value is null.
func joinApply(args []aggSeries, f func([]Point) Point) aggSeries {
	allConst := true
	for _, a := range args {
		allConst = allConst && a.konst
	}
	in := make([]Point, len(args))
	if allConst {
		for i, a := range args {
			in[i] = a.k
		}
		return aggSeries{konst: true, k: f(in)}
	}
	idx := make([]int, len(args))
	var out []Point
	for {
		t := int64(math.MaxInt64)
		found := false
		for i, a := range args {
			if !a.konst && idx[i] < len(a.pts) && a.pts[idx[i]].Time <= t {
				t = a.pts[idx[i]].Time
				found = true
			}
		}
		if !found {
			return aggSeries{pts: out}
		}
		for i, a := range args {
			switch {
			case a.konst:
				in[i] = a.k
			case idx[i] < len(a.pts) && a.pts[idx[i]].Time == t:
				in[i] = a.pts[idx[i]]
				idx[i]++
			default:
				in[i] = null
			}
		}
		v := f(in)
		v.Time, v.Aux = t, -1
		out = append(out, v)
	}
}

// reduceArg returns the field a reducer call reads (count(distinct(x)) reads x).
func reduceArg(c *influxql.Call) (*influxql.VarRef, error) {
	switch a := c.Args[0].(type) {
	case *influxql.VarRef:
		return a, nil
	case *influxql.Call:
		if len(a.Args) > 0 {
			return reduceArg(a)
		}
	case *influxql.Distinct:
		return &influxql.VarRef{Val: a.Val}, nil
	}
	return nil, fmt.Errorf("expected field argument in %s()", c.Name)
}

// fieldStream returns the non-null values of ref over the group's merged
// rows in time order; Aux is the index into g.merged. tagKeys, when given,
// fill Point.Tag for top()/bottom() with tag arguments.
func (ev *evaluator) fieldStream(g *group, ref *influxql.VarRef, tagKeys []string) ([]Point, influxql.DataType) {
	f := compileRef(ref, ev.fieldIdx)
	typ := influxql.Unknown
	out := make([]Point, 0, len(g.merged))
	for k, mr := range g.merged {
		s := g.data[mr.s]
		pt := f(s, int(mr.r))
		if pt.Type == influxql.Unknown {
			continue
		}
		if typ == influxql.Unknown {
			typ = pt.Type
		}
		pt.Time = s.ts[mr.r]
		pt.Aux = k
		if tagKeys != nil {
			var b strings.Builder
			for i, tk := range tagKeys {
				if i > 0 {
					b.WriteByte(0)
				}
				b.WriteString(s.tags[tk])
			}
			pt.Tag = b.String()
		}
		out = append(out, pt)
	}
	if typ == influxql.Unknown {
		typ = ref.Type
		if !isNumeric(typ) && typ != influxql.String && typ != influxql.Boolean {
			typ = influxql.Float
		}
	}
	return out, typ
}

// windowOut is the output of one window that had data.
type windowOut struct {
	start int64
	pts   []Point
}

// evalReduce runs an aggregate or selector call over the group's windows.
func (ev *evaluator) evalReduce(c *influxql.Call, g *group) ([]Point, error) {
	p := ev.p
	ref, err := reduceArg(c)
	if err != nil {
		return nil, err
	}
	var tagKeys []string
	if (c.Name == "top" || c.Name == "bottom") && len(c.Args) > 2 {
		for _, a := range c.Args[1 : len(c.Args)-1] {
			if r, ok := a.(*influxql.VarRef); ok {
				tagKeys = append(tagKeys, r.Val)
			}
		}
	}
	stream, typ := ev.fieldStream(g, ref, tagKeys)
	red, err := functions.NewReducer(c, typ)
	if err != nil {
		return nil, err
	}
	var wins []windowOut
	if p.interval <= 0 {
		for k := range stream {
			if p.stmt.TimeAscending() {
				red.Add(stream[k])
			} else {
				red.Add(stream[len(stream)-1-k])
			}
		}
		end := p.tmax
		if end < math.MaxInt64 {
			end++
		}
		if pts := red.Emit(p.tmin, end); len(pts) > 0 {
			wins = append(wins, windowOut{start: p.tmin, pts: pts})
		}
	} else {
		desc := !p.stmt.TimeAscending()
		for i := 0; i < len(stream); {
			w := p.windowStart(stream[i].Time)
			next := p.nextWindow(w)
			j := i
			for j < len(stream) && stream[j].Time < next {
				j++
			}
			// Newest first in DESC order, as InfluxDB feeds its reducers (it
			// matters where ties are broken by position, e.g. mode()).
			for k := i; k < j; k++ {
				if desc {
					red.Add(stream[i+j-1-k])
				} else {
					red.Add(stream[k])
				}
			}
			i = j
			if la, ok := red.(functions.Lookahead); ok && i < len(stream) {
				la.SetNext(stream[i])
			}
			if pts := red.Emit(w, next); len(pts) > 0 {
				wins = append(wins, windowOut{start: w, pts: pts})
			}
		}
	}
	var first int64
	if len(g.merged) > 0 {
		first = g.data[g.merged[0].s].ts[g.merged[0].r]
	}
	return p.fillWindows(c, functions.OutputType(c.Name, typ), wins, first)
}

// keepsPointTime reports whether a call's rows carry their points' own times.
func (p *selectPlan) keepsPointTime(c *influxql.Call) bool {
	switch c.Name {
	case "top", "bottom", "sample":
		return true
	}
	return p.selectorTime && functions.Lookup(c.Name) == functions.Selector
}

// fillWindows sets output times and fills windows without data according
// to the fill option. firstData is the time of the group's first row, the
// start of the window range when the query has no lower time bound.
func (p *selectPlan) fillWindows(c *influxql.Call, outType influxql.DataType, wins []windowOut, firstData int64) ([]Point, error) {
	keep := p.keepsPointTime(c)
	if len(wins) == 0 {
		// No value in the whole range: like InfluxDB, no rows at all rather
		// than a row of filled windows.
		return nil, nil
	}
	if p.interval <= 0 {
		var out []Point
		for _, w := range wins {
			for _, pt := range w.pts {
				if !keep {
					pt.Time = p.zeroTime()
				}
				out = append(out, pt)
			}
		}
		return out, nil
	}
	fill, fillVal := p.stmt.Fill, p.stmt.FillValue
	if c.Name == "count" && fill == influxql.NullFill {
		// InfluxDB counts an empty window as 0.
		fill, fillVal = influxql.NumberFill, int64(0)
	}
	if fill == influxql.NoFill {
		var out []Point
		for _, w := range wins {
			for _, pt := range w.pts {
				if !keep {
					pt.Time = w.start
				}
				out = append(out, pt)
			}
		}
		return out, nil
	}
	start := p.tmin
	if p.lowerOpen {
		start = firstData
	}
	first, last := p.windowStart(start), p.windowStart(p.tmax)
	if p.e.opts.MaxSelectBuckets > 0 && p.loc == nil {
		if n := (last-first)/p.interval + 1; n > int64(p.e.opts.MaxSelectBuckets) {
			return nil, fmt.Errorf("max-select-buckets limit exceeded: (%d/%d)", n, p.e.opts.MaxSelectBuckets)
		}
	}
	var out []Point
	var filled []bool // which points fill made, for fill(previous) in DESC order
	prev, havePrev := null, false
	wi := 0
	for w := first; w <= last; {
		if wi < len(wins) && wins[wi].start == w {
			for _, pt := range wins[wi].pts {
				if !keep {
					pt.Time = w
				}
				out = append(out, pt)
			}
			prev, havePrev = wins[wi].pts[len(wins[wi].pts)-1], true
			for range wins[wi].pts {
				filled = append(filled, false)
			}
			wi++
		} else {
			filled = append(filled, true)
			var pt Point
			switch fill {
			case influxql.NumberFill:
				pt = castPoint(anyPoint(normalizeFill(fillVal)), outType)
			case influxql.PreviousFill:
				pt = null
				if havePrev {
					pt = prev
				}
			default: // null; linear is interpolated below
				pt = null
			}
			pt.Time, pt.Aux = w, -1
			out = append(out, pt)
		}
		next := p.nextWindow(w)
		if next <= w {
			break
		}
		w = next
	}
	if fill == influxql.LinearFill {
		if p.stmt.TimeAscending() {
			linearFill(out)
		} else {
			// Newest first, interpolation starts from the newer value.
			slices.Reverse(out)
			linearFill(out)
			slices.Reverse(out)
		}
	}
	if fill == influxql.PreviousFill && !p.stmt.TimeAscending() {
		// Newest first, "previous" is the next newer window.
		carry, have := null, false
		for i := len(out) - 1; i >= 0; i-- {
			if !filled[i] {
				carry, have = out[i], true
				continue
			}
			t := out[i].Time
			out[i] = null
			if have {
				out[i] = carry
			}
			out[i].Time, out[i].Aux = t, -1
		}
	}
	return out, nil
}

// normalizeFill converts the parser's fill value to a result value.
func normalizeFill(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64, float64, uint64, bool, string:
		return x
	}
	return nil
}

// linearFill interpolates null points between two values by time.
func linearFill(pts []Point) {
	prev := -1
	for i := 0; i < len(pts); i++ {
		if pts[i].Type == influxql.Unknown {
			continue
		}
		if prev >= 0 && i-prev > 1 {
			a, b := pts[prev], pts[i]
			for k := prev + 1; k < i; k++ {
				// slope * offset + start, computed like InfluxDB so integers
				// truncate the same way.
				x := float64(pts[k].Time - a.Time)
				switch {
				case a.Type == influxql.Integer && b.Type == influxql.Integer:
					m := float64(b.I-a.I) / float64(b.Time-a.Time)
					pts[k].Type = influxql.Integer
					pts[k].I = int64(m*x + float64(a.I))
				case isNumeric(a.Type) && isNumeric(b.Type):
					m := (asFloat(b) - asFloat(a)) / float64(b.Time-a.Time)
					pts[k].Type = influxql.Float
					pts[k].F = m*x + asFloat(a)
				}
			}
		}
		prev = i
	}
}
