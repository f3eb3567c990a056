package functions

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/influxdata/influxql"
)

func reversed(pts []Point) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

func TestTransformsDocExamples(t *testing.T) {
	t0 := santaMonicaT0
	at := func(k int) int64 { return t0 + int64(k)*6*minute }
	desc := TransformOptions{Descending: true}
	tests := []struct {
		name string
		call string
		opts TransformOptions
		in   []Point
		want []Point
	}{
		{"derivative", "derivative(x)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.00014444444444444457), fp(at(2), -0.00024444444444444465), fp(at(3), 0.0002722222222222218),
			fp(at(4), -0.000236111111111111), fp(at(5), 2.777777777777842e-05)}},
		{"derivative 6m", "derivative(x, 6m)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.052000000000000046), fp(at(2), -0.08800000000000008), fp(at(3), 0.09799999999999986),
			fp(at(4), -0.08499999999999996), fp(at(5), 0.010000000000000231)}},
		{"derivative 3m", "derivative(x, 3m)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.026000000000000023), fp(at(2), -0.04400000000000004), fp(at(3), 0.04899999999999993),
			fp(at(4), -0.04249999999999998), fp(at(5), 0.0050000000000001155)}},
		{"derivative 2m", "derivative(x, 2m)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.01733333333333335), fp(at(2), -0.02933333333333336), fp(at(3), 0.03266666666666662),
			fp(at(4), -0.02833333333333332), fp(at(5), 0.0033333333333334103)}},
		// InfluxDB's documentation gives -0.0002722222222222218 at 00:12.
		{"derivative desc", "derivative(x)", desc, reversed(santaMonica()), []Point{
			fp(at(4), -2.777777777777842e-05), fp(at(3), 0.000236111111111111), fp(at(2), -0.0002722222222222218),
			fp(at(1), 0.00024444444444444465), fp(at(0), -0.00014444444444444457)}},
		{"non_negative_derivative", "non_negative_derivative(x, 6m)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.052000000000000046), fp(at(3), 0.09799999999999986), fp(at(5), 0.010000000000000231)}},
		{"difference", "difference(x)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.052000000000000046), fp(at(2), -0.08800000000000008), fp(at(3), 0.09799999999999986),
			fp(at(4), -0.08499999999999996), fp(at(5), 0.010000000000000231)}},
		{"difference desc", "difference(x)", desc, reversed(santaMonica()), []Point{
			fp(at(4), -0.010000000000000231), fp(at(3), 0.08499999999999996), fp(at(2), -0.09799999999999986),
			fp(at(1), 0.08800000000000008), fp(at(0), -0.052000000000000046)}},
		{"non_negative_difference", "non_negative_difference(x)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 0.052000000000000046), fp(at(3), 0.09799999999999986), fp(at(5), 0.010000000000000231)}},
		{"cumulative_sum", "cumulative_sum(x)", TransformOptions{}, santaMonica(), []Point{
			fp(at(0), 2.064), fp(at(1), 4.18), fp(at(2), 6.208), fp(at(3), 8.334), fp(at(4), 10.375), fp(at(5), 12.426)}},
		{"cumulative_sum desc", "cumulative_sum(x)", desc, reversed(santaMonica()), []Point{
			fp(at(5), 2.051), fp(at(4), 4.092), fp(at(3), 6.218), fp(at(2), 8.246), fp(at(1), 10.362), fp(at(0), 12.426)}},
		{"elapsed", "elapsed(x)", TransformOptions{}, santaMonica()[:3], []Point{ip(at(1), int64(6*time.Minute)), ip(at(2), int64(6*time.Minute))}},
		{"elapsed 1m", "elapsed(x, 1m)", TransformOptions{}, santaMonica()[:3], []Point{ip(at(1), 6), ip(at(2), 6)}},
		{"elapsed 7m", "elapsed(x, 7m)", TransformOptions{}, santaMonica()[:2], []Point{ip(at(1), 0)}},
		{"moving_average", "moving_average(x, 2)", TransformOptions{}, santaMonica(), []Point{
			fp(at(1), 2.09), fp(at(2), 2.072), fp(at(3), 2.077), fp(at(4), 2.0835), fp(at(5), 2.0460000000000003)}},
		{"moving_average 4", "moving_average(x, 4)", TransformOptions{}, santaMonica(), []Point{
			fp(at(3), (2.064+2.116+2.028+2.126)/4), fp(at(4), (2.116+2.028+2.126+2.041)/4), fp(at(5), (2.028+2.126+2.041+2.051)/4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transform(t, tt.call, tt.opts, tt.in)
			samePoints(t, tt.call, got, tt.want)
		})
	}
}

