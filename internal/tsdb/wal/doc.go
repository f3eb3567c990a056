// Package wal is the storage engine's write-ahead log. It is payload-agnostic:
// callers append opaque records (the engine's encoded point batches) and get
// them back in order from Replay after a restart.
//
// # Format
//
// Records live in numbered segment files in one directory, each framed with
// its length, a CRC-32C and a flags byte, the payload s2-compressed when that
// shrinks it. docs/format/wal.md gives the exact layout.
//
// # Durability and group commit
//
// Appenders copy their framed record into a shared pending batch under a
// short lock and then either wait for it to be written or become the writer
// themselves: whoever holds the I/O token takes the whole pending batch,
// writes it with one write call and, under SyncAlways, one fsync. Records
// that arrive meanwhile gather into the next batch, so with many concurrent
// appenders one fsync covers many records. The I/O token is never held by a
// goroutine waiting for the batch lock, and the batch lock is never held
// across I/O.
//
//   - SyncAlways (default): Append returns nil only after the fsync that
//     covers its record.
//   - SyncInterval: Append returns after the write (the record survives a
//     process crash, not a power loss); a background goroutine fsyncs every
//     Options.SyncInterval.
//   - SyncNone: Append returns after the write; fsync happens only when a
//     segment is rolled or rotated, and on Close.
//
// If ctx is cancelled while Append waits, it returns ctx's error, but its
// record is already queued: it will still be written (by the next Append,
// Rotate, the interval syncer or Close) and may become durable and reappear
// in a later Replay, like any write whose outcome was not acknowledged.
//
// A write or fsync error is fatal to a WAL (after a failed fsync the kernel
// may have dropped the dirty pages, so nothing written since the last good
// fsync can be trusted): every waiting and later Append fails with an error
// wrapping ErrFailed and the cause. Close the WAL and reopen it; Replay then
// cuts any torn tail.
//
// # Concurrency
//
// Append, Rotate, RemoveBefore, Segments, Size, Stats and Close are safe for
// concurrent use. Replay is meant to run once, after Open and before the
// first Append; it only reads segments that existed at Open, so it never sees
// records appended by this process.
//
// # Buffers
//
// Append frames (and compresses) its payload into the WAL's own memory before
// it returns, so the caller may reuse the payload as soon as Append returns,
// even when it returns early because ctx was cancelled. A payload passed to
// the Replay callback is valid only during the call.
package wal
