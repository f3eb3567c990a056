package functions

import "github.com/influxdata/influxql"

// categories maps every InfluxQL 1.x function on values to its category.
var categories = map[string]Category{
	"count": Aggregate, "distinct": Aggregate, "integral": Aggregate, "mean": Aggregate,
	"median": Aggregate, "mode": Aggregate, "spread": Aggregate, "stddev": Aggregate, "sum": Aggregate,

	"bottom": Selector, "first": Selector, "last": Selector, "max": Selector,
	"min": Selector, "percentile": Selector, "sample": Selector, "top": Selector,

	"cumulative_sum": Transform, "derivative": Transform, "difference": Transform,
	"elapsed": Transform, "moving_average": Transform,
	"non_negative_derivative": Transform, "non_negative_difference": Transform,
	"chande_momentum_oscillator":        Transform,
	"exponential_moving_average":        Transform,
	"double_exponential_moving_average": Transform,
	"triple_exponential_moving_average": Transform,
	"kaufmans_efficiency_ratio":         Transform,
	"kaufmans_adaptive_moving_average":  Transform,
	"triple_exponential_derivative":     Transform,
	"relative_strength_index":           Transform,

	"holt_winters": Predictor, "holt_winters_with_fit": Predictor,

	"abs": Math, "acos": Math, "asin": Math, "atan": Math, "atan2": Math, "ceil": Math,
	"cos": Math, "exp": Math, "floor": Math, "ln": Math, "log": Math, "log2": Math,
	"log10": Math, "pow": Math, "round": Math, "sin": Math, "sqrt": Math, "tan": Math,
}

// Lookup classifies a lower-case function name (NotAFunction if unknown).
func Lookup(name string) Category {
	return categories[name]
}

// String returns the category's name, e.g. "aggregate".
func (c Category) String() string {
	switch c {
	case Aggregate:
		return "aggregate"
	case Selector:
		return "selector"
	case Transform:
		return "transform"
	case Predictor:
		return "predictor"
	case Math:
		return "math"
	}
	return "not a function"
}

// OutputType is the type of a function's result for an input type: the
// rules of InfluxDB 1.8's FunctionTypeMapper and MathTypeMapper. Functions
// that compute an average, a rate or a forecast give Float; count() and
// elapsed() give Integer; the others keep the input type (sum(int) is an
// Integer, spread(unsigned) an Unsigned, max(bool) a Boolean).
func OutputType(name string, in influxql.DataType) influxql.DataType {
	switch name {
	case "mean", "median", "integral", "stddev",
		"derivative", "non_negative_derivative", "moving_average",
		"exponential_moving_average", "double_exponential_moving_average",
		"triple_exponential_moving_average", "relative_strength_index",
		"triple_exponential_derivative", "kaufmans_efficiency_ratio",
		"kaufmans_adaptive_moving_average", "chande_momentum_oscillator",
		"holt_winters", "holt_winters_with_fit":
		return influxql.Float
	case "count", "elapsed":
		return influxql.Integer
	case "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp",
		"ln", "log", "log2", "log10", "sqrt", "pow":
		return influxql.Float
	}
	return in
}

// accepts tells whether a function takes input of type in, as InfluxDB
// 1.8 builds an iterator for it. Unknown (a field that does not exist, or
// only nulls) is accepted by every function and yields no values.
func accepts(name string, in influxql.DataType) bool {
	switch in {
	case influxql.Unknown, influxql.Float, influxql.Integer:
		if name == "holt_winters" || name == "holt_winters_with_fit" {
			return true
		}
	}
	switch name {
	case "count", "distinct", "mode", "first", "last", "sample", "elapsed":
		switch in {
		case influxql.Unknown, influxql.Float, influxql.Integer, influxql.Unsigned,
			influxql.String, influxql.Boolean:
			return true
		}
		return false
	case "max", "min":
		switch in {
		case influxql.Unknown, influxql.Float, influxql.Integer, influxql.Unsigned, influxql.Boolean:
			return true
		}
		return false
	case "holt_winters", "holt_winters_with_fit":
		return false
	}
	switch in {
	case influxql.Unknown, influxql.Float, influxql.Integer, influxql.Unsigned:
		return true
	}
	return false
}
