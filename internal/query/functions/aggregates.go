package functions

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"time"

	"github.com/influxdata/influxql"
)

// NewReducer returns the reducer for an aggregate or selector call; in is
// the input field's type. call.Args[0] is the field (or, for
// count(distinct(x)), the nested distinct call); further arguments are
// literals, checked by ValidateCall. A function that does not take in
// gives a *TypeError (errors.Is ErrUnsupportedType), e.g. mean() of a
// string. Reducers skip null points (Type Unknown).
func NewReducer(call *influxql.Call, in influxql.DataType) (Reducer, error) {
	if call == nil {
		return nil, fmt.Errorf("new reducer: nil call")
	}
	name := call.Name
	switch Lookup(name) {
	case Aggregate, Selector:
	default:
		return nil, fmt.Errorf("%s() is not an aggregate or selector", name)
	}
	if err := ValidateCall(call, false); err != nil {
		return nil, err
	}
	if name == "count" && len(call.Args) == 1 {
		switch a := call.Args[0].(type) {
		case *influxql.Call:
			if a.Name == "distinct" {
				return &countDistinctReducer{d: newDistinctReducer(in)}, nil
			}
		case *influxql.Distinct:
			return &countDistinctReducer{d: newDistinctReducer(in)}, nil
		}
	}
	if !accepts(name, in) {
		return nil, &TypeError{Func: name, Type: in}
	}
	switch name {
	case "count":
		return &countReducer{}, nil
	case "sum":
		return &sumReducer{in: in}, nil
	case "mean":
		return &meanReducer{in: in}, nil
	case "spread":
		return &spreadReducer{in: in}, nil
	case "stddev":
		return &stddevReducer{in: in}, nil
	case "median":
		return &medianReducer{in: in}, nil
	case "mode":
		return &modeReducer{in: in}, nil
	case "distinct":
		return newDistinctReducer(in), nil
	case "integral":
		unit := int64(time.Second)
		if len(call.Args) == 2 {
			unit = int64(call.Args[1].(*influxql.DurationLiteral).Val)
		}
		return &integralReducer{in: in, unit: float64(unit)}, nil
	case "first":
		return &firstReducer{in: in}, nil
	case "last":
		return &lastReducer{in: in}, nil
	case "max":
		return &extremeReducer{in: in, max: true}, nil
	case "min":
		return &extremeReducer{in: in}, nil
	case "percentile":
		var pct float64
		switch a := call.Args[1].(type) {
		case *influxql.IntegerLiteral:
			pct = float64(a.Val)
		case *influxql.NumberLiteral:
			pct = a.Val
		}
		return &percentileReducer{in: in, pct: pct}, nil
	case "sample":
		return newSampleReducer(in, int(call.Args[1].(*influxql.IntegerLiteral).Val)), nil
	case "top", "bottom":
		n := call.Args[len(call.Args)-1].(*influxql.IntegerLiteral).Val
		return newTopReducer(in, int(n), name == "top", len(call.Args) > 2), nil
	}
	return nil, fmt.Errorf("BUG: no reducer for %s()", name)
}

// count() counts the non-null points; an empty window counts 0.
type countReducer struct{ n int64 }

func (r *countReducer) Add(p Point) {
	if p.Type != influxql.Unknown {
		r.n++
	}
}

func (r *countReducer) Emit(start, _ int64) []Point {
	n := r.n
	r.n = 0
	return []Point{intPoint(start, n)}
}

// sum() keeps the input type; integers wrap around like int64 in InfluxDB.
type sumReducer struct {
	in influxql.DataType
	n  int
	f  float64
	i  int64
	u  uint64
}

func (r *sumReducer) Add(p Point) {
	switch r.in {
	case influxql.Float:
		if v, ok := asFloat(&p); ok {
			r.f += v
			r.n++
		}
	case influxql.Integer:
		if v, ok := asInt(&p); ok {
			r.i += v
			r.n++
		}
	case influxql.Unsigned:
		if v, ok := asUint(&p); ok {
			r.u += v
			r.n++
		}
	}
}

