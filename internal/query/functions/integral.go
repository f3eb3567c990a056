package functions

import (
	"cmp"
	"slices"

	"github.com/influxdata/influxql"
)

var _ Lookahead = (*integralReducer)(nil)

// integralReducer computes the area under the series with the trapezium
// rule, in value × unit. With windows it follows InfluxDB 1.8: the area
// between a window's last point and the next window's first point is split
// at the window boundary, the value there interpolated linearly; the part
// before the boundary belongs to the earlier window (see Lookahead), the
// part after it, however many empty windows it spans, to the later one. Of
// several points at one time the last counts. For integer input the part
// after the boundary reproduces InfluxDB 1.8's integer reducer, which takes
// the previous point's value where the float reducer takes the new one's.
type integralReducer struct {
	in   influxql.DataType
	unit float64

	prev struct {
		t int64
		v float64
	}
	hasPrev bool    // prev holds the series' latest point so far
	prevEnd int64   // end of the window prev was emitted in; valid when carried
	carried bool    // prev belongs to an earlier, already emitted window
	sum     float64 // area of the current window so far
	n       int     // points added to the current window
	next    struct {
		t int64
		v float64
	}
	hasNext bool
	buf     []timed[float64] // the window's points, reused across windows
}

// Add keeps the point; the window's area is computed at Emit, in time
// order whatever the order of arrival (an executor may feed a window
// newest first for ORDER BY time DESC).
func (r *integralReducer) Add(p Point) {
	if v, ok := asFloat(&p); ok {
		r.buf = append(r.buf, timed[float64]{v: v, t: p.Time})
	}
}

func (r *integralReducer) step(t int64, v float64) {
	r.n++
	if !r.hasPrev {
		r.prev.t, r.prev.v, r.hasPrev = t, v, true
		return
	}
	if r.carried {
		// The segment from the previous window's end to this point.
		r.carried = false
		b := r.prevEnd
		if b > r.prev.t && b <= t {
			bv := interpolate(b, r.prev.t, t, r.prev.v, v)
			if r.in != influxql.Float {
				// InfluxDB 1.8's integer integral takes this trapezoid's
				// sides as the boundary value and the previous point's
				// value (its float integral, like this one otherwise,
				// uses the boundary value and this point's).
				r.sum += 0.5 * (bv + r.prev.v) * float64(t-b) / r.unit
				r.prev.t, r.prev.v = t, v
				return
			}
			r.prev.t, r.prev.v = b, bv
		}
	}
	if t == r.prev.t {
		r.prev.v = v
		return
	}
	r.sum += 0.5 * (v + r.prev.v) * float64(t-r.prev.t) / r.unit
	r.prev.t, r.prev.v = t, v
}

// SetNext gives the first point after the window about to be emitted.
func (r *integralReducer) SetNext(p Point) {
	v, ok := asFloat(&p)
	if !ok {
		return
	}
	r.next.t, r.next.v, r.hasNext = p.Time, v, true
}

func (r *integralReducer) Emit(start, end int64) []Point {
	buf := r.buf
	if !slices.IsSortedFunc(buf, byTime) {
		if slices.IsSortedFunc(buf, func(a, b timed[float64]) int { return byTime(b, a) }) {
			slices.Reverse(buf)
		} else {
			slices.SortStableFunc(buf, byTime)
		}
	}
	for _, x := range buf {
		r.step(x.t, x.v)
	}
	r.buf = buf[:0]
	n, sum, hasNext := r.n, r.sum, r.hasNext
	r.n, r.sum, r.hasNext = 0, 0, false
	if n == 0 {
		return nil
	}
	if hasNext && r.next.t >= end && r.prev.t < end && r.next.t > r.prev.t {
		ev := interpolate(end, r.prev.t, r.next.t, r.prev.v, r.next.v)
		sum += 0.5 * (ev + r.prev.v) * float64(end-r.prev.t) / r.unit
	} else if r.prev.t == start {
		// The window's area ends where it starts: InfluxDB drops it.
		r.prevEnd, r.carried = end, true
		return nil
	}
	r.prevEnd, r.carried = end, true
	return []Point{floatPoint(start, sum)}
}

func byTime(a, b timed[float64]) int { return cmp.Compare(a.t, b.t) }

// interpolate returns the value at t on the line through (t0, v0), (t1, v1).
func interpolate(t, t0, t1 int64, v0, v1 float64) float64 {
	if t1 == t0 {
		return v0
	}
	return v0 + (v1-v0)*float64(t-t0)/float64(t1-t0)
}
