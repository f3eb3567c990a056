package query

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// The fast paths answer common aggregates without materialising rows:
// count/sum/mean/min/max/first/last/spread of a field come from the storage
// engine's per-window aggregates (which use block statistics where they
// can), and last() over all time comes from the last-value cache.

// fastCalls are the reducers the storage engine's window aggregates can answer.
var fastCalls = map[string]bool{"count": true, "sum": true, "mean": true, "min": true, "max": true, "first": true, "last": true, "spread": true}

// fastPath reports whether the plan can use storage window aggregates
// (g is unused: the answer depends on the plan only).
func (ev *evaluator) fastPath(g *group) bool {
	return ev.cond == nil && ev.callsOK()
}

// callsOK reports whether every output is a call the fast paths compute
// (count/sum/mean/min/max/first/last/spread of a stored field) over
// windows they can align (no tz() or calendar windows).
func (ev *evaluator) callsOK() bool {
	p := ev.p
	if p.raw || ev.types == nil || (p.loc != nil && p.interval > 0) || p.months > 0 {
		return false
	}
	for i, x := range p.exprs {
		if p.aux[i] {
			return false
		}
		c, ok := x.(*influxql.Call)
		if !ok || !fastCalls[c.Name] || len(c.Args) != 1 {
			return false
		}
		ref, ok := c.Args[0].(*influxql.VarRef)
		if !ok {
			return false
		}
		st, ok := ev.types[ref.Val]
		if !ok || (ref.Type != st && ref.Type != influxql.Unknown && ref.Type != influxql.AnyField) {
			return false
		}
		switch c.Name {
		case "sum", "mean", "spread", "min", "max":
			if !isNumeric(st) {
				return false
			}
		}
		if p.selectorTime && (c.Name == "min" || c.Name == "max") {
			return false // needs the selected point's time
		}
	}
	return true
}

// runFast evaluates a group from per-series window aggregates (or the
// last-value cache) and applies fill like the general path.
func (ev *evaluator) runFast(ctx context.Context, m *influxql.Measurement, g *group) (*Row, error) {
	p := ev.p
	if ev.lastFromCache() {
		return ev.runLastCache(ctx, m, g)
	}
	cols := make([][]Point, len(p.exprs))
	firstData := int64(0)
	for i, x := range p.exprs {
		c := x.(*influxql.Call)
		ref := c.Args[0].(*influxql.VarRef)
		typ := ev.types[ref.Val]
		perSeries := make([][]tsdb.WindowAggregate, len(g.series))
		err := parallel(ctx, len(g.series), func(k int) error {
			return p.e.opts.Storage.WindowAggregates(ctx, m.Database, m.RetentionPolicy, g.series[k].ID, ref.Val,
				p.tmin, p.tmax, p.interval, p.offset, func(a *tsdb.WindowAggregate) error {
					perSeries[k] = append(perSeries[k], *a)
					return nil
				})
		})
		if err != nil {
			return nil, err
		}
		wins := mergeWindowAggregates(c.Name, typ, perSeries)
		for _, ws := range perSeries {
			for _, a := range ws {
				if a.Count > 0 && (firstData == 0 || a.First.Time < firstData) {
					firstData = a.First.Time
				}
			}
		}
		pts, err := p.fillWindows(c, functions.OutputType(c.Name, typ), wins, firstData)
		if err != nil {
			return nil, err
		}
		cols[i] = pts
	}
	return ev.assemble(g, cols), nil
}