func (r *sumReducer) Emit(start, _ int64) []Point {
	if r.n == 0 {
		return nil
	}
	var out Point
	switch r.in {
	case influxql.Float:
		out = floatPoint(start, r.f)
	case influxql.Integer:
		out = intPoint(start, r.i)
	default:
		out = uintPoint(start, r.u)
	}
	*r = sumReducer{in: r.in}
	return []Point{out}
}

// mean() is a Float. Integers are summed exactly in 64 bits and in floating
// point once the exact sum would overflow.
type meanReducer struct {
	in       influxql.DataType
	n        int64
	f        float64
	i        int64
	u        uint64
	overflow bool
}

func (r *meanReducer) Add(p Point) {
	switch {
	case r.in == influxql.Integer && p.Type == influxql.Integer && !r.overflow:
		s := r.i + p.I
		if (r.i >= 0) == (p.I >= 0) && (s >= 0) != (p.I >= 0) {
			r.overflow = true
			r.f = float64(r.i) + float64(p.I)
		} else {
			r.i = s
		}
		r.n++
	case r.in == influxql.Unsigned && p.Type == influxql.Unsigned && !r.overflow:
		s, carry := bits.Add64(r.u, p.U, 0)
		if carry != 0 {
			r.overflow = true
			r.f = float64(r.u) + float64(p.U)
		} else {
			r.u = s
		}
		r.n++
	default:
		if v, ok := asFloat(&p); ok {
			if !r.overflow && r.in != influxql.Float {
				// A converted point in an integer window: continue in float.
				r.overflow = true
				r.f = float64(r.i) + float64(r.u)
			}
			r.f += v
			r.n++
		}
	}
}

func (r *meanReducer) Emit(start, _ int64) []Point {
	if r.n == 0 {
		return nil
	}
	var sum float64
	switch {
	case r.in == influxql.Float || r.overflow:
		sum = r.f
	case r.in == influxql.Integer:
		sum = float64(r.i)
	default:
		sum = float64(r.u)
	}
	out := floatPoint(start, sum/float64(r.n))
	*r = meanReducer{in: r.in}
	return []Point{out}
}

// spread() is max - min in the input type.
type spreadReducer struct {
	in   influxql.DataType
	n    int
	fmin float64
	fmax float64
	imin int64
	imax int64
	umin uint64
	umax uint64
}

func (r *spreadReducer) Add(p Point) {
	switch r.in {
	case influxql.Float:
		v, ok := asFloat(&p)
		if !ok {
			return
		}
		if r.n == 0 {
			r.fmin, r.fmax = v, v
		} else {
			r.fmin, r.fmax = math.Min(r.fmin, v), math.Max(r.fmax, v)
		}
	case influxql.Integer:
		v, ok := asInt(&p)
		if !ok {
			return
		}
		if r.n == 0 {
			r.imin, r.imax = v, v
		} else {
			r.imin, r.imax = min(r.imin, v), max(r.imax, v)
		}
	case influxql.Unsigned:
		v, ok := asUint(&p)
		if !ok {
			return
		}
		if r.n == 0 {
			r.umin, r.umax = v, v
		} else {
			r.umin, r.umax = min(r.umin, v), max(r.umax, v)
		}
	default:
		return
	}
	r.n++
}

func (r *spreadReducer) Emit(start, _ int64) []Point {
	if r.n == 0 {
		return nil
	}
	var out Point
	switch r.in {
	case influxql.Float:
		out = floatPoint(start, r.fmax-r.fmin)
	case influxql.Integer:
		out = intPoint(start, r.imax-r.imin)
	default:
		out = uintPoint(start, r.umax-r.umin)
	}
	*r = spreadReducer{in: r.in}
	return []Point{out}
}

// stddev() is the sample standard deviation (n-1), a Float; NaN values are
// left out. A window of one point gives NaN, as in InfluxDB, where a NaN
// result is a "null float": shown as null, but not replaced by fill().
type stddevReducer struct {
	in   influxql.DataType
	vals []float64 // reused across windows
}

