package tsdb

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"

	"github.com/fieldhub/fieldhub/internal/model"
)

// headSeries holds one series' points in a head partition, compactly: rows are
// appended in arrival order to one byte buffer, each value encoded against the
// previous value of its column (timestamps and integers as zig-zag varint
// deltas, floats with few decimals as varint deltas of their scaled integer,
// strings once until they change). A row of the battery workload (7 fields)
// takes about 16 bytes instead of 64 in plain columns. Reads decode the rows
// into a seriesBuf (materializeLocked); the encoding lives only in memory.
//
// Row layout:
//
//	uvarint ts          zig-zag delta from the previous row's time, <<3 | unit
//	                    (0 ns, 1 µs, 2 ms, 3 s; 4: raw, 8 bytes of time follow)
//	uvarint n<<1|dense  fields in the row; dense: field k is slot k
//	n × [uvarint slot] value   (slot only when not dense)
//
// Values by type: float uvarint(zz(i-prev_i)<<3 | k) with i = v·10^k for the
// smallest k ≤ 4 that gives v back exactly, else uvarint(7) + 8 raw bytes;
// integer and unsigned uvarint(zz(v-prev)); boolean one byte; string
// uvarint(0) for "same as the previous value of the column", else
// uvarint(len+1) + bytes.
type headSeries struct {
	// m is the series' schema: a slot is a field's idx in it. (A dropped and
	// recreated measurement gets a new schema; m stays the one written with.)
	m   *measurementSchema
	buf []byte
	// prev is the last value written per slot (strings: offset<<32|len in buf),
	// sized to the highest slot the series used.
	prev       []uint64
	lastT      int64 // time of the last row appended
	minT, maxT int64
	n          int32 // rows
	unsorted   bool  // some timestamp arrived not after its predecessor
	// khint holds, 3 bits per slot for the first 21 slots, the decimal
	// scale k that encoded the slot's last float: tried first next time
	// (any k that gives the value back decodes the same).
	khint uint64
}

// headValue is one field value of a row being appended; str aliases the
// caller's memory and is copied.
type headValue struct {
	f    *fieldDef
	bits uint64 // float64/int64/uint64/bool as bits
	str  []byte
	slot int32 // set by appendRow
}

const (
	tsUnitRaw    = 4
	floatRaw     = 7
	maxFloatExp  = 4
	floatExactLm = 1 << 53
)

var pow10 = [maxFloatExp + 1]float64{1, 10, 100, 1000, 10000}

var tsUnits = [4]int64{1, 1e3, 1e6, 1e9}

func newHeadSeries(m *measurementSchema) *headSeries {
	return &headSeries{m: m, minT: math.MaxInt64, maxT: math.MinInt64}
}

// footprint is the memory the series' buffers hold, in bytes.
func (s *headSeries) footprint() int64 {
	return int64(cap(s.buf)) + int64(cap(s.prev))*8
}

