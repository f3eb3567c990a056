package functions

import (
	"errors"
	"fmt"

	"github.com/influxdata/influxql"
)

// ErrUnsupportedType is matched (errors.Is) by the error NewReducer and
// NewTransformer return when a function does not take its input's type,
// e.g. mean() of a string field.
var ErrUnsupportedType = errors.New("unsupported input type")

// TypeError is a function applied to a type it does not take. Its text is
// InfluxDB 1.8's, without the Go iterator type: "unsupported mean iterator
// type: string".
type TypeError struct {
	Func string
	Type influxql.DataType
}

func (e *TypeError) Error() string {
	name := e.Func
	switch name {
	case "cumulative_sum":
		name = "cumulative sum"
	case "moving_average":
		name = "moving average"
	case "non_negative_derivative":
		name = "derivative"
	case "non_negative_difference":
		name = "difference"
	}
	return fmt.Sprintf("unsupported %s iterator type: %s", name, e.Type)
}

// Is makes errors.Is(err, ErrUnsupportedType) true.
func (e *TypeError) Is(target error) bool { return target == ErrUnsupportedType }

// ValidateCall checks a call's arguments the way InfluxDB 1.8's query
// compiler does and returns its error text. hasGroupByTime tells whether
// the statement has GROUP BY time(): a transformation of an aggregate
// (derivative(mean(x))) and holt_winters() need it, and a transformation of
// a raw field must not have it. Nested calls are checked too. Checks that
// need the whole statement (top() combined with other functions, top()'s N
// above the LIMIT) are the caller's.
func ValidateCall(call *influxql.Call, hasGroupByTime bool) error {
	if call == nil {
		return errors.New("validate call: nil call")
	}
	v := validator{groupByTime: hasGroupByTime}
	return v.call(call)
}

type validator struct {
	groupByTime bool
}

// expr checks an argument expression that may contain calls.
func (v validator) expr(e influxql.Expr) error {
	switch e := e.(type) {
	case *influxql.Call:
		return v.call(e)
	case *influxql.Distinct:
		return v.call(e.NewCall())
	case *influxql.ParenExpr:
		return v.expr(e.Expr)
	case *influxql.BinaryExpr:
		if err := v.expr(e.LHS); err != nil {
			return err
		}
		return v.expr(e.RHS)
	}
	return nil
}