func TestDerivativeOfMeans(t *testing.T) {
	// derivative(mean(water_level)) GROUP BY time(12m): the unit defaults to the interval.
	w := 12 * minute
	means := windows(t, "mean(x)", influxql.Float, santaMonicaT0, w, 3, santaMonica())
	got := transform(t, "derivative(mean(x))", TransformOptions{Interval: w}, means)
	samePoints(t, "derivative(mean)", got, []Point{fp(santaMonicaT0+w, -0.0129999999999999), fp(santaMonicaT0+2*w, -0.030999999999999694)})
	got = transform(t, "derivative(mean(x), 6m)", TransformOptions{Interval: w}, means)
	samePoints(t, "derivative(mean, 6m)", got, []Point{fp(santaMonicaT0+w, -0.00649999999999995), fp(santaMonicaT0+2*w, -0.015499999999999847)})
	got = transform(t, "cumulative_sum(mean(x))", TransformOptions{Interval: w}, means)
	samePoints(t, "cumulative_sum(mean)", got, []Point{fp(santaMonicaT0, 2.09), fp(santaMonicaT0+w, 4.167), fp(santaMonicaT0+2*w, 6.213)})
}

func TestTransformTypesAndNulls(t *testing.T) {
	ints := []Point{ip(1, 5), np(2), ip(3, 2), ip(3, 9), ip(4, math.MaxInt64), np(5), ip(6, 1)}
	samePoints(t, "difference int", transform(t, "difference(x)", TransformOptions{}, ints),
		[]Point{ip(3, -3), ip(4, math.MaxInt64-2), ip(6, 1-math.MaxInt64)})
	samePoints(t, "non_negative_difference int", transform(t, "non_negative_difference(x)", TransformOptions{}, ints),
		[]Point{ip(4, math.MaxInt64-2)})
	samePoints(t, "cumulative_sum int wraps", transform(t, "cumulative_sum(x)", TransformOptions{}, []Point{ip(1, math.MaxInt64), ip(2, 2)}),
		[]Point{ip(1, math.MaxInt64), ip(2, math.MinInt64+1)})
	samePoints(t, "derivative int", transform(t, "derivative(x, 1ns)", TransformOptions{}, []Point{ip(1, 5), ip(3, 2)}),
		[]Point{fp(3, -1.5)})
	samePoints(t, "difference unsigned", transform(t, "difference(x)", TransformOptions{}, []Point{up(1, 5), up(2, 2), up(3, 7)}),
		[]Point{up(2, math.MaxUint64-2), up(3, 5)})
	samePoints(t, "non_negative_difference unsigned", transform(t, "non_negative_difference(x)", TransformOptions{}, []Point{up(1, 5), up(2, 2), up(3, 7)}),
		[]Point{up(3, 5)})
	samePoints(t, "elapsed strings", transform(t, "elapsed(x, 1ns)", TransformOptions{}, []Point{sp(1, "a"), np(2), sp(4, "b"), sp(4, "c")}),
		[]Point{ip(4, 3), ip(4, 0)})
	samePoints(t, "elapsed desc", transform(t, "elapsed(x, 1ns)", TransformOptions{Descending: true}, []Point{bp(4, true), bp(1, false)}),
		[]Point{ip(1, -3)})
	samePoints(t, "moving_average nulls", transform(t, "moving_average(x, 2)", TransformOptions{}, []Point{ip(1, 1), np(2), ip(3, 2), ip(4, 4)}),
		[]Point{fp(3, 1.5), fp(4, 3)})
	samePoints(t, "moving_average exact ints", transform(t, "moving_average(x, 2)", TransformOptions{}, []Point{ip(1, 1<<62+1), ip(2, 1), ip(3, 2)}),
		[]Point{fp(2, float64(1<<62+2)/2), fp(3, 1.5)})
	samePoints(t, "moving_average short", transform(t, "moving_average(x, 3)", TransformOptions{}, []Point{fp(1, 1), fp(2, 2)}), nil)
	samePoints(t, "derivative nan", transform(t, "derivative(x, 1ns)", TransformOptions{}, []Point{fp(1, 1), fp(2, math.NaN()), fp(3, 2)}),
		[]Point{fp(2, math.NaN()), fp(3, math.NaN())})
	samePoints(t, "derivative duplicate time", transform(t, "derivative(x, 1ns)", TransformOptions{}, []Point{fp(1, 1), fp(1, 100), fp(2, 2)}),
		[]Point{fp(2, 1)})
	for _, call := range []string{"derivative(x)", "difference(x)", "cumulative_sum(x)", "moving_average(x, 2)", "elapsed(x)",
		"exponential_moving_average(x, 2)", "holt_winters(mean(x), 2, 0)"} {
		if got := transform(t, call, TransformOptions{Interval: sec}, nil); len(got) != 0 {
			t.Errorf("%s of nothing: %v", call, got)
		}
		if got := transform(t, call, TransformOptions{Interval: sec}, []Point{np(1), np(2)}); len(got) != 0 {
			t.Errorf("%s of nulls: %v", call, got)
		}
		if got := transform(t, call, TransformOptions{Interval: sec}, []Point{fp(1, 1)}); len(got) != 0 && call != "cumulative_sum(x)" {
			t.Errorf("%s of one point: %v", call, got)
		}
	}
}

