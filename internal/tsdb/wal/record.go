package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/s2"
)

const (
	// headerLen is the framing before each stored payload: u32 length, u32 crc, u8 flags.
	headerLen = 9
	// flagCompressed marks an s2-compressed (block format) stored payload.
	flagCompressed = 1
	// MaxPayload is the largest payload Append accepts. It also bounds what
	// replay will allocate for one record, whatever a damaged length says.
	MaxPayload = 512 << 20
	// minCompress is the payload size below which compression is not tried:
	// tiny records rarely shrink and the attempt costs more than it saves.
	minCompress = 256
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxStored bounds the stored (possibly compressed) length of a record.
var maxStored = s2.MaxEncodedLen(MaxPayload)

// encodeRecord appends the framed record of payload to dst. Compression is
// kept only when it makes the record smaller.
func encodeRecord(dst, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, headerLen)...)
	flags := byte(0)
	stored := false
	if len(payload) >= minCompress {
		need := s2.MaxEncodedLen(len(payload))
		if need > 0 {
			dst = growTo(dst, len(dst)+need)
			enc := s2.Encode(dst[len(dst):len(dst)+need], payload)
			if len(enc) < len(payload) {
				flags = flagCompressed
				dst = dst[:len(dst)+len(enc)]
				stored = true
			}
		}
	}
	if !stored {
		dst = append(dst, payload...)
	}
	n := len(dst) - start - headerLen
	binary.LittleEndian.PutUint32(dst[start:], uint32(n))
	dst[start+8] = flags
	binary.LittleEndian.PutUint32(dst[start+4:], recordCRC(flags, dst[start+headerLen:]))
	return dst
}

// growTo makes cap(b) at least n, keeping b's contents and length.
func growTo(b []byte, n int) []byte {
	if cap(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}

// byteValues lets recordCRC hash one byte without a heap-allocated slice.
var byteValues = func() (b [256]byte) {
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// recordCRC is the CRC-32C of the flags byte followed by the stored payload.
func recordCRC(flags byte, stored []byte) uint32 {
	crc := crc32.Update(0, castagnoli, byteValues[flags:int(flags)+1])
	return crc32.Update(crc, castagnoli, stored)
}

// header is a decoded record header.
type header struct {
	length uint32
	crc    uint32
	flags  byte
}

func parseHeader(b []byte) header {
	return header{
		length: binary.LittleEndian.Uint32(b),
		crc:    binary.LittleEndian.Uint32(b[4:]),
		flags:  b[8],
	}
}

// decodeBody checks stored against h and returns the payload, decompressed
// into *dec when needed (valid until the next call with the same dec).
func decodeBody(h header, stored []byte, dec *[]byte) ([]byte, error) {
	if h.flags&^flagCompressed != 0 {
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, h.flags)
	}
	if recordCRC(h.flags, stored) != h.crc {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if h.flags&flagCompressed == 0 {
		return stored, nil
	}
	n, err := s2.DecodedLen(stored)
	if err != nil {
		return nil, fmt.Errorf("%w: compressed length: %v", ErrCorrupt, err)
	}
	if n > MaxPayload {
		return nil, fmt.Errorf("%w: decompressed length %d exceeds %d", ErrCorrupt, n, MaxPayload)
	}
	if cap(*dec) < n {
		*dec = make([]byte, n)
	}
	out, err := s2.Decode((*dec)[:n], stored)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	return out, nil
}