func (v validator) call(c *influxql.Call) error {
	switch Lookup(c.Name) {
	case Math:
		return v.math(c)
	case NotAFunction:
		return fmt.Errorf("undefined function %s()", c.Name)
	}
	args := c.Args
	switch c.Name {
	case "percentile":
		if len(args) != 2 {
			return fmt.Errorf("invalid number of arguments for percentile, expected 2, got %d", len(args))
		}
		switch args[1].(type) {
		case *influxql.IntegerLiteral, *influxql.NumberLiteral:
		default:
			return errors.New("expected float argument in percentile()")
		}
		return symbol("percentile", args[0])
	case "sample":
		if len(args) != 2 {
			return fmt.Errorf("invalid number of arguments for sample, expected 2, got %d", len(args))
		}
		n, ok := args[1].(*influxql.IntegerLiteral)
		if !ok {
			return errors.New("expected integer argument in sample()")
		}
		if n.Val <= 0 {
			return fmt.Errorf("sample window must be greater than 1, got %d", n.Val)
		}
		return symbol("sample", args[0])
	case "distinct":
		return distinct(args)
	case "top", "bottom":
		return topBottom(c)
	case "derivative", "non_negative_derivative", "elapsed":
		if len(args) < 1 || len(args) > 2 {
			return fmt.Errorf("invalid number of arguments for %s, expected at least 1 but no more than 2, got %d", c.Name, len(args))
		}
		if len(args) == 2 {
			d, ok := args[1].(*influxql.DurationLiteral)
			if !ok {
				return fmt.Errorf("second argument to %s must be a duration, got %T", c.Name, args[1])
			}
			if d.Val <= 0 {
				return fmt.Errorf("duration argument must be positive, got %s", influxql.FormatDuration(d.Val))
			}
		}
		return v.transformed(c.Name, args[0])
	case "difference", "non_negative_difference", "cumulative_sum":
		if len(args) != 1 {
			return fmt.Errorf("invalid number of arguments for %s, expected 1, got %d", c.Name, len(args))
		}
		return v.transformed(c.Name, args[0])
	case "moving_average":
		if len(args) != 2 {
			return fmt.Errorf("invalid number of arguments for moving_average, expected 2, got %d", len(args))
		}
		n, ok := args[1].(*influxql.IntegerLiteral)
		if !ok {
			return fmt.Errorf("second argument for moving_average must be an integer, got %T", args[1])
		}
		if n.Val <= 1 {
			return fmt.Errorf("moving_average window must be greater than 1, got %d", n.Val)
		}
		return v.transformed(c.Name, args[0])
	case "exponential_moving_average", "double_exponential_moving_average",
		"triple_exponential_moving_average", "relative_strength_index",
		"triple_exponential_derivative":
		if err := periodArgs(c.Name, args, 4); err != nil {
			return err
		}
		if len(args) >= 3 {
			h, ok := args[2].(*influxql.IntegerLiteral)
			if !ok {
				return fmt.Errorf("%s hold period must be an integer", c.Name)
			}
			if c.Name == "triple_exponential_derivative" && h.Val < 1 && h.Val != -1 {
				return fmt.Errorf("%s hold period must be greater than or equal to 1", c.Name)
			}
			if h.Val < 0 && h.Val != -1 {
				return fmt.Errorf("%s hold period must be greater than or equal to 0", c.Name)
			}
		}
		if len(args) >= 4 {
			s, ok := args[3].(*influxql.StringLiteral)
			if !ok {
				return fmt.Errorf("%s warmup type must be a string", c.Name)
			}
			if s.Val != "exponential" && s.Val != "simple" {
				return fmt.Errorf("%s warmup type must be one of: 'exponential' 'simple'", c.Name)
			}
		}
		return v.transformed(c.Name, args[0])
	case "kaufmans_efficiency_ratio", "kaufmans_adaptive_moving_average":
		if err := periodArgs(c.Name, args, 3); err != nil {
			return err
		}
		if err := holdArg(c.Name, args); err != nil {
			return err
		}
		return v.transformed(c.Name, args[0])
	case "chande_momentum_oscillator":
		if err := periodArgs(c.Name, args, 4); err != nil {
			return err
		}
		if err := holdArg(c.Name, args); err != nil {
			return err
		}
		if len(args) >= 4 {
			s, ok := args[3].(*influxql.StringLiteral)
			if !ok {
				return errors.New("chande_momentum_oscillator warmup type must be a string")
			}
			switch s.Val {
			case "none", "exponential", "simple":
			default:
				return errors.New("chande_momentum_oscillator warmup type must be one of: 'none' 'exponential' 'simple'")
			}
		}
		return v.transformed(c.Name, args[0])
	case "integral":
		if len(args) < 1 || len(args) > 2 {
			return fmt.Errorf("invalid number of arguments for integral, expected at least 1 but no more than 2, got %d", len(args))
		}
		if len(args) == 2 {
			d, ok := args[1].(*influxql.DurationLiteral)
			if !ok {
				return errors.New("second argument must be a duration")
			}
			if d.Val <= 0 {
				return fmt.Errorf("duration argument must be positive, got %s", influxql.FormatDuration(d.Val))
			}
		}
		return symbol("integral", args[0])
	case "holt_winters", "holt_winters_with_fit":
		if len(args) != 3 {
			return fmt.Errorf("invalid number of arguments for %s, expected 3, got %d", c.Name, len(args))
		}
		n, ok := args[1].(*influxql.IntegerLiteral)
		if !ok {
			return fmt.Errorf("expected integer argument as second arg in %s", c.Name)
		}
		if n.Val <= 0 {
			return fmt.Errorf("second arg to %s must be greater than 0, got %d", c.Name, n.Val)
		}
		s, ok := args[2].(*influxql.IntegerLiteral)
		if !ok {
			return fmt.Errorf("expected integer argument as third arg in %s", c.Name)
		}
		if s.Val < 0 {
			return fmt.Errorf("third arg to %s cannot be negative, got %d", c.Name, s.Val)
		}
		inner, ok := args[0].(*influxql.Call)
		if !ok {
			return fmt.Errorf("must use aggregate function with %s", c.Name)
		}
		if !v.groupByTime {
			return fmt.Errorf("%s aggregate requires a GROUP BY interval", c.Name)
		}
		return v.call(inner)
	}

	// count, sum, mean, median, mode, stddev, spread, max, min, first, last.
	if len(args) != 1 {
		return fmt.Errorf("invalid number of arguments for %s, expected 1, got %d", c.Name, len(args))
	}
	if c.Name == "count" {
		switch a := args[0].(type) {
		case *influxql.Call:
			if a.Name == "distinct" {
				return distinct(a.Args)
			}
		case *influxql.Distinct:
			return distinct(a.NewCall().Args)
		}
	}
	return symbol(c.Name, args[0])
}

