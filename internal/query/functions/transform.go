package functions

import (
	"fmt"
	"time"

	"github.com/influxdata/influxql"
)

// NewTransformer returns the transformer for a transformation, predictor
// or technical-analysis call. call.Args[0] is the field or the nested
// aggregate (already computed by the caller); further arguments are
// literals, checked by ValidateCall. A transformer is not safe for
// concurrent use; Process may be called again for the next series.
func NewTransformer(call *influxql.Call, opts TransformOptions) (Transformer, error) {
	if call == nil {
		return nil, fmt.Errorf("new transformer: nil call")
	}
	name := call.Name
	switch Lookup(name) {
	case Transform, Predictor:
	default:
		return nil, fmt.Errorf("%s() is not a transformation", name)
	}
	if err := checkArgs(call); err != nil {
		return nil, err
	}
	if !accepts(name, opts.In) {
		return nil, &TypeError{Func: name, Type: opts.In}
	}
	args := call.Args
	switch name {
	case "cumulative_sum":
		return &cumulativeSum{opts: opts}, nil
	case "derivative", "non_negative_derivative":
		unit := int64(time.Second)
		if len(args) == 2 {
			unit = int64(args[1].(*influxql.DurationLiteral).Val)
		} else if opts.Interval > 0 {
			unit = opts.Interval
		}
		return &derivative{opts: opts, unit: float64(unit), nonNegative: name == "non_negative_derivative"}, nil
	case "difference", "non_negative_difference":
		return &difference{opts: opts, nonNegative: name == "non_negative_difference"}, nil
	case "elapsed":
		unit := int64(time.Nanosecond)
		if len(args) == 2 {
			unit = int64(args[1].(*influxql.DurationLiteral).Val)
		}
		return &elapsed{unit: unit}, nil
	case "moving_average":
		return &movingAverage{n: int(intArg(args, 1, 0)), opts: opts}, nil
	case "holt_winters", "holt_winters_with_fit":
		return newHoltWinters(int(intArg(args, 1, 0)), int(intArg(args, 2, 0)), name == "holt_winters_with_fit", opts), nil
	}
	return newTechnical(name, args)
}

// checkArgs checks the literal arguments of a transformation; the first
// argument may be a field or a nested call.
func checkArgs(call *influxql.Call) error {
	// Validate as a transformation of a raw field: the nesting rules are
	// the caller's (they depend on GROUP BY time()).
	c := *call
	if len(c.Args) > 0 {
		c.Args = append([]influxql.Expr{&influxql.VarRef{Val: "x"}}, c.Args[1:]...)
	}
	if c.Name == "holt_winters" || c.Name == "holt_winters_with_fit" {
		if len(c.Args) > 0 {
			c.Args[0] = &influxql.Call{Name: "mean", Args: []influxql.Expr{&influxql.VarRef{Val: "x"}}}
		}
		return ValidateCall(&c, true)
	}
	return ValidateCall(&c, false)
}

func intArg(args []influxql.Expr, i int, def int64) int64 {
	if i < len(args) {
		if l, ok := args[i].(*influxql.IntegerLiteral); ok {
			return l.Val
		}
	}
	return def
}

// seriesType is the type a transformation works in: opts.In, or the first
// non-null point's.
func seriesType(in []Point, t influxql.DataType) influxql.DataType {
	if t != influxql.Unknown {
		return t
	}
	for i := range in {
		if in[i].Type != influxql.Unknown {
			return in[i].Type
		}
	}
	return influxql.Unknown
}

func isNumeric(t influxql.DataType) bool {
	return t == influxql.Float || t == influxql.Integer || t == influxql.Unsigned
}

// cumulative_sum() keeps the input type; integers wrap like int64.
type cumulativeSum struct{ opts TransformOptions }

func (c *cumulativeSum) Process(in []Point) []Point {
	typ := seriesType(in, c.opts.In)
	if !isNumeric(typ) {
		return nil
	}
	out := make([]Point, 0, len(in))
	var f float64
	var i int64
	var u uint64
	for _, p := range in {
		if p.Type == influxql.Unknown || !conform(&p, typ) {
			continue
		}
		switch typ {
		case influxql.Float:
			f += p.F
			out = append(out, floatPoint(p.Time, f))
		case influxql.Integer:
			i += p.I
			out = append(out, intPoint(p.Time, i))
		default:
			u += p.U
			out = append(out, uintPoint(p.Time, u))
		}
	}
	return out
}

