package encoding

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// Strings are taken and returned as [][]byte: the engine's columns hold
// []byte already, and decoded values can alias the block instead of being
// copied into freshly allocated strings.

const (
	// zstdMinBody is the smallest uncompressed body worth compressing; below
	// it the frame header costs more than zstd can save.
	zstdMinBody = 64
	// maxZstdRaw caps the decompressed size of a zstd string block, and
	// zstdMaxRatio caps it relative to the compressed size, so a corrupt
	// length cannot make the decoder allocate much more than its input.
	maxZstdRaw   = 64 << 20
	zstdMaxRatio = 1024
	zstdFreeRaw  = 1 << 20 // always allowed, whatever the ratio
	// maxDict is the largest dictionary the encoder builds; more distinct
	// values than this rarely repeat enough to pay for it.
	maxDict = 4096
)

var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderCRC(false), // blocks carry their own CRC
			zstd.WithLowerEncoderMem(true),
			zstd.WithZeroFrames(true))
		if err != nil {
			panic("BUG: zstd encoder options: " + err.Error())
		}
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(maxZstdRaw))
		if err != nil {
			panic("BUG: zstd decoder options: " + err.Error())
		}
		return d
	})
)

// zstdRawLimit is the largest decompressed size accepted for a frame of
// frameLen bytes. The encoder obeys the same limit.
func zstdRawLimit(frameLen int) int {
	return min(maxZstdRaw, max(zstdFreeRaw, zstdMaxRatio*frameLen))
}

// stringScratch is the encoder's reusable state.
type stringScratch struct {
	ids   map[uint64]uint32 // xxhash of a value → dictionary index
	dict  [][]byte
	idx   []uint64
	body  []byte
	frame []byte
}

var stringScratchPool = sync.Pool{New: func() any {
	return &stringScratch{ids: make(map[uint64]uint32)}
}}

// AppendStrings appends the encoding of v to dst: a dictionary of distinct
// values plus integer-coded indices when values repeat, plain lengths and
// bytes otherwise, either one zstd-compressed when that is smaller.
func AppendStrings(dst []byte, v [][]byte) []byte {
	s := stringScratchPool.Get().(*stringScratch)
	defer func() {
		clear(s.dict) // drop references to the caller's bytes
		s.dict = s.dict[:0]
		stringScratchPool.Put(s)
	}()
	s.body = s.body[:0]
	if s.buildDict(v) {
		s.body = appendHeader(s.body, idStrDict, len(v))
		s.body = binary.AppendUvarint(s.body, uint64(len(s.dict)))
		for _, d := range s.dict {
			s.body = binary.AppendUvarint(s.body, uint64(len(d)))
		}
		for _, d := range s.dict {
			s.body = append(s.body, d...)
		}
		s.body = appendInts(s.body, s.idx)
	} else {
		s.body = appendPlainStrings(s.body, v)
	}
	body := s.body
	if len(body) >= zstdMinBody && len(body) <= maxZstdRaw {
		s.frame = zstdEncoder().EncodeAll(body, s.frame[:0])
		hdr := 1 + uvarintLen(uint64(len(v))) + uvarintLen(uint64(len(body)))
		if hdr+len(s.frame) < len(body) && len(body) <= zstdRawLimit(len(s.frame)) {
			dst = appendHeader(dst, idStrZstd, len(v))
			dst = binary.AppendUvarint(dst, uint64(len(body)))
			return append(dst, s.frame...)
		}
	}
	return append(dst, body...)
}

func appendPlainStrings(dst []byte, v [][]byte) []byte {
	dst = appendHeader(dst, idStrPlain, len(v))
	for _, b := range v {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
	}
	for _, b := range v {
		dst = append(dst, b...)
	}
	return dst
}

// buildDict fills s.dict and s.idx and reports whether a dictionary is
// worth it (at most half the values distinct, or at most maxDict).
func (s *stringScratch) buildDict(v [][]byte) bool {
	if len(v) < 4 {
		return false
	}
	clear(s.ids)
	s.dict = s.dict[:0]
	s.idx = grow(s.idx, len(v))
	limit := min(maxDict, len(v)/2)
	for i, b := range v {
		if i > 0 && bytes.Equal(b, v[i-1]) {
			// Repeats of the previous value (the common case for states
			// and versions) need no hashing.
			s.idx[i] = s.idx[i-1]
			continue
		}
		h := xxhash.Sum64(b)
		id, ok := s.ids[h]
		if ok {
			if !bytes.Equal(s.dict[id], b) {
				return false // hash collision: not worth handling, use plain
			}
		} else {
			if len(s.dict) == limit {
				return false
			}
			id = uint32(len(s.dict))
			s.ids[h] = id
			s.dict = append(s.dict, b)
		}
		s.idx[i] = uint64(id)
	}
	return true
}

