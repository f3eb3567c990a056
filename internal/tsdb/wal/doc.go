// Package wal is the storage engine's write-ahead log. It is payload-agnostic:
// callers append opaque records (the engine's encoded point batches) and get
// them back in order on Replay after a restart.
//
// Records live in numbered segment files (docs/format/wal.md), each framed
// with its length, a CRC-32C and a flags byte, the payload s2-compressed when
// that shrinks it. Append is safe for concurrent use. With SyncAlways it
// returns only after the record is fsynced; concurrent appenders share fsyncs
// (group commit): while one goroutine syncs, the others queue behind it and
// usually find their records covered by the next single sync.
//
// Replay must be called (if at all) before the first Append. It stops at the
// first damaged record, truncates the segment there, removes later segments,
// and logs what it dropped. A payload passed to the Replay callback is valid
// only during the call; Append copies (compresses) its payload before
// returning, so the caller may reuse it afterwards.
package wal
