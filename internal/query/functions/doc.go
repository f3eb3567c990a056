// Package functions implements InfluxQL's functions on values: the
// aggregates and selectors that reduce a window of points, the
// transformations and predictors that map a whole series, and the per-value
// math functions. It knows nothing of storage or of query planning: the
// executor feeds it points and arranges windows, groups and output times.
//
// # Entry points
//
// Lookup classifies a function name, ValidateCall checks a call's
// arguments with InfluxDB 1.8's error texts, OutputType gives a result's
// type. NewReducer builds the Reducer of an aggregate or selector for one
// series of one call; NewTransformer the Transformer of a transformation,
// predictor (holt_winters) or technical analysis function; EvalMath
// applies a math function to one row of evaluated arguments.
//
// # Semantics
//
// Every function follows InfluxDB 1.8's implementation where its
// documentation is silent or wrong: tie rules (max/min/top/bottom keep the
// earliest point, first/last the greatest value at one time, mode picks
// among ties as InfluxDB 1.8 does, booleans true), nearest-rank percentile
// (nothing for rank 0), sample standard deviation (NaN for one point),
// distinct in the order values are first seen, int64 wrap-around in sum
// and cumulative_sum, integral interpolated at window boundaries (see
// Lookahead), derivative per unit with the elapsed time taken as positive
// in descending order, elapsed negative in descending order, Holt-Winters
// fitted with InfluxDB's Nelder-Mead search and quirks, and the gota
// recurrences and hold periods of the technical analysis functions. max()
// and min() take booleans, as InfluxDB 1.8's engine does, although its
// documentation lists only numbers.
//
// A type a function does not take gives a *TypeError from the constructor
// (mean of a string). A point of another type than the reducer's is
// converted if numeric and skipped otherwise; nulls (Type Unknown) are
// skipped everywhere. A NaN float in an output is what InfluxDB calls a
// null float: the encoder shows it as null, and fill() must not replace it
// (stddev of one point, derivative of a NaN).
//
// # Checked against InfluxDB 1.8
//
// crosscheck_test.go (build tag crosscheck) writes random series with
// many ties to a running InfluxDB 1.8.10 and compares every function in
// both time orders, with and without GROUP BY time(), nested in
// transformations and with tag arguments. Known differences, all InfluxDB
// bugs: it panics on chande_momentum_oscillator(x, 1, ...), gives negative
// areas and stray rows for integral() with ORDER BY time DESC (this package
// gives the ascending areas), and answers nothing for a fractional
// percentile with GROUP BY time() in DESC.
//
// # Concurrency and buffers
//
// Reducers and transformers are not safe for concurrent use; build one
// per series and call (they are cheap). Slices returned by Emit, Process
// and the package functions are new and owned by the caller. Points passed
// to Add and Process are copied or only read; the input slice of Process
// is not modified. Add allocates nothing for numeric points once a
// reducer has seen its largest window (values kept for median, percentile,
// mode and stddev live in slices reused across windows).
package functions