func (r *stddevReducer) Add(p Point) {
	if v, ok := asFloat(&p); ok {
		r.vals = append(r.vals, v)
	}
}

func (r *stddevReducer) Emit(start, _ int64) []Point {
	vals := r.vals
	r.vals = r.vals[:0]
	if len(vals) == 0 {
		return nil
	}
	if len(vals) < 2 {
		return []Point{floatPoint(start, math.NaN())}
	}
	var mean float64
	var n int
	for _, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		n++
		mean += (v - mean) / float64(n)
	}
	var ss float64
	for _, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		ss += (v - mean) * (v - mean)
	}
	if n < 2 {
		return []Point{floatPoint(start, math.NaN())}
	}
	return []Point{floatPoint(start, math.Sqrt(ss/float64(n-1)))}
}

// median() is a Float: the middle value, or the mean of the two middle
// values of an even count.
type medianReducer struct {
	in influxql.DataType
	f  []float64 // reused across windows
	i  []int64
	u  []uint64
}

func (r *medianReducer) Add(p Point) {
	switch r.in {
	case influxql.Float:
		if v, ok := asFloat(&p); ok {
			r.f = append(r.f, v)
		}
	case influxql.Integer:
		if v, ok := asInt(&p); ok {
			r.i = append(r.i, v)
		}
	case influxql.Unsigned:
		if v, ok := asUint(&p); ok {
			r.u = append(r.u, v)
		}
	}
}

func (r *medianReducer) Emit(start, _ int64) []Point {
	var v float64
	var ok bool
	switch r.in {
	case influxql.Float:
		v, ok = median(r.f, func(lo, hi float64) float64 { return lo + (hi-lo)/2 })
		r.f = r.f[:0]
	case influxql.Integer:
		v, ok = median(r.i, func(lo, hi int64) float64 { return float64(lo) + float64(hi-lo)/2 })
		r.i = r.i[:0]
	case influxql.Unsigned:
		v, ok = median(r.u, func(lo, hi uint64) float64 { return float64(lo) + float64(hi-lo)/2 })
		r.u = r.u[:0]
	}
	if !ok {
		return nil
	}
	return []Point{floatPoint(start, v)}
}

func median[T cmp.Ordered](vals []T, mid func(lo, hi T) float64) (float64, bool) {
	n := len(vals)
	if n == 0 {
		return 0, false
	}
	slices.Sort(vals)
	if n%2 == 0 {
		return mid(vals[n/2-1], vals[n/2]), true
	}
	return mid(vals[n/2], vals[n/2]), true
}

// mode() is the most frequent value, in the input type, chosen among ties
// exactly as InfluxDB 1.8 chooses (see Emit); for booleans InfluxDB 1.8
// picks true on a tie, and so does this.
type modeReducer struct {
	in  influxql.DataType
	pts []Point // reused across windows
}

func (r *modeReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	r.pts = append(r.pts, p)
}

func (r *modeReducer) Emit(start, _ int64) []Point {
	pts := r.pts
	r.pts = r.pts[:0]
	if len(pts) == 0 {
		return nil
	}
	var best Point
	if r.in == influxql.Boolean {
		var t, f int
		for i := range pts {
			if pts[i].B {
				t++
			} else {
				f++
			}
		}
		best = Point{Type: influxql.Boolean, B: t >= f}
	} else {
		// InfluxDB 1.8's mode walks the points sorted by value and only
		// lets a value group compete once it has a second point; a group
		// that reaches the leader's count wins unless it began later than
		// the leader's latest point. Ties therefore depend on where the
		// (unstable) sort leaves equal values: sort.Sort with a value-only
		// comparison on the time-ordered input is the same sort InfluxDB
		// runs, so it leaves them in the same places.
		sort.Sort(pointsByValue(pts))
		mostFreq, currFreq := 0, 0
		curr, most := pts[0], pts[0]
		mostTime, currTime := pts[0].Time, pts[0].Time
		for i := range pts {
			p := pts[i]
			if compareValues(&p, &curr) != 0 {
				currFreq, curr, currTime = 1, p, p.Time
				continue
			}
			currFreq++
			if mostFreq > currFreq || (mostFreq == currFreq && currTime > mostTime) {
				continue
			}
			mostFreq, most, mostTime = currFreq, p, p.Time
		}
		best = most
	}
	best.Time, best.Aux, best.Tag = start, -1, ""
	return []Point{best}
}

