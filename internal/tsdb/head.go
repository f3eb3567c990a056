package tsdb

import (
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/fieldhub/fieldhub/internal/model"
)

// head is the in-memory, writable part of a retention policy: per time
// partition, per series, column buffers appended in arrival order. It is
// sorted and de-duplicated only when read or flushed, so out-of-order points
// cost nothing at write time.
type head struct {
	rp *retentionPolicy
	// bytes is an estimate of the memory the head holds.
	bytes *atomic.Int64 // shared with the engine-wide total
	own   atomic.Int64  // this head's share of bytes

	// mu guards parts; never held across disk I/O.
	mu    sync.RWMutex
	parts map[int64]*headPartition
}

// headPartition holds one time partition's series buffers.
type headPartition struct {
	start, end int64
	// flushed is set by the (single) checkpoint goroutine once the partition is in a part.
	flushed bool
	// mu guards series and every buffer in it.
	mu     sync.Mutex
	series map[uint64]*headSeries
}

// seriesBuf holds one series' points in arrival order as plain columns: the
// decoded form of a headSeries, and the rowMerger's accumulator.
type seriesBuf struct {
	entry    *seriesEntry
	ts       []int64
	cols     []headColumn
	unsorted bool // some timestamp arrived not after its predecessor
	colsHint int  // fields in the series' first point: the initial capacity of cols
}

// headColumn is one field's values, aligned with seriesBuf.ts. Rows beyond
// len(vals) are null; valid is nil while every row below len(vals) is set.
type headColumn struct {
	field *fieldDef
	// vals holds float64/int64/uint64/bool as bits; for strings offset<<32|len into ext.strs.
	vals []uint64
	// ext holds what few columns need, kept out of line because a head holds
	// one headColumn per field of every series.
	ext *columnExt
}

// columnExt is the rarely needed part of a headColumn.
type columnExt struct {
	valid []uint64 // bitset by row; nil while every row below len(vals) is set
	strs  []byte
}

func (c *headColumn) validBits() []uint64 {
	if c.ext == nil {
		return nil
	}
	return c.ext.valid
}

func newHead(rp *retentionPolicy, total *atomic.Int64) *head {
	return &head{rp: rp, bytes: total, parts: make(map[int64]*headPartition)}
}

func (h *head) addBytes(n int64) {
	h.own.Add(n)
	h.bytes.Add(n)
}

