package encoding

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"unsafe"
)

var pow10Int = [19]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

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
)

// packedCost returns the encoded size in bytes of the miniblocks of the
// sequence t derives from v, starting at index start, without patches (an
// upper bound: patching is planned only for the codec finally chosen, which
// keeps the encoder fast).
func packedCost(v []uint64, t transform, start int) int {
	cost := 0
	for lo := start; lo < len(v); lo += miniblock {
		hi := min(lo+miniblock, len(v))
		mn, mx := seqMinMax(v, t, lo, hi)
		cost += 1 + varintLen(mn) + packedLen(hi-lo, uint(bits.Len64(uint64(mx)-uint64(mn))))
	}
	return cost
}

// maxPatches is the most outliers a miniblock stores outside its packed
// bits; the encoder considers dropping up to that many extreme values.
const maxPatches = 3

// mbPlan describes how one miniblock is written: values in [ref, hi] are
// packed with w bits, the (at most maxPatches) others are patched.
type mbPlan struct {
	ref, hi int64
	w       uint
	patched bool
	cost    int // estimated bytes
}

// planMiniblock picks the reference and width of the miniblock [lo, hi) of
// the sequence t derives from v. A few outliers (a gap in timestamps, a
// glitching sensor) would otherwise widen all 128 values, so when the plain
// width is large the plan may exclude up to maxPatches of the smallest and
// largest values and store them as patches.
func planMiniblock(v []uint64, t transform, lo, hi int) mbPlan {
	mn, mx := seqMinMax(v, t, lo, hi)
	w := uint(bits.Len64(uint64(mx) - uint64(mn)))
	cnt := hi - lo
	best := mbPlan{ref: mn, hi: mx, w: w, cost: 1 + varintLen(mn) + packedLen(cnt, w)}
	if w < 8 || cnt < 16 {
		return best
	}
	// The maxPatches+1 smallest and largest values, in order from the
	// extremes inwards.
	var small, large [maxPatches + 1]int64
	for i := range small {
		small[i], large[i] = mx, mn
	}
	for i := lo; i < hi; i++ {
		x := int64(v[i])
		if t == tfDelta {
			x = int64(v[i] - v[i-1])
		}
		if x >= small[maxPatches] && x <= large[maxPatches] {
			continue // the common case: not among the extremes
		}
		if x < small[maxPatches] {
			j := maxPatches
			for ; j > 0 && small[j-1] > x; j-- {
				small[j] = small[j-1]
			}
			small[j] = x
		}
		if x > large[maxPatches] {
			j := maxPatches
			for ; j > 0 && large[j-1] < x; j-- {
				large[j] = large[j-1]
			}
			large[j] = x
		}
	}
	for a := 0; a <= maxPatches; a++ {
		for b := 0; a+b <= maxPatches; b++ {
			if a+b == 0 || small[a] > large[b] {
				continue
			}
			pw := uint(bits.Len64(uint64(large[b]) - uint64(small[a])))
			cost := 2 + varintLen(small[a]) + packedLen(cnt, pw)
			for k := range a {
				cost += 1 + varintLen(small[k])
			}
			for k := range b {
				cost += 1 + varintLen(large[k])
			}
			if cost < best.cost {
				best = mbPlan{ref: small[a], hi: large[b], w: pw, patched: true, cost: cost}
			}
		}
	}
	return best
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
	default:
		d := int64(v[lo] - v[lo-1])
		mn, mx = d, d
		for i := lo + 1; i < hi; i++ {
			d := int64(v[i] - v[i-1])
			mn, mx = min(mn, d), max(mx, d)
		}
	}
	return mn, mx
}