// DecodeStrings appends the strings encoded in src to dst[:0]. The returned
// slices alias src for uncompressed blocks and one freshly allocated buffer
// for zstd blocks; they must be copied if kept while src is reused.
func DecodeStrings(dst [][]byte, src []byte) ([][]byte, error) {
	dst = dst[:0]
	id, n, rest, err := readHeader(src)
	if err != nil {
		return dst, err
	}
	if id != idStrZstd {
		return decodeStringBody(dst, id, n, rest)
	}
	raw, frame, err := readUvarint(rest)
	if err != nil {
		return dst, err
	}
	if raw > uint64(zstdRawLimit(len(frame))) {
		return dst, corruptf("zstd string block claims %d bytes from %d", raw, len(frame))
	}
	buf, err := zstdDecoder().DecodeAll(frame, make([]byte, 0, raw))
	if err != nil {
		return dst, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	}
	if uint64(len(buf)) != raw {
		return dst, corruptf("zstd string block has %d bytes, want %d", len(buf), raw)
	}
	iid, in, irest, err := readHeader(buf)
	if err != nil {
		return dst, err
	}
	if iid == idStrZstd || in != n {
		return dst, corruptf("bad block inside zstd string block")
	}
	return decodeStringBody(dst, iid, in, irest)
}

func decodeStringBody(dst [][]byte, id byte, n int, src []byte) ([][]byte, error) {
	switch id {
	case idStrPlain:
		if n > len(src) {
			return dst, errCount // every value takes at least its length byte
		}
		data := src
		total := uint64(0)
		for range n {
			l, r, err := readUvarint(data)
			if err != nil {
				return dst, err
			}
			data = r
			total += l
			if total > uint64(len(data)) {
				return dst, errTruncated
			}
		}
		if total != uint64(len(data)) {
			return dst, errTrailing
		}
		out := grow(dst, n)
		for i := range out {
			l, w := binary.Uvarint(src)
			src = src[w:]
			out[i] = data[:l:l]
			data = data[l:]
		}
		return out, nil
	case idStrDict:
		return decodeDict(dst, n, src)
	}
	return dst, corruptf("codec id %#x is not a string codec", id)
}

// dictScratch holds the decoder's dictionary and indices between calls.
type dictScratch struct {
	dict [][]byte
	idx  []uint64
}

var dictScratchPool = sync.Pool{New: func() any { return new(dictScratch) }}

func decodeDict(dst [][]byte, n int, src []byte) ([][]byte, error) {
	nd, src, err := readUvarint(src)
	if err != nil {
		return dst, err
	}
	if nd > uint64(len(src)) || nd > uint64(n) {
		return dst, corruptf("dictionary of %d values", nd)
	}
	s := dictScratchPool.Get().(*dictScratch)
	defer func() {
		clear(s.dict)
		dictScratchPool.Put(s)
	}()
	s.dict = grow(s.dict, int(nd))
	lens := src
	total := uint64(0)
	for range nd {
		l, r, err := readUvarint(src)
		if err != nil {
			return dst, err
		}
		src = r
		total += l
		if total > uint64(len(src)) {
			return dst, errTruncated
		}
	}
	data := src
	for i := range s.dict {
		l, w := binary.Uvarint(lens)
		lens = lens[w:]
		s.dict[i] = data[:l:l]
		data = data[l:]
	}
	s.idx, err = decodeInts(s.idx[:0], data)
	if err != nil {
		return dst, err
	}
	if len(s.idx) != n {
		return dst, corruptf("dictionary block has %d indices, want %d", len(s.idx), n)
	}
	out := grow(dst, n)
	for i, x := range s.idx {
		if x >= nd {
			return dst, corruptf("dictionary index %d of %d", x, nd)
		}
		out[i] = s.dict[x]
	}
	return out, nil
}