// mergeWindowAggregates combines the windows of several series into one
// output point per window.
func mergeWindowAggregates(name string, typ influxql.DataType, perSeries [][]tsdb.WindowAggregate) []windowOut {
	byStart := map[int64]*tsdb.WindowAggregate{}
	var starts []int64
	for _, ws := range perSeries {
		for i := range ws {
			a := &ws[i]
			if a.Count == 0 {
				continue
			}
			acc := byStart[a.Start]
			if acc == nil {
				cp := *a
				byStart[a.Start] = &cp
				starts = append(starts, a.Start)
				continue
			}
			acc.Count += a.Count
			acc.Sum += a.Sum
			acc.SumInt += a.SumInt
			acc.SumUint += a.SumUint
			if valueLess(a.Min, acc.Min) {
				acc.Min = a.Min
			}
			if valueLess(acc.Max, a.Max) {
				acc.Max = a.Max
			}
			if a.First.Time < acc.First.Time {
				acc.First = a.First
			}
			if a.Last.Time > acc.Last.Time {
				acc.Last = a.Last
			}
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	out := make([]windowOut, 0, len(starts))
	for _, s := range starts {
		a := byStart[s]
		var pt Point
		switch name {
		case "count":
			pt = intPoint(a.Count)
		case "sum":
			switch typ {
			case influxql.Integer:
				pt = intPoint(a.SumInt)
			case influxql.Unsigned:
				pt = Point{Type: influxql.Unsigned, U: a.SumUint}
			default:
				pt = floatPoint(a.Sum)
			}
		case "mean":
			pt = floatPoint(a.Sum / float64(a.Count))
		case "min":
			pt = valuePoint(a.Min)
		case "max":
			pt = valuePoint(a.Max)
		case "first":
			pt = valuePoint(a.First)
		case "last":
			pt = valuePoint(a.Last)
		case "spread":
			lo, hi := valuePoint(a.Min), valuePoint(a.Max)
			switch typ {
			case influxql.Integer:
				pt = intPoint(hi.I - lo.I)
			case influxql.Unsigned:
				pt = Point{Type: influxql.Unsigned, U: hi.U - lo.U}
			default:
				pt = floatPoint(hi.F - lo.F)
			}
		}
		pt.Aux = -1
		switch name {
		case "first":
			pt.Time = a.First.Time
		case "last":
			pt.Time = a.Last.Time
		default:
			pt.Time = s
		}
		out = append(out, windowOut{start: s, pts: []Point{pt}})
	}
	return out
}

// valueLess orders two numeric storage values of the same type.
func valueLess(a, b tsdb.Value) bool {
	switch a.Type {
	case model.Float:
		return a.F < b.F
	case model.Integer:
		return a.I < b.I
	case model.Unsigned:
		return a.U < b.U
	case model.Boolean:
		return !a.B && b.B
	}
	return false
}

// valuePoint converts a storage value.
func valuePoint(v tsdb.Value) Point {
	p := Point{Time: v.Time, Type: dataType(v.Type), Aux: -1}
	switch v.Type {
	case model.Float:
		p.F = v.F
	case model.Integer:
		p.I = v.I
	case model.Unsigned:
		p.U = v.U
	case model.Boolean:
		p.B = v.B
	case model.String:
		p.S = string(v.S)
	}
	return p
}

// lastFromCache reports whether every output is last(field) over a range
// the last-value cache can answer (no GROUP BY time).
func (ev *evaluator) lastFromCache() bool {
	if ev.p.interval > 0 || ev.cond != nil {
		return false
	}
	for _, x := range ev.p.exprs {
		if c, ok := x.(*influxql.Call); !ok || c.Name != "last" {
			return false
		}
	}
	return true
}

// runLastCache answers last() from the last-value cache; series whose
// cached value lies after the query's upper bound fall back to the engine.
func (ev *evaluator) runLastCache(ctx context.Context, m *influxql.Measurement, g *group) (*Row, error) {
	rows, err := ev.runLastCacheAll(ctx, m, []*group{g})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// runLastCacheAll answers every group from the last-value cache, the
// groups split between the CPUs (one cache pass per share).
func (ev *evaluator) runLastCacheAll(ctx context.Context, m *influxql.Measurement, groups []*group) ([]*Row, error) {
	p := ev.p
	fields := make([]string, len(p.exprs))
	for i, x := range p.exprs {
		fields[i] = x.(*influxql.Call).Args[0].(*influxql.VarRef).Val
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(groups)/256))
	out := make([]*Row, len(groups))
	chunk := (len(groups) + workers - 1) / workers
	err := parallel(ctx, workers, func(w int) error {
		lo, hi := w*chunk, min((w+1)*chunk, len(groups))
		var ids []uint64
		for _, g := range groups[lo:hi] {
			for _, s := range g.series {
				ids = append(ids, s.ID)
			}
		}
		vals, has, err := p.e.opts.Storage.LastFieldValues(ctx, m.Database, m.RetentionPolicy, ids, fields)
		if err != nil {
			return err
		}
		at := 0 // index of the group's first series in ids
		for gi := lo; gi < hi; gi++ {
			n := len(groups[gi].series)
			row, err := ev.lastRow(ctx, m, groups[gi], ids[at:at+n], fields, vals[at*len(fields):(at+n)*len(fields)], has[at*len(fields):(at+n)*len(fields)])
			if err != nil {
				return err
			}
			out[gi] = row
			at += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows := out[:0]
	for _, r := range out {
		if r != nil {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// lastRow builds a group's row from cached last values (vals/has: the
// group's series in order, len(fields) values each). The row is built
// directly: "latest value of every device" has one row per group and
// thousands of groups, so no per-call point slices.
func (ev *evaluator) lastRow(ctx context.Context, m *influxql.Measurement, g *group, ids []uint64, fields []string, vals []tsdb.Value, has []bool) (*Row, error) {
	p := ev.p
	nf := len(fields)
	out := make([]any, 1+nf)
	t := p.zeroTime()
	anyFound := false
	for k, field := range fields {
		var best tsdb.Value
		found := false
		for si, id := range ids {
			if !has[si*nf+k] {
				continue
			}
			v := vals[si*nf+k]
			if v.Time < p.tmin {
				continue
			}
			if v.Time > p.tmax {
				// Newer than the range: the cache cannot tell; ask the engine.
				var last *tsdb.Value
				err := p.e.opts.Storage.WindowAggregates(ctx, m.Database, m.RetentionPolicy, id, field, p.tmin, p.tmax, 0, 0, func(a *tsdb.WindowAggregate) error {
					if a.Count > 0 {
						l := a.Last
						last = &l
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
				if last == nil {
					continue
				}
				v = *last
			}
			if !found || v.Time > best.Time {
				best, found = v, true
			}
		}
		if found {
			anyFound = true
			out[k+1] = pointValue(valuePoint(best))
			if p.selectorTime {
				t = best.Time
			}
		}
	}
	if !anyFound {
		return nil, nil
	}
	out[0] = t
	row := p.newRow(g)
	row.Values = [][]any{out}
	return p.finishRow(row), nil
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and returns the first error.
func parallel(ctx context.Context, n int, fn func(int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := safeCall(fn, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu   sync.Mutex
		next int
		ferr error
		wg   sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if ferr != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := ctx.Err(); err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
					return
				}
				if err := safeCall(fn, i); err != nil {
					mu.Lock()
					if ferr == nil {
						ferr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return ferr
}

// safeCall runs fn(i), turning a panic into an ErrInternal error.
func safeCall(fn func(int) error, i int) (err error) {
	defer recoverTo(&err)
	return fn(i)
}

// recoverTo stores a recovered panic in *err. Worker goroutines use it: a
// panic there would otherwise end the whole process.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v\n%s", ErrInternal, r, debug.Stack())
	}
}