// appendMiniblocks writes the sequence t derives from v[start:] as
// miniblocks (see planMiniblock and docs/format/encoding.md).
func appendMiniblocks(dst []byte, v []uint64, t transform, start int) []byte {
	var tmp [miniblock]uint64
	for lo := start; lo < len(v); lo += miniblock {
		hi := min(lo+miniblock, len(v))
		p := planMiniblock(v, t, lo, hi)
		buf := tmp[:hi-lo]
		switch t {
		case tfFOR:
			copy(buf, v[lo:hi])
		default:
			for j := range buf {
				buf[j] = v[lo+j] - v[lo+j-1]
			}
		}
		if !p.patched {
			dst = append(dst, byte(p.w))
			dst = binary.AppendVarint(dst, p.ref)
			if p.w == 0 {
				continue
			}
			for j := range buf {
				buf[j] -= uint64(p.ref)
			}
			dst = pack(dst, buf, p.w)
			continue
		}
		dst = append(dst, byte(p.w)|0x80)
		dst = binary.AppendVarint(dst, p.ref)
		countAt := len(dst)
		dst = append(dst, 0)
		for j, x := range buf {
			if int64(x) < p.ref || int64(x) > p.hi {
				dst = append(dst, byte(j))
				dst = binary.AppendVarint(dst, int64(x))
				dst[countAt]++
				buf[j] = 0
				continue
			}
			buf[j] = x - uint64(p.ref)
		}
		dst = pack(dst, buf, p.w)
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
	forCost := packedCost(v, tfFOR, 0)
	if n < 2 {
		return appendFOR(dst, v, forCost)
	}
	sc := intScratchPool.Get().(*intScratch)
	defer intScratchPool.Put(sc)
	d := deltas(sc, v)
	k := decimalScale(d)
	deltaCost := 1 + varintLen(int64(v[0])) + packedCost(d, tfFOR, 0)
	dodCost := math.MaxInt
	if n >= 3 {
		dodCost = 1 + varintLen(int64(v[0])) + varintLen(int64(d[0])) + packedCost(d, tfDelta, 1)
	}
	switch {
	case rleCost >= 0 && rleCost <= min(forCost, deltaCost, dodCost):
		return appendRunLength(dst, v)
	case forCost <= deltaCost && forCost <= dodCost:
		return appendFOR(dst, v, forCost)
	case min(deltaCost, dodCost) >= 8*n:
		return appendRaw(dst, v)
	case deltaCost <= dodCost:
		dst = appendHeader(dst, idIntDelta, n)
		dst = append(dst, byte(k))
		dst = binary.AppendVarint(dst, int64(v[0]))
		return appendMiniblocks(dst, d, tfFOR, 0)
	default:
		dst = appendHeader(dst, idIntDoD, n)
		dst = append(dst, byte(k))
		dst = binary.AppendVarint(dst, int64(v[0]))
		dst = binary.AppendVarint(dst, int64(d[0]))
		return appendMiniblocks(dst, d, tfDelta, 1)
	}
}

func appendFOR(dst []byte, v []uint64, cost int) []byte {
	if cost >= 8*len(v) {
		return appendRaw(dst, v)
	}
	dst = appendHeader(dst, idIntFOR, len(v))
	return appendMiniblocks(dst, v, tfFOR, 0)
}

func appendRaw(dst []byte, v []uint64) []byte {
	dst = appendHeader(dst, idIntRaw, len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, x)
	}
	return dst
}

// intScratch holds the encoder's delta buffer between calls.
type intScratch struct{ d []uint64 }

var intScratchPool = sync.Pool{New: func() any { return new(intScratch) }}

// deltas stores the wrapping differences of v in sc and returns them.
func deltas(sc *intScratch, v []uint64) []uint64 {
	sc.d = grow(sc.d, len(v)-1)
	d := sc.d
	for i := range d {
		d[i] = v[i+1] - v[i]
	}
	return d
}

