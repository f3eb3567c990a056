package functions

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/influxdata/influxql"
)

// Selectors return the chosen input points with their own time, Aux and Tag.

// first() is the earliest point; of several at that time, the greatest
// value (false before true), as InfluxDB 1.8 breaks the tie.
type firstReducer struct {
	in  influxql.DataType
	p   Point
	has bool
}

func (r *firstReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	if !r.has || p.Time < r.p.Time || (p.Time == r.p.Time && firstTie(&p, &r.p)) {
		r.p, r.has = p, true
	}
}

func firstTie(p, prev *Point) bool {
	if p.Type == influxql.Boolean {
		return !p.B && prev.B
	}
	return greater(p, prev)
}

func (r *firstReducer) Emit(_, _ int64) []Point {
	if !r.has {
		return nil
	}
	r.has = false
	return []Point{r.p}
}

// last() is the latest point; of several at that time, the greatest value.
type lastReducer struct {
	in  influxql.DataType
	p   Point
	has bool
}

func (r *lastReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	if !r.has || p.Time > r.p.Time || (p.Time == r.p.Time && greater(&p, &r.p)) {
		r.p, r.has = p, true
	}
}

func (r *lastReducer) Emit(_, _ int64) []Point {
	if !r.has {
		return nil
	}
	r.has = false
	return []Point{r.p}
}

// max() and min(): the greatest (smallest) value, the earliest on a tie;
// booleans order false < true.
type extremeReducer struct {
	in  influxql.DataType
	max bool
	p   Point
	has bool
}

func (r *extremeReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	if !r.has {
		r.p, r.has = p, true
		return
	}
	var better bool
	if r.max {
		better = greater(&p, &r.p)
	} else {
		better = greater(&r.p, &p)
	}
	if better || (p.Time < r.p.Time && compareValues(&p, &r.p) == 0 && !isNaNPoint(&p)) {
		r.p = p
	}
}

func isNaNPoint(p *Point) bool { return p.Type == influxql.Float && math.IsNaN(p.F) }

func (r *extremeReducer) Emit(_, _ int64) []Point {
	if !r.has {
		return nil
	}
	r.has = false
	return []Point{r.p}
}

// percentile() picks the point of nearest rank: sorted by value (then
// time), the one at index floor(n·p/100 + 0.5) - 1; nothing when that is
// out of range (e.g. percentile 0).
type percentileReducer struct {
	in  influxql.DataType
	pct float64
	f   []timed[float64] // reused across windows
	i   []timed[int64]
	u   []timed[uint64]
}

// timed is a value with the time and Aux of its point.
type timed[T any] struct {
	v   T
	t   int64
	aux int
}

func (r *percentileReducer) Add(p Point) {
	switch r.in {
	case influxql.Float:
		if v, ok := asFloat(&p); ok {
			r.f = append(r.f, timed[float64]{v, p.Time, p.Aux})
		}
	case influxql.Integer:
		if v, ok := asInt(&p); ok {
			r.i = append(r.i, timed[int64]{v, p.Time, p.Aux})
		}
	case influxql.Unsigned:
		if v, ok := asUint(&p); ok {
			r.u = append(r.u, timed[uint64]{v, p.Time, p.Aux})
		}
	}
}

func (r *percentileReducer) Emit(_, _ int64) []Point {
	switch r.in {
	case influxql.Float:
		x, ok := nearestRank(r.f, r.pct)
		r.f = r.f[:0]
		if ok {
			return []Point{{Time: x.t, Type: influxql.Float, F: x.v, Aux: x.aux}}
		}
	case influxql.Integer:
		x, ok := nearestRank(r.i, r.pct)
		r.i = r.i[:0]
		if ok {
			return []Point{{Time: x.t, Type: influxql.Integer, I: x.v, Aux: x.aux}}
		}
	case influxql.Unsigned:
		x, ok := nearestRank(r.u, r.pct)
		r.u = r.u[:0]
		if ok {
			return []Point{{Time: x.t, Type: influxql.Unsigned, U: x.v, Aux: x.aux}}
		}
	}
	return nil
}

func nearestRank[T cmp.Ordered](vals []timed[T], pct float64) (timed[T], bool) {
	n := len(vals)
	i := int(math.Floor(float64(n)*pct/100+0.5)) - 1
	if n == 0 || i < 0 || i >= n || math.IsNaN(pct) {
		return timed[T]{}, false
	}
	slices.SortFunc(vals, func(a, b timed[T]) int {
		if c := cmp.Compare(a.v, b.v); c != 0 {
			return c
		}
		return cmp.Compare(a.t, b.t)
	})
	return vals[i], true
}