func TestTransformerTypeErrors(t *testing.T) {
	tests := []struct {
		call string
		in   influxql.DataType
		ok   bool
	}{
		{"derivative(x)", influxql.String, false},
		{"non_negative_derivative(x)", influxql.Boolean, false},
		{"difference(x)", influxql.String, false},
		{"cumulative_sum(x)", influxql.Boolean, false},
		{"moving_average(x, 2)", influxql.String, false},
		{"elapsed(x)", influxql.String, true},
		{"elapsed(x)", influxql.Boolean, true},
		{"holt_winters(mean(x), 1, 0)", influxql.Unsigned, false},
		{"holt_winters(mean(x), 1, 0)", influxql.Integer, true},
		{"relative_strength_index(x, 3)", influxql.String, false},
		{"difference(x)", influxql.Unsigned, true},
	}
	for _, tt := range tests {
		_, err := NewTransformer(mustCall(t, tt.call), TransformOptions{In: tt.in})
		if tt.ok != (err == nil) {
			t.Errorf("NewTransformer(%s, %s) = %v", tt.call, tt.in, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("NewTransformer(%s, %s): %v is not ErrUnsupportedType", tt.call, tt.in, err)
		}
	}
	// Without a declared type a string series gives nothing.
	if got := transform(t, "derivative(x)", TransformOptions{}, []Point{sp(1, "a"), sp(2, "b")}); len(got) != 0 {
		t.Errorf("derivative of strings: %v", got)
	}
	for _, call := range []string{"mean(x)", "derivative(x, 1)", "moving_average(x, 1)", "abs(x)"} {
		if _, err := NewTransformer(mustCall(t, call), TransformOptions{}); err == nil {
			t.Errorf("NewTransformer(%s) succeeded", call)
		}
	}
}

func TestHoltWintersEdges(t *testing.T) {
	// Times are rounded to the interval; output spacing is the interval.
	s := int64(time.Second)
	in := []Point{fp(0, 1), fp(1*s+103e6, 10), fp(2*s-223e6, 2), fp(3*s+481e6, 11)}
	got := transform(t, "holt_winters(mean(x), 2, 2)", TransformOptions{Interval: s}, in)
	if len(got) != 2 || got[0].Time != 3*s+481e6+s || got[1].Time != 3*s+481e6+2*s {
		t.Errorf("holt_winters times: %v", got)
	}
	got = transform(t, "holt_winters_with_fit(mean(x), 2, 2)", TransformOptions{Interval: s}, in)
	if len(got) != 6 {
		t.Errorf("holt_winters_with_fit: %d points", len(got))
	}
	// Descending input gives descending output.
	got = transform(t, "holt_winters(mean(x), 3, 0)", TransformOptions{Interval: s, Descending: true}, reversed(series(0, s, 1, 2, 3, 4, 5)))
	if len(got) != 3 || got[0].Time != 7*s || got[2].Time != 5*s {
		t.Errorf("holt_winters desc: %v", got)
	}
	// Too few points for the season, or no interval.
	if got := transform(t, "holt_winters(mean(x), 3, 4)", TransformOptions{Interval: s}, series(0, s, 1, 2, 3)); len(got) != 0 {
		t.Errorf("short season: %v", got)
	}
	if got := transform(t, "holt_winters(mean(x), 3, 0)", TransformOptions{}, series(0, s, 1, 2, 3)); len(got) != 0 {
		t.Errorf("no interval: %v", got)
	}
}

// TestHugeArguments checks that huge periods, sizes and horizons cost
// memory in proportion to the input, not to the argument.
func TestHugeArguments(t *testing.T) {
	in := series(0, sec, 1, 3, 2, 5, 4)
	for _, call := range []string{"chande_momentum_oscillator(x, 2000000000, 0)", "kaufmans_efficiency_ratio(x, 2000000000, 0)",
		"kaufmans_adaptive_moving_average(x, 2000000000, 0)", "exponential_moving_average(x, 2000000000, 0)",
		"moving_average(x, 2000000000)", "holt_winters(mean(x), 2000000000, 0)", "holt_winters_with_fit(mean(x), 3, 2000000000)"} {
		allocs := testing.AllocsPerRun(1, func() {
			transform(t, call, TransformOptions{Interval: sec}, in)
		})
		if allocs > 2000 {
			t.Errorf("%s: %.0f allocations", call, allocs)
		}
	}
	got := transform(t, "chande_momentum_oscillator(x, 2000000000, 0)", TransformOptions{}, in)
	samePoints(t, "cmo huge period", got, []Point{fp(0, 0), fp(sec, 100), fp(2*sec, 100*(2-1)/3.0), fp(3*sec, 100*(5-1)/6.0), fp(4*sec, 100*(5-2)/7.0)})
	for _, call := range []string{"sample(x, 2000000000)", "top(x, 2000000000)", "bottom(x, 2000000000)"} {
		if got := reduce(t, call, influxql.Float, 0, 10*sec, in); len(got) != len(in) {
			t.Errorf("%s: %d points", call, len(got))
		}
	}
}
