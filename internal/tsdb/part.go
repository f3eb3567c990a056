package tsdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb/encoding"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// A part is an immutable file of column blocks; docs/format/part.md has the
// exact layout. Blocks are sorted by series id then time; each holds at most
// maxBlockRows rows of one series: a timestamp column and one column per field,
// each encoded by internal/tsdb/encoding, plus per-column statistics in the
// index so aggregates over whole blocks need no decoding.

const (
	partMagic      = "FHPART01"
	partTrailerLen = 8 + 8 + 4 + 4 + 8
	// maxBlockRows is small enough that a query for one hour of 10 s data
	// decodes about one block, not a day's worth; readers accept any size.
	maxBlockRows = 1024
)

// partField is one field a part stores.
type partField struct {
	name string
	typ  model.FieldType
}

// colMeta describes one column of a block.
type colMeta struct {
	field  uint32 // index into the part's field table
	off    uint32 // offset of the column within the block
	length uint32
	count  uint32 // rows with a value
	// Statistics over the rows with a value, as 64-bit patterns of the
	// column's type (floats as IEEE bits). sum is float64 bits for floats and
	// int64/uint64 wrapping sums for integers; for booleans min/max/sum count
	// false/true/true. first/last are the values at the earliest/latest row
	// that has one. Strings have count, first and last only (as 0).
	min, max, sum, first, last uint64
}

// blockMeta is a block's entry in the part index, kept in memory for every
// block of every open part, so it is small: column metadata and statistics
// live in the block's own header and are read on demand.
type blockMeta struct {
	series     uint64
	minT, maxT int64
	off        int64
	length     uint32
	rows       uint32
	crc        uint32 // CRC-32C of the whole block
	hdrLen     uint32 // bytes of the block header at the start of the block
	hdrCRC     uint32 // CRC-32C of the header alone, for statistics-only reads
}

// blockHeader is the decoded header of a block.
type blockHeader struct {
	tsLen uint32 // bytes of the timestamp column at the start of the body
	cols  []colMeta
}

// partWriter writes a part file.
type partWriter struct {
	f       vfs.File
	w       *bufio.Writer
	off     int64
	fields  []partField
	refs    map[partField]uint32
	blocks  []blockMeta
	buf     []byte
	hdr     []byte
	tmp     []byte
	cols    []colMeta
	scratch struct {
		ints  []int64
		uints []uint64
		flts  []float64
		bools []bool
		strs  [][]byte
	}
}

func newPartWriter(f vfs.File) (*partWriter, error) {
	w := &partWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), refs: make(map[partField]uint32)}
	if _, err := w.w.WriteString(partMagic); err != nil {
		return nil, err
	}
	w.off = int64(len(partMagic))
	return w, nil
}