// sample() keeps a uniform random sample of up to n points (reservoir
// sampling) and returns it in time order (newest first when fed so).
type sampleReducer struct {
	in    influxql.DataType
	n     int
	seen  int
	pts   []Point
	rng   *rand.Rand
	order feedOrder
}

func newSampleReducer(in influxql.DataType, n int) *sampleReducer {
	return &sampleReducer{in: in, n: n, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func (r *sampleReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	r.seen++
	r.order.add(p.Time)
	if len(r.pts) < r.n {
		r.pts = append(r.pts, p)
		return
	}
	if j := r.rng.IntN(r.seen); j < r.n {
		r.pts[j] = p
	}
}

func (r *sampleReducer) Emit(_, _ int64) []Point {
	if len(r.pts) == 0 {
		return nil
	}
	out := slices.Clone(r.pts)
	slices.SortStableFunc(out, func(a, b Point) int {
		if c := cmp.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return compareValues(&a, &b)
	})
	if r.order.desc() {
		slices.Reverse(out)
	}
	r.pts, r.seen, r.order = r.pts[:0], 0, feedOrder{}
	return out
}

// top() and bottom() keep the n greatest (smallest) values, the earlier
// point on a tie. With tag arguments (top(x, host, 3)) each distinct
// Point.Tag is first reduced to its max (min) point, then the n best of
// those are kept. The output is in time order, newest first when the
// window was fed newest first.
type topReducer struct {
	in     influxql.DataType
	n      int
	top    bool
	byTag  bool
	heap   []Point          // worst point at the root
	perTag map[string]Point // best point per tag when byTag
	tags   []string         // keys of perTag in the order first seen
	order  feedOrder
}

func newTopReducer(in influxql.DataType, n int, top, byTag bool) *topReducer {
	r := &topReducer{in: in, n: n, top: top, byTag: byTag}
	if byTag {
		r.perTag = make(map[string]Point)
	}
	return r
}

// better reports whether a ranks before b: a greater (smaller) value, or
// an equal value at an earlier time.
func (r *topReducer) better(a, b *Point) bool {
	var c int
	if r.top {
		c = compareValues(a, b)
	} else {
		c = compareValues(b, a)
	}
	if c != 0 {
		return c > 0
	}
	return a.Time < b.Time
}

func (r *topReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	r.order.add(p.Time)
	if r.byTag {
		q, ok := r.perTag[p.Tag]
		if !ok {
			r.tags = append(r.tags, p.Tag)
		}
		if !ok || r.better(&p, &q) {
			r.perTag[p.Tag] = p
		}
		return
	}
	r.push(p)
}

func (r *topReducer) push(p Point) {
	h := r.heap
	if len(h) < r.n {
		h = append(h, p)
		// Sift up: the parent must not be better than the child.
		for i := len(h) - 1; i > 0; {
			parent := (i - 1) / 2
			if !r.better(&h[parent], &h[i]) {
				break
			}
			h[parent], h[i] = h[i], h[parent]
			i = parent
		}
		r.heap = h
		return
	}
	if !r.better(&p, &h[0]) {
		return
	}
	h[0] = p
	// Sift down.
	for i := 0; ; {
		worst, l, rr := i, 2*i+1, 2*i+2
		if l < len(h) && r.better(&h[worst], &h[l]) {
			worst = l
		}
		if rr < len(h) && r.better(&h[worst], &h[rr]) {
			worst = rr
		}
		if worst == i {
			break
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

func (r *topReducer) Emit(_, _ int64) []Point {
	if r.byTag {
		for _, t := range r.tags {
			r.push(r.perTag[t])
		}
		clear(r.perTag)
		r.tags = r.tags[:0]
	}
	if len(r.heap) == 0 {
		return nil
	}
	out := slices.Clone(r.heap)
	r.heap = r.heap[:0]
	// Worst first, then by time: of points at one time the worse comes first,
	// as InfluxDB 1.8 orders them.
	slices.SortFunc(out, func(a, b Point) int {
		if r.better(&b, &a) {
			return -1
		}
		if r.better(&a, &b) {
			return 1
		}
		return 0
	})
	slices.SortStableFunc(out, func(a, b Point) int { return cmp.Compare(a.Time, b.Time) })
	if r.order.desc() {
		slices.Reverse(out)
	}
	r.order = feedOrder{}
	return out
}

// feedOrder notes whether a window's points came newest first (the
// executor feeds them so for ORDER BY time DESC); selectors that return
// several points then list them newest first, as InfluxDB does.
type feedOrder struct {
	first, last int64
	n           int
}

func (o *feedOrder) add(t int64) {
	if o.n == 0 {
		o.first = t
	}
	o.last = t
	o.n++
}

func (o *feedOrder) desc() bool { return o.n > 1 && o.first > o.last }
