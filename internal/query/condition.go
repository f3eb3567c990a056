package query

import (
	"fmt"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// splitCondition divides a WHERE condition (time predicates already removed)
// into a tag predicate that selects series through the index and a residual
// condition that must be evaluated on each row. isField reports whether a
// bare identifier names a field; ::tag and ::field casts override it.
//
// The split is exact for conjunctions: tag-only conjuncts become the
// TagExpr, the others the residual. A disjunction that mixes tags and fields
// cannot be answered by the index, so it selects every series (nil TagExpr
// for that branch) and goes whole to the residual, where tags are visible too.
func splitCondition(cond influxql.Expr, isField func(string) bool) (*tsdb.TagExpr, influxql.Expr, error) {
	if cond == nil {
		return nil, nil, nil
	}
	switch c := cond.(type) {
	case *influxql.ParenExpr:
		return splitCondition(c.Expr, isField)
	case *influxql.BinaryExpr:
		if c.Op == influxql.AND {
			lt, lr, err := splitCondition(c.LHS, isField)
			if err != nil {
				return nil, nil, err
			}
			rt, rr, err := splitCondition(c.RHS, isField)
			if err != nil {
				return nil, nil, err
			}
			return andTag(lt, rt), andExpr(lr, rr), nil
		}
	}
	if onlyTags(cond, isField) {
		te, err := tagExpr(cond)
		if err == nil {
			return te, nil, nil
		}
	}
	return nil, cond, nil
}

func andTag(a, b *tsdb.TagExpr) *tsdb.TagExpr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &tsdb.TagExpr{Op: tsdb.TagAnd, Left: a, Right: b}
}

func andExpr(a, b influxql.Expr) influxql.Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &influxql.BinaryExpr{Op: influxql.AND, LHS: a, RHS: b}
}

// onlyTags reports whether every variable cond refers to is a tag.
func onlyTags(cond influxql.Expr, isField func(string) bool) bool {
	ok, any := true, false
	influxql.WalkFunc(cond, func(n influxql.Node) {
		if ref, isRef := n.(*influxql.VarRef); isRef {
			any = true
			if !refIsTag(ref, isField) {
				ok = false
			}
		}
	})
	return ok && any
}

func refIsTag(ref *influxql.VarRef, isField func(string) bool) bool {
	switch ref.Type {
	case influxql.Tag:
		return true
	case influxql.Unknown:
		return ref.Val != "time" && !isField(ref.Val)
	}
	return false
}

// tagExpr converts a tag-only condition into a TagExpr; it fails for
// comparisons the index cannot answer (tag < 'x'), which then stay residual.
func tagExpr(cond influxql.Expr) (*tsdb.TagExpr, error) {
	switch c := cond.(type) {
	case *influxql.ParenExpr:
		return tagExpr(c.Expr)
	case *influxql.BinaryExpr:
		switch c.Op {
		case influxql.AND, influxql.OR:
			l, err := tagExpr(c.LHS)
			if err != nil {
				return nil, err
			}
			r, err := tagExpr(c.RHS)
			if err != nil {
				return nil, err
			}
			op := tsdb.TagAnd
			if c.Op == influxql.OR {
				op = tsdb.TagOr
			}
			return &tsdb.TagExpr{Op: op, Left: l, Right: r}, nil
		case influxql.EQ, influxql.NEQ, influxql.EQREGEX, influxql.NEQREGEX:
			ref, lit := c.LHS, c.RHS
			if _, ok := ref.(*influxql.VarRef); !ok {
				ref, lit = lit, ref
			}
			key, ok := ref.(*influxql.VarRef)
			if !ok {
				break
			}
			switch v := lit.(type) {
			case *influxql.StringLiteral:
				switch c.Op {
				case influxql.EQ:
					return &tsdb.TagExpr{Op: tsdb.TagEq, Key: key.Val, Value: v.Val}, nil
				case influxql.NEQ:
					return &tsdb.TagExpr{Op: tsdb.TagNotEq, Key: key.Val, Value: v.Val}, nil
				}
			case *influxql.RegexLiteral:
				switch c.Op {
				case influxql.EQREGEX:
					return &tsdb.TagExpr{Op: tsdb.TagRegex, Key: key.Val, Regex: v.Val}, nil
				case influxql.NEQREGEX:
					return &tsdb.TagExpr{Op: tsdb.TagNotRegex, Key: key.Val, Regex: v.Val}, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("condition %s cannot use the tag index", cond)
}
