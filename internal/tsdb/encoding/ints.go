package encoding

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Integer blocks serve timestamps, signed and unsigned integers, the
// mantissas of decimal floats and the indices of string dictionaries. The
// engine works on uint64 two's-complement patterns with wrapping arithmetic,
// so deltas between MinInt64 and MaxInt64 (or 0 and MaxUint64) overflow
// harmlessly and still decode to the exact input.

// miniblock is the number of values that share one bit width and reference.
// 128 values of any width end on a byte boundary.
const miniblock = 128

// AppendTimestamps appends the encoding of ts (any order, usually
// ascending) to dst. Timestamps use the integer codecs; regular intervals
// become a three-number run and jittered ones delta-of-delta bit-packing.
func AppendTimestamps(dst []byte, ts []int64) []byte {
	return appendInts(dst, asUint64s(ts))
}

// DecodeTimestamps appends the timestamps encoded in src to dst[:0].
func DecodeTimestamps(dst []int64, src []byte) ([]int64, error) {
	return DecodeIntegers(dst, src)
}

// AppendIntegers appends the encoding of v to dst.
func AppendIntegers(dst []byte, v []int64) []byte {
	return appendInts(dst, asUint64s(v))
}

// DecodeIntegers appends the integers encoded in src to dst[:0].
func DecodeIntegers(dst []int64, src []byte) ([]int64, error) {
	u, err := decodeInts(asUint64s(dst[:0]), src)
	return asInt64s(u), err
}

// AppendUnsigneds appends the encoding of v to dst.
func AppendUnsigneds(dst []byte, v []uint64) []byte {
	return appendInts(dst, v)
}

// DecodeUnsigneds appends the unsigned integers encoded in src to dst[:0].
func DecodeUnsigneds(dst []uint64, src []byte) ([]uint64, error) {
	return decodeInts(dst[:0], src)
}

// asUint64s reinterprets a []int64 as []uint64 (identical layout), so one
// implementation serves both types without copying.
func asUint64s(v []int64) []uint64 {
	if cap(v) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), cap(v))[:len(v)]
}

func asInt64s(v []uint64) []int64 {
	if cap(v) == 0 {
		return nil
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(v))), cap(v))[:len(v)]
}

// transform selects the sequence a miniblock codec packs.
type transform uint8

const (
	tfFOR   transform = iota // the values themselves
	tfDelta                  // v[i] - v[i-1], i ≥ 1
	tfDoD                    // (v[i]-v[i-1]) - (v[i-1]-v[i-2]), i ≥ 2
)

// derived returns element i of the sequence t derives from v.
func derived(v []uint64, t transform, i int) uint64 {
	switch t {
	case tfDelta:
		return v[i] - v[i-1]
	case tfDoD:
		return v[i] - 2*v[i-1] + v[i-2]
	}
	return v[i]
}

// packedCost returns the encoded size in bytes of the miniblocks of the
// sequence t derives from v, starting at index start. It mirrors
// appendMiniblocks exactly.
func packedCost(v []uint64, t transform, start int) int {
	cost := 0
	for lo := start; lo < len(v); lo += miniblock {
		hi := min(lo+miniblock, len(v))
		mn, mx := seqMinMax(v, t, lo, hi)
		w := uint(bits.Len64(uint64(mx) - uint64(mn)))
		cost += 1 + varintLen(mn) + packedLen(hi-lo, w)
	}
	return cost
}

// seqMinMax returns the signed minimum and maximum of derived(v, t, i) for
// i in [lo, hi). The loops are specialised per transform because this is the
// encoder's hot path.
func seqMinMax(v []uint64, t transform, lo, hi int) (mn, mx int64) {
	switch t {
	case tfFOR:
		mn, mx = int64(v[lo]), int64(v[lo])
		for _, x := range v[lo:hi] {
			mn, mx = min(mn, int64(x)), max(mx, int64(x))
		}
	case tfDelta:
		d := int64(v[lo] - v[lo-1])
		mn, mx = d, d
		for i := lo + 1; i < hi; i++ {
			d := int64(v[i] - v[i-1])
			mn, mx = min(mn, d), max(mx, d)
		}
	default:
		d := int64(v[lo] - 2*v[lo-1] + v[lo-2])
		mn, mx = d, d
		for i := lo + 1; i < hi; i++ {
			d := int64(v[i] - 2*v[i-1] + v[i-2])
			mn, mx = min(mn, d), max(mx, d)
		}
	}
	return mn, mx
}

