package functions

import (
	"errors"
	"math"
	"testing"

	"github.com/influxdata/influxql"
)

// coyoteCreek is water_level at coyote_creek from 2015-08-18T00:00Z, every
// 6 minutes (InfluxDB's documentation sample).
func coyoteCreek() []Point {
	return series(santaMonicaT0, 6*minute, 8.12, 8.005, 7.887, 7.762, 7.635, 7.5, 7.372, 7.234, 7.11, 6.982)
}

// windows feeds pts to one reducer window by window (width w from t0) and
// returns the concatenated outputs, passing the next point to Lookahead
// reducers the way the executor does.
func windows(t *testing.T, call string, in influxql.DataType, t0, w int64, n int, pts []Point) []Point {
	t.Helper()
	r, err := NewReducer(mustCall(t, call), in)
	if err != nil {
		t.Fatal(err)
	}
	var out []Point
	i := 0
	for k := 0; k < n; k++ {
		start, end := t0+int64(k)*w, t0+int64(k+1)*w
		for i < len(pts) && pts[i].Time < end {
			r.Add(pts[i])
			i++
		}
		if la, ok := r.(Lookahead); ok && i < len(pts) {
			la.SetNext(pts[i])
		}
		out = append(out, r.Emit(start, end)...)
	}
	return out
}

func TestAggregatesDocExamples(t *testing.T) {
	t0 := santaMonicaT0
	w := 12 * minute
	tests := []struct {
		name string
		call string
		pts  []Point
		w    int64
		n    int
		want []Point
	}{
		{"integral", "integral(x)", santaMonica(), 1 << 62, 1, []Point{fp(t0, 3732.66)}},
		{"integral 1m", "integral(x, 1m)", santaMonica(), 1 << 62, 1, []Point{fp(t0, 62.211)}},
		{"integral by 12m", "integral(x, 1m)", santaMonica(), w, 3, []Point{fp(t0, 24.972), fp(t0+w, 24.963), fp(t0+2*w, 12.276)}},
		{"mean by 12m", "mean(x)", coyoteCreek(), w, 5, []Point{fp(t0, 8.0625), fp(t0+w, 7.8245), fp(t0+2*w, 7.5675), fp(t0+3*w, 7.303), fp(t0+4*w, 7.046)}},
		{"sum by 12m", "sum(x)", coyoteCreek(), w, 3, []Point{fp(t0, 16.125), fp(t0+w, 15.649), fp(t0+2*w, 15.135)}},
		{"median by 12m", "median(x)", santaMonica(), w, 3, []Point{fp(t0, 2.09), fp(t0+w, 2.077), fp(t0+2*w, 2.0460000000000003)}},
		{"spread by 12m", "spread(x)", santaMonica(), w, 2, []Point{fp(t0, 0.052000000000000046), fp(t0+w, 0.09799999999999986)}},
		{"stddev by 12m", "stddev(x)", santaMonica(), w, 1, []Point{fp(t0, 0.03676955262170051)}},
		{"count by 12m", "count(x)", coyoteCreek(), w, 6, []Point{ip(t0, 2), ip(t0+w, 2), ip(t0+2*w, 2), ip(t0+3*w, 2), ip(t0+4*w, 2), ip(t0+5*w, 0)}},
		{"first by 12m", "first(x)", coyoteCreek(), w, 3, []Point{fp(t0, 8.12), fp(t0+2*6*minute, 7.887), fp(t0+4*6*minute, 7.635)}},
		{"last by 12m", "last(x)", coyoteCreek(), w, 3, []Point{fp(t0+6*minute, 8.005), fp(t0+3*6*minute, 7.762), fp(t0+5*6*minute, 7.5)}},
		{"max by 12m", "max(x)", coyoteCreek(), w, 3, []Point{fp(t0, 8.12), fp(t0+2*6*minute, 7.887), fp(t0+4*6*minute, 7.635)}},
		{"min by 12m", "min(x)", coyoteCreek(), w, 3, []Point{fp(t0+6*minute, 8.005), fp(t0+3*6*minute, 7.762), fp(t0+5*6*minute, 7.5)}},
		{"top by 18m", "top(x, 2)", santaMonica(), 18 * minute, 2, []Point{fp(t0, 2.064), fp(t0+6*minute, 2.116), fp(t0+18*minute, 2.126), fp(t0+30*minute, 2.051)}},
		{"bottom by 18m", "bottom(x, 2)", santaMonica(), 18 * minute, 2, []Point{fp(t0, 2.064), fp(t0+12*minute, 2.028), fp(t0+24*minute, 2.041), fp(t0+30*minute, 2.051)}},
		{"percentile 50", "percentile(x, 50)", santaMonica(), 1 << 62, 1, []Point{fp(t0+5*6*minute, 2.051)}},
		{"percentile 100 is max", "percentile(x, 100)", santaMonica(), 1 << 62, 1, []Point{fp(t0+3*6*minute, 2.126)}},
		{"percentile 0 is nothing", "percentile(x, 0)", santaMonica(), 1 << 62, 1, nil},
		{"percentile 20.5", "percentile(x, 20.5)", santaMonica(), 1 << 62, 1, []Point{fp(t0+2*6*minute, 2.028)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := windows(t, tt.call, influxql.Float, t0, tt.w, tt.n, tt.pts)
			samePoints(t, tt.call, got, tt.want)
		})
	}
}

