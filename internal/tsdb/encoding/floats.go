package encoding

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"unsafe"
)

// maxDecimalExp is the largest power of ten the decimal codec tries. 10^18
// still fits an int64 and every power up to 10^22 is exact in float64, so
// the decoder's division is correctly rounded.
const maxDecimalExp = 18

var pow10 = [maxDecimalExp + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// mantissaLimit bounds |v·10^e| so that the conversion to int64 is defined
// and deltas between mantissas cannot overflow meaningfully.
const mantissaLimit = 1 << 62

// decimalMantissa returns m such that float64(m)/10^e reproduces v
// bit-exactly, or ok=false. -0.0, NaN and ±Inf are never representable.
func decimalMantissa(v float64, e int) (m int64, ok bool) {
	x := v * pow10[e]
	if !(x > -mantissaLimit && x < mantissaLimit) {
		return 0, false
	}
	m = int64(math.RoundToEven(x))
	return m, math.Float64bits(float64(m)/pow10[e]) == math.Float64bits(v)
}

// minDecimalExp returns the smallest e for which v is decimal-representable,
// or -1.
func minDecimalExp(v float64) int {
	for e := 0; e <= maxDecimalExp; e++ {
		if _, ok := decimalMantissa(v, e); ok {
			return e
		}
	}
	return -1
}

// floatScratch holds the encoder's mantissa buffer between calls so that
// AppendFloats does not allocate in steady state.
type floatScratch struct{ m []uint64 }

var floatScratchPool = sync.Pool{New: func() any { return new(floatScratch) }}

// AppendFloats appends the encoding of v to dst. Blocks of decimal numbers
// (a few exceptions allowed) are stored as integers scaled by a power of
// ten; other data uses Gorilla XOR or, when nothing helps, raw IEEE bits.
func AppendFloats(dst []byte, v []float64) []byte {
	n := len(v)
	if n == 0 {
		return appendHeader(dst, idFloatRaw, 0)
	}
	u := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), n)
	if n <= MaxRunValues && allEqual(u) {
		dst = appendHeader(dst, idFloatConst, n)
		return binary.LittleEndian.AppendUint64(dst, u[0])
	}
	start := len(dst)
	raw := 1 + uvarintLen(uint64(n)) + 8*n
	dst = appendDecimal(dst, v)
	size := len(dst) - start
	// Worth trying XOR only when the decimal form is poor (or impossible):
	// random-looking digits gain nothing from XOR either, but smooth
	// full-precision data does.
	if size == 0 || size > 4*n {
		x := appendXOR(dst, u)
		if xs := len(x) - len(dst); size == 0 || xs < size {
			dst = append(dst[:start], x[len(dst):]...)
			size = xs
		} else {
			dst = x[:len(dst)]
		}
	}
	if size == 0 || size >= raw {
		dst = appendHeader(dst[:start], idFloatRaw, n)
		for _, x := range u {
			dst = binary.LittleEndian.AppendUint64(dst, x)
		}
	}
	return dst
}

func allEqual(u []uint64) bool {
	for _, x := range u[1:] {
		if x != u[0] {
			return false
		}
	}
	return true
}

func uvarintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}

// chooseExp picks the decimal exponent for v from a sample (or all values
// when full is set): the e that minimises an estimate of the encoded size,
// where each extra decimal digit costs about log2(10) bits per value and each
// value not representable at e costs an exception (about 9 bytes).
func chooseExp(v []float64, full bool) (e int, excRate float64, ok bool) {
	var hist [maxDecimalExp + 2]int // hist[e+1]; hist[0] counts "never"
	step := 1
	if !full && len(v) > 64 {
		step = len(v) / 64
	}
	cnt := 0
	for i := 0; i < len(v); i += step {
		hist[minDecimalExp(v[i])+1]++
		cnt++
	}
	bestCost, best := math.MaxFloat64, -1
	below := 0 // sampled values representable at e
	for e := 0; e <= maxDecimalExp; e++ {
		below += hist[e+1]
		if below == 0 {
			continue
		}
		cost := float64(below)*3.33*float64(e) + float64(cnt-below)*72
		if cost < bestCost {
			bestCost, best = cost, e
		}
	}
	if best < 0 {
		return 0, 1, false
	}
	below = 0
	for e := 0; e <= best; e++ {
		below += hist[e+1]
	}
	rate := float64(cnt-below) / float64(cnt)
	return best, rate, rate <= 0.5
}

