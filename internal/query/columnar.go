package query

import (
	"context"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// The columnar path answers count/sum/mean/min/max/first/last/spread
// queries over fixed windows by streaming every selected series once
// through ReadSeries, all fields together, and folding each column's runs of
// rows into dense per-window accumulators with typed loops. It is the hot
// path of dashboards (many fields, many hosts, GROUP BY time).

// acc accumulates one call's values in one window. Values are kept as
// bits of their type; strings only have count, first and last.
type acc struct {
	count         int64
	sum           float64
	sumI          int64
	sumU          uint64
	minB, maxB    uint64
	minT, maxT    int64
	firstB, lastB uint64
	firstT, lastT int64
	firstS, lastS string
	typ           model.FieldType
}

// columnarCall is one output call of the columnar path.
type columnarCall struct {
	name  string
	field string
	typ   influxql.DataType
}

// columnarOK reports whether the plan's windows can be dense arrays.
func (ev *evaluator) columnarOK() bool {
	p := ev.p
	if !ev.callsOK() || ev.lastFromCache() {
		return false
	}
	if p.interval <= 0 {
		return true
	}
	if p.lowerOpen || p.tmax == influxql.MaxTime {
		return false
	}
	return (p.tmax-p.tmin)/p.interval < 1<<20
}

// runColumnar evaluates every group of a measurement on the columnar path.
func (ev *evaluator) runColumnar(ctx context.Context, m *influxql.Measurement, groups []*group) ([]*Row, error) {
	p := ev.p
	calls := make([]columnarCall, len(p.exprs))
	for i, x := range p.exprs {
		c := x.(*influxql.Call)
		f := c.Args[0].(*influxql.VarRef).Val
		calls[i] = columnarCall{name: c.Name, field: f, typ: ev.types[f]}
	}
	// Read every field a call or the row condition needs, once.
	fields := make([]string, len(ev.fieldIdx))
	for f, i := range ev.fieldIdx {
		fields[i] = f
	}
	first, nw := p.tmin, int64(1)
	if p.interval > 0 {
		first = p.windowStart(p.tmin)
		nw = (p.windowStart(p.tmax)-first)/p.interval + 1
	}
	groupOf := map[uint64]int{}
	var tagsOf map[uint64]map[string]string // for conditions on tags
	if ev.cond != nil {
		tagsOf = map[uint64]map[string]string{}
	}
	var ids []uint64
	for gi, g := range groups {
		for _, s := range g.series {
			groupOf[s.ID] = gi
			ids = append(ids, s.ID)
			if tagsOf != nil {
				tagsOf[s.ID] = tagMap(s.Tags)
			}
		}
	}
	if max := p.e.opts.MaxSelectSeries; max > 0 && len(ids) > max {
		return nil, &limitError{msg: "max-select-series limit exceeded"}
	}
	workers := min(runtime.GOMAXPROCS(0), len(ids))
	if workers < 1 {
		workers = 1
	}
	// Each worker reads a contiguous share of the series into its own
	// accumulators (a group may span workers); they are merged afterwards.
	type state struct {
		accs map[int][]acc // group -> calls*nw
		err  error
	}
	states := make([]state, workers)
	var wg sync.WaitGroup
	chunk := (len(ids) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(ids))
		if lo >= hi {
			continue
		}
		st := &states[w]
		st.accs = map[int][]acc{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recoverTo(&st.err)
			colIdx := make([]int, len(calls))
			var view seriesData
			var sel []bool
			st.err = p.e.opts.Storage.ReadSeries(ctx, m.Database, m.RetentionPolicy, ids[lo:hi], fields, p.tmin, p.tmax, func(b *tsdb.SeriesBatch) error {
				if ev.cond != nil {
					// The condition runs on a view of the batch's columns.
					view.tags, view.ts = tagsOf[b.SeriesID], b.Timestamps
					view.cols = columnsView(view.cols, b, ev.fieldIdx)
					sel = sel[:0]
					for r := range b.Timestamps {
						sel = append(sel, ev.cond(&view, r))
					}
				}
				gi := groupOf[b.SeriesID]
				a := st.accs[gi]
				if a == nil {
					if err := p.mem.charge(int64(len(calls)) * nw * int64(unsafe.Sizeof(acc{}))); err != nil {
						return err
					}
					a = make([]acc, len(calls)*int(nw))
					st.accs[gi] = a
				}
				for ci := range calls {
					colIdx[ci] = -1
					for k := range b.Columns {
						if b.Columns[k].Name == calls[ci].field {
							colIdx[ci] = k
							break
						}
					}
				}
				ts := b.Timestamps
				for i := 0; i < len(ts); {
					wi := int64(0)
					end := int64(math.MaxInt64)
					if p.interval > 0 {
						ws := p.windowStart(ts[i])
						wi = (ws - first) / p.interval
						if ws+p.interval > ws {
							end = ws + p.interval
						}
					}
					j := i + 1
					for j < len(ts) && ts[j] < end {
						j++
					}
					if wi >= 0 && wi < nw {
						for ci := range calls {
							if k := colIdx[ci]; k >= 0 {
								if sel != nil {
									foldSelected(&a[int64(ci)*nw+wi], &b.Columns[k], ts, i, j, sel)
								} else {
									foldRun(&a[int64(ci)*nw+wi], &b.Columns[k], ts, i, j)
								}
							}
						}
					}
					i = j
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for _, st := range states {
		if st.err != nil {
			return nil, st.err
		}
	}
	var rows []*Row
	for gi, g := range groups {
		var merged []acc
		for _, st := range states {
			a := st.accs[gi]
			if a == nil {
				continue
			}
			if merged == nil {
				merged = a
				continue
			}
			for k := range a {
				mergeAcc(&merged[k], &a[k])
			}
		}
		if merged == nil {
			continue
		}
		cols := make([][]Point, len(calls))
		for ci, c := range calls {
			var wins []windowOut
			for wi := int64(0); wi < nw; wi++ {
				a := &merged[int64(ci)*nw+wi]
				if a.count == 0 {
					continue
				}
				start := first + wi*p.interval
				pt := accPoint(c, a)
				if c.name != "first" && c.name != "last" {
					pt.Time = start
				}
				wins = append(wins, windowOut{start: start, pts: []Point{pt}})
			}
			fc := p.exprs[ci].(*influxql.Call)
			pts, err := p.fillWindows(fc, callOutputType(c.name, c.typ), wins, first)
			if err != nil {
				return nil, err
			}
			cols[ci] = pts
		}
		if row := ev.assemble(g, cols); row != nil {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// foldRun folds rows [i, j) of c (one window) into a.
func foldRun(a *acc, c *tsdb.Column, ts []int64, i, j int) {
	a.typ = c.Type
	if c.Valid != nil || c.Type == model.String || c.Type == model.Boolean {
		for k := i; k < j; k++ {
			if c.IsValid(k) {
				var b acc
				b.typ, b.count = c.Type, 1
				switch c.Type {
				case model.Float:
					b.sum = c.Floats[k]
					b.minB = math.Float64bits(c.Floats[k])
				case model.Integer:
					b.sumI, b.sum = c.Integers[k], float64(c.Integers[k])
					b.minB = uint64(c.Integers[k])
				case model.Unsigned:
					b.sumU, b.sum = c.Unsigned[k], float64(c.Unsigned[k])
					b.minB = c.Unsigned[k]
				case model.Boolean:
					if c.Bools[k] {
						b.minB = 1
					}
				case model.String:
					b.firstS = string(c.Strings[k])
					b.lastS = b.firstS
				}
				b.maxB, b.firstB, b.lastB = b.minB, b.minB, b.minB
				b.minT, b.maxT, b.firstT, b.lastT = ts[k], ts[k], ts[k], ts[k]
				mergeAcc(a, &b)
			}
		}
		return
	}
	var b acc
	b.typ, b.count = c.Type, int64(j-i)
	mn, mx := i, i
	switch c.Type {
	case model.Float:
		v := c.Floats[i:j:j]
		sum := 0.0
		for k, x := range v {
			sum += x
			if x < v[mn-i] {
				mn = i + k
			}
			if x > v[mx-i] {
				mx = i + k
			}
		}
		b.sum = sum
		b.minB, b.maxB = math.Float64bits(c.Floats[mn]), math.Float64bits(c.Floats[mx])
		b.firstB, b.lastB = math.Float64bits(c.Floats[i]), math.Float64bits(c.Floats[j-1])
	case model.Integer:
		v := c.Integers[i:j:j]
		var sum int64
		for k, x := range v {
			sum += x
			if x < v[mn-i] {
				mn = i + k
			}
			if x > v[mx-i] {
				mx = i + k
			}
		}
		b.sumI, b.sum = sum, float64(sum)
		b.minB, b.maxB = uint64(c.Integers[mn]), uint64(c.Integers[mx])
		b.firstB, b.lastB = uint64(c.Integers[i]), uint64(c.Integers[j-1])
	case model.Unsigned:
		v := c.Unsigned[i:j:j]
		var sum uint64
		for k, x := range v {
			sum += x
			if x < v[mn-i] {
				mn = i + k
			}
			if x > v[mx-i] {
				mx = i + k
			}
		}
		b.sumU, b.sum = sum, float64(sum)
		b.minB, b.maxB = c.Unsigned[mn], c.Unsigned[mx]
		b.firstB, b.lastB = c.Unsigned[i], c.Unsigned[j-1]
	}
	b.minT, b.maxT, b.firstT, b.lastT = ts[mn], ts[mx], ts[i], ts[j-1]
	mergeAcc(a, &b)
}

// less compares two values of typ given as bits.
func lessBits(typ model.FieldType, x, y uint64) bool {
	switch typ {
	case model.Float:
		return math.Float64frombits(x) < math.Float64frombits(y)
	case model.Integer:
		return int64(x) < int64(y)
	}
	return x < y
}

// mergeAcc folds b into a. Ties follow InfluxDB 1.x: min and max keep the
// earlier point; first and last at the same time keep the larger value
// (false before true for booleans).
func mergeAcc(a, b *acc) {
	if b.count == 0 {
		return
	}
	if a.count == 0 {
		*a = *b
		return
	}
	typ := a.typ
	a.count += b.count
	a.sum += b.sum
	a.sumI += b.sumI
	a.sumU += b.sumU
	if typ == model.String {
		if b.firstT < a.firstT || (b.firstT == a.firstT && b.firstS > a.firstS) {
			a.firstT, a.firstS = b.firstT, b.firstS
		}
		if b.lastT > a.lastT || (b.lastT == a.lastT && b.lastS > a.lastS) {
			a.lastT, a.lastS = b.lastT, b.lastS
		}
		return
	}
	tieWins := func(x, y uint64) bool { // x replaces y at equal times
		if typ == model.Boolean {
			return x == 0 && y == 1
		}
		return lessBits(typ, y, x)
	}
	if b.firstT < a.firstT || (b.firstT == a.firstT && tieWins(b.firstB, a.firstB)) {
		a.firstT, a.firstB = b.firstT, b.firstB
	}
	if b.lastT > a.lastT || (b.lastT == a.lastT && tieWins(b.lastB, a.lastB)) {
		a.lastT, a.lastB = b.lastT, b.lastB
	}
	if lessBits(typ, b.minB, a.minB) || (b.minB == a.minB && b.minT < a.minT) {
		a.minT, a.minB = b.minT, b.minB
	}
	if lessBits(typ, a.maxB, b.maxB) || (b.maxB == a.maxB && b.maxT < a.maxT) {
		a.maxT, a.maxB = b.maxT, b.maxB
	}
}

// bitsPoint converts a value held as bits.
func bitsPoint(typ model.FieldType, bits uint64, t int64) Point {
	p := Point{Time: t, Type: dataType(typ), Aux: -1}
	switch typ {
	case model.Float:
		p.F = math.Float64frombits(bits)
	case model.Integer:
		p.I = int64(bits)
	case model.Unsigned:
		p.U = bits
	case model.Boolean:
		p.B = bits != 0
	}
	return p
}

// accPoint computes a call's result from its accumulator.
func accPoint(c columnarCall, a *acc) Point {
	switch c.name {
	case "count":
		return intPoint(a.count)
	case "sum":
		switch a.typ {
		case model.Integer:
			return intPoint(a.sumI)
		case model.Unsigned:
			return Point{Type: influxql.Unsigned, U: a.sumU, Aux: -1}
		}
		return floatPoint(a.sum)
	case "mean":
		return floatPoint(a.sum / float64(a.count))
	case "min":
		return bitsPoint(a.typ, a.minB, a.minT)
	case "max":
		return bitsPoint(a.typ, a.maxB, a.maxT)
	case "first":
		if a.typ == model.String {
			return Point{Time: a.firstT, Type: influxql.String, S: a.firstS, Aux: -1}
		}
		return bitsPoint(a.typ, a.firstB, a.firstT)
	case "last":
		if a.typ == model.String {
			return Point{Time: a.lastT, Type: influxql.String, S: a.lastS, Aux: -1}
		}
		return bitsPoint(a.typ, a.lastB, a.lastT)
	case "spread":
		switch a.typ {
		case model.Integer:
			return intPoint(int64(a.maxB) - int64(a.minB))
		case model.Unsigned:
			return Point{Type: influxql.Unsigned, U: a.maxB - a.minB, Aux: -1}
		}
		return floatPoint(math.Float64frombits(a.maxB) - math.Float64frombits(a.minB))
	}
	return null
}

// columnsView points cols (by field index) at a batch's columns without
// copying numbers; strings are converted.
func columnsView(cols []column, b *tsdb.SeriesBatch, fieldIdx map[string]int) []column {
	if cap(cols) < len(fieldIdx) {
		cols = make([]column, len(fieldIdx))
	}
	cols = cols[:len(fieldIdx)]
	for i := range cols {
		cols[i] = column{}
	}
	for k := range b.Columns {
		c := &b.Columns[k]
		fi, ok := fieldIdx[c.Name]
		if !ok {
			continue
		}
		v := column{typ: dataType(c.Type), f: c.Floats, i: c.Integers, u: c.Unsigned, b: c.Bools, valid: c.Valid}
		if c.Type == model.String {
			v.s = make([]string, len(c.Strings))
			for r, x := range c.Strings {
				v.s[r] = string(x)
			}
		}
		cols[fi] = v
	}
	return cols
}

// foldSelected folds the rows of [i, j) that sel keeps.
func foldSelected(a *acc, c *tsdb.Column, ts []int64, i, j int, sel []bool) {
	for k := i; k < j; {
		if !sel[k] {
			k++
			continue
		}
		e := k + 1
		for e < j && sel[e] {
			e++
		}
		foldRun(a, c, ts, k, e)
		k = e
	}
}
