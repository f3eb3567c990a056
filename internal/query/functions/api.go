package functions

import "github.com/influxdata/influxql"

// Point is one value of a series at a time. Type is influxql.Float, Integer,
// Unsigned, Boolean or String, with the value in F, I, U, B or S; Type
// influxql.Unknown is a null (e.g. a window filled with fill(null)).
type Point struct {
	Time int64
	Type influxql.DataType
	F    float64
	I    int64
	U    uint64
	B    bool
	S    string
	// Aux is the caller's index of the input row a selector picked this
	// point from (the executor uses it to fetch the row's other fields and
	// tags); -1 for computed points.
	Aux int
	// Tag is the combined value of the tag arguments of top()/bottom()
	// (e.g. top(x, host, 3)); empty otherwise.
	Tag string
}

// Category classifies a function name.
type Category int

// Function categories.
const (
	NotAFunction Category = iota
	Aggregate             // count, distinct, integral, mean, median, mode, spread, stddev, sum
	Selector              // bottom, first, last, max, min, percentile, sample, top
	Transform             // cumulative_sum, derivative, difference, elapsed, moving_average, non_negative_*, technical analysis
	Predictor             // holt_winters, holt_winters_with_fit
	Math                  // abs, acos, asin, atan, atan2, ceil, cos, exp, floor, ln, log, log2, log10, pow, round, sin, sqrt, tan
)

// Reducer folds the points of one window of one series into its output
// points. Points arrive in ascending time, or newest first for ORDER BY
// time DESC as InfluxDB feeds its reducers (ties broken by position, like
// mode()'s, and the order of top(), bottom(), sample() and distinct()
// outputs follow it). Emit returns the window's output and resets the
// reducer for the next window (state a function needs across windows,
// like integral's previous point, is kept). One Reducer serves one series
// of one call, windows in ascending order.
type Reducer interface {
	Add(p Point)
	// Emit returns the output for window [start, end). Aggregates return one
	// point with Time = start (or none when nothing was added, except count
	// which returns 0); selectors return the selected points with their own
	// times and Aux.
	Emit(start, end int64) []Point
}

// TransformOptions give a transformation what it needs from the query.
type TransformOptions struct {
	// Interval is the GROUP BY time interval in ns (0 when there is none); it
	// is the default unit of derivative() and the spacing of holt_winters().
	Interval int64
	// Descending is true for ORDER BY time DESC (points then arrive newest first).
	Descending bool
	// In is the input's type when known; NewTransformer then rejects a type
	// the function does not take (difference() of a string). Unknown (the
	// zero value) takes the type of the first non-null point.
	In influxql.DataType
}

// Transformer maps a whole series (in the query's time order) to its output.
// Null points (Type Unknown) are skipped the way InfluxDB 1.x skips them.
type Transformer interface {
	Process(in []Point) []Point
}

// Lookahead is implemented by reducers whose output for a window depends on
// the first point after it: integral() closes a window's area up to its end
// by interpolating between the window's last point and the next point of
// the series, as InfluxDB 1.8 does. Before Emit(start, end), the executor
// passes that next point (the first non-null point at or after end, even
// when it lies windows later) with SetNext; a window emitted without it
// (the last window of the series) ends its area at its last point.
type Lookahead interface {
	Reducer
	SetNext(p Point)
}