// reserve makes room for n more bytes, growing by a quarter rather than
// doubling: the head keeps many small buffers, and slack is most of their cost.
func (s *headSeries) reserve(n int) {
	if len(s.buf)+n <= cap(s.buf) {
		return
	}
	c := max(len(s.buf)+n, cap(s.buf)+cap(s.buf)/4, 32)
	nb := make([]byte, len(s.buf), c)
	copy(nb, s.buf)
	s.buf = nb
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// scaledPrev is prev (float bits) times 10^k as an integer, 0 when it does not fit.
func scaledPrev(prev uint64, k int) int64 {
	x := math.Float64frombits(prev) * pow10[k]
	if !(x > -floatExactLm && x < floatExactLm) {
		return 0
	}
	i, _ := roundInt(x)
	return i
}

// roundInt rounds x (|x| < 2^53) to the nearest integer and returns the
// remainder x - i; cheaper than math.Round, which the hot path felt.
func roundInt(x float64) (int64, float64) {
	i := int64(x)
	d := x - float64(i)
	if d > 0.5 {
		i++
		d--
	} else if d < -0.5 {
		i--
		d++
	}
	return i, d
}

// appendRowLocked appends one row and returns the bytes the series grew by;
// the partition's mu must be held. vals[i].slot is overwritten.
func (s *headSeries) appendRowLocked(t int64, vals []headValue) int64 {
	before := s.footprint()
	if s.n > 0 && t <= s.lastT {
		s.unsorted = true
	}
	dense := true
	need := 2*binary.MaxVarintLen64 + 8
	top := len(s.prev)
	for i := range vals {
		vals[i].slot = int32(vals[i].f.idx)
		top = max(top, int(vals[i].slot)+1)
		dense = dense && vals[i].slot == int32(i)
		need += 2*binary.MaxVarintLen64 + 8 + len(vals[i].str)
	}
	if top > len(s.prev) {
		p := make([]uint64, top)
		copy(p, s.prev)
		s.prev = p
	}
	s.reserve(need)
	b := s.buf
	// Timestamp: wrapping delta, scaled by the coarsest unit that divides it.
	d := int64(uint64(t) - uint64(s.lastT))
	enc := false
	for u := 3; u >= 0; u-- {
		if d%tsUnits[u] != 0 {
			continue
		}
		if z := zigzag(d / tsUnits[u]); z < 1<<60 {
			b = binary.AppendUvarint(b, z<<3|uint64(u))
			enc = true
		}
		break
	}
	if !enc {
		b = append(b, tsUnitRaw)
		b = binary.LittleEndian.AppendUint64(b, uint64(t))
	}
	hdr := uint64(len(vals)) << 1
	if dense {
		hdr |= 1
	}
	b = binary.AppendUvarint(b, hdr)
	for i := range vals {
		v := &vals[i]
		if !dense {
			b = binary.AppendUvarint(b, uint64(v.slot))
		}
		prev := &s.prev[v.slot]
		switch v.f.typ {
		case model.Float:
			var hint int
			if v.slot < 21 {
				hint = int(s.khint>>(3*v.slot)) & 7
			}
			var k int
			b, k = appendFloat(b, v.bits, *prev, hint)
			if v.slot < 21 {
				s.khint = s.khint&^(7<<(3*v.slot)) | uint64(k)<<(3*v.slot)
			}
			*prev = v.bits
		case model.Integer, model.Unsigned:
			b = binary.AppendUvarint(b, zigzag(int64(v.bits-*prev)))
			*prev = v.bits
		case model.Boolean:
			if v.bits != 0 {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case model.String:
			off, n := *prev>>32, *prev&0xffffffff
			if bytes.Equal(b[off:off+n], v.str) {
				b = append(b, 0)
				break
			}
			b = binary.AppendUvarint(b, uint64(len(v.str))+1)
			if at := uint64(len(b)); at+uint64(len(v.str)) <= math.MaxUint32 {
				*prev = at<<32 | uint64(len(v.str))
			}
			b = append(b, v.str...)
		}
	}
	s.buf = b
	s.lastT = t
	s.minT, s.maxT = min(s.minT, t), max(s.maxT, t)
	s.n++
	return s.footprint() - before
}

// appendFloat encodes bits against prev (see headSeries), trying the
// decimal scale hint first, and returns the scale it used (floatRaw: none).
func appendFloat(b []byte, bits, prev uint64, hint int) ([]byte, int) {
	v := math.Float64frombits(bits)
	if hint > 0 && hint <= maxFloatExp {
		if i, ok := scaleExact(v, bits, hint); ok {
			return binary.AppendUvarint(b, zigzag(i-scaledPrev(prev, hint))<<3|uint64(hint)), hint
		}
	}
	for k := 0; k <= maxFloatExp; k++ {
		x := v * pow10[k]
		if !(x > -floatExactLm && x < floatExactLm) {
			break
		}
		i, d := roundInt(x)
		if d*d > 1e-18*x*x {
			continue // not close to an integer: skip the division below
		}
		if math.Float64bits(float64(i)/pow10[k]) != bits { // also rejects -0
			continue
		}
		return binary.AppendUvarint(b, zigzag(i-scaledPrev(prev, k))<<3|uint64(k)), k
	}
	b = append(b, floatRaw)
	return binary.LittleEndian.AppendUint64(b, bits), floatRaw
}

// scaleExact returns v·10^k as an integer when that gives v back exactly.
func scaleExact(v float64, bits uint64, k int) (int64, bool) {
	x := v * pow10[k]
	if !(x > -floatExactLm && x < floatExactLm) {
		return 0, false
	}
	i, d := roundInt(x)
	if d*d > 1e-18*x*x || math.Float64bits(float64(i)/pow10[k]) != bits {
		return 0, false
	}
	return i, true
}

// headDecoder reads the rows of a headSeries buffer. The buffer is written
// only by appendRowLocked, so a malformed one is a broken invariant.
type headDecoder struct {
	b   []byte
	off int
}

func (d *headDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		panic("BUG: malformed head series buffer")
	}
	d.off += n
	return v
}

func (d *headDecoder) byte1() byte {
	c := d.b[d.off]
	d.off++
	return c
}

func (d *headDecoder) u64() uint64 {
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// decodeLocked appends the series' rows to dst (a fresh seriesBuf) in arrival
// order; fields, when non-nil, selects columns by name. The partition's mu must be held.
func (s *headSeries) decodeLocked(dst *seriesBuf, fields map[string]bool) {
	list := s.m.listByIdx()
	dst.colsHint = len(s.prev)
	dst.ts = make([]int64, 0, s.n)
	prev := make([]uint64, len(s.prev))
	want := make([]bool, len(s.prev))
	for i := range want {
		want[i] = i < len(list) && list[i] != nil && (fields == nil || fields[list[i].name])
	}
	d := headDecoder{b: s.buf}
	var t int64
	for d.off < len(d.b) {
		if c := d.b[d.off]; c == tsUnitRaw {
			d.off++
			t = int64(d.u64())
		} else {
			z := d.uvarint()
			t = int64(uint64(t) + uint64(unzigzag(z>>3)*tsUnits[z&3]))
		}
		row, _ := dst.appendRowLocked(t)
		hdr := d.uvarint()
		n, dense := hdr>>1, hdr&1 == 1
		for k := uint64(0); k < n; k++ {
			slot := k
			if !dense {
				slot = d.uvarint()
			}
			f := list[slot]
			p := &prev[slot]
			var bits uint64
			var str []byte
			switch f.typ {
			case model.Float:
				c := d.uvarint()
				if e := int(c & 7); e == floatRaw {
					bits = d.u64()
				} else {
					i := unzigzag(c>>3) + scaledPrev(*p, e)
					bits = math.Float64bits(float64(i) / pow10[e])
				}
				*p = bits
			case model.Integer, model.Unsigned:
				bits = *p + uint64(unzigzag(d.uvarint()))
				*p = bits
			case model.Boolean:
				bits = uint64(d.byte1() & 1)
			case model.String:
				ln := d.uvarint()
				if ln == 0 {
					off, n := *p>>32, *p&0xffffffff
					str = d.b[off : off+n]
					break
				}
				at := uint64(d.off)
				str = d.b[d.off : d.off+int(ln-1)]
				d.off += int(ln - 1)
				if at+ln-1 <= math.MaxUint32 {
					*p = at<<32 | (ln - 1)
				}
			}
			if !want[slot] {
				continue
			}
			col, _ := dst.column(f)
			if f.typ == model.String {
				col.setString(row, str)
			} else {
				col.set(row, bits)
			}
		}
	}
}

// materializeLocked is seriesBuf.materializeLocked over the decoded rows.
func (s *headSeries) materializeLocked(min, max int64, fields map[string]bool) rows {
	if s.n == 0 || max < s.minT || min > s.maxT {
		return rows{}
	}
	if !s.unsorted {
		return s.materializeSortedLocked(min, max, fields)
	}
	// Decode every row (sorting needs them all), then sort and merge.
	ts, list, cols, order := s.decodeColumnsLocked(math.MinInt64, math.MaxInt64, fields)
	sb := seriesBuf{ts: ts, unsorted: true, cols: make([]headColumn, 0, len(order))}
	for _, slot := range order {
		cb := &cols[slot]
		if len(cb.vals) == 0 {
			continue
		}
		hc := headColumn{field: list[slot], vals: cb.vals}
		if cb.valid != nil {
			hc.ext = &columnExt{valid: make([]uint64, (len(cb.valid)+63)/64)}
			for i, ok := range cb.valid {
				if ok {
					hc.ext.valid[i>>6] |= 1 << (i & 63)
				}
			}
		}
		if hc.field.typ == model.String {
			if hc.ext == nil {
				hc.ext = &columnExt{}
			}
			for i, b := range cb.strs {
				hc.vals[i] = uint64(len(hc.ext.strs))<<32 | uint64(len(b))
				hc.ext.strs = append(hc.ext.strs, b...)
			}
		}
		sb.cols = append(sb.cols, hc)
	}
	return sb.materializeLocked(min, max, fields)
}

// colBuilder collects one column of a materialisation in sorted order.
type colBuilder struct {
	seen  bool // the slot occurs in the series (column order is first occurrence)
	vals  []uint64
	strs  [][]byte
	valid []bool // nil while every row below len(vals) is set
}

func (b *colBuilder) pad(row int, str bool) {
	n := len(b.vals)
	if n >= row {
		return
	}
	if b.valid == nil {
		b.valid = make([]bool, n, row+1)
		for i := range b.valid {
			b.valid[i] = true
		}
	}
	for ; n < row; n++ {
		b.vals = append(b.vals, 0)
		b.valid = append(b.valid, false)
		if str {
			b.strs = append(b.strs, nil)
		}
	}
}

func (b *colBuilder) set(row int, bits uint64, s []byte, str bool) {
	if row < len(b.vals) { // the field repeated in one point: the last wins
		b.vals[row] = bits
		if str {
			b.strs[row] = s
		}
		return
	}
	b.pad(row, str)
	b.vals = append(b.vals, bits)
	if str {
		b.strs = append(b.strs, s)
	}
	if b.valid != nil {
		b.valid = append(b.valid, true)
	}
}

// decodeColumnsLocked decodes the rows within [min, max] in arrival order
// straight into per-slot column builders; order lists the slots in order of
// first occurrence in the whole series. The partition's mu must be held.
func (s *headSeries) decodeColumnsLocked(min, max int64, fields map[string]bool) (ts []int64, list []*fieldDef, cols []colBuilder, order []int) {
	list = s.m.listByIdx()
	prev := make([]uint64, len(s.prev))
	cols = make([]colBuilder, len(s.prev))
	var out rows
	if min <= s.minT && max >= s.maxT {
		out.ts = make([]int64, 0, s.n)
	}
	d := headDecoder{b: s.buf}
	var t int64
	for d.off < len(d.b) {
		if c := d.b[d.off]; c == tsUnitRaw {
			d.off++
			t = int64(d.u64())
		} else {
			z := d.uvarint()
			t = int64(uint64(t) + uint64(unzigzag(z>>3)*tsUnits[z&3]))
		}
		in := t >= min && t <= max
		row := len(out.ts)
		if in {
			out.ts = append(out.ts, t)
		}
		hdr := d.uvarint()
		n, dense := hdr>>1, hdr&1 == 1
		for k := uint64(0); k < n; k++ {
			slot := k
			if !dense {
				slot = d.uvarint()
			}
			f := list[slot]
			p := &prev[slot]
			var bits uint64
			var str []byte
			switch f.typ {
			case model.Float:
				c := d.uvarint()
				if e := int(c & 7); e == floatRaw {
					bits = d.u64()
				} else {
					i := unzigzag(c>>3) + scaledPrev(*p, e)
					bits = math.Float64bits(float64(i) / pow10[e])
				}
				*p = bits
			case model.Integer, model.Unsigned:
				bits = *p + uint64(unzigzag(d.uvarint()))
				*p = bits
			case model.Boolean:
				bits = uint64(d.byte1() & 1)
			case model.String:
				ln := d.uvarint()
				if ln == 0 {
					off, n := *p>>32, *p&0xffffffff
					str = d.b[off : off+n]
					break
				}
				at := uint64(d.off)
				str = d.b[d.off : d.off+int(ln-1)]
				d.off += int(ln - 1)
				if at+ln-1 <= math.MaxUint32 {
					*p = at<<32 | (ln - 1)
				}
			}
			cb := &cols[slot]
			if !cb.seen {
				cb.seen = true
				order = append(order, int(slot))
			}
			if in && (fields == nil || fields[f.name]) {
				cb.set(row, bits, str, f.typ == model.String)
			}
		}
	}
	return out.ts, list, cols, order
}

// materializeSortedLocked is materializeLocked for a series whose rows
// arrived in strictly increasing time (no sorting, no duplicates): it decodes
// straight into the output columns. The partition's mu must be held.
func (s *headSeries) materializeSortedLocked(min, max int64, fields map[string]bool) rows {
	ts, list, cols, order := s.decodeColumnsLocked(min, max, fields)
	out := rows{ts: ts}
	nrows := len(out.ts)
	if nrows == 0 {
		return rows{}
	}
	for _, slot := range order {
		cb := &cols[slot]
		if len(cb.vals) == 0 {
			continue // no value in range, or not selected
		}
		f := list[slot]
		str := f.typ == model.String
		cb.pad(nrows, str)
		col := Column{Name: f.name, Type: f.typ}
		if cb.valid != nil {
			col.Valid = cb.valid
		}
		if str {
			col.Strings = make([][]byte, nrows)
			for i, b := range cb.strs {
				if col.IsValid(i) {
					col.Strings[i] = slices.Clone(b)
				}
			}
		} else {
			fillFromBits(&col, cb.vals)
		}
		out.cols = append(out.cols, col)
	}
	return out
}
