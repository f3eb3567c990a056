package functions

import (
	"fmt"
	"math"

	"github.com/influxdata/influxql"
)

// EvalMath applies a math function (abs, acos, asin, atan, atan2, ceil,
// cos, exp, floor, ln, log, log2, log10, pow, round, sin, sqrt, tan) to its
// evaluated arguments, with InfluxDB 1.8's types: abs, ceil, floor and
// round keep an integer or unsigned argument as it is (abs of an integer is
// an integer), the others give a Float; asin and acos take only floats.
// log(x, b) is the logarithm of x in base b. A null argument gives a null.
// The result has the first argument's time.
func EvalMath(name string, args []Point) (Point, error) {
	want := 1
	switch name {
	case "atan2", "pow", "log":
		want = 2
	case "abs", "acos", "asin", "atan", "ceil", "cos", "exp", "floor", "ln",
		"log2", "log10", "round", "sin", "sqrt", "tan":
	default:
		return Point{}, fmt.Errorf("undefined function %s()", name)
	}
	if len(args) != want {
		return Point{}, fmt.Errorf("invalid number of arguments for %s, expected %d, got %d", name, want, len(args))
	}
	var t int64
	if len(args) > 0 {
		t = args[0].Time
	}
	for i := range args {
		switch args[i].Type {
		case influxql.Unknown:
			return nullPoint(t), nil
		case influxql.Float, influxql.Integer, influxql.Unsigned:
			if (name == "asin" || name == "acos") && args[i].Type != influxql.Float {
				return Point{}, mathTypeError(name, i, args[i].Type)
			}
		default:
			return Point{}, mathTypeError(name, i, args[i].Type)
		}
	}
	a := &args[0]
	switch name {
	case "abs":
		switch a.Type {
		case influxql.Float:
			return floatPoint(t, math.Abs(a.F)), nil
		case influxql.Integer:
			v := a.I
			if v < 0 {
				v = -v // math.MinInt64 stays as it is, as in InfluxDB
			}
			return intPoint(t, v), nil
		}
		return uintPoint(t, a.U), nil
	case "ceil", "floor", "round":
		if a.Type != influxql.Float {
			out := *a
			out.Aux, out.Tag = -1, ""
			return out, nil
		}
		f := math.Ceil
		if name == "floor" {
			f = math.Floor
		} else if name == "round" {
			f = math.Round
		}
		return floatPoint(t, f(a.F)), nil
	}
	x, _ := asFloat(a)
	var v float64
	switch name {
	case "acos":
		v = math.Acos(x)
	case "asin":
		v = math.Asin(x)
	case "atan":
		v = math.Atan(x)
	case "cos":
		v = math.Cos(x)
	case "exp":
		v = math.Exp(x)
	case "ln":
		v = math.Log(x)
	case "log2":
		v = math.Log2(x)
	case "log10":
		v = math.Log10(x)
	case "sin":
		v = math.Sin(x)
	case "sqrt":
		v = math.Sqrt(x)
	case "tan":
		v = math.Tan(x)
	default:
		y, _ := asFloat(&args[1])
		switch name {
		case "atan2":
			v = math.Atan2(x, y)
		case "pow":
			v = math.Pow(x, y)
		case "log":
			v = math.Log(x) / math.Log(y)
		}
	}
	return floatPoint(t, v), nil
}

func mathTypeError(name string, i int, t influxql.DataType) error {
	which := "first"
	if i == 1 {
		which = "second"
	}
	return fmt.Errorf("invalid argument type for the %s argument in %s(): %s", which, name, t)
}
