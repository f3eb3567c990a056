package query

import (
	"fmt"
	"math"
	"strings"

	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/influxdata/influxql"
)

// rowFunc evaluates an expression on row r of a series.
type rowFunc func(s *seriesData, r int) Point

// compileRow turns a row-level expression (fields, tags, literals,
// arithmetic, comparisons, math functions) into a rowFunc. fieldIdx maps a
// field name to its column in seriesData.cols.
func compileRow(expr influxql.Expr, fieldIdx map[string]int) (rowFunc, error) {
	switch x := expr.(type) {
	case *influxql.ParenExpr:
		return compileRow(x.Expr, fieldIdx)
	case *influxql.VarRef:
		return compileRef(x, fieldIdx), nil
	case *influxql.BinaryExpr:
		if x.Op == influxql.EQREGEX || x.Op == influxql.NEQREGEX {
			re, ok := x.RHS.(*influxql.RegexLiteral)
			if !ok {
				return nil, fmt.Errorf("invalid regular expression comparison: %s", x)
			}
			lhs, err := compileRow(x.LHS, fieldIdx)
			if err != nil {
				return nil, err
			}
			want := x.Op == influxql.EQREGEX
			return func(s *seriesData, r int) Point {
				v := lhs(s, r)
				if v.Type != influxql.String {
					return boolPoint(false)
				}
				return boolPoint(re.Val.MatchString(v.S) == want)
			}, nil
		}
		lhs, err := compileRow(x.LHS, fieldIdx)
		if err != nil {
			return nil, err
		}
		rhs, err := compileRow(x.RHS, fieldIdx)
		if err != nil {
			return nil, err
		}
		op := x.Op
		return func(s *seriesData, r int) Point { return binaryOp(op, lhs(s, r), rhs(s, r)) }, nil
	case *influxql.Call:
		if functions.Lookup(x.Name) != functions.Math {
			return nil, fmt.Errorf("%s() is not a row function", x.Name)
		}
		args := make([]rowFunc, len(x.Args))
		for i, a := range x.Args {
			f, err := compileRow(a, fieldIdx)
			if err != nil {
				return nil, err
			}
			args[i] = f
		}
		name := x.Name
		return func(s *seriesData, r int) Point {
			in := make([]Point, len(args))
			for i, a := range args {
				in[i] = a(s, r)
			}
			p, err := functions.EvalMath(name, in)
			if err != nil {
				return null
			}
			return p
		}, nil
	default:
		lit, err := literalPoint(expr)
		if err != nil {
			return nil, err
		}
		return func(*seriesData, int) Point { return lit }, nil
	}
}

// compileRef resolves a variable to a field column or a tag.
func compileRef(ref *influxql.VarRef, fieldIdx map[string]int) rowFunc {
	name := ref.Val
	fi, isField := fieldIdx[name]
	if ref.Type == influxql.Tag || !isField {
		if ref.Type != influxql.Tag && ref.Type != influxql.Unknown && ref.Type != influxql.AnyField {
			return func(*seriesData, int) Point { return null }
		}
		if ref.Type == influxql.AnyField {
			return func(*seriesData, int) Point { return null }
		}
		return func(s *seriesData, r int) Point {
			v, ok := s.tags[name]
			if !ok {
				return null
			}
			return Point{Type: influxql.String, S: v, Aux: -1}
		}
	}
	cast := ref.Type
	switch cast {
	case influxql.Float, influxql.Integer, influxql.Unsigned:
	default:
		cast = influxql.Unknown
	}
	return func(s *seriesData, r int) Point {
		p := s.cols[fi].at(r, 0)
		if cast != influxql.Unknown && p.Type != cast {
			// ::float / ::integer casts; also a field that is an integer
			// here and a float in another measurement of the query.
			p = castPoint(p, cast)
		}
		return p
	}
}

// literalPoint evaluates a literal.
func literalPoint(expr influxql.Expr) (Point, error) {
	switch x := expr.(type) {
	case *influxql.NumberLiteral:
		return Point{Type: influxql.Float, F: x.Val, Aux: -1}, nil
	case *influxql.IntegerLiteral:
		return Point{Type: influxql.Integer, I: x.Val, Aux: -1}, nil
	case *influxql.UnsignedLiteral:
		return Point{Type: influxql.Unsigned, U: x.Val, Aux: -1}, nil
	case *influxql.StringLiteral:
		return Point{Type: influxql.String, S: x.Val, Aux: -1}, nil
	case *influxql.BooleanLiteral:
		return boolPoint(x.Val), nil
	case *influxql.DurationLiteral:
		return Point{Type: influxql.Integer, I: int64(x.Val), Aux: -1}, nil
	case *influxql.TimeLiteral:
		return Point{Type: influxql.Integer, I: x.Val.UnixNano(), Aux: -1}, nil
	case *influxql.NilLiteral:
		return null, nil
	}
	return null, fmt.Errorf("unsupported expression: %s", expr)
}

func boolPoint(b bool) Point { return Point{Type: influxql.Boolean, B: b, Aux: -1} }

func isNumeric(t influxql.DataType) bool {
	return t == influxql.Float || t == influxql.Integer || t == influxql.Unsigned
}

func asFloat(p Point) float64 {
	switch p.Type {
	case influxql.Float:
		return p.F
	case influxql.Integer:
		return float64(p.I)
	case influxql.Unsigned:
		return float64(p.U)
	}
	return math.NaN()
}

