package encoding

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The XOR codec (after Gorilla, VLDB 2015) stores the first value's 64 bits
// and then, per value, the XOR with its predecessor:
//
//	0                         identical to the previous value
//	1 0 <sig bits>            XOR fits the previous window (same leading and
//	                          trailing zero counts or more)
//	1 1 <lz:6> <sig-1:6> <sig bits>
//	                          a new window: lz leading zeros, sig meaningful bits
//
// in the same little-endian bit stream as the bit-packer, fields written
// lowest bit first. The stream is padded with zero bits to a whole byte.

// bitWriter appends a little-endian bit stream to a byte slice.
type bitWriter struct {
	dst []byte
	acc uint64
	nb  uint
}

// write appends the low n bits of v (v < 1<<n, n ≤ 64).
func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nb
	if w.nb+n >= 64 {
		w.dst = binary.LittleEndian.AppendUint64(w.dst, w.acc)
		used := 64 - w.nb
		w.nb += n - 64
		w.acc = v >> used // v >> 64 is 0
	} else {
		w.nb += n
	}
}

func (w *bitWriter) flush() []byte {
	for ; w.nb > 0; w.nb -= min(w.nb, 8) {
		w.dst = append(w.dst, byte(w.acc))
		w.acc >>= 8
	}
	return w.dst
}

func appendXOR(dst []byte, u []uint64) []byte {
	dst = appendHeader(dst, idFloatXOR, len(u))
	bw := bitWriter{dst: dst}
	bw.write(u[0], 64)
	prev := u[0]
	plz, ptz := uint(65), uint(65) // no window yet: nothing fits
	for _, x := range u[1:] {
		d := x ^ prev
		prev = x
		if d == 0 {
			bw.write(0, 1)
			continue
		}
		lz, tz := uint(bits.LeadingZeros64(d)), uint(bits.TrailingZeros64(d))
		if lz >= plz && tz >= ptz && plz+ptz < 64 {
			sig := 64 - plz - ptz
			bw.write(0b01, 2)
			bw.write(d>>ptz, sig)
			continue
		}
		sig := 64 - lz - tz
		bw.write(0b11|uint64(lz)<<2|uint64(sig-1)<<8, 14)
		bw.write(d>>tz, sig)
		plz, ptz = lz, tz
	}
	return bw.flush()
}

// bitReader reads the stream appendXOR writes.
type bitReader struct {
	src []byte
	pos uint // next bit
	end uint // 8·len(src)
}

// read returns the next n bits (n ≤ 64); the caller checks availability.
func (r *bitReader) read(n uint) uint64 {
	off := r.pos >> 3
	var v uint64
	if n <= 56 && int(off)+8 <= len(r.src) {
		v = binary.LittleEndian.Uint64(r.src[off:]) >> (r.pos & 7) & (uint64(1)<<n - 1)
	} else {
		v = readBitsSlow(r.src, r.pos, n)
	}
	r.pos += n
	return v
}

func decodeXOR(dst []float64, n int, src []byte) ([]float64, error) {
	if n == 0 {
		return dst, corruptf("empty xor block")
	}
	// Every value after the first takes at least one bit.
	if uint64(n-1) > 8*uint64(len(src)) {
		return dst, errCount
	}
	r := bitReader{src: src, end: 8 * uint(len(src))}
	if r.end < 64 {
		return dst, errTruncated
	}
	out := grow(dst, n)
	prev := r.read(64)
	out[0] = math.Float64frombits(prev)
	var plz, ptz uint
	window := false
	pos, end := r.pos, r.end
	for i := 1; i < n; i++ {
		// One load yields the control bits and a window header (14 bits).
		off := pos >> 3
		var h uint64
		if int(off)+8 <= len(src) {
			h = binary.LittleEndian.Uint64(src[off:]) >> (pos & 7)
		} else {
			h = readBitsSlow(src, pos, min(14, end-pos))
		}
		if h&1 == 0 {
			if pos+1 > end {
				return dst, errTruncated
			}
			pos++
			out[i] = math.Float64frombits(prev)
			continue
		}
		if h&2 != 0 {
			lz, sig := uint(h>>2&63), uint(h>>8&63)+1
			if lz+sig > 64 {
				return dst, corruptf("xor window %d+%d bits", lz, sig)
			}
			plz, ptz, window = lz, 64-lz-sig, true
			pos += 14
		} else {
			if !window {
				return dst, corruptf("xor window reused before set")
			}
			pos += 2
		}
		sig := 64 - plz - ptz
		if pos+sig > end {
			return dst, errTruncated
		}
		off = pos >> 3
		var d uint64
		if int(off)+9 <= len(src) {
			// Nine bytes hold any 64-bit field at any bit offset.
			sh := pos & 7
			d = binary.LittleEndian.Uint64(src[off:])>>sh | uint64(src[off+8])<<(64-sh) // << 64 is 0
			if sig < 64 {
				d &= uint64(1)<<sig - 1
			}
		} else {
			d = readBitsSlow(src, pos, sig)
		}
		pos += sig
		prev ^= d << ptz
		out[i] = math.Float64frombits(prev)
	}
	r.pos = pos
	if (r.pos+7)>>3 != uint(len(src)) {
		return dst, errTrailing
	}
	return out, nil
}