func TestDistinctAndMode(t *testing.T) {
	desc := []Point{sp(1, "between 6 and 9 feet"), sp(2, "below 3 feet"), sp(3, "between 6 and 9 feet"),
		sp(4, "between 3 and 6 feet"), sp(5, "at or greater than 9 feet"), sp(6, "below 3 feet")}
	got := reduce(t, "distinct(x)", influxql.String, 0, 10, desc)
	samePoints(t, "distinct", got, []Point{sp(0, "between 6 and 9 feet"), sp(0, "below 3 feet"),
		sp(0, "between 3 and 6 feet"), sp(0, "at or greater than 9 feet")})
	got = reduce(t, "count(distinct(x))", influxql.String, 0, 10, desc)
	samePoints(t, "count(distinct)", got, []Point{ip(0, 4)})

	// Ties are broken as InfluxDB 1.8 breaks them: walking the values in
	// sorted order, a later group that reaches the leader's count wins
	// unless it began after the leader's latest point.
	got = reduce(t, "mode(x)", influxql.String, 0, 10, desc)
	samePoints(t, "mode", got, []Point{sp(0, "between 6 and 9 feet")})
	got = reduce(t, "mode(x)", influxql.Float, 7, 10, []Point{fp(1, 3), fp(2, 1), fp(3, 1), fp(4, 3), fp(5, 2)})
	samePoints(t, "mode tie", got, []Point{fp(7, 3)})
	got = reduce(t, "mode(x)", influxql.Float, 7, 10, []Point{fp(1, 1), fp(2, 1), fp(3, 3), fp(4, 3)})
	samePoints(t, "mode tie, later group began later", got, []Point{fp(7, 1)})
	got = reduce(t, "mode(x)", influxql.Integer, 7, 10, []Point{ip(1, 5), ip(2, 1), ip(3, 1), ip(4, 5), ip(5, 1)})
	samePoints(t, "mode int", got, []Point{ip(7, 1)})
	got = reduce(t, "mode(x)", influxql.Boolean, 7, 10, []Point{bp(1, false), bp(2, true)})
	samePoints(t, "mode bool tie", got, []Point{bp(7, true)})

	got = reduce(t, "distinct(x)", influxql.Boolean, 0, 10, []Point{bp(1, true), bp(2, true), bp(3, false)})
	samePoints(t, "distinct bool", got, []Point{bp(0, true), bp(0, false)})
	got = reduce(t, "distinct(x)", influxql.Integer, 0, 10, []Point{ip(1, 3), ip(1, 2), ip(2, 3)})
	samePoints(t, "distinct same time", got, []Point{ip(0, 2), ip(0, 3)})
}

