package functions

import (
	"cmp"

	"github.com/influxdata/influxql"
)

// Helpers that read a point's value as one type. A reducer is built for the
// field's type; a point of another numeric type (a field whose type changed
// between shards) is converted, a point of a non-numeric type is skipped.

func asFloat(p *Point) (float64, bool) {
	switch p.Type {
	case influxql.Float:
		return p.F, true
	case influxql.Integer:
		return float64(p.I), true
	case influxql.Unsigned:
		return float64(p.U), true
	}
	return 0, false
}

func asInt(p *Point) (int64, bool) {
	switch p.Type {
	case influxql.Integer:
		return p.I, true
	case influxql.Float:
		return int64(p.F), true
	case influxql.Unsigned:
		return int64(p.U), true
	}
	return 0, false
}

func asUint(p *Point) (uint64, bool) {
	switch p.Type {
	case influxql.Unsigned:
		return p.U, true
	case influxql.Float:
		return uint64(p.F), true
	case influxql.Integer:
		return uint64(p.I), true
	}
	return 0, false
}

// conform converts p to type t in place; false when it cannot.
func conform(p *Point, t influxql.DataType) bool {
	if p.Type == t {
		return true
	}
	switch t {
	case influxql.Float:
		v, ok := asFloat(p)
		p.F = v
		p.Type = t
		return ok
	case influxql.Integer:
		v, ok := asInt(p)
		p.I = v
		p.Type = t
		return ok
	case influxql.Unsigned:
		v, ok := asUint(p)
		p.U = v
		p.Type = t
		return ok
	}
	return false
}

// compareValues orders two points of the same type by value: numbers
// numerically (NaN first), strings bytewise, false before true.
func compareValues(a, b *Point) int {
	switch a.Type {
	case influxql.Float:
		return cmp.Compare(a.F, b.F)
	case influxql.Integer:
		return cmp.Compare(a.I, b.I)
	case influxql.Unsigned:
		return cmp.Compare(a.U, b.U)
	case influxql.String:
		return cmp.Compare(a.S, b.S)
	case influxql.Boolean:
		switch {
		case a.B == b.B:
			return 0
		case !a.B:
			return -1
		}
		return 1
	}
	return 0
}

// greater is a.value > b.value with IEEE semantics for floats (a NaN is
// never greater nor smaller), as InfluxDB's selectors compare.
func greater(a, b *Point) bool {
	switch a.Type {
	case influxql.Float:
		return a.F > b.F
	case influxql.Integer:
		return a.I > b.I
	case influxql.Unsigned:
		return a.U > b.U
	case influxql.String:
		return a.S > b.S
	case influxql.Boolean:
		return a.B && !b.B
	}
	return false
}

func floatPoint(t int64, v float64) Point {
	return Point{Time: t, Type: influxql.Float, F: v, Aux: -1}
}

func intPoint(t int64, v int64) Point {
	return Point{Time: t, Type: influxql.Integer, I: v, Aux: -1}
}

func uintPoint(t int64, v uint64) Point {
	return Point{Time: t, Type: influxql.Unsigned, U: v, Aux: -1}
}

func nullPoint(t int64) Point {
	return Point{Time: t, Type: influxql.Unknown, Aux: -1}
}