// transformed checks the first argument of a transformation: a nested
// aggregate needs GROUP BY time(), a raw field must not have it.
func (v validator) transformed(name string, arg influxql.Expr) error {
	if inner, ok := arg.(*influxql.Call); ok {
		if !v.groupByTime {
			return fmt.Errorf("%s aggregate requires a GROUP BY interval", name)
		}
		return v.call(inner)
	}
	if d, ok := arg.(*influxql.Distinct); ok {
		if !v.groupByTime {
			return fmt.Errorf("%s aggregate requires a GROUP BY interval", name)
		}
		return distinct(d.NewCall().Args)
	}
	if v.groupByTime {
		return fmt.Errorf("aggregate function required inside the call to %s", name)
	}
	return symbol(name, arg)
}

func (v validator) math(c *influxql.Call) error {
	want := 1
	switch c.Name {
	case "atan2", "pow", "log":
		want = 2
	}
	if len(c.Args) != want {
		return fmt.Errorf("invalid number of arguments for %s, expected %d, got %d", c.Name, want, len(c.Args))
	}
	for _, a := range c.Args {
		if _, ok := a.(influxql.Literal); ok {
			continue
		}
		if err := v.expr(a); err != nil {
			return err
		}
	}
	return nil
}

// symbol checks that a function's first argument names a field (or a
// wildcard or regex that the caller expands).
func symbol(name string, e influxql.Expr) error {
	switch e.(type) {
	case *influxql.VarRef, *influxql.Wildcard, *influxql.RegexLiteral:
		return nil
	}
	return fmt.Errorf("expected field argument in %s()", name)
}

func distinct(args []influxql.Expr) error {
	if len(args) == 0 {
		return errors.New("distinct function requires at least one argument")
	}
	if len(args) != 1 {
		return errors.New("distinct function can only have one argument")
	}
	if _, ok := args[0].(*influxql.VarRef); !ok {
		return errors.New("expected field argument in distinct()")
	}
	return nil
}

func topBottom(c *influxql.Call) error {
	if len(c.Args) < 2 {
		return fmt.Errorf("invalid number of arguments for %s, expected at least 2, got %d", c.Name, len(c.Args))
	}
	last := c.Args[len(c.Args)-1]
	n, ok := last.(*influxql.IntegerLiteral)
	if !ok {
		return fmt.Errorf("expected integer as last argument in %s(), found %s", c.Name, last)
	}
	if n.Val <= 0 {
		return fmt.Errorf("limit (%d) in %s function must be at least 1", n.Val, c.Name)
	}
	if _, ok := c.Args[0].(*influxql.VarRef); !ok {
		return fmt.Errorf("expected first argument to be a field in %s(), found %s", c.Name, c.Args[0])
	}
	for _, a := range c.Args[1 : len(c.Args)-1] {
		if _, ok := a.(*influxql.VarRef); !ok {
			return fmt.Errorf("only fields or tags are allowed in %s(), found %s", c.Name, a)
		}
	}
	return nil
}

// periodArgs checks the argument count and the period of a technical
// analysis function.
func periodArgs(name string, args []influxql.Expr, max int) error {
	if len(args) < 2 || len(args) > max {
		return fmt.Errorf("invalid number of arguments for %s, expected at least 2 but no more than %d, got %d", name, max, len(args))
	}
	n, ok := args[1].(*influxql.IntegerLiteral)
	if !ok {
		return fmt.Errorf("%s period must be an integer", name)
	}
	if n.Val < 1 {
		return fmt.Errorf("%s period must be greater than or equal to 1", name)
	}
	return nil
}

func holdArg(name string, args []influxql.Expr) error {
	if len(args) < 3 {
		return nil
	}
	h, ok := args[2].(*influxql.IntegerLiteral)
	if !ok {
		return fmt.Errorf("%s hold period must be an integer", name)
	}
	if h.Val < 0 && h.Val != -1 {
		return fmt.Errorf("%s hold period must be greater than or equal to 0", name)
	}
	return nil
}
