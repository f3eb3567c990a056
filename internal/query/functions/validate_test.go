package functions

import (
	"math"
	"testing"

	"github.com/influxdata/influxql"
)

func TestValidateCall(t *testing.T) {
	tests := []struct {
		call    string
		groupBy bool
		err     string // "" for valid
	}{
		{"count(x)", false, ""},
		{"count(distinct(x))", false, ""},
		{"count(distinct(x), y)", false, "invalid number of arguments for count, expected 1, got 2"},
		{"count(distinct(1))", false, "expected field argument in distinct()"},
		{"mean(x, 1)", false, "invalid number of arguments for mean, expected 1, got 2"},
		{"mean(1)", false, "expected field argument in mean()"},
		{"max(*)", false, ""},
		{"median(/wa/)", false, ""},
		{"foo(x)", false, "undefined function foo()"},
		{"distinct()", false, "distinct function requires at least one argument"},
		{"distinct(x, y)", false, "distinct function can only have one argument"},
		{"percentile(x)", false, "invalid number of arguments for percentile, expected 2, got 1"},
		{"percentile(x, 'a')", false, "expected float argument in percentile()"},
		{"percentile(x, 5.5)", false, ""},
		{"sample(x, 0)", false, "sample window must be greater than 1, got 0"},
		{"sample(x, 1.5)", false, "expected integer argument in sample()"},
		{"top(x)", false, "invalid number of arguments for top, expected at least 2, got 1"},
		{"top(x, 0)", false, "limit (0) in top function must be at least 1"},
		{"top(x, 'a')", false, "expected integer as last argument in top(), found 'a'"},
		{"bottom(1, 2)", false, "expected first argument to be a field in bottom(), found 1"},
		{"top(x, 'host', 2)", false, "only fields or tags are allowed in top(), found 'host'"},
		{"top(x, host, 2)", false, ""},
		{"derivative(x, 1m, 2)", false, "invalid number of arguments for derivative, expected at least 1 but no more than 2, got 3"},
		{"derivative(x, 5)", false, "second argument to derivative must be a duration, got *influxql.IntegerLiteral"},
		{"derivative(x, 0s)", false, "duration argument must be positive, got 0s"},
		{"derivative(mean(x))", false, "derivative aggregate requires a GROUP BY interval"},
		{"derivative(mean(x))", true, ""},
		{"derivative(x)", true, "aggregate function required inside the call to derivative"},
		{"non_negative_derivative(max(x), 1s)", true, ""},
		{"derivative(mean(x, y))", true, "invalid number of arguments for mean, expected 1, got 2"},
		{"difference(x, 1)", false, "invalid number of arguments for difference, expected 1, got 2"},
		{"non_negative_difference(x)", true, "aggregate function required inside the call to non_negative_difference"},
		{"cumulative_sum(count(distinct(x)))", true, ""},
		{"elapsed(x, 1)", false, "second argument to elapsed must be a duration, got *influxql.IntegerLiteral"},
		{"elapsed(x, 1ms)", false, ""},
		{"moving_average(x)", false, "invalid number of arguments for moving_average, expected 2, got 1"},
		{"moving_average(x, 1)", false, "moving_average window must be greater than 1, got 1"},
		{"moving_average(x, 'a')", false, "second argument for moving_average must be an integer, got *influxql.StringLiteral"},
		{"moving_average(mean(x), 3)", false, "moving_average aggregate requires a GROUP BY interval"},
		{"integral(x, 1)", false, "second argument must be a duration"},
		{"integral(x, 1m, 2)", false, "invalid number of arguments for integral, expected at least 1 but no more than 2, got 3"},
		{"integral(x, 1m)", false, ""},
		{"holt_winters(x, 1, 2)", true, "must use aggregate function with holt_winters"},
		{"holt_winters(mean(x), 1, 2)", false, "holt_winters aggregate requires a GROUP BY interval"},
		{"holt_winters(mean(x), 0, 2)", true, "second arg to holt_winters must be greater than 0, got 0"},
		{"holt_winters_with_fit(mean(x), 1, -1)", true, "third arg to holt_winters_with_fit cannot be negative, got -1"},
		{"holt_winters(mean(x), 1)", true, "invalid number of arguments for holt_winters, expected 3, got 2"},
		{"holt_winters(mean(x), 1.5, 1)", true, "expected integer argument as second arg in holt_winters"},
		{"holt_winters(first(x), 10, 4)", true, ""},
		{"exponential_moving_average(x)", false, "invalid number of arguments for exponential_moving_average, expected at least 2 but no more than 4, got 1"},
		{"exponential_moving_average(x, 0)", false, "exponential_moving_average period must be greater than or equal to 1"},
		{"exponential_moving_average(x, 2.5)", false, "exponential_moving_average period must be an integer"},
		{"exponential_moving_average(x, 2, -2)", false, "exponential_moving_average hold period must be greater than or equal to 0"},
		{"triple_exponential_derivative(x, 2, 0)", false, "triple_exponential_derivative hold period must be greater than or equal to 1"},
		{"relative_strength_index(x, 2, -1, 'none')", false, "relative_strength_index warmup type must be one of: 'exponential' 'simple'"},
		{"relative_strength_index(x, 2, -1, 3)", false, "relative_strength_index warmup type must be a string"},
		{"double_exponential_moving_average(mean(x), 2, 1, 'simple')", true, ""},
		{"kaufmans_efficiency_ratio(x, 2, 1, 'simple')", false, "invalid number of arguments for kaufmans_efficiency_ratio, expected at least 2 but no more than 3, got 4"},
		{"kaufmans_adaptive_moving_average(x, 2, 'a')", false, "kaufmans_adaptive_moving_average hold period must be an integer"},
		{"chande_momentum_oscillator(x, 2, -1, 'none')", false, ""},
		{"chande_momentum_oscillator(x, 2, -1, 'fast')", false, "chande_momentum_oscillator warmup type must be one of: 'none' 'exponential' 'simple'"},
		{"chande_momentum_oscillator(x, 2)", true, "aggregate function required inside the call to chande_momentum_oscillator"},
		{"abs(x, 1)", false, "invalid number of arguments for abs, expected 1, got 2"},
		{"pow(x)", false, "invalid number of arguments for pow, expected 2, got 1"},
		{"log(x, 2)", false, ""},
		{"abs(mean(x))", true, ""},
		{"abs(mean(x, 2))", true, "invalid number of arguments for mean, expected 1, got 2"},
	}
	for _, tt := range tests {
		err := ValidateCall(mustCall(t, tt.call), tt.groupBy)
		var got string
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("ValidateCall(%s, %v) = %q, want %q", tt.call, tt.groupBy, got, tt.err)
		}
	}
}