func TestTopBottomTags(t *testing.T) {
	pts := []Point{
		{Time: 1, Type: influxql.Float, F: 7.205, Tag: "santa_monica", Aux: 0},
		{Time: 2, Type: influxql.Float, F: 9.964, Tag: "coyote_creek", Aux: 1},
		{Time: 3, Type: influxql.Float, F: 9.957, Tag: "coyote_creek", Aux: 2},
		{Time: 4, Type: influxql.Float, F: -0.243, Tag: "santa_monica", Aux: 3},
		{Time: 5, Type: influxql.Float, F: -0.61, Tag: "coyote_creek", Aux: 4},
		{Time: 6, Type: influxql.Float, F: 9.964, Tag: "coyote_creek", Aux: 5},
	}
	got := reduce(t, "top(x, location, 3)", influxql.Float, 0, 10, pts)
	want := []Point{fp(1, 7.205), fp(2, 9.964)}
	want[0].Aux, want[1].Aux = 0, 1
	samePoints(t, "top by tag", got, want)
	if got[0].Tag != "santa_monica" || got[1].Tag != "coyote_creek" {
		t.Errorf("top by tag: tags %q %q", got[0].Tag, got[1].Tag)
	}
	got = reduce(t, "bottom(x, location, 1)", influxql.Float, 0, 10, pts)
	want = []Point{fp(5, -0.61)}
	want[0].Aux = 4
	samePoints(t, "bottom by tag", got, want)

	// Ties: the earlier point wins.
	got = reduce(t, "top(x, 2)", influxql.Float, 0, 10, pts)
	want = []Point{fp(2, 9.964), fp(6, 9.964)}
	want[0].Aux, want[1].Aux = 1, 5
	samePoints(t, "top tie", got, want)
	got = reduce(t, "top(x, 1)", influxql.Integer, 0, 10, []Point{ip(5, 3), ip(5, 3), ip(6, 3)})
	samePoints(t, "top int tie", got, []Point{ip(5, 3)})
	got = reduce(t, "bottom(x, 5)", influxql.Unsigned, 0, 10, []Point{up(1, 3), up(2, 1)})
	samePoints(t, "bottom fewer", got, []Point{up(1, 3), up(2, 1)})
}

func TestSelectorsTypes(t *testing.T) {
	got := reduce(t, "max(x)", influxql.Boolean, 0, 10, []Point{bp(1, false), bp(2, true), bp(3, true)})
	samePoints(t, "max bool", got, []Point{bp(2, true)})
	got = reduce(t, "min(x)", influxql.Boolean, 0, 10, []Point{bp(1, true), bp(2, false), bp(3, false)})
	samePoints(t, "min bool", got, []Point{bp(2, false)})
	got = reduce(t, "first(x)", influxql.String, 0, 10, []Point{sp(3, "c"), sp(3, "d"), sp(4, "a")})
	samePoints(t, "first string tie", got, []Point{sp(3, "d")})
	got = reduce(t, "last(x)", influxql.Boolean, 0, 10, []Point{bp(3, true), bp(4, false), bp(4, true)})
	samePoints(t, "last bool tie", got, []Point{bp(4, true)})
	got = reduce(t, "first(x)", influxql.Boolean, 0, 10, []Point{bp(3, true), bp(3, false)})
	samePoints(t, "first bool tie", got, []Point{bp(3, false)})
	got = reduce(t, "max(x)", influxql.Integer, 0, 10, []Point{ip(1, 4), ip(2, 9), ip(3, 9)})
	samePoints(t, "max int tie", got, []Point{ip(2, 9)})
	got = reduce(t, "min(x)", influxql.Unsigned, 0, 10, []Point{up(1, 4), up(2, 1), up(3, 1)})
	samePoints(t, "min unsigned", got, []Point{up(2, 1)})
	got = reduce(t, "percentile(x, 50)", influxql.Integer, 0, 10, []Point{ip(1, 4), ip(2, 1), ip(3, 9), ip(4, 2)})
	samePoints(t, "percentile int", got, []Point{ip(4, 2)})
	got = reduce(t, "sample(x, 10)", influxql.String, 0, 10, []Point{sp(1, "a"), sp(2, "b")})
	samePoints(t, "sample all", got, []Point{sp(1, "a"), sp(2, "b")})

	// Fed newest first (ORDER BY time DESC), multi-point selectors and
	// distinct() list newest first, as InfluxDB 1.8 does.
	got = reduce(t, "sample(x, 10)", influxql.String, 0, 10, []Point{sp(2, "b"), sp(1, "a")})
	samePoints(t, "sample desc", got, []Point{sp(2, "b"), sp(1, "a")})
	desc := []Point{fp(18, 0), fp(17, 0), fp(11, 2.5), fp(6, 0.5)}
	samePoints(t, "top desc", reduce(t, "top(x, 3)", influxql.Float, 0, 20, desc), []Point{fp(17, 0), fp(11, 2.5), fp(6, 0.5)})
	samePoints(t, "distinct desc", reduce(t, "distinct(x)", influxql.Float, 0, 20, desc), []Point{fp(0, 0), fp(0, 2.5), fp(0, 0.5)})
	got = reduce(t, "integral(x, 1ns)", influxql.Float, 0, 20, desc)
	samePoints(t, "integral desc", got, reduce(t, "integral(x, 1ns)", influxql.Float, 0, 20, reversed(desc)))
}