// appendMiniblocks writes the sequence t derives from v[start:] as
// miniblocks: byte width, varint reference (the signed minimum), then the
// packed offsets from the reference.
func appendMiniblocks(dst []byte, v []uint64, t transform, start int) []byte {
	var tmp [miniblock]uint64
	for lo := start; lo < len(v); lo += miniblock {
		hi := min(lo+miniblock, len(v))
		mn, mx := seqMinMax(v, t, lo, hi)
		w := uint(bits.Len64(uint64(mx) - uint64(mn)))
		dst = append(dst, byte(w))
		dst = binary.AppendVarint(dst, mn)
		if w == 0 {
			continue
		}
		buf := tmp[:hi-lo]
		switch t {
		case tfFOR:
			for j, x := range v[lo:hi] {
				buf[j] = x - uint64(mn)
			}
		default:
			for j := range buf {
				buf[j] = derived(v, t, lo+j) - uint64(mn)
			}
		}
		dst = pack(dst, buf, w)
	}
	return dst
}

func varintLen(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return (bits.Len64(ux|1) + 6) / 7
}

// appendInts chooses the smallest integer codec for v and appends it.
func appendInts(dst []byte, v []uint64) []byte {
	n := len(v)
	if n == 0 {
		return appendHeader(dst, idIntRaw, 0)
	}
	if n <= MaxRunValues {
		if n == 1 || isRun(v) {
			step := uint64(0)
			if n > 1 {
				step = v[1] - v[0]
			}
			if step == 0 {
				dst = appendHeader(dst, idIntConst, n)
				return binary.AppendVarint(dst, int64(v[0]))
			}
			dst = appendHeader(dst, idIntRun, n)
			dst = binary.AppendVarint(dst, int64(v[0]))
			return binary.AppendVarint(dst, int64(step))
		}
	}
	rleCost := -1
	if n <= MaxRunValues {
		rleCost = runLengthCost(v, n/4)
	}
	best, bestCost := tfFOR, packedCost(v, tfFOR, 0)
	if n >= 2 {
		if c := varintLen(int64(v[0])) + packedCost(v, tfDelta, 1); c < bestCost {
			best, bestCost = tfDelta, c
		}
	}
	if n >= 3 {
		c := varintLen(int64(v[0])) + varintLen(int64(v[1]-v[0])) + packedCost(v, tfDoD, 2)
		if c < bestCost {
			best, bestCost = tfDoD, c
		}
	}
	if rleCost >= 0 && rleCost <= bestCost {
		return appendRunLength(dst, v)
	}
	if bestCost >= 8*n {
		dst = appendHeader(dst, idIntRaw, n)
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint64(dst, x)
		}
		return dst
	}
	switch best {
	case tfFOR:
		dst = appendHeader(dst, idIntFOR, n)
		return appendMiniblocks(dst, v, tfFOR, 0)
	case tfDelta:
		dst = appendHeader(dst, idIntDelta, n)
		dst = binary.AppendVarint(dst, int64(v[0]))
		return appendMiniblocks(dst, v, tfDelta, 1)
	default:
		dst = appendHeader(dst, idIntDoD, n)
		dst = binary.AppendVarint(dst, int64(v[0]))
		dst = binary.AppendVarint(dst, int64(v[1]-v[0]))
		return appendMiniblocks(dst, v, tfDoD, 2)
	}
}

// runLengthCost returns the size of v's run-length form after the header,
// or -1 when v has more than maxRuns runs of equal values.
func runLengthCost(v []uint64, maxRuns int) int {
	runs, cost, start := 0, 0, 0
	prev := uint64(0)
	for i := 1; i <= len(v); i++ {
		if i < len(v) && v[i] == v[start] {
			continue
		}
		if runs++; runs > maxRuns {
			return -1
		}
		cost += varintLen(int64(v[start]-prev)) + uvarintLen(uint64(i-start))
		prev, start = v[start], i
	}
	return uvarintLen(uint64(runs)) + cost
}

