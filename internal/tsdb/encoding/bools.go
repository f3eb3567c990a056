package encoding

import "encoding/binary"

// AppendBools appends the encoding of v to dst: a constant block, run
// lengths when the values change rarely, or a bitmap.
func AppendBools(dst []byte, v []bool) []byte {
	n := len(v)
	if n == 0 {
		return appendHeader(dst, idBoolPacked, 0)
	}
	if n <= MaxRunValues {
		// Size of the run-length form; stop counting once it loses to the
		// bitmap.
		bitmap := (n + 7) / 8
		rle, run := 1, 1
		for i := 1; i < n && rle <= bitmap; i++ {
			if v[i] == v[i-1] {
				run++
				continue
			}
			rle += uvarintLen(uint64(run))
			run = 1
		}
		if run == n {
			dst = appendHeader(dst, idBoolConst, n)
			return append(dst, b2b(v[0]))
		}
		if rle+uvarintLen(uint64(run)) < bitmap {
			dst = appendHeader(dst, idBoolRLE, n)
			dst = append(dst, b2b(v[0]))
			run = 1
			for i := 1; i < n; i++ {
				if v[i] == v[i-1] {
					run++
					continue
				}
				dst = binary.AppendUvarint(dst, uint64(run))
				run = 1
			}
			return binary.AppendUvarint(dst, uint64(run))
		}
	}
	dst = appendHeader(dst, idBoolPacked, n)
	i := 0
	for ; i+8 <= n; i += 8 {
		b := v[i : i+8 : i+8]
		dst = append(dst, b2b(b[0])|b2b(b[1])<<1|b2b(b[2])<<2|b2b(b[3])<<3|
			b2b(b[4])<<4|b2b(b[5])<<5|b2b(b[6])<<6|b2b(b[7])<<7)
	}
	if i < n {
		var last byte
		for j, x := range v[i:] {
			last |= b2b(x) << j
		}
		dst = append(dst, last)
	}
	return dst
}

func b2b(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// DecodeBools appends the booleans encoded in src to dst[:0].
func DecodeBools(dst []bool, src []byte) ([]bool, error) {
	dst = dst[:0]
	id, n, rest, err := readHeader(src)
	if err != nil {
		return dst, err
	}
	switch id {
	case idBoolPacked:
		if len(rest) != (n+7)/8 {
			return dst, corruptf("bitmap of %d bytes for %d values", len(rest), n)
		}
		if n%8 != 0 && rest[len(rest)-1]>>(n%8) != 0 {
			return dst, corruptf("bitmap padding bits set")
		}
		out := grow(dst, n)
		i := 0
		for ; i+8 <= n; i += 8 {
			b := rest[i>>3]
			o := out[i : i+8 : i+8]
			o[0], o[1], o[2], o[3] = b&1 != 0, b&2 != 0, b&4 != 0, b&8 != 0
			o[4], o[5], o[6], o[7] = b&16 != 0, b&32 != 0, b&64 != 0, b&128 != 0
		}
		for ; i < n; i++ {
			out[i] = rest[i>>3]>>(i&7)&1 != 0
		}
		return out, nil
	case idBoolConst, idBoolRLE:
		if n > MaxRunValues {
			return dst, errCount
		}
		if len(rest) < 1 || rest[0] > 1 {
			return dst, corruptf("bad boolean value")
		}
		x := rest[0] == 1
		rest = rest[1:]
		out := grow(dst, n)
		if id == idBoolConst {
			if len(rest) != 0 {
				return dst, errTrailing
			}
			for i := range out {
				out[i] = x
			}
			return out, nil
		}
		for i := 0; i < n; {
			run, r, err := readUvarint(rest)
			if err != nil {
				return dst, err
			}
			rest = r
			if run == 0 || run > uint64(n-i) {
				return dst, corruptf("run of %d at %d of %d", run, i, n)
			}
			for j := range int(run) {
				out[i+j] = x
			}
			i += int(run)
			x = !x
		}
		if len(rest) != 0 {
			return dst, errTrailing
		}
		return out, nil
	}
	return dst, corruptf("codec id %#x is not a boolean codec", id)
}