// distinct() outputs each distinct value once, in the order first seen
// (InfluxDB sorts them by first time, then value; newest first when the
// window is fed newest first), all at the window start.
type distinctReducer struct {
	in  influxql.DataType
	f   map[float64]struct{}
	i   map[int64]struct{}
	u   map[uint64]struct{}
	s   map[string]struct{}
	b   [2]bool
	out []Point // values in the order first seen
}

func newDistinctReducer(in influxql.DataType) *distinctReducer {
	r := &distinctReducer{in: in}
	switch in {
	case influxql.Float:
		r.f = make(map[float64]struct{})
	case influxql.Integer:
		r.i = make(map[int64]struct{})
	case influxql.Unsigned:
		r.u = make(map[uint64]struct{})
	case influxql.String:
		r.s = make(map[string]struct{})
	}
	return r
}

func (r *distinctReducer) Add(p Point) {
	if p.Type == influxql.Unknown || !conform(&p, r.in) {
		return
	}
	switch r.in {
	case influxql.Float:
		if _, ok := r.f[p.F]; ok {
			return
		}
		if !math.IsNaN(p.F) {
			r.f[p.F] = struct{}{}
		}
	case influxql.Integer:
		if _, ok := r.i[p.I]; ok {
			return
		}
		r.i[p.I] = struct{}{}
	case influxql.Unsigned:
		if _, ok := r.u[p.U]; ok {
			return
		}
		r.u[p.U] = struct{}{}
	case influxql.String:
		if _, ok := r.s[p.S]; ok {
			return
		}
		r.s[p.S] = struct{}{}
	case influxql.Boolean:
		k := 0
		if p.B {
			k = 1
		}
		if r.b[k] {
			return
		}
		r.b[k] = true
	default:
		return
	}
	p.Aux, p.Tag = -1, ""
	r.out = append(r.out, p)
}

func (r *distinctReducer) reset() {
	clear(r.f)
	clear(r.i)
	clear(r.u)
	clear(r.s)
	r.b = [2]bool{}
	r.out = r.out[:0]
}

func (r *distinctReducer) Emit(start, _ int64) []Point {
	if len(r.out) == 0 {
		return nil
	}
	out := slices.Clone(r.out)
	// Fed newest first (ORDER BY time DESC), InfluxDB lists the values by
	// their newest time, newest first.
	desc := out[0].Time > out[len(out)-1].Time
	slices.SortStableFunc(out, func(a, b Point) int {
		if c := cmp.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return compareValues(&a, &b)
	})
	if desc {
		slices.Reverse(out)
	}
	for i := range out {
		out[i].Time = start
	}
	r.reset()
	return out
}

// count(distinct(x)) counts the distinct values; an empty window counts 0.
type countDistinctReducer struct{ d *distinctReducer }

func (r *countDistinctReducer) Add(p Point) { r.d.Add(p) }

func (r *countDistinctReducer) Emit(start, _ int64) []Point {
	n := len(r.d.out)
	r.d.reset()
	return []Point{intPoint(start, int64(n))}
}

// pointsByValue sorts points by value only, like InfluxDB's *PointsByValue.
type pointsByValue []Point

func (a pointsByValue) Len() int           { return len(a) }
func (a pointsByValue) Less(i, j int) bool { return compareValues(&a[i], &a[j]) < 0 }
func (a pointsByValue) Swap(i, j int)      { a[i], a[j] = a[j], a[i] }
