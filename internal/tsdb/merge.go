package tsdb

import (
	"math"

	"github.com/fieldhub/fieldhub/internal/model"
)

// rowMerger merges runs of one series from several sources (parts, heads),
// given oldest first, into one sorted run where for each timestamp and field
// the newest source's value wins. It reuses the head's sort/dedup code so the
// write and read paths agree on "last write wins".
type rowMerger struct {
	defs map[partField]*fieldDef
	sb   seriesBuf
}

func (m *rowMerger) def(name string, typ model.FieldType) *fieldDef {
	if m.defs == nil {
		m.defs = make(map[partField]*fieldDef)
	}
	k := partField{name, typ}
	d := m.defs[k]
	if d == nil {
		d = &fieldDef{idx: uint32(len(m.defs)), typ: typ, name: name}
		m.defs[k] = d
	}
	return d
}

// merge merges srcs (oldest first). A single source is returned as is.
func (m *rowMerger) merge(srcs []rows, fields map[string]bool) rows {
	switch len(srcs) {
	case 0:
		return rows{}
	case 1:
		return srcs[0]
	}
	m.sb = seriesBuf{ts: m.sb.ts[:0]}
	for si := range srcs {
		m.add(&srcs[si])
	}
	return m.sb.materializeLocked(math.MinInt64, math.MaxInt64, fields)
}

func (m *rowMerger) add(r *rows) {
	base := len(m.sb.ts)
	for _, t := range r.ts {
		m.sb.appendRowLocked(t)
	}
	for ci := range r.cols {
		c := &r.cols[ci]
		hc, _ := m.sb.column(m.def(c.Name, c.Type))
		for i := range r.ts {
			if !c.IsValid(i) {
				continue
			}
			row := base + i
			switch c.Type {
			case model.Float:
				hc.set(row, math.Float64bits(c.Floats[i]))
			case model.Integer:
				hc.set(row, uint64(c.Integers[i]))
			case model.Unsigned:
				hc.set(row, c.Unsigned[i])
			case model.Boolean:
				hc.set(row, b2u(c.Bools[i]))
			case model.String:
				hc.setString(row, c.Strings[i])
			}
		}
	}
}

// filterRows keeps the rows of r for which keep is true.
func filterRows(r rows, keep func(t int64) bool) rows {
	idx := make([]int, 0, len(r.ts))
	for i, t := range r.ts {
		if keep(t) {
			idx = append(idx, i)
		}
	}
	if len(idx) == len(r.ts) {
		return r
	}
	if n := len(idx); n > 0 && idx[n-1]-idx[0]+1 == n {
		// A contiguous run (a time range cut at the block's ends, the usual
		// case): slice the columns instead of copying them.
		return sliceRows(r, idx[0], idx[n-1]+1)
	}
	out := rows{ts: make([]int64, len(idx))}
	for j, i := range idx {
		out.ts[j] = r.ts[i]
	}
	for ci := range r.cols {
		c := &r.cols[ci]
		nc := Column{Name: c.Name, Type: c.Type}
		any := false
		var valid []bool
		if c.Valid != nil {
			valid = make([]bool, len(idx))
		}
		for j, i := range idx {
			if c.IsValid(i) {
				any = true
				if valid != nil {
					valid[j] = true
				}
			}
		}
		if !any {
			continue
		}
		nc.Valid = valid
		switch c.Type {
		case model.Float:
			nc.Floats = pick(c.Floats, idx)
		case model.Integer:
			nc.Integers = pick(c.Integers, idx)
		case model.Unsigned:
			nc.Unsigned = pick(c.Unsigned, idx)
		case model.Boolean:
			nc.Bools = pick(c.Bools, idx)
		case model.String:
			nc.Strings = pick(c.Strings, idx)
		}
		out.cols = append(out.cols, nc)
	}
	return out
}

func pick[T any](vs []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = vs[i]
	}
	return out
}

// dropEmptyRows removes rows where no column has a value (after a field selection).
func dropEmptyRows(r rows) rows {
	hasNulls := false
	for ci := range r.cols {
		if r.cols[ci].Valid == nil {
			return r // a dense column: every row has a value
		}
		hasNulls = true
	}
	if !hasNulls && len(r.cols) > 0 {
		return r
	}
	keep := make(map[int64]bool, len(r.ts))
	for i, t := range r.ts {
		for ci := range r.cols {
			if r.cols[ci].IsValid(i) {
				keep[t] = true
				break
			}
		}
	}
	return filterRows(r, func(t int64) bool { return keep[t] })
}

// sliceRows returns rows [lo, hi) of r sharing r's arrays; columns without
// a value in the range are dropped, as filterRows drops them.
func sliceRows(r rows, lo, hi int) rows {
	out := rows{ts: r.ts[lo:hi:hi], cols: make([]Column, 0, len(r.cols))}
	for ci := range r.cols {
		c := r.cols[ci]
		if c.Valid != nil {
			any := false
			for _, v := range c.Valid[lo:hi] {
				if v {
					any = true
					break
				}
			}
			if !any {
				continue
			}
			c.Valid = c.Valid[lo:hi:hi]
		}
		switch c.Type {
		case model.Float:
			c.Floats = c.Floats[lo:hi:hi]
		case model.Integer:
			c.Integers = c.Integers[lo:hi:hi]
		case model.Unsigned:
			c.Unsigned = c.Unsigned[lo:hi:hi]
		case model.Boolean:
			c.Bools = c.Bools[lo:hi:hi]
		case model.String:
			c.Strings = c.Strings[lo:hi:hi]
		}
		out.cols = append(out.cols, c)
	}
	return out
}