// binaryOp applies an InfluxQL operator. Arithmetic on a null gives null;
// comparisons with a null are false. Integer division gives a float and
// division by zero gives 0, as in InfluxDB 1.x.
func binaryOp(op influxql.Token, a, b Point) Point {
	switch op {
	case influxql.AND:
		return boolPoint(a.Type == influxql.Boolean && b.Type == influxql.Boolean && a.B && b.B)
	case influxql.OR:
		return boolPoint((a.Type == influxql.Boolean && a.B) || (b.Type == influxql.Boolean && b.B))
	}
	if isComparison(op) {
		return boolPoint(compare(op, a, b))
	}
	if a.Type == influxql.Unknown || b.Type == influxql.Unknown {
		return null
	}
	if a.Type == influxql.Boolean && b.Type == influxql.Boolean {
		switch op {
		case influxql.BITWISE_AND:
			return boolPoint(a.B && b.B)
		case influxql.BITWISE_OR:
			return boolPoint(a.B || b.B)
		case influxql.BITWISE_XOR:
			return boolPoint(a.B != b.B)
		}
		return null
	}
	if !isNumeric(a.Type) || !isNumeric(b.Type) {
		if a.Type == influxql.String && b.Type == influxql.String && op == influxql.ADD {
			return Point{Type: influxql.String, S: a.S + b.S, Aux: -1}
		}
		return null
	}
	if a.Type == influxql.Integer && b.Type == influxql.Integer {
		x, y := a.I, b.I
		switch op {
		case influxql.ADD:
			return intPoint(x + y)
		case influxql.SUB:
			return intPoint(x - y)
		case influxql.MUL:
			return intPoint(x * y)
		case influxql.DIV:
			if y == 0 {
				return floatPoint(0)
			}
			return floatPoint(float64(x) / float64(y))
		case influxql.MOD:
			if y == 0 {
				return intPoint(0)
			}
			return intPoint(x % y)
		case influxql.BITWISE_AND:
			return intPoint(x & y)
		case influxql.BITWISE_OR:
			return intPoint(x | y)
		case influxql.BITWISE_XOR:
			return intPoint(x ^ y)
		}
		return null
	}
	if a.Type == influxql.Unsigned && b.Type == influxql.Unsigned {
		x, y := a.U, b.U
		switch op {
		case influxql.ADD:
			return Point{Type: influxql.Unsigned, U: x + y, Aux: -1}
		case influxql.SUB:
			return Point{Type: influxql.Unsigned, U: x - y, Aux: -1}
		case influxql.MUL:
			return Point{Type: influxql.Unsigned, U: x * y, Aux: -1}
		case influxql.DIV:
			if y == 0 {
				return floatPoint(0)
			}
			return floatPoint(float64(x) / float64(y))
		case influxql.MOD:
			if y == 0 {
				return Point{Type: influxql.Unsigned, Aux: -1}
			}
			return Point{Type: influxql.Unsigned, U: x % y, Aux: -1}
		case influxql.BITWISE_AND:
			return Point{Type: influxql.Unsigned, U: x & y, Aux: -1}
		case influxql.BITWISE_OR:
			return Point{Type: influxql.Unsigned, U: x | y, Aux: -1}
		case influxql.BITWISE_XOR:
			return Point{Type: influxql.Unsigned, U: x ^ y, Aux: -1}
		}
		return null
	}
	x, y := asFloat(a), asFloat(b)
	switch op {
	case influxql.ADD:
		return floatPoint(x + y)
	case influxql.SUB:
		return floatPoint(x - y)
	case influxql.MUL:
		return floatPoint(x * y)
	case influxql.DIV:
		if y == 0 {
			return floatPoint(0)
		}
		return floatPoint(x / y)
	case influxql.MOD:
		return floatPoint(math.Mod(x, y))
	}
	return null
}

func intPoint(v int64) Point     { return Point{Type: influxql.Integer, I: v, Aux: -1} }
func floatPoint(v float64) Point { return Point{Type: influxql.Float, F: v, Aux: -1} }

// compare evaluates a comparison; values of incomparable types are unequal.
func compare(op influxql.Token, a, b Point) bool {
	if a.Type == influxql.Unknown || b.Type == influxql.Unknown {
		return false
	}
	var c int
	switch {
	case isNumeric(a.Type) && isNumeric(b.Type):
		if a.Type == influxql.Integer && b.Type == influxql.Integer {
			c = cmp3(a.I, b.I)
		} else if a.Type == influxql.Unsigned && b.Type == influxql.Unsigned {
			c = cmp3(a.U, b.U)
		} else {
			x, y := asFloat(a), asFloat(b)
			if math.IsNaN(x) || math.IsNaN(y) {
				return op == influxql.NEQ
			}
			c = cmp3(x, y)
		}
	case a.Type == influxql.String && b.Type == influxql.String:
		c = strings.Compare(a.S, b.S)
	case a.Type == influxql.Boolean && b.Type == influxql.Boolean:
		switch op {
		case influxql.EQ:
			return a.B == b.B
		case influxql.NEQ:
			return a.B != b.B
		}
		return false
	default:
		return op == influxql.NEQ
	}
	switch op {
	case influxql.EQ:
		return c == 0
	case influxql.NEQ:
		return c != 0
	case influxql.LT:
		return c < 0
	case influxql.LTE:
		return c <= 0
	case influxql.GT:
		return c > 0
	case influxql.GTE:
		return c >= 0
	}
	return false
}

func cmp3[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isComparison(op influxql.Token) bool {
	switch op {
	case influxql.EQ, influxql.NEQ, influxql.LT, influxql.LTE, influxql.GT, influxql.GTE:
		return true
	}
	return false
}