// writeSeries writes the rows of one series as one or more blocks. Series must
// be written in increasing id order.
func (w *partWriter) writeSeries(id uint64, r *rows) error {
	if n := len(w.blocks); n > 0 && w.blocks[n-1].series >= id {
		panic("BUG: part series written out of order")
	}
	for lo := 0; lo < len(r.ts); lo += maxBlockRows {
		hi := min(lo+maxBlockRows, len(r.ts))
		if err := w.writeBlock(id, r, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

func (w *partWriter) fieldRef(name string, typ model.FieldType) uint32 {
	k := partField{name, typ}
	if ref, ok := w.refs[k]; ok {
		return ref
	}
	ref := uint32(len(w.fields))
	w.fields = append(w.fields, k)
	w.refs[k] = ref
	return ref
}

func (w *partWriter) writeBlock(id uint64, r *rows, lo, hi int) error {
	ts := r.ts[lo:hi]
	body := encoding.AppendTimestamps(w.buf[:0], ts)
	bm := blockMeta{series: id, minT: ts[0], maxT: ts[len(ts)-1], rows: uint32(len(ts)), off: w.off}
	hdr := blockHeader{tsLen: uint32(len(body)), cols: w.cols[:0]}
	for ci := range r.cols {
		c := &r.cols[ci]
		start := len(body)
		cm := colMeta{field: w.fieldRef(c.Name, c.Type)}
		var valid []bool
		if c.Valid != nil {
			valid = c.Valid[lo:hi]
			n := 0
			for _, v := range valid {
				if v {
					n++
				}
			}
			if n == 0 {
				continue
			}
			if n == len(valid) {
				valid = nil
			}
		}
		if valid != nil {
			// Presence bitmap, length-prefixed so the values can be found without decoding it.
			body = append(body, 1)
			w.tmp = encoding.AppendBools(w.tmp[:0], valid)
			body = binary.AppendUvarint(body, uint64(len(w.tmp)))
			body = append(body, w.tmp...)
		} else {
			body = append(body, 0)
		}
		body = w.appendColumn(body, c, lo, hi, valid, &cm)
		cm.off = uint32(start)
		cm.length = uint32(len(body) - start)
		hdr.cols = append(hdr.cols, cm)
	}
	w.cols = hdr.cols
	h := appendBlockHeader(w.hdr[:0], &hdr)
	bm.hdrLen = uint32(len(h))
	bm.hdrCRC = crc32.Checksum(h, castagnoli)
	bm.crc = crc32.Update(bm.hdrCRC, castagnoli, body)
	bm.length = uint32(len(h) + len(body))
	if _, err := w.w.Write(h); err != nil {
		return err
	}
	if _, err := w.w.Write(body); err != nil {
		return err
	}
	w.off += int64(bm.length)
	w.blocks = append(w.blocks, bm)
	w.buf, w.hdr = body, h
	return nil
}

func appendBlockHeader(b []byte, h *blockHeader) []byte {
	b = binary.AppendUvarint(b, uint64(h.tsLen))
	b = binary.AppendUvarint(b, uint64(len(h.cols)))
	for _, c := range h.cols {
		b = binary.AppendUvarint(b, uint64(c.field))
		b = binary.AppendUvarint(b, uint64(c.off))
		b = binary.AppendUvarint(b, uint64(c.length))
		b = binary.AppendUvarint(b, uint64(c.count))
		for _, v := range [...]uint64{c.min, c.max, c.sum, c.first, c.last} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
	}
	return b
}

// parseBlockHeader decodes and bounds-checks a block header against its block.
func parseBlockHeader(pi *partIndex, bm *blockMeta, h []byte) (blockHeader, error) {
	r := recordReader{b: h}
	var out blockHeader
	out.tsLen = uint32(r.uvarint())
	bodyLen := uint64(bm.length - bm.hdrLen)
	nc := r.uvarint()
	if r.err == nil && (nc > uint64(len(pi.fields)) || uint64(out.tsLen) > bodyLen) {
		return out, fmt.Errorf("%w: block of series %d: header bounds", ErrCorrupt, bm.series)
	}
	out.cols = make([]colMeta, 0, nc)
	for j := uint64(0); j < nc && r.err == nil; j++ {
		var c colMeta
		c.field = uint32(r.uvarint())
		c.off = uint32(r.uvarint())
		c.length = uint32(r.uvarint())
		c.count = uint32(r.uvarint())
		c.min, c.max, c.sum, c.first, c.last = r.u64(), r.u64(), r.u64(), r.u64(), r.u64()
		if r.err == nil && (int(c.field) >= len(pi.fields) || uint64(c.off)+uint64(c.length) > bodyLen || c.count > bm.rows) {
			return out, fmt.Errorf("%w: block of series %d: column bounds", ErrCorrupt, bm.series)
		}
		out.cols = append(out.cols, c)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: block of series %d: trailing header bytes", ErrCorrupt, bm.series)
	}
	return out, r.err
}

// appendColumn encodes the valid values of c[lo:hi] and fills cm's statistics.
func (w *partWriter) appendColumn(buf []byte, c *Column, lo, hi int, valid []bool, cm *colMeta) []byte {
	keep := func(i int) bool { return valid == nil || valid[i-lo] }
	switch c.Type {
	case model.Float:
		vs := w.scratch.flts[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				vs = append(vs, c.Floats[i])
			}
		}
		w.scratch.flts = vs
		mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, v := range vs {
			mn, mx, sum = math.Min(mn, v), math.Max(mx, v), sum+v
		}
		cm.count, cm.min, cm.max, cm.sum = uint32(len(vs)), math.Float64bits(mn), math.Float64bits(mx), math.Float64bits(sum)
		cm.first, cm.last = math.Float64bits(vs[0]), math.Float64bits(vs[len(vs)-1])
		return encoding.AppendFloats(buf, vs)
	case model.Integer:
		vs := w.scratch.ints[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				vs = append(vs, c.Integers[i])
			}
		}
		w.scratch.ints = vs
		mn, mx, sum := int64(math.MaxInt64), int64(math.MinInt64), int64(0)
		for _, v := range vs {
			mn, mx, sum = min(mn, v), max(mx, v), sum+v
		}
		cm.count, cm.min, cm.max, cm.sum = uint32(len(vs)), uint64(mn), uint64(mx), uint64(sum)
		cm.first, cm.last = uint64(vs[0]), uint64(vs[len(vs)-1])
		return encoding.AppendIntegers(buf, vs)
	case model.Unsigned:
		vs := w.scratch.uints[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				vs = append(vs, c.Unsigned[i])
			}
		}
		w.scratch.uints = vs
		mn, mx, sum := uint64(math.MaxUint64), uint64(0), uint64(0)
		for _, v := range vs {
			mn, mx, sum = min(mn, v), max(mx, v), sum+v
		}
		cm.count, cm.min, cm.max, cm.sum = uint32(len(vs)), mn, mx, sum
		cm.first, cm.last = vs[0], vs[len(vs)-1]
		return encoding.AppendUnsigneds(buf, vs)
	case model.Boolean:
		vs := w.scratch.bools[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				vs = append(vs, c.Bools[i])
			}
		}
		w.scratch.bools = vs
		var trues uint64
		for _, v := range vs {
			if v {
				trues++
			}
		}
		cm.count = uint32(len(vs))
		cm.min = b2u(trues == uint64(len(vs)))
		cm.max = b2u(trues > 0)
		cm.sum = trues
		cm.first, cm.last = b2u(vs[0]), b2u(vs[len(vs)-1])
		return encoding.AppendBools(buf, vs)
	case model.String:
		vs := w.scratch.strs[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				vs = append(vs, c.Strings[i])
			}
		}
		w.scratch.strs = vs
		cm.count = uint32(len(vs))
		return encoding.AppendStrings(buf, vs)
	}
	panic("BUG: unknown column type")
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// finish writes the index and trailer and syncs the file. It does not close it.
func (w *partWriter) finish() error {
	idx := w.encodeIndex()
	if _, err := w.w.Write(idx); err != nil {
		return err
	}
	var tr [partTrailerLen]byte
	binary.LittleEndian.PutUint64(tr[0:], uint64(w.off))
	binary.LittleEndian.PutUint64(tr[8:], uint64(len(idx)))
	binary.LittleEndian.PutUint32(tr[16:], crc32.Checksum(idx, castagnoli))
	binary.LittleEndian.PutUint32(tr[20:], 1) // index format version
	copy(tr[24:], partMagic)
	if _, err := w.w.Write(tr[:]); err != nil {
		return err
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	return w.f.Sync()
}

func (w *partWriter) encodeIndex() []byte {
	b := make([]byte, 0, 64+len(w.blocks)*96)
	b = binary.AppendUvarint(b, uint64(len(w.fields)))
	for _, f := range w.fields {
		b = binary.AppendUvarint(b, uint64(len(f.name)))
		b = append(b, f.name...)
		b = append(b, byte(f.typ))
	}
	b = binary.AppendUvarint(b, uint64(len(w.blocks)))
	var prevSeries uint64
	var prevOff int64
	for i := range w.blocks {
		bm := &w.blocks[i]
		b = binary.AppendUvarint(b, bm.series-prevSeries)
		prevSeries = bm.series
		b = binary.AppendVarint(b, bm.minT)
		b = binary.AppendUvarint(b, uint64(bm.maxT-bm.minT))
		b = binary.AppendUvarint(b, uint64(bm.rows))
		b = binary.AppendUvarint(b, uint64(bm.off-prevOff))
		prevOff = bm.off
		b = binary.AppendUvarint(b, uint64(bm.length))
		b = binary.AppendUvarint(b, uint64(bm.hdrLen))
		b = binary.LittleEndian.AppendUint32(b, bm.crc)
		b = binary.LittleEndian.AppendUint32(b, bm.hdrCRC)
	}
	return b
}

// partIndex is the decoded index of a part.
type partIndex struct {
	fields []partField
	blocks []blockMeta
}

// readPartIndex reads and verifies the index of a part file of size bytes.
func readPartIndex(f vfs.File, size int64) (*partIndex, error) {
	if size < int64(len(partMagic))+partTrailerLen {
		return nil, fmt.Errorf("%w: part file too short (%d bytes)", ErrCorrupt, size)
	}
	var head [len(partMagic)]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if string(head[:]) != partMagic {
		return nil, fmt.Errorf("%w: part file has no header magic", ErrCorrupt)
	}
	var tr [partTrailerLen]byte
	if _, err := f.ReadAt(tr[:], size-partTrailerLen); err != nil {
		return nil, err
	}
	if string(tr[24:]) != partMagic {
		return nil, fmt.Errorf("%w: part file has no trailer magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(tr[20:]); v != 1 {
		return nil, fmt.Errorf("%w: part index version %d unknown", ErrCorrupt, v)
	}
	off := int64(binary.LittleEndian.Uint64(tr[0:]))
	n := int64(binary.LittleEndian.Uint64(tr[8:]))
	if off < int64(len(partMagic)) || n < 0 || off+n != size-partTrailerLen {
		return nil, fmt.Errorf("%w: part index bounds %d+%d in a %d-byte file", ErrCorrupt, off, n, size)
	}
	idx := make([]byte, n)
	if _, err := f.ReadAt(idx, off); err != nil {
		return nil, err
	}
	if crc32.Checksum(idx, castagnoli) != binary.LittleEndian.Uint32(tr[16:]) {
		return nil, fmt.Errorf("%w: part index checksum mismatch", ErrCorrupt)
	}
	pi, err := decodePartIndex(idx, off)
	if err != nil {
		return nil, err
	}
	return pi, nil
}

func decodePartIndex(b []byte, dataEnd int64) (*partIndex, error) {
	r := recordReader{b: b}
	pi := &partIndex{}
	nf := r.uvarint()
	if nf > uint64(len(b)) {
		return nil, fmt.Errorf("%w: part index field count", ErrCorrupt)
	}
	for i := uint64(0); i < nf && r.err == nil; i++ {
		name := r.bytes()
		typ := model.FieldType(r.byte1())
		if typ < model.Float || typ > model.String {
			return nil, fmt.Errorf("%w: part index field type %d", ErrCorrupt, typ)
		}
		pi.fields = append(pi.fields, partField{string(name), typ})
	}
	nb := r.uvarint()
	if nb > uint64(len(b)) {
		return nil, fmt.Errorf("%w: part index block count", ErrCorrupt)
	}
	pi.blocks = make([]blockMeta, 0, nb)
	var series uint64
	var off int64
	for i := uint64(0); i < nb && r.err == nil; i++ {
		var bm blockMeta
		series += r.uvarint()
		bm.series = series
		bm.minT = r.varint()
		bm.maxT = bm.minT + int64(r.uvarint())
		bm.rows = uint32(r.uvarint())
		off += int64(r.uvarint())
		bm.off = off
		bm.length = uint32(r.uvarint())
		bm.hdrLen = uint32(r.uvarint())
		if len(r.b) < 8 {
			r.err = fmt.Errorf("%w: part index ends early", ErrCorrupt)
			break
		}
		bm.crc = binary.LittleEndian.Uint32(r.b)
		bm.hdrCRC = binary.LittleEndian.Uint32(r.b[4:])
		r.b = r.b[8:]
		if r.err == nil && (bm.off+int64(bm.length) > dataEnd || bm.hdrLen > bm.length || bm.rows == 0 || bm.maxT < bm.minT) {
			return nil, fmt.Errorf("%w: part index block %d bounds", ErrCorrupt, i)
		}
		pi.blocks = append(pi.blocks, bm)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: trailing bytes in part index", ErrCorrupt)
	}
	if r.err != nil {
		return nil, r.err
	}
	return pi, nil
}

// readBlock reads and checksums the bytes of a block into buf.
func readBlock(f vfs.File, bm *blockMeta, buf []byte) ([]byte, error) {
	if cap(buf) < int(bm.length) {
		buf = make([]byte, bm.length)
	}
	buf = buf[:bm.length]
	if _, err := f.ReadAt(buf, bm.off); err != nil {
		return nil, err
	}
	if crc32.Checksum(buf, castagnoli) != bm.crc {
		return nil, fmt.Errorf("%w: block of series %d at offset %d: checksum mismatch", ErrCorrupt, bm.series, bm.off)
	}
	return buf, nil
}

// readBlockHeader reads and checksums only a block's header (its column
// directory and statistics).
func readBlockHeader(f vfs.File, pi *partIndex, bm *blockMeta, buf []byte) (blockHeader, []byte, error) {
	if cap(buf) < int(bm.hdrLen) {
		buf = make([]byte, bm.hdrLen)
	}
	buf = buf[:bm.hdrLen]
	if _, err := f.ReadAt(buf, bm.off); err != nil {
		return blockHeader{}, buf, err
	}
	if crc32.Checksum(buf, castagnoli) != bm.hdrCRC {
		return blockHeader{}, buf, fmt.Errorf("%w: block header of series %d at offset %d: checksum mismatch", ErrCorrupt, bm.series, bm.off)
	}
	h, err := parseBlockHeader(pi, bm, buf)
	return h, buf, err
}

// decodeBlock decodes a block's timestamps and the columns selected by want
// (nil: all). The result owns its memory.
func decodeBlock(pi *partIndex, bm *blockMeta, data []byte, want func(name string) bool) (rows, error) {
	var out rows
	hdr, err := parseBlockHeader(pi, bm, data[:bm.hdrLen])
	if err != nil {
		return out, err
	}
	body := data[bm.hdrLen:]
	ts, err := encoding.DecodeTimestamps(make([]int64, 0, bm.rows), body[:hdr.tsLen])
	if err != nil {
		return out, fmt.Errorf("block of series %d: timestamps: %w", bm.series, wrapCorrupt(err))
	}
	if len(ts) != int(bm.rows) {
		return out, fmt.Errorf("%w: block of series %d has %d timestamps, index says %d", ErrCorrupt, bm.series, len(ts), bm.rows)
	}
	out.ts = ts
	for _, cm := range hdr.cols {
		pf := pi.fields[cm.field]
		if want != nil && !want(pf.name) {
			continue
		}
		col, err := decodeColumn(pf, body[cm.off:cm.off+cm.length], len(ts))
		if err != nil {
			return out, fmt.Errorf("block of series %d: field %q: %w", bm.series, pf.name, err)
		}
		out.cols = append(out.cols, col)
	}
	return out, nil
}

func wrapCorrupt(err error) error {
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

func decodeColumn(pf partField, b []byte, nrows int) (Column, error) {
	col := Column{Name: pf.name, Type: pf.typ}
	if len(b) == 0 {
		return col, fmt.Errorf("%w: empty column", ErrCorrupt)
	}
	hasNulls := b[0] == 1
	b = b[1:]
	var valid []bool
	if hasNulls {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return col, fmt.Errorf("%w: presence bitmap length", ErrCorrupt)
		}
		var err error
		valid, err = encoding.DecodeBools(make([]bool, 0, nrows), b[w:w+int(n)])
		if err != nil {
			return col, wrapCorrupt(err)
		}
		if len(valid) != nrows {
			return col, fmt.Errorf("%w: presence bitmap has %d rows, want %d", ErrCorrupt, len(valid), nrows)
		}
		b = b[w+int(n):]
		col.Valid = valid
	}
	nvals := nrows
	if valid != nil {
		nvals = 0
		for _, v := range valid {
			if v {
				nvals++
			}
		}
	}
	var err error
	var got int
	switch pf.typ {
	case model.Float:
		var vs []float64
		vs, err = encoding.DecodeFloats(make([]float64, 0, nvals), b)
		got = len(vs)
		if err == nil && got == nvals {
			col.Floats = expand(vs, valid, nrows)
		}
	case model.Integer:
		var vs []int64
		vs, err = encoding.DecodeIntegers(make([]int64, 0, nvals), b)
		got = len(vs)
		if err == nil && got == nvals {
			col.Integers = expand(vs, valid, nrows)
		}
	case model.Unsigned:
		var vs []uint64
		vs, err = encoding.DecodeUnsigneds(make([]uint64, 0, nvals), b)
		got = len(vs)
		if err == nil && got == nvals {
			col.Unsigned = expand(vs, valid, nrows)
		}
	case model.Boolean:
		var vs []bool
		vs, err = encoding.DecodeBools(make([]bool, 0, nvals), b)
		got = len(vs)
		if err == nil && got == nvals {
			col.Bools = expand(vs, valid, nrows)
		}
	case model.String:
		var vs [][]byte
		vs, err = encoding.DecodeStrings(make([][]byte, 0, nvals), b)
		got = len(vs)
		if err == nil && got == nvals {
			// Decoded strings may alias the block buffer, which is reused.
			for i := range vs {
				vs[i] = append([]byte(nil), vs[i]...)
			}
			col.Strings = expand(vs, valid, nrows)
		}
	}
	if err != nil {
		return col, wrapCorrupt(err)
	}
	if got != nvals {
		return col, fmt.Errorf("%w: column has %d values, want %d", ErrCorrupt, got, nvals)
	}
	return col, nil
}

// expand spreads the packed values vs over nrows rows where valid is true.
func expand[T any](vs []T, valid []bool, nrows int) []T {
	if valid == nil {
		return vs
	}
	out := make([]T, nrows)
	j := 0
	for i, ok := range valid {
		if ok {
			out[i] = vs[j]
			j++
		}
	}
	return out
}
