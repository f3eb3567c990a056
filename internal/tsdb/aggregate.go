package tsdb

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/fieldhub/fieldhub/internal/model"
)

// Value is one typed value at a time.
type Value struct {
	Time int64
	Type model.FieldType
	F    float64
	I    int64
	U    uint64
	B    bool
	S    []byte
}

// WindowAggregate summarises one field of one series over one window
// [Start, Start+every). Count counts values; Sum is the float sum (floats,
// integers and unsigned converted, booleans count true); Min and Max are typed
// values without times when derived from block statistics (MinMaxTimes is
// false then); First and Last carry their times. Strings have Count, First and
// Last only.
type WindowAggregate struct {
	Start       int64
	Count       int64
	Sum         float64
	SumInt      int64  // exact wrapping sum for integers
	SumUint     uint64 // exact wrapping sum for unsigned
	Min, Max    Value
	MinMaxTimes bool
	First, Last Value
	// FromStats counts the values that came from block statistics without decoding.
	FromStats int64
}

// WindowAggregates computes, for one series and field, per-window aggregates
// over [tmin, tmax] with windows of width every aligned to offset (like
// InfluxQL's GROUP BY time(every, offset)); every <= 0 means one window from
// tmin. Blocks that lie inside one window and overlap no other source are
// answered from their statistics without decoding. Windows with no value are
// omitted. fn is called in ascending window order.
func (e *Engine) WindowAggregates(ctx context.Context, db, rp string, seriesID uint64, field string, tmin, tmax, every, offset int64, fn func(*WindowAggregate) error) error {
	_, p, err := e.lookup(db, rp)
	if err != nil {
		return err
	}
	windowOf := func(t int64) int64 {
		if every <= 0 {
			return tmin
		}
		s := t - offset
		w := s - ((s%every)+every)%every
		return w + offset
	}
	views := e.readView(p, tmin, tmax)
	defer releaseViews(views)
	withStats(ctx, views)
	aggs := map[int64]*WindowAggregate{}
	get := func(start int64) *WindowAggregate {
		a := aggs[start]
		if a == nil {
			a = &WindowAggregate{Start: start, MinMaxTimes: true}
			aggs[start] = a
		}
		return a
	}
	want := map[string]bool{field: true}
	var m rowMerger
	var buf []byte
	for vi := range views {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := &views[vi]
		// Find blocks answerable from statistics: inside [tmin,tmax] and one
		// window, no tombstone for the series, and no other source overlapping.
		type ref struct {
			pt *part
			bm blockMeta
		}
		var blocks []ref
		for _, pt := range v.parts {
			for _, bm := range pt.blocksOf(seriesID) {
				if bm.maxT >= tmin && bm.minT <= tmax {
					blocks = append(blocks, ref{pt, bm})
				}
			}
		}
		var headMin, headMax int64 = math.MaxInt64, math.MinInt64
		for _, hp := range v.heads {
			hp.mu.Lock()
			if sb := hp.series[seriesID]; sb != nil && sb.n > 0 {
				headMin, headMax = min(headMin, sb.minT), max(headMax, sb.maxT)
			}
			hp.mu.Unlock()
		}
		tombstoned := false
		for i := range v.tombs {
			if v.tombs[i].set.Contains(uint32(seriesID)) {
				tombstoned = true
			}
		}
		useStats := make([]bool, len(blocks))
		anyDecode := headMax >= headMin
		for i, b := range blocks {
			ok := !tombstoned && b.bm.minT >= tmin && b.bm.maxT <= tmax && windowOf(b.bm.minT) == windowOf(b.bm.maxT) &&
				!(headMax >= headMin && b.bm.maxT >= headMin && b.bm.minT <= headMax)
			for j, o := range blocks {
				if ok && j != i && o.bm.maxT >= b.bm.minT && o.bm.minT <= b.bm.maxT {
					ok = false
				}
			}
			useStats[i] = ok
			if !ok {
				anyDecode = true
			}
		}
		for i, b := range blocks {
			if !useStats[i] {
				continue
			}
			hdr, hb, err := readBlockHeader(b.pt.f, b.pt.idx, &b.bm, buf)
			if err != nil {
				return fmt.Errorf("part %s: %w", b.pt.path, err)
			}
			buf = hb
			for _, cm := range hdr.cols {
				pf := b.pt.idx.fields[cm.field]
				if pf.name != field {
					continue
				}
				if pf.typ == model.String || cm.count != b.bm.rows {
					// Strings have no value statistics, and with nulls the first/last
					// times are unknown: decode this block instead.
					useStats[i] = false
					anyDecode = true
					break
				}
				addStats(get(windowOf(b.bm.minT)), pf.typ, &cm, &b.bm)
				if v.stats != nil {
					v.stats.BlocksFromStats.Add(1)
				}
			}
		}
		if !anyDecode {
			continue
		}
		// Decode the rest: a view without the stats-answered blocks.
		var srcs []rows
		for i, b := range blocks {
			if useStats[i] {
				continue
			}
			r, err := v.readPartBlock(b.pt, &b.bm, tmin, tmax, func(n string) bool { return n == field }, &buf)
			if err != nil {
				return err
			}
			if len(r.ts) > 0 {
				srcs = append(srcs, r)
			}
		}
		srcs = v.appendHeadRows(srcs, seriesID, tmin, tmax, want)
		r := m.merge(srcs, want)
		for ci := range r.cols {
			c := &r.cols[ci]
			if c.Name != field {
				continue
			}
			// Rows are in ascending time: fold each window's run of rows in
			// one tight loop, then merge the run into the window once.
			ts := r.ts
			for i := 0; i < len(ts); {
				w := windowOf(ts[i])
				end := int64(math.MaxInt64)
				if every > 0 && w+every > w {
					end = w + every
				}
				j := i
				for j < len(ts) && ts[j] < end {
					j++
				}
				addRun(get(w), c, ts, i, j)
				i = j
			}
		}
	}
	starts := make([]int64, 0, len(aggs))
	for s := range aggs {
		starts = append(starts, s)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for _, s := range starts {
		if err := fn(aggs[s]); err != nil {
			return err
		}
	}
	return nil
}

func valueOf(typ model.FieldType, bits uint64, t int64) Value {
	v := Value{Time: t, Type: typ}
	switch typ {
	case model.Float:
		v.F = math.Float64frombits(bits)
	case model.Integer:
		v.I = int64(bits)
	case model.Unsigned:
		v.U = bits
	case model.Boolean:
		v.B = bits != 0
	}
	return v
}

// less orders two values of the same type.
func (v Value) less(o Value) bool {
	switch v.Type {
	case model.Float:
		return v.F < o.F
	case model.Integer:
		return v.I < o.I
	case model.Unsigned:
		return v.U < o.U
	case model.Boolean:
		return !v.B && o.B
	}
	return string(v.S) < string(o.S)
}

func addStats(a *WindowAggregate, typ model.FieldType, cm *colMeta, bm *blockMeta) {
	first := valueOf(typ, cm.first, bm.minT)
	last := valueOf(typ, cm.last, bm.maxT)
	mn, mx := valueOf(typ, cm.min, 0), valueOf(typ, cm.max, 0)
	switch typ {
	case model.Float:
		a.Sum += math.Float64frombits(cm.sum)
	case model.Integer:
		a.SumInt += int64(cm.sum)
		a.Sum += float64(int64(cm.sum))
	case model.Unsigned:
		a.SumUint += cm.sum
		a.Sum += float64(cm.sum)
	case model.Boolean:
		a.Sum += float64(cm.sum)
	}
	a.MinMaxTimes = false
	merge(a, first, last, mn, mx, int64(cm.count))
	a.FromStats += int64(cm.count)
}

// addRun folds rows [i, j) of c, all in one window, into a. Numeric columns
// without nulls take a loop that keeps only indexes and running sums.
func addRun(a *WindowAggregate, c *Column, ts []int64, i, j int) {
	if c.Valid != nil || c.Type == model.String || c.Type == model.Boolean {
		for k := i; k < j; k++ {
			if c.IsValid(k) {
				addValue(a, c, k, ts[k])
			}
		}
		return
	}
	if i >= j {
		return
	}
	mn, mx := i, i
	switch c.Type {
	case model.Float:
		v := c.Floats[i:j:j]
		sum := 0.0
		for k, x := range v {
			sum += x
			// Strict comparisons keep the earliest of equal values.
			if x < v[mn-i] {
				mn = i + k
			}
			if x > v[mx-i] {
				mx = i + k
			}
		}
		a.Sum += sum
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
		a.SumInt += sum
		a.Sum += float64(sum)
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
		a.SumUint += sum
		a.Sum += float64(sum)
	}
	merge(a, runValue(c, i, ts[i]), runValue(c, j-1, ts[j-1]), runValue(c, mn, ts[mn]), runValue(c, mx, ts[mx]), int64(j-i))
}

// runValue returns row k of a numeric column as a Value.
func runValue(c *Column, k int, t int64) Value {
	v := Value{Time: t, Type: c.Type}
	switch c.Type {
	case model.Float:
		v.F = c.Floats[k]
	case model.Integer:
		v.I = c.Integers[k]
	case model.Unsigned:
		v.U = c.Unsigned[k]
	}
	return v
}

func addValue(a *WindowAggregate, c *Column, i int, t int64) {
	var v Value
	v.Time, v.Type = t, c.Type
	switch c.Type {
	case model.Float:
		v.F = c.Floats[i]
		a.Sum += v.F
	case model.Integer:
		v.I = c.Integers[i]
		a.SumInt += v.I
		a.Sum += float64(v.I)
	case model.Unsigned:
		v.U = c.Unsigned[i]
		a.SumUint += v.U
		a.Sum += float64(v.U)
	case model.Boolean:
		v.B = c.Bools[i]
		if v.B {
			a.Sum++
		}
	case model.String:
		v.S = c.Strings[i]
	}
	merge(a, v, v, v, v, 1)
}

func merge(a *WindowAggregate, first, last, mn, mx Value, n int64) {
	if a.Count == 0 {
		a.First, a.Last, a.Min, a.Max = first, last, mn, mx
		a.Count = n
		return
	}
	a.Count += n
	if first.Time < a.First.Time {
		a.First = first
	}
	if last.Time >= a.Last.Time {
		a.Last = last
	}
	if first.Type == model.String {
		return
	}
	// Ties keep the earlier value, as InfluxDB's MIN/MAX selectors do.
	if mn.less(a.Min) || (!a.Min.less(mn) && mn.Time < a.Min.Time && mn.Time != 0) {
		a.Min = mn
	}
	if a.Max.less(mx) || (!mx.less(a.Max) && mx.Time < a.Max.Time && mx.Time != 0) {
		a.Max = mx
	}
}