// appendRunLength writes uvarint run count, then per run the varint
// difference from the previous run's value (the first from 0) and the
// uvarint run length.
func appendRunLength(dst []byte, v []uint64) []byte {
	dst = appendHeader(dst, idIntRLE, len(v))
	runs := 0
	for i := 1; i <= len(v); i++ {
		if i == len(v) || v[i] != v[i-1] {
			runs++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(runs))
	start := 0
	prev := uint64(0)
	for i := 1; i <= len(v); i++ {
		if i < len(v) && v[i] == v[start] {
			continue
		}
		dst = binary.AppendVarint(dst, int64(v[start]-prev))
		dst = binary.AppendUvarint(dst, uint64(i-start))
		prev, start = v[start], i
	}
	return dst
}

// isRun reports whether v (len ≥ 2) is an arithmetic progression.
func isRun(v []uint64) bool {
	step := v[1] - v[0]
	for i := 2; i < len(v); i++ {
		if v[i]-v[i-1] != step {
			return false
		}
	}
	return true
}

// decodeInts decodes an integer block, appending to dst (which the callers
// pass as dst[:0]). src must hold exactly one block.
func decodeInts(dst []uint64, src []byte) ([]uint64, error) {
	id, n, rest, err := readHeader(src)
	if err != nil {
		return dst, err
	}
	switch id {
	case idIntRaw:
		if len(rest) != 8*n {
			return dst, corruptf("raw integer block: %d bytes for %d values", len(rest), n)
		}
		out := grow(dst, n)
		for i := range out {
			out[i] = binary.LittleEndian.Uint64(rest[8*i:])
		}
		return out, nil
	case idIntConst, idIntRun:
		if n > MaxRunValues {
			return dst, errCount
		}
		first, rest, err := readVarint(rest)
		if err != nil {
			return dst, err
		}
		step := int64(0)
		if id == idIntRun {
			if step, rest, err = readVarint(rest); err != nil {
				return dst, err
			}
		}
		if len(rest) != 0 {
			return dst, errTrailing
		}
		out := grow(dst, n)
		x := uint64(first)
		for i := range out {
			out[i] = x
			x += uint64(step)
		}
		return out, nil
	case idIntRLE:
		return decodeRunLength(dst, n, rest)
	case idIntFOR, idIntDelta, idIntDoD:
		return decodeMiniblockInts(dst, id, n, rest)
	}
	return dst, corruptf("codec id %#x is not an integer codec", id)
}

func decodeMiniblockInts(dst []uint64, id byte, n int, src []byte) ([]uint64, error) {
	if n == 0 {
		return dst, corruptf("empty miniblock integer block")
	}
	out := grow(dst, n)
	var err error
	start := 0
	var prev, prevDelta uint64
	if id != idIntFOR {
		var first int64
		if first, src, err = readVarint(src); err != nil {
			return dst, err
		}
		out[0], prev, start = uint64(first), uint64(first), 1
		if id == idIntDoD && n > 1 {
			var d int64
			if d, src, err = readVarint(src); err != nil {
				return dst, err
			}
			prevDelta = uint64(d)
			prev += prevDelta
			out[1], start = prev, 2
		}
	}
	for lo := start; lo < n; lo += miniblock {
		hi := min(lo+miniblock, n)
		if len(src) < 2 {
			return dst, errTruncated
		}
		w := uint(src[0])
		if w > 64 {
			return dst, corruptf("bit width %d", w)
		}
		var ref int64
		if ref, src, err = readVarint(src[1:]); err != nil {
			return dst, err
		}
		plen := packedLen(hi-lo, w)
		if len(src) < plen {
			return dst, errTruncated
		}
		blk := out[lo:hi]
		unpack(blk, src[:plen], w)
		src = src[plen:]
		r := uint64(ref)
		switch id {
		case idIntFOR:
			for j := range blk {
				blk[j] += r
			}
		case idIntDelta:
			for j := range blk {
				prev += blk[j] + r
				blk[j] = prev
			}
		default:
			for j := range blk {
				prevDelta += blk[j] + r
				prev += prevDelta
				blk[j] = prev
			}
		}
	}
	if len(src) != 0 {
		return dst, errTrailing
	}
	return out, nil
}

func decodeRunLength(dst []uint64, n int, src []byte) ([]uint64, error) {
	if n > MaxRunValues {
		return dst, errCount
	}
	runs, src, err := readUvarint(src)
	if err != nil {
		return dst, err
	}
	if runs > uint64(len(src)/2) || runs > uint64(n) {
		return dst, corruptf("%d runs", runs)
	}
	out := grow(dst, n)
	i := 0
	x := uint64(0)
	for range runs {
		var d int64
		var l uint64
		if d, src, err = readVarint(src); err != nil {
			return dst, err
		}
		if l, src, err = readUvarint(src); err != nil {
			return dst, err
		}
		if l == 0 || l > uint64(n-i) {
			return dst, corruptf("run of %d at %d of %d", l, i, n)
		}
		x += uint64(d)
		for j := range out[i : i+int(l)] {
			out[i+j] = x
		}
		i += int(l)
	}
	if i != n {
		return dst, corruptf("runs cover %d of %d values", i, n)
	}
	if len(src) != 0 {
		return dst, errTrailing
	}
	return out, nil
}
