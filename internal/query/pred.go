package query

import (
	"github.com/influxdata/influxql"
)

// predFunc is a compiled WHERE condition on one row.
type predFunc func(s *seriesData, r int) bool

// compilePred compiles a row condition. Comparisons of a field with a
// number and of a tag with a string get direct closures (the common
// "usage > 90 AND host = 'x'" shapes run without building Points); the
// rest falls back to the general evaluator.
func compilePred(cond influxql.Expr, fieldIdx map[string]int) (predFunc, error) {
	switch x := cond.(type) {
	case *influxql.ParenExpr:
		return compilePred(x.Expr, fieldIdx)
	case *influxql.BinaryExpr:
		switch x.Op {
		case influxql.AND, influxql.OR:
			l, err := compilePred(x.LHS, fieldIdx)
			if err != nil {
				return nil, err
			}
			r, err := compilePred(x.RHS, fieldIdx)
			if err != nil {
				return nil, err
			}
			if x.Op == influxql.AND {
				return func(s *seriesData, i int) bool { return l(s, i) && r(s, i) }, nil
			}
			return func(s *seriesData, i int) bool { return l(s, i) || r(s, i) }, nil
		}
		if f := fieldNumberPred(x, fieldIdx); f != nil {
			return f, nil
		}
	}
	g, err := compileRow(cond, fieldIdx)
	if err != nil {
		return nil, err
	}
	return func(s *seriesData, r int) bool {
		v := g(s, r)
		return v.Type == influxql.Boolean && v.B
	}, nil
}

// fieldNumberPred compiles "field OP number" (either side) for float and
// integer columns; nil when the expression has another shape.
func fieldNumberPred(x *influxql.BinaryExpr, fieldIdx map[string]int) predFunc {
	if !isComparison(x.Op) {
		return nil
	}
	ref, lit, op := x.LHS, x.RHS, x.Op
	if _, ok := ref.(*influxql.VarRef); !ok {
		ref, lit = lit, ref
		switch op { // mirror the operator: 5 < x is x > 5
		case influxql.LT:
			op = influxql.GT
		case influxql.LTE:
			op = influxql.GTE
		case influxql.GT:
			op = influxql.LT
		case influxql.GTE:
			op = influxql.LTE
		}
	}
	vr, ok := ref.(*influxql.VarRef)
	if !ok || vr.Type == influxql.Tag {
		return nil
	}
	fi, ok := fieldIdx[vr.Val]
	if !ok {
		return nil
	}
	var k float64
	switch l := lit.(type) {
	case *influxql.NumberLiteral:
		k = l.Val
	case *influxql.IntegerLiteral:
		k = float64(l.Val)
	default:
		return nil
	}
	cmp := func(v float64) bool {
		switch op {
		case influxql.EQ:
			return v == k
		case influxql.NEQ:
			return v != k
		case influxql.LT:
			return v < k
		case influxql.LTE:
			return v <= k
		case influxql.GT:
			return v > k
		}
		return v >= k
	}
	return func(s *seriesData, r int) bool {
		c := &s.cols[fi]
		if c.valid != nil && !c.valid[r] {
			return false
		}
		switch c.typ {
		case influxql.Float:
			return cmp(c.f[r])
		case influxql.Integer:
			return cmp(float64(c.i[r]))
		case influxql.Unsigned:
			return cmp(float64(c.u[r]))
		}
		return false
	}
}
