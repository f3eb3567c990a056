// Package encoding implements the column codecs of Fieldhub's storage engine:
// timestamps, floats, integers, unsigned integers, booleans and strings, each
// encoded as one self-describing block whose first byte names the codec.
//
// Encoders look at the whole block and pick the smallest representation they
// can find cheaply (constant runs, run lengths, delta-of-delta or delta with
// per-miniblock frame-of-reference bit-packing and patched outliers, decimal
// floats mapped to integers with exceptions, Gorilla
// XOR floats, bit-packed or run-length booleans, dictionary and zstd strings).
// Every value round-trips bit-exactly, including -0.0, NaN payloads,
// infinities and subnormals. The byte layout of every codec is described in
// docs/format/encoding.md.
//
// # Concurrency
//
// All functions are safe for concurrent use. Encoders and decoders keep no
// state between calls except pooled scratch buffers and one shared zstd
// encoder and decoder, which are safe for concurrent use.
//
// # Buffers
//
// Append* functions append to dst and return the extended slice; they do not
// retain dst or the input. Decode* functions append to dst[:0] and return the
// result; when cap(dst) is large enough they do not allocate (except
// DecodeStrings on a zstd-compressed block, which allocates one buffer for
// the decompressed bytes). The []byte values returned by DecodeStrings alias
// either src (uncompressed blocks) or that fresh buffer: they stay valid as
// long as src is neither modified nor reused. Callers that keep strings
// beyond that must copy them.
//
// # Corruption
//
// Decoders never panic. Any input they cannot decode (bad codec id,
// truncation, trailing bytes, impossible counts) yields an error wrapping
// [ErrCorrupt]. A count read from the input is checked against the input's
// length before any memory is allocated for it, so a corrupt block can never
// make a decoder allocate more than a small multiple of its own size (or
// [MaxRunValues] values for run-length blocks).
package encoding