func TestLookupAndOutputType(t *testing.T) {
	for name, want := range map[string]Category{
		"count": Aggregate, "integral": Aggregate, "percentile": Selector, "sample": Selector,
		"elapsed": Transform, "relative_strength_index": Transform, "holt_winters_with_fit": Predictor,
		"log10": Math, "atan2": Math, "histogram": NotAFunction, "COUNT": NotAFunction, "": NotAFunction,
	} {
		if got := Lookup(name); got != want {
			t.Errorf("Lookup(%q) = %v, want %v", name, got, want)
		}
	}
	tests := []struct {
		name    string
		in, out influxql.DataType
	}{
		{"mean", influxql.Integer, influxql.Float},
		{"count", influxql.String, influxql.Integer},
		{"sum", influxql.Integer, influxql.Integer},
		{"sum", influxql.Unsigned, influxql.Unsigned},
		{"max", influxql.Boolean, influxql.Boolean},
		{"first", influxql.String, influxql.String},
		{"median", influxql.Integer, influxql.Float},
		{"mode", influxql.Integer, influxql.Integer},
		{"spread", influxql.Integer, influxql.Integer},
		{"stddev", influxql.Integer, influxql.Float},
		{"integral", influxql.Integer, influxql.Float},
		{"percentile", influxql.Integer, influxql.Integer},
		{"difference", influxql.Integer, influxql.Integer},
		{"cumulative_sum", influxql.Integer, influxql.Integer},
		{"derivative", influxql.Integer, influxql.Float},
		{"moving_average", influxql.Integer, influxql.Float},
		{"elapsed", influxql.String, influxql.Integer},
		{"holt_winters", influxql.Integer, influxql.Float},
		{"kaufmans_efficiency_ratio", influxql.Integer, influxql.Float},
		{"abs", influxql.Integer, influxql.Integer},
		{"round", influxql.Integer, influxql.Integer},
		{"sqrt", influxql.Integer, influxql.Float},
		{"pow", influxql.Integer, influxql.Float},
	}
	for _, tt := range tests {
		if got := OutputType(tt.name, tt.in); got != tt.out {
			t.Errorf("OutputType(%s, %s) = %s, want %s", tt.name, tt.in, got, tt.out)
		}
	}
}

