// Package vfs is the small filesystem interface the storage engine reaches disk
// through, so tests can inject I/O errors, truncate or flip bits in files and
// simulate a crash that loses every write not yet synced.
//
// Three implementations:
//
//   - Default is the real operating-system filesystem. SyncDir opens the
//     directory and fsyncs it, which is what makes creates, renames and
//     removes inside it durable on Linux.
//   - NewMem returns an in-memory filesystem for tests. It tracks what is
//     durable separately from what the running process sees, and CrashClone
//     returns the state a power loss would leave (rules on Mem).
//   - Inject wraps any FS and asks a hook before each operation, so a test can
//     fail (or tear) a chosen write, sync, rename and so on.
//
// Concurrency: every FS here is safe for concurrent use. A File is safe for
// concurrent ReadAt but not for concurrent Read, Write or Seek, which share the
// file's position.
//
// Buffers: no implementation retains a slice passed to Write or ReadAt after
// the call returns; ReadFile returns a fresh slice the caller owns.
package vfs