// derivative() is the rate of change between successive points per unit,
// a Float at the later point's time; non_negative_derivative() drops
// decreases. Of several points at one time the first counts. In
// descending order the elapsed time is taken as positive, as InfluxDB does.
type derivative struct {
	opts        TransformOptions
	unit        float64
	nonNegative bool
}

func (d *derivative) Process(in []Point) []Point {
	typ := seriesType(in, d.opts.In)
	if !isNumeric(typ) {
		return nil
	}
	out := make([]Point, 0, len(in))
	var prevT int64
	var prevV float64
	has := false
	for i := range in {
		p := &in[i]
		v, ok := asFloat(p)
		if !ok {
			continue
		}
		if has && p.Time == prevT {
			continue
		}
		if has {
			diff := v - prevV
			elapsed := p.Time - prevT
			if d.opts.Descending {
				elapsed = -elapsed
			}
			if !d.nonNegative || diff >= 0 {
				out = append(out, floatPoint(p.Time, diff/(float64(elapsed)/d.unit)))
			}
		}
		prevT, prevV, has = p.Time, v, true
	}
	return out
}

// difference() is the change between successive points in the input
// type, at the later point's time; non_negative_difference() drops
// decreases. Of several points at one time the first counts.
type difference struct {
	opts        TransformOptions
	nonNegative bool
}

func (d *difference) Process(in []Point) []Point {
	typ := seriesType(in, d.opts.In)
	if !isNumeric(typ) {
		return nil
	}
	out := make([]Point, 0, len(in))
	var prev Point
	has := false
	for _, p := range in {
		if p.Type == influxql.Unknown || !conform(&p, typ) {
			continue
		}
		if has && p.Time == prev.Time {
			continue
		}
		if has {
			var q Point
			neg := false
			switch typ {
			case influxql.Float:
				q = floatPoint(p.Time, p.F-prev.F)
				neg = q.F < 0
			case influxql.Integer:
				q = intPoint(p.Time, p.I-prev.I)
				neg = q.I < 0
			default:
				q = uintPoint(p.Time, p.U-prev.U)
				neg = p.U < prev.U
			}
			if !d.nonNegative || !neg {
				out = append(out, q)
			}
		}
		prev, has = p, true
	}
	return out
}

// elapsed() is the time between successive points in whole units, an
// Integer at the later point's time (negative in descending order, as in
// InfluxDB). It takes every type.
type elapsed struct{ unit int64 }

func (e *elapsed) Process(in []Point) []Point {
	out := make([]Point, 0, len(in))
	var prevT int64
	has := false
	for i := range in {
		if in[i].Type == influxql.Unknown {
			continue
		}
		if has {
			out = append(out, intPoint(in[i].Time, (in[i].Time-prevT)/e.unit))
		}
		prevT, has = in[i].Time, true
	}
	return out
}

// moving_average() is the mean of the last n points, a Float at the last
// point's time, from the n-th point on. The running sum is kept in the
// input type, as InfluxDB does: exact (wrapping) for integers, sliding
// (with its rounding) for floats.
type movingAverage struct {
	n    int
	opts TransformOptions
}

func (m *movingAverage) Process(in []Point) []Point {
	switch seriesType(in, m.opts.In) {
	case influxql.Integer:
		return slidingMean(in, m.n, asInt)
	case influxql.Unsigned:
		return slidingMean(in, m.n, asUint)
	}
	return slidingMean(in, m.n, asFloat)
}

func slidingMean[T int64 | uint64 | float64](in []Point, n int, get func(*Point) (T, bool)) []Point {
	out := make([]Point, 0, max(len(in)-n+1, 0))
	buf := make([]T, 0, min(n, len(in)))
	pos := 0
	var sum T
	for i := range in {
		v, ok := get(&in[i])
		if !ok {
			continue
		}
		if len(buf) < n {
			buf = append(buf, v)
		} else {
			sum -= buf[pos]
			buf[pos] = v
		}
		sum += v
		if pos++; pos >= n {
			pos = 0
		}
		if len(buf) == n {
			out = append(out, floatPoint(in[i].Time, float64(sum)/float64(n)))
		}
	}
	return out
}