func TestSample(t *testing.T) {
	pts := series(0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	r, err := NewReducer(mustCall(t, "sample(x, 3)"), influxql.Float)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for round := 0; round < 200; round++ {
		for _, p := range pts {
			r.Add(p)
		}
		out := r.Emit(0, 100)
		if len(out) != 3 {
			t.Fatalf("sample: %d points", len(out))
		}
		for i := range out {
			if i > 0 && out[i].Time <= out[i-1].Time {
				t.Fatalf("sample not in time order: %v", out)
			}
			if out[i].F != float64(out[i].Time+1) || out[i].Aux != int(out[i].Time) {
				t.Fatalf("sample changed a point: %+v", out[i])
			}
			seen[out[i].Time]++
		}
	}
	if len(seen) != len(pts) {
		t.Errorf("sample never picked some points: %v", seen)
	}
}

func TestAggregateEdgeCases(t *testing.T) {
	for _, call := range []string{"sum(x)", "mean(x)", "median(x)", "mode(x)", "spread(x)", "stddev(x)",
		"distinct(x)", "integral(x)", "first(x)", "last(x)", "max(x)", "min(x)", "percentile(x, 50)",
		"sample(x, 2)", "top(x, 2)", "bottom(x, 2)", "top(x, host, 2)"} {
		if got := reduce(t, call, influxql.Float, 0, 10, nil); len(got) != 0 {
			t.Errorf("%s of an empty window: %v", call, got)
		}
		if got := reduce(t, call, influxql.Float, 0, 10, []Point{np(1), np(2)}); len(got) != 0 {
			t.Errorf("%s of nulls: %v", call, got)
		}
	}
	samePoints(t, "count empty", reduce(t, "count(x)", influxql.Float, 5, 10, nil), []Point{ip(5, 0)})
	samePoints(t, "count nulls", reduce(t, "count(x)", influxql.String, 5, 10, []Point{np(6), sp(7, "")}), []Point{ip(5, 1)})
	samePoints(t, "count(distinct) empty", reduce(t, "count(distinct(x))", influxql.Float, 5, 10, nil), []Point{ip(5, 0)})

	one := []Point{fp(3, 4.5)}
	samePoints(t, "stddev single", reduce(t, "stddev(x)", influxql.Float, 0, 10, one), []Point{fp(0, math.NaN())})
	samePoints(t, "stddev one number", reduce(t, "stddev(x)", influxql.Float, 0, 10, []Point{fp(1, math.NaN()), fp(2, 3)}), []Point{fp(0, math.NaN())})
	samePoints(t, "median single", reduce(t, "median(x)", influxql.Float, 0, 10, one), []Point{fp(0, 4.5)})
	samePoints(t, "spread single", reduce(t, "spread(x)", influxql.Float, 0, 10, one), []Point{fp(0, 0)})
	samePoints(t, "integral single", reduce(t, "integral(x)", influxql.Float, 0, 10, one), []Point{fp(0, 0)})
	samePoints(t, "integral single at start", reduce(t, "integral(x)", influxql.Float, 3, 10, one), nil)

	samePoints(t, "sum wraps", reduce(t, "sum(x)", influxql.Integer, 0, 10, []Point{ip(1, math.MaxInt64), ip(2, 1)}), []Point{ip(0, math.MinInt64)})
	samePoints(t, "sum unsigned wraps", reduce(t, "sum(x)", influxql.Unsigned, 0, 10, []Point{up(1, math.MaxUint64), up(2, 2)}), []Point{up(0, 1)})
	samePoints(t, "mean no overflow", reduce(t, "mean(x)", influxql.Integer, 0, 10, []Point{ip(1, math.MaxInt64), ip(2, math.MaxInt64)}), []Point{fp(0, math.MaxInt64)})
	samePoints(t, "mean exact ints", reduce(t, "mean(x)", influxql.Integer, 0, 10, []Point{ip(1, 1<<60), ip(2, 1), ip(3, -(1 << 60))}), []Point{fp(0, 1.0/3)})
	samePoints(t, "mean unsigned", reduce(t, "mean(x)", influxql.Unsigned, 0, 10, []Point{up(1, math.MaxUint64), up(2, math.MaxUint64)}), []Point{fp(0, math.MaxUint64)})
	samePoints(t, "median ints", reduce(t, "median(x)", influxql.Integer, 0, 10, []Point{ip(1, 4), ip(2, 1), ip(3, 2), ip(4, 9)}), []Point{fp(0, 3)})
	samePoints(t, "spread ints", reduce(t, "spread(x)", influxql.Integer, 0, 10, []Point{ip(1, 4), ip(2, -1)}), []Point{ip(0, 5)})
	samePoints(t, "stddev ints", reduce(t, "stddev(x)", influxql.Integer, 0, 10, []Point{ip(1, 2), ip(2, 4), ip(3, 4), ip(4, 4), ip(5, 5), ip(6, 5), ip(7, 7), ip(8, 9)}), []Point{fp(0, math.Sqrt(32.0/7))})

	inf, nan := math.Inf(1), math.NaN()
	samePoints(t, "mean inf", reduce(t, "mean(x)", influxql.Float, 0, 10, []Point{fp(1, 1), fp(2, inf)}), []Point{fp(0, inf)})
	samePoints(t, "sum nan", reduce(t, "sum(x)", influxql.Float, 0, 10, []Point{fp(1, 1), fp(2, nan)}), []Point{fp(0, nan)})
	samePoints(t, "max skips later nan", reduce(t, "max(x)", influxql.Float, 0, 10, []Point{fp(1, 1), fp(2, nan), fp(3, 2)}), []Point{fp(3, 2)})
	samePoints(t, "stddev skips nan", reduce(t, "stddev(x)", influxql.Float, 0, 10, []Point{fp(1, 1), fp(2, nan), fp(3, 3)}), []Point{fp(0, math.Sqrt2)})
	samePoints(t, "max inf", reduce(t, "max(x)", influxql.Float, 0, 10, []Point{fp(1, 1), fp(2, inf)}), []Point{fp(2, inf)})

	// A reducer serves window after window.
	r, _ := NewReducer(mustCall(t, "median(x)"), influxql.Float)
	r.Add(fp(1, 1))
	r.Add(fp(2, 3))
	samePoints(t, "median w1", r.Emit(0, 10), []Point{fp(0, 2)})
	samePoints(t, "median w2", r.Emit(10, 20), nil)
	r.Add(fp(21, 7))
	samePoints(t, "median w3", r.Emit(20, 30), []Point{fp(20, 7)})
}

func TestReducerTypeErrors(t *testing.T) {
	tests := []struct {
		call string
		in   influxql.DataType
		ok   bool
	}{
		{"mean(x)", influxql.String, false},
		{"mean(x)", influxql.Boolean, false},
		{"sum(x)", influxql.String, false},
		{"median(x)", influxql.Boolean, false},
		{"spread(x)", influxql.String, false},
		{"stddev(x)", influxql.String, false},
		{"integral(x)", influxql.Boolean, false},
		{"percentile(x, 5)", influxql.String, false},
		{"top(x, 2)", influxql.String, false},
		{"bottom(x, 2)", influxql.Boolean, false},
		{"max(x)", influxql.String, false},
		{"max(x)", influxql.Boolean, true},
		{"min(x)", influxql.Boolean, true},
		{"first(x)", influxql.String, true},
		{"last(x)", influxql.Boolean, true},
		{"distinct(x)", influxql.String, true},
		{"mode(x)", influxql.Boolean, true},
		{"count(x)", influxql.String, true},
		{"sample(x, 2)", influxql.Boolean, true},
		{"count(distinct(x))", influxql.String, true},
		{"mean(x)", influxql.Unknown, true},
		{"mean(x)", influxql.Unsigned, true},
	}
	for _, tt := range tests {
		_, err := NewReducer(mustCall(t, tt.call), tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("NewReducer(%s, %s) = %v", tt.call, tt.in, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("NewReducer(%s, %s): %v is not ErrUnsupportedType", tt.call, tt.in, err)
		}
	}
	_, err := NewReducer(mustCall(t, "mean(x)"), influxql.String)
	if err == nil || err.Error() != "unsupported mean iterator type: string" {
		t.Errorf("mean(string): %v", err)
	}
	if _, err := NewReducer(mustCall(t, "derivative(x)"), influxql.Float); err == nil {
		t.Error("NewReducer(derivative) succeeded")
	}
	if _, err := NewReducer(mustCall(t, "percentile(x)"), influxql.Float); err == nil {
		t.Error("NewReducer(percentile(x)) succeeded")
	}
}

// TestIntegralWindows checks the interpolation across empty windows and
// without the executor's lookahead.
func TestIntegralWindows(t *testing.T) {
	pts := []Point{fp(0, 0), fp(10, 10), fp(35, 10)}
	// Windows of 20: [0,20) holds 0..10 and, to 20, half the way to 35.
	got := windows(t, "integral(x, 1ns)", influxql.Float, 0, 20, 2, pts)
	samePoints(t, "lookahead", got, []Point{fp(0, 50+100), fp(20, 150)})
	// An empty window in between gets nothing; the next takes the whole gap.
	pts = []Point{fp(0, 0), fp(10, 10), fp(50, 10)}
	got = windows(t, "integral(x, 1ns)", influxql.Float, 0, 20, 3, pts)
	samePoints(t, "gap", got, []Point{fp(0, 50+100), fp(40, 300)})
	// Without SetNext a window ends at its last point.
	r, _ := NewReducer(mustCall(t, "integral(x, 1ns)"), influxql.Float)
	r.Add(fp(0, 0))
	r.Add(fp(10, 10))
	samePoints(t, "no lookahead w1", r.Emit(0, 20), []Point{fp(0, 50)})
	r.Add(fp(35, 10))
	samePoints(t, "no lookahead w2", r.Emit(20, 40), []Point{fp(20, 150)})
	// Points at one time: the last counts.
	got = reduce(t, "integral(x, 1ns)", influxql.Integer, -1, 100, []Point{ip(0, 0), ip(0, 2), ip(10, 2)})
	samePoints(t, "duplicate time", got, []Point{fp(-1, 20)})
}
