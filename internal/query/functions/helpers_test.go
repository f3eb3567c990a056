package functions

import (
	"math"
	"testing"

	"github.com/influxdata/influxql"
)

const (
	sec    = int64(1e9)
	minute = 60 * sec
)

// mustCall parses a function call such as "percentile(x, 5)".
func mustCall(t testing.TB, s string) *influxql.Call {
	t.Helper()
	e, err := influxql.ParseExpr(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	c, ok := e.(*influxql.Call)
	if !ok {
		t.Fatalf("parse %q: %T, not a call", s, e)
	}
	return c
}

func fp(t int64, v float64) Point { return Point{Time: t, Type: influxql.Float, F: v, Aux: -1} }
func ip(t int64, v int64) Point   { return Point{Time: t, Type: influxql.Integer, I: v, Aux: -1} }
func up(t int64, v uint64) Point  { return Point{Time: t, Type: influxql.Unsigned, U: v, Aux: -1} }
func sp(t int64, v string) Point  { return Point{Time: t, Type: influxql.String, S: v, Aux: -1} }
func bp(t int64, v bool) Point    { return Point{Time: t, Type: influxql.Boolean, B: v, Aux: -1} }
func np(t int64) Point            { return Point{Time: t, Aux: -1} }

// series makes float points one unit apart from t0.
func series(t0, step int64, vals ...float64) []Point {
	out := make([]Point, len(vals))
	for i, v := range vals {
		out[i] = fp(t0+int64(i)*step, v)
		out[i].Aux = i
	}
	return out
}

// santaMonica is water_level at santa_monica, 2015-08-18T00:00Z to 00:30Z,
// the sample of InfluxDB's function documentation.
var santaMonicaT0 = int64(1439856000) * sec

func santaMonica() []Point {
	return series(santaMonicaT0, 6*minute, 2.064, 2.116, 2.028, 2.126, 2.041, 2.051)
}

// reduce feeds pts to a new reducer for call and emits one window.
func reduce(t testing.TB, call string, in influxql.DataType, start, end int64, pts []Point) []Point {
	t.Helper()
	r, err := NewReducer(mustCall(t, call), in)
	if err != nil {
		t.Fatalf("NewReducer(%s): %v", call, err)
	}
	for _, p := range pts {
		r.Add(p)
	}
	return r.Emit(start, end)
}

func transform(t testing.TB, call string, opts TransformOptions, pts []Point) []Point {
	t.Helper()
	tr, err := NewTransformer(mustCall(t, call), opts)
	if err != nil {
		t.Fatalf("NewTransformer(%s): %v", call, err)
	}
	return tr.Process(pts)
}

// samePoints compares outputs: time, type and value (floats within a
// relative 1e-9, NaN equal to NaN); Aux only when want's is not -1.
func samePoints(t testing.TB, name string, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d points %v, want %d %v", name, len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		ok := g.Time == w.Time && g.Type == w.Type
		switch w.Type {
		case influxql.Float:
			ok = ok && closeTo(g.F, w.F)
		case influxql.Integer:
			ok = ok && g.I == w.I
		case influxql.Unsigned:
			ok = ok && g.U == w.U
		case influxql.String:
			ok = ok && g.S == w.S
		case influxql.Boolean:
			ok = ok && g.B == w.B
		}
		if w.Aux != -1 {
			ok = ok && g.Aux == w.Aux
		}
		if !ok {
			t.Errorf("%s: point %d = %+v, want %+v", name, i, g, w)
		}
	}
}

func closeTo(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}