func TestEvalMath(t *testing.T) {
	t0 := santaMonicaT0
	tests := []struct {
		name string
		args []Point
		want Point
	}{
		{"exp", []Point{fp(t0, 2.064)}, fp(t0, 7.877416541092307)},
		{"exp", []Point{fp(t0, 2.0460000000000003)}, fp(t0, 7.736891562315577)},
		{"cos", []Point{fp(t0, 2.116)}, fp(t0, -0.5185922462666872)},
		{"abs", []Point{fp(1, -0.774984088561186)}, fp(1, 0.774984088561186)},
		{"abs", []Point{ip(1, -5)}, ip(1, 5)},
		{"abs", []Point{ip(1, math.MinInt64)}, ip(1, math.MinInt64)},
		{"abs", []Point{up(1, 5)}, up(1, 5)},
		{"floor", []Point{fp(1, 2.9)}, fp(1, 2)},
		{"floor", []Point{ip(1, 3)}, ip(1, 3)},
		{"ceil", []Point{fp(1, 2.1)}, fp(1, 3)},
		{"round", []Point{fp(1, 2.5)}, fp(1, 3)},
		{"round", []Point{fp(1, -2.5)}, fp(1, -3)},
		{"round", []Point{fp(1, 2.4999)}, fp(1, 2)},
		{"sqrt", []Point{ip(1, 16)}, fp(1, 4)},
		{"sqrt", []Point{fp(1, -1)}, fp(1, math.NaN())},
		{"ln", []Point{fp(1, math.E)}, fp(1, 1)},
		{"log", []Point{fp(1, 8), ip(1, 2)}, fp(1, 3)},
		{"log2", []Point{up(1, 8)}, fp(1, 3)},
		{"log10", []Point{fp(1, 1000)}, fp(1, 3)},
		{"pow", []Point{ip(1, 2), fp(1, 10)}, fp(1, 1024)},
		{"atan2", []Point{fp(1, 1), fp(1, 1)}, fp(1, math.Pi/4)},
		{"asin", []Point{fp(1, 1)}, fp(1, math.Pi/2)},
		{"acos", []Point{fp(1, 1)}, fp(1, 0)},
		{"atan", []Point{fp(1, 0)}, fp(1, 0)},
		{"sin", []Point{fp(1, 0)}, fp(1, 0)},
		{"tan", []Point{fp(1, 0)}, fp(1, 0)},
		{"abs", []Point{np(1)}, np(1)},
		{"pow", []Point{fp(1, 2), np(1)}, np(1)},
	}
	for _, tt := range tests {
		got, err := EvalMath(tt.name, tt.args)
		if err != nil {
			t.Errorf("EvalMath(%s, %v): %v", tt.name, tt.args, err)
			continue
		}
		samePoints(t, tt.name, []Point{got}, []Point{tt.want})
	}
	for _, bad := range []struct {
		name string
		args []Point
		err  string
	}{
		{"abs", []Point{sp(1, "a")}, "invalid argument type for the first argument in abs(): string"},
		{"pow", []Point{fp(1, 1), bp(1, true)}, "invalid argument type for the second argument in pow(): boolean"},
		{"asin", []Point{ip(1, 1)}, "invalid argument type for the first argument in asin(): integer"},
		{"pow", []Point{fp(1, 1)}, "invalid number of arguments for pow, expected 2, got 1"},
		{"mean", []Point{fp(1, 1)}, "undefined function mean()"},
	} {
		_, err := EvalMath(bad.name, bad.args)
		if err == nil || err.Error() != bad.err {
			t.Errorf("EvalMath(%s, %v) = %v, want %q", bad.name, bad.args, err, bad.err)
		}
	}
}