// appendDecimal appends a decimal block, or nothing when the block has too
// many values that are not decimals.
//
// Layout after the header: byte e, uvarint exception count, exceptions
// (uvarint position delta, u64 bits), then an integer block of mantissas.
func appendDecimal(dst []byte, v []float64) []byte {
	e, rate, ok := chooseExp(v, false)
	if !ok {
		return dst
	}
	s := floatScratchPool.Get().(*floatScratch)
	defer floatScratchPool.Put(s)
	s.m = grow(s.m, len(v))
	exc := fillMantissas(s.m, v, e)
	if exc > len(v)/8 && rate < 1.0/16 {
		// The sample misled us; look at every value. (When the sample
		// already showed many exceptions, the data is not decimal enough to
		// pay for that.)
		if e, _, ok = chooseExp(v, true); !ok {
			return dst
		}
		exc = fillMantissas(s.m, v, e)
	}
	if exc > len(v)/2 {
		return dst
	}
	dst = appendHeader(dst, idFloatDecimal, len(v))
	dst = append(dst, byte(e))
	dst = binary.AppendUvarint(dst, uint64(exc))
	last := 0
	for i := 0; exc > 0; i++ {
		if _, ok := decimalMantissa(v[i], e); !ok {
			dst = binary.AppendUvarint(dst, uint64(i-last))
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v[i]))
			last = i
			exc--
		}
	}
	return appendInts(dst, s.m)
}

// fillMantissas stores the mantissas of v at exponent e in m and returns the
// number of exceptions. An exception repeats the previous mantissa, which
// keeps the deltas around it small.
func fillMantissas(m []uint64, v []float64, e int) int {
	p := pow10[e]
	exc := 0
	prev := uint64(0)
	for i, x := range v {
		y := x * p
		if y > -mantissaLimit && y < mantissaLimit {
			mi := int64(math.RoundToEven(y))
			if math.Float64bits(float64(mi)/p) == math.Float64bits(x) {
				m[i], prev = uint64(mi), uint64(mi)
				continue
			}
		}
		m[i] = prev
		exc++
	}
	return exc
}

// DecodeFloats appends the floats encoded in src to dst[:0].
func DecodeFloats(dst []float64, src []byte) ([]float64, error) {
	dst = dst[:0]
	id, n, rest, err := readHeader(src)
	if err != nil {
		return dst, err
	}
	switch id {
	case idFloatRaw:
		if len(rest) != 8*n {
			return dst, corruptf("raw float block: %d bytes for %d values", len(rest), n)
		}
		out := grow(dst, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(rest[8*i:]))
		}
		return out, nil
	case idFloatConst:
		if n > MaxRunValues {
			return dst, errCount
		}
		if len(rest) != 8 {
			return dst, corruptf("constant float block of %d bytes", len(rest))
		}
		out := grow(dst, n)
		x := math.Float64frombits(binary.LittleEndian.Uint64(rest))
		for i := range out {
			out[i] = x
		}
		return out, nil
	case idFloatDecimal:
		return decodeDecimal(dst, n, rest)
	case idFloatXOR:
		return decodeXOR(dst, n, rest)
	}
	return dst, corruptf("codec id %#x is not a float codec", id)
}

func decodeDecimal(dst []float64, n int, src []byte) ([]float64, error) {
	if len(src) < 1 {
		return dst, errTruncated
	}
	e := int(src[0])
	if e > maxDecimalExp {
		return dst, corruptf("decimal exponent %d", e)
	}
	nexc, src, err := readUvarint(src[1:])
	if err != nil {
		return dst, err
	}
	if nexc > uint64(n) || nexc*9 > uint64(len(src)) {
		return dst, corruptf("%d exceptions", nexc)
	}
	excs := src
	for range nexc {
		if _, src, err = readUvarint(src); err != nil {
			return dst, err
		}
		if len(src) < 8 {
			return dst, errTruncated
		}
		src = src[8:]
	}
	// Decode the mantissas straight into dst's memory and convert in place.
	m, err := decodeInts(asFloatBits(dst), src)
	if err != nil {
		return dst, err
	}
	if len(m) != n {
		return dst, corruptf("decimal block has %d mantissas, want %d", len(m), n)
	}
	out := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(m))), n)
	p := pow10[e]
	for i, x := range m {
		out[i] = float64(int64(x)) / p
	}
	pos := uint64(0)
	for range nexc {
		d, w := binary.Uvarint(excs)
		pos += d
		if pos >= uint64(n) {
			return dst, corruptf("exception position %d of %d", pos, n)
		}
		out[pos] = math.Float64frombits(binary.LittleEndian.Uint64(excs[w:]))
		excs = excs[w+8:]
	}
	return out, nil
}

func asFloatBits(v []float64) []uint64 {
	if cap(v) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), cap(v))[:0]
}