// partition returns the head partition for start, creating it.
func (h *head) partition(start int64) *headPartition {
	h.mu.RLock()
	p := h.parts[start]
	h.mu.RUnlock()
	if p != nil {
		return p
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if p = h.parts[start]; p == nil {
		end := start + int64(h.rp.partitionDuration)
		if end < start { // overflow at the far end of time
			end = math.MaxInt64
		}
		p = &headPartition{start: start, end: end, series: make(map[uint64]*headSeries)}
		h.parts[start] = p
	}
	return p
}

// snapshotParts returns the head's partitions sorted by start.
func (h *head) snapshotParts() []*headPartition {
	h.mu.RLock()
	out := make([]*headPartition, 0, len(h.parts))
	for _, p := range h.parts {
		out = append(out, p)
	}
	h.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// appendRowLocked starts a new row at time t and returns its index and the
// bytes of memory the head grew by; p.mu held.
func (s *seriesBuf) appendRowLocked(t int64) (int, int64) {
	if n := len(s.ts); n > 0 && t <= s.ts[n-1] {
		s.unsorted = true
	}
	c := cap(s.ts)
	s.ts = append(s.ts, t)
	return len(s.ts) - 1, int64(cap(s.ts)-c) * 8
}

// column returns the column of f, adding it, and the bytes the head grew by.
func (s *seriesBuf) column(f *fieldDef) (*headColumn, int64) {
	for i := range s.cols {
		if s.cols[i].field == f {
			return &s.cols[i], 0
		}
	}
	c := cap(s.cols)
	if c == 0 {
		// Most series carry the same fields in every point: size for them at once.
		s.cols = make([]headColumn, 0, s.colsHint)
	}
	s.cols = append(s.cols, headColumn{field: f})
	return &s.cols[len(s.cols)-1], int64(cap(s.cols)-c)*int64(unsafe.Sizeof(headColumn{})) + 24

}

// set stores v at row and returns the bytes the column grew by.
func (c *headColumn) set(row int, v uint64) int64 {
	before := cap(c.vals) + cap(c.validBits())
	c.setRow(row, v)
	return int64(cap(c.vals)+cap(c.validBits())-before) * 8
}

func (c *headColumn) setRow(row int, v uint64) {
	if n := len(c.vals); n < row {
		if c.ext == nil {
			c.ext = &columnExt{}
		}
		if c.ext.valid == nil {
			c.ext.valid = make([]uint64, (n+64)/64, (row+64)/64+1)
			for i := 0; i < n; i++ {
				c.ext.valid[i>>6] |= 1 << (i & 63)
			}
		}
		c.vals = append(c.vals, make([]uint64, row-n)...)
	} else if n > row {
		// Same row set twice (a field repeated in one point): last wins.
		c.vals[row] = v
		return
	}
	c.vals = append(c.vals, v)
	if valid := c.validBits(); valid != nil {
		for len(valid) <= row>>6 {
			valid = append(valid, 0)
		}
		valid[row>>6] |= 1 << (row & 63)
		c.ext.valid = valid
	}
}

func (c *headColumn) isValid(row int) bool {
	if row >= len(c.vals) {
		return false
	}
	valid := c.validBits()
	return valid == nil || valid[row>>6]&(1<<(row&63)) != 0
}

// setString stores a string value at row and returns the bytes the column grew by.
func (c *headColumn) setString(row int, s []byte) int64 {
	if c.ext == nil {
		c.ext = &columnExt{}
	}
	before := cap(c.ext.strs)
	off := uint64(len(c.ext.strs))
	c.ext.strs = append(c.ext.strs, s...)
	return c.set(row, off<<32|uint64(len(s))) + int64(cap(c.ext.strs)-before)
}

func (c *headColumn) stringAt(row int) []byte {
	v := c.vals[row]
	off, n := v>>32, v&0xffffffff
	return c.ext.strs[off : off+n]
}

// Column is a decoded field column aligned with a Series' timestamps.
// Exactly one of the value slices is set, by Type. Valid is nil when every row
// has a value; otherwise Valid[i] says whether row i has one.
type Column struct {
	Name     string
	Type     model.FieldType
	Floats   []float64
	Integers []int64
	Unsigned []uint64
	Bools    []bool
	Strings  [][]byte
	Valid    []bool
}

// Len is the number of rows.
func (c *Column) Len() int {
	switch c.Type {
	case model.Float:
		return len(c.Floats)
	case model.Integer:
		return len(c.Integers)
	case model.Unsigned:
		return len(c.Unsigned)
	case model.Boolean:
		return len(c.Bools)
	case model.String:
		return len(c.Strings)
	}
	return 0
}

// IsValid reports whether row i has a value.
func (c *Column) IsValid(i int) bool { return c.Valid == nil || c.Valid[i] }

// rows is a materialised run of one series: sorted, unique timestamps and
// aligned columns. It owns its memory.
type rows struct {
	ts   []int64
	cols []Column
}

// materializeLocked copies the rows of s within [min, max] sorted by time with
// duplicates merged (for each field the last written value wins). fields, when
// non-nil, selects columns by name. p.mu must be held.
func (s *seriesBuf) materializeLocked(min, max int64, fields map[string]bool) rows {
	n := len(s.ts)
	order := make([]int32, 0, n)
	for i, t := range s.ts {
		if t >= min && t <= max {
			order = append(order, int32(i))
		}
	}
	if s.unsorted {
		// Stable: equal timestamps keep arrival order so the later write wins below.
		slices.SortStableFunc(order, func(a, b int32) int {
			ta, tb := s.ts[a], s.ts[b]
			if ta < tb {
				return -1
			}
			if ta > tb {
				return 1
			}
			return 0
		})
	}
	// Group equal timestamps: groups[k] is the first index in order of output row k.
	out := rows{ts: make([]int64, 0, len(order))}
	groups := make([]int32, 0, len(order)+1)
	for k, oi := range order {
		t := s.ts[oi]
		if len(out.ts) == 0 || out.ts[len(out.ts)-1] != t {
			out.ts = append(out.ts, t)
			groups = append(groups, int32(k))
		}
	}
	groups = append(groups, int32(len(order)))
	for ci := range s.cols {
		c := &s.cols[ci]
		if fields != nil && !fields[c.field.name] {
			continue
		}
		col := Column{Name: c.field.name, Type: c.field.typ}
		nrows := len(out.ts)
		valid := make([]bool, nrows)
		allValid := true
		any := false
		var bits []uint64
		if c.field.typ == model.String {
			col.Strings = make([][]byte, nrows)
		} else {
			bits = make([]uint64, nrows)
		}
		for r := 0; r < nrows; r++ {
			found := -1
			for k := groups[r+1] - 1; k >= groups[r]; k-- {
				if row := int(order[k]); c.isValid(row) {
					found = row
					break
				}
			}
			if found < 0 {
				allValid = false
				continue
			}
			any = true
			valid[r] = true
			if bits != nil {
				bits[r] = c.vals[found]
			} else {
				col.Strings[r] = slices.Clone(c.stringAt(found))
			}
		}
		if !any {
			continue
		}
		if !allValid {
			col.Valid = valid
		}
		fillFromBits(&col, bits)
		out.cols = append(out.cols, col)
	}
	return out
}

// fillFromBits converts raw 64-bit values to col's typed slice.
func fillFromBits(col *Column, bits []uint64) {
	switch col.Type {
	case model.Float:
		col.Floats = make([]float64, len(bits))
		for i, b := range bits {
			col.Floats[i] = math.Float64frombits(b)
		}
	case model.Integer:
		col.Integers = make([]int64, len(bits))
		for i, b := range bits {
			col.Integers[i] = int64(b)
		}
	case model.Unsigned:
		col.Unsigned = bits
	case model.Boolean:
		col.Bools = make([]bool, len(bits))
		for i, b := range bits {
			col.Bools[i] = b != 0
		}
	}
}
