package encoding

import "encoding/binary"

// The bit-packer stores n values of w bits (0 ≤ w ≤ 64) as one little-endian
// bit stream: value i occupies bits [i·w, (i+1)·w), bit 0 being the lowest bit
// of the first byte. The stream takes packedLen(n, w) bytes, so 128 values
// always end on a byte boundary.

// packedLen is the number of bytes n values of w bits take.
func packedLen(n int, w uint) int {
	return (n*int(w) + 7) >> 3
}

// pack appends the low w bits of every value of v to dst. Values must be
// below 1<<w; bits above w would corrupt their neighbours.
func pack(dst []byte, v []uint64, w uint) []byte {
	if w == 0 || len(v) == 0 {
		return dst
	}
	var acc uint64 // pending bits, lowest first
	var nb uint    // number of pending bits, always < 64
	for _, x := range v {
		acc |= x << nb
		nb += w
		if nb >= 64 {
			dst = binary.LittleEndian.AppendUint64(dst, acc)
			nb -= 64
			// The bits of x that did not fit; x >> 64 is 0 in Go.
			acc = x >> (w - nb)
			if nb == 0 {
				acc = 0
			}
		}
	}
	for ; nb > 0; nb -= min(nb, 8) {
		dst = append(dst, byte(acc))
		acc >>= 8
	}
	return dst
}

// unpack fills dst with len(dst) values of w bits read from src, which must
// hold at least packedLen(len(dst), w) bytes.
func unpack(dst []uint64, src []byte, w uint) {
	n := len(dst)
	if w == 0 {
		clear(dst)
		return
	}
	if w > 56 {
		unpackWide(dst, src, w)
		return
	}
	mask := uint64(1)<<w - 1
	// Values whose 8-byte window lies inside src are read with one unaligned
	// load; w ≤ 56 guarantees the window holds all w bits after the shift.
	fast := 0
	if len(src) >= 8 {
		fast = min(n, ((len(src)-8)*8)/int(w)+1)
	}
	i := 0
	bit := uint(0)
	for ; i+4 <= fast; i += 4 {
		b0, b1, b2, b3 := bit, bit+w, bit+2*w, bit+3*w
		dst[i] = binary.LittleEndian.Uint64(src[b0>>3:]) >> (b0 & 7) & mask
		dst[i+1] = binary.LittleEndian.Uint64(src[b1>>3:]) >> (b1 & 7) & mask
		dst[i+2] = binary.LittleEndian.Uint64(src[b2>>3:]) >> (b2 & 7) & mask
		dst[i+3] = binary.LittleEndian.Uint64(src[b3>>3:]) >> (b3 & 7) & mask
		bit += 4 * w
	}
	for ; i < fast; i++ {
		dst[i] = binary.LittleEndian.Uint64(src[bit>>3:]) >> (bit & 7) & mask
		bit += w
	}
	for ; i < n; i++ {
		dst[i] = readBitsSlow(src, bit, w)
		bit += w
	}
}

// unpackWide handles widths above 56 bits, where a value may span 9 bytes.
func unpackWide(dst []uint64, src []byte, w uint) {
	mask := ^uint64(0) >> (64 - w)
	bit := uint(0)
	for i := range dst {
		off := bit >> 3
		if int(off)+9 <= len(src) {
			sh := bit & 7
			// The ninth byte supplies the bits the first eight lack; << 64 is 0.
			dst[i] = (binary.LittleEndian.Uint64(src[off:])>>sh | uint64(src[off+8])<<(64-sh)) & mask
		} else {
			dst[i] = readBitsSlow(src, bit, w)
		}
		bit += w
	}
}

// readBitsSlow reads w bits at bit offset bit byte by byte; it is used near
// the end of the input and for very wide values.
func readBitsSlow(src []byte, bit, w uint) uint64 {
	var v uint64
	got := uint(0)
	off := bit >> 3
	sh := bit & 7
	for got < w && int(off) < len(src) {
		b := uint64(src[off]) >> sh
		v |= b << got
		got += 8 - sh
		sh = 0
		off++
	}
	if w < 64 {
		v &= uint64(1)<<w - 1
	}
	return v
}

// unpackDelta is unpack fused with the prefix sum of the delta codec:
// dst[i] = prev + Σ_{j≤i} (value_j + ref)·mul. It returns the last sum.
// Fusing saves a pass over dst on the hottest decode path (timestamps).
func unpackDelta(dst []uint64, src []byte, w uint, ref, prev, mul uint64) uint64 {
	if w == 0 || w > 56 {
		unpack(dst, src, w)
		for i, d := range dst {
			prev += (d + ref) * mul
			dst[i] = prev
		}
		return prev
	}
	n := len(dst)
	mask := uint64(1)<<w - 1
	fast := 0
	if len(src) >= 8 {
		fast = min(n, ((len(src)-8)*8)/int(w)+1)
	}
	i := 0
	bit := uint(0)
	for ; i < fast; i++ {
		d := binary.LittleEndian.Uint64(src[bit>>3:]) >> (bit & 7) & mask
		prev += (d + ref) * mul
		dst[i] = prev
		bit += w
	}
	for ; i < n; i++ {
		prev += (readBitsSlow(src, bit, w) + ref) * mul
		dst[i] = prev
		bit += w
	}
	return prev
}