// decimalScale finds the largest of 10^9, 10^6 and 10^3 that divides every
// delta, divides the deltas by it and returns its exponent (0 when none
// does). Timestamps of second or millisecond precision stored in
// nanoseconds lose 30 or 20 useless bits per value this way. The divisors
// are constants so that the compiler turns the divisions into
// multiplications.
func decimalScale(d []uint64) int {
	all := func(div func(int64) bool) bool {
		for _, x := range d {
			if !div(int64(x)) {
				return false
			}
		}
		return true
	}
	switch {
	case !all(func(x int64) bool { return x%1e3 == 0 }):
		return 0
	case !all(func(x int64) bool { return x%1e6 == 0 }):
		for i, x := range d {
			d[i] = uint64(int64(x) / 1e3)
		}
		return 3
	case !all(func(x int64) bool { return x%1e9 == 0 }):
		for i, x := range d {
			d[i] = uint64(int64(x) / 1e6)
		}
		return 6
	}
	for i, x := range d {
		d[i] = uint64(int64(x) / 1e9)
	}
	return 9
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
	var err error
	start := 0
	var prev, prevDelta uint64
	mul := uint64(1) // the deltas' decimal scale
	if id != idIntFOR {
		if len(src) < 1 || src[0] > 18 {
			return dst, corruptf("bad delta scale")
		}
		mul = uint64(pow10Int[src[0]])
		src = src[1:]
		var first int64
		if first, src, err = readVarint(src); err != nil {
			return dst, err
		}
		prev, start = uint64(first), 1
		if id == idIntDoD && n > 1 {
			var d int64
			if d, src, err = readVarint(src); err != nil {
				return dst, err
			}
			prevDelta, start = uint64(d), 2
		}
	}
	if cap(dst) < n {
		// Check the miniblock headers before allocating: a corrupt count
		// must not cost n values of memory.
		if err := checkMiniblocks(src, n-start); err != nil {
			return dst, err
		}
	}
	out := grow(dst, n)
	if start > 0 {
		out[0] = prev
	}
	if start > 1 {
		prev += prevDelta * mul
		out[1] = prev
	}
	for lo := start; lo < n; lo += miniblock {
		hi := min(lo+miniblock, n)
		var mb miniblockHeader
		if src, err = mb.parse(src, hi-lo); err != nil {
			return dst, err
		}
		blk := out[lo:hi]
		r := uint64(mb.ref)
		if id == idIntDelta && mb.npatch == 0 {
			prev = unpackDelta(blk, mb.packed, mb.w, r, prev, mul)
			continue
		}
		unpack(blk, mb.packed, mb.w)
		for p := mb.patches; len(p) > 0; {
			j := p[0]
			x, k := binary.Varint(p[1:])
			blk[j] = uint64(x) - r // the loops below add r back
			p = p[1+k:]
		}
		switch id {
		case idIntFOR:
			for j := range blk {
				blk[j] += r
			}
		case idIntDelta:
			for j := range blk {
				prev += (blk[j] + r) * mul
				blk[j] = prev
			}
		default:
			for j := range blk {
				prevDelta += blk[j] + r
				prev += prevDelta * mul
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

// miniblockHeader is one parsed miniblock.
type miniblockHeader struct {
	w       uint
	ref     int64
	npatch  int
	patches []byte // npatch × (byte index, varint value), validated
	packed  []byte
}

// parse reads the miniblock of cnt values at the start of src and returns
// the bytes after it.
func (m *miniblockHeader) parse(src []byte, cnt int) ([]byte, error) {
	if len(src) < 2 {
		return nil, errTruncated
	}
	m.w = uint(src[0] & 0x7f)
	patched := src[0]&0x80 != 0
	if m.w > 64 {
		return nil, corruptf("bit width %d", m.w)
	}
	ref, k := binary.Varint(src[1:])
	if k <= 0 {
		return nil, errTruncated
	}
	m.ref = ref
	src = src[1+k:]
	m.npatch, m.patches = 0, nil
	if patched {
		if len(src) < 1 {
			return nil, errTruncated
		}
		m.npatch = int(src[0])
		if m.npatch == 0 || m.npatch > cnt {
			return nil, corruptf("%d patches in a miniblock of %d", m.npatch, cnt)
		}
		p := src[1:]
		for range m.npatch {
			if len(p) < 2 || int(p[0]) >= cnt {
				return nil, corruptf("bad miniblock patch")
			}
			_, k := binary.Varint(p[1:])
			if k <= 0 {
				return nil, errTruncated
			}
			p = p[1+k:]
		}
		m.patches = src[1 : len(src)-len(p)]
		src = p
	}
	plen := packedLen(cnt, m.w)
	if len(src) < plen {
		return nil, errTruncated
	}
	m.packed = src[:plen]
	return src[plen:], nil
}

// checkMiniblocks verifies that src holds exactly the miniblocks of c
// values.
func checkMiniblocks(src []byte, c int) error {
	var mb miniblockHeader
	var err error
	for ; c > 0; c -= miniblock {
		if src, err = mb.parse(src, min(c, miniblock)); err != nil {
			return err
		}
	}
	if len(src) != 0 {
		return errTrailing
	}
	return nil
}
