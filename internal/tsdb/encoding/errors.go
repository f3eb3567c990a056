package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every error a decoder returns: the input is not a
// valid encoded block (or not one of the requested type).
var ErrCorrupt = errors.New("corrupt encoded block")

// MaxRunValues is the largest count a constant or run-length block may hold.
// Such blocks are a few bytes long whatever their count, so the decoder can
// not bound the count by the input length; this constant bounds it instead.
// Encoders use other codecs (whose size grows with the count) for longer
// blocks. Storage blocks hold at most 8,192 rows, far below this limit.
const MaxRunValues = 1 << 16

// valuesPerByte bounds the count of any block that is not run-length coded:
// the densest codec (zero-width miniblocks of 128 values, two header bytes
// each) holds 64 values per input byte.
const valuesPerByte = 64

// Codec ids: the first byte of every block. The ranges are disjoint per type
// so that decoding a block with the wrong type's decoder fails cleanly.
const (
	idIntRaw   = 0x01 // n × u64
	idIntConst = 0x02 // one varint value
	idIntRun   = 0x03 // varint first, varint step
	idIntFOR   = 0x04 // miniblocks of v - min
	idIntDelta = 0x05 // varint first, miniblocks of deltas
	idIntDoD   = 0x06 // varint first, varint first delta, miniblocks of delta-of-deltas
	idIntRLE   = 0x07 // runs of (varint value delta, uvarint length)

	idFloatRaw     = 0x10 // n × u64 IEEE bits
	idFloatConst   = 0x11 // u64 IEEE bits
	idFloatDecimal = 0x12 // exponent, exceptions, integer block of mantissas
	idFloatXOR     = 0x13 // Gorilla XOR bitstream

	idBoolPacked = 0x20 // bitmap
	idBoolConst  = 0x21 // one byte
	idBoolRLE    = 0x22 // first value, run lengths

	idStrPlain = 0x30 // lengths, bytes
	idStrDict  = 0x31 // dictionary, integer block of indices
	idStrZstd  = 0x32 // zstd frame of a plain or dict block
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

var (
	errTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
	errTrailing  = fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	errCount     = fmt.Errorf("%w: count too large for input", ErrCorrupt)
)

// readHeader reads the codec id and the value count of a block and checks
// that the count is plausible for the block's size.
func readHeader(src []byte) (id byte, n int, rest []byte, err error) {
	if len(src) < 2 {
		return 0, 0, nil, errTruncated
	}
	id = src[0]
	u, w := binary.Uvarint(src[1:])
	if w <= 0 {
		return 0, 0, nil, errTruncated
	}
	if u > MaxRunValues && u > uint64(len(src))*valuesPerByte {
		return 0, 0, nil, errCount
	}
	return id, int(u), src[1+w:], nil
}

func appendHeader(dst []byte, id byte, n int) []byte {
	dst = append(dst, id)
	return binary.AppendUvarint(dst, uint64(n))
}

func readUvarint(src []byte) (uint64, []byte, error) {
	u, w := binary.Uvarint(src)
	if w <= 0 {
		return 0, nil, errTruncated
	}
	return u, src[w:], nil
}

func readVarint(src []byte) (int64, []byte, error) {
	v, w := binary.Varint(src)
	if w <= 0 {
		return 0, nil, errTruncated
	}
	return v, src[w:], nil
}

// grow returns dst[:n], reallocating when its capacity is too small.
func grow[T any](dst []T, n int) []T {
	if cap(dst) < n {
		return make([]T, n)
	}
	return dst[:n]
}

// Count returns the number of values in an encoded block of any type
// without decoding it.
func Count(src []byte) (int, error) {
	_, n, _, err := readHeader(src)
	return n, err
}
