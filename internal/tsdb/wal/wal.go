package wal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// Errors. Wrapped errors keep these in their chain (errors.Is).
var (
	// ErrCorrupt marks a damaged record: Verify reports it, Replay truncates at it.
	ErrCorrupt = errors.New("wal: corrupt record")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("wal: closed")
	// ErrFailed is returned once a write or fsync has failed; see the package doc.
	ErrFailed = errors.New("wal: failed after an I/O error; close and reopen to recover")
	// ErrTooLarge rejects a payload over MaxPayload.
	ErrTooLarge = errors.New("wal: payload too large")
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("wal: invalid options")
)

const segmentExt = ".wal"

// Buffers bigger than these are dropped after use rather than kept for reuse,
// so one burst of huge records does not pin memory for the life of the WAL.
const (
	maxSpareBatch   = 8 << 20
	maxSpareScratch = 1 << 20
)

func segmentName(n uint64) string { return fmt.Sprintf("%016d%s", n, segmentExt) }

// parseSegmentName returns the number of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// listSegments returns the segment numbers in dir, ascending; other files are ignored.
func listSegments(fsys vfs.FS, dir string) ([]uint64, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list wal segments: %w", err)
	}
	var out []uint64
	for _, de := range entries {
		if n, ok := parseSegmentName(de.Name()); ok && !de.IsDir() {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// batch is a group of framed records written with one write call (per
// segment it spans) and covered by one fsync.
type batch struct {
	buf     []byte
	rolls   []int // offsets in buf at which a new segment starts
	n       int64 // records in buf
	payload int64 // their payload bytes before compression
	done    chan struct{}
	err     error // outcome; set before done is closed
}

// WAL is a write-ahead log. See the package doc for its contract.
type WAL struct {
	opts Options // immutable after Open

	// ioSem is the I/O token, a one-slot semaphore: only its holder writes,
	// fsyncs, rolls or closes segment files. A channel rather than a mutex so
	// a waiting appender can instead notice that its batch was written by
	// someone else, or give up when its ctx is cancelled. Close takes it and
	// never gives it back.
	ioSem chan struct{}

	// Owned by the ioSem holder.
	seg        vfs.File // segment being appended to; nil after a failed roll
	segNum     uint64
	unsynced   bool   // bytes written to seg since its last fsync
	spare      []byte // buffer of the last written batch, reused for the next
	spareRolls []int

	// mu guards the fields below; never held across disk I/O.
	mu struct {
		sync.Mutex
		pending   *batch   // records not yet taken by an ioSem holder
		tailSeg   uint64   // segment the end of pending will be in
		tailSize  int64    // bytes tailSeg will hold once pending is written
		segments  []uint64 // segment files on disk, ascending, current last
		sizes     map[uint64]int64
		replayEnd uint64 // segments below this existed at Open
		err       error  // sticky failure, wraps ErrFailed
		closed    bool
	}

	appends, writes, syncs, syncNanos, written, payloadBytes, rotations atomic.Int64
	failed                                                              atomic.Bool

	stop      chan struct{} // closed by Close to stop the interval syncer
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens the log in opts.Dir, creating the directory if needed, and
// starts a new segment for appends. Call Replay next to read what is there.
func Open(ctx context.Context, opts Options) (*WAL, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := opts.FS.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create wal dir: %w", err)
	}
	// The directory's own entry must survive a crash before any segment in it matters.
	if err := opts.FS.SyncDir(filepath.Dir(filepath.Clean(opts.Dir))); err != nil {
		return nil, fmt.Errorf("sync parent of wal dir: %w", err)
	}
	segs, err := listSegments(opts.FS, opts.Dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{opts: opts, ioSem: make(chan struct{}, 1), stop: make(chan struct{})}
	w.mu.sizes = make(map[uint64]int64, len(segs)+1)
	for _, n := range segs {
		st, err := opts.FS.Stat(w.path(n))
		if err != nil {
			return nil, fmt.Errorf("stat wal segment %d: %w", n, err)
		}
		w.mu.sizes[n] = st.Size()
	}
	w.mu.segments = segs
	next := uint64(1)
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	w.mu.replayEnd = next
	if err := w.createIO(next); err != nil {
		return nil, err
	}
	w.mu.tailSeg = next
	w.mu.pending = &batch{done: make(chan struct{})}
	if opts.Sync == SyncInterval {
		w.wg.Add(1)
		go w.syncLoop()
	}
	return w, nil
}

func (w *WAL) path(n uint64) string { return filepath.Join(w.opts.Dir, segmentName(n)) }

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// Append adds one record. Its durability on return depends on the sync
// policy; if ctx is cancelled while it waits, the record may still be written
// and become durable (see the package doc). Append frames its own copy of
// payload before returning.
func (w *WAL) Append(ctx context.Context, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), MaxPayload)
	}
	// Compress and frame outside the lock; only the copy into the batch is serialised.
	sp := scratchPool.Get().(*[]byte)
	rec := encodeRecord((*sp)[:0], payload)
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	b := w.mu.pending
	if w.mu.tailSize > 0 && w.mu.tailSize+int64(len(rec)) > w.opts.SegmentSize {
		w.rollLocked(b)
	}
	b.buf = append(b.buf, rec...)
	b.n++
	b.payload += int64(len(payload))
	w.mu.tailSize += int64(len(rec))
	w.mu.Unlock()
	if cap(rec) <= maxSpareScratch {
		*sp = rec[:0]
		scratchPool.Put(sp)
	}
	return w.wait(ctx, b)
}

// usableLocked says why nothing more may be queued, if so.
func (w *WAL) usableLocked() error {
	if w.mu.closed {
		return ErrClosed
	}
	return w.mu.err
}

// rollLocked makes the records queued after this point go to a new segment.
func (w *WAL) rollLocked(b *batch) {
	b.rolls = append(b.rolls, len(b.buf))
	w.mu.tailSeg++
	w.mu.tailSize = 0
}

// wait returns once b has been handled, writing it (and whatever else is
// pending) itself when the I/O token is free.
func (w *WAL) wait(ctx context.Context, b *batch) error {
	for {
		select {
		case <-b.done:
			return b.err
		default:
		}
		select {
		case <-b.done:
			return b.err
		case <-ctx.Done():
			return fmt.Errorf("wal append abandoned, the record may still become durable: %w", ctx.Err())
		case w.ioSem <- struct{}{}:
			select {
			case <-b.done:
				// Written by the previous holder while we queued for the token.
			default:
				// Nobody else can take pending while we hold the token, so b
				// is the pending batch and this writes it. Appenders woken by
				// the previous fsync are usually runnable but not yet queued:
				// yielding once lets them join this batch instead of forming
				// a tiny one of their own after it.
				if w.opts.Sync == SyncAlways {
					runtime.Gosched()
				}
				w.flushIO(false)
			}
			<-w.ioSem
		}
	}
}

// flushIO takes the pending batch, writes it and fsyncs as the policy (or
// forceSync) requires, then reports the outcome to its waiters. The caller
// holds ioSem.
func (w *WAL) flushIO(forceSync bool) {
	w.mu.Lock()
	b := w.mu.pending
	failed := w.mu.err
	if b.n == 0 && len(b.rolls) == 0 && !(forceSync && w.unsynced && failed == nil) {
		w.mu.Unlock()
		return
	}
	w.mu.pending = &batch{buf: w.spare[:0], rolls: w.spareRolls[:0], done: make(chan struct{})}
	w.spare, w.spareRolls = nil, nil
	w.mu.Unlock()

	err := failed
	if err == nil {
		if err = w.writeBatchIO(b, forceSync); err != nil {
			err = w.fail(err)
		}
	}
	b.err = err
	close(b.done)
	// Waiters only read b.err, so the buffers can serve the next batch.
	if cap(b.buf) <= maxSpareBatch {
		w.spare, w.spareRolls = b.buf, b.rolls
	}
}

// writeBatchIO writes b, rolling segments where it says. The caller holds ioSem.
func (w *WAL) writeBatchIO(b *batch, forceSync bool) error {
	start := 0
	for _, r := range b.rolls {
		if err := w.writeIO(b.buf[start:r]); err != nil {
			return err
		}
		if err := w.rollIO(); err != nil {
			return err
		}
		start = r
	}
	if err := w.writeIO(b.buf[start:]); err != nil {
		return err
	}
	w.appends.Add(b.n)
	w.payloadBytes.Add(b.payload)
	if forceSync || (w.opts.Sync == SyncAlways && b.n > 0) {
		return w.syncIO()
	}
	return nil
}

// writeIO appends p to the current segment. The caller holds ioSem.
func (w *WAL) writeIO(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if w.seg == nil {
		return fmt.Errorf("write wal: no open segment after an earlier failure")
	}
	n, err := w.seg.Write(p)
	if n > 0 {
		w.unsynced = true
		w.written.Add(int64(n))
		w.mu.Lock()
		w.mu.sizes[w.segNum] += int64(n)
		w.mu.Unlock()
	}
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write wal segment %d: %w", w.segNum, err)
	}
	w.writes.Add(1)
	return nil
}

// syncIO fsyncs the current segment if it has unsynced bytes. The caller holds ioSem.
func (w *WAL) syncIO() error {
	if !w.unsynced || w.seg == nil {
		return nil
	}
	start := time.Now()
	err := w.seg.Sync()
	d := time.Since(start)
	if err != nil {
		return fmt.Errorf("sync wal segment %d: %w", w.segNum, err)
	}
	w.unsynced = false
	w.syncs.Add(1)
	w.syncNanos.Add(int64(d))
	if w.opts.OnSync != nil {
		w.opts.OnSync(d)
	}
	return nil
}

// rollIO syncs and closes the current segment and starts the next. The
// caller holds ioSem.
func (w *WAL) rollIO() error {
	if err := w.syncIO(); err != nil {
		return err
	}
	if w.seg != nil {
		err := w.seg.Close()
		w.seg = nil
		if err != nil {
			return fmt.Errorf("close wal segment %d: %w", w.segNum, err)
		}
	}
	if err := w.createIO(w.segNum + 1); err != nil {
		return err
	}
	w.rotations.Add(1)
	return nil
}

// createIO creates segment n, makes its directory entry durable and makes it
// the current segment. The caller holds ioSem (or is Open).
func (w *WAL) createIO(n uint64) error {
	f, err := w.opts.FS.Create(w.path(n))
	if err != nil {
		return fmt.Errorf("create wal segment %d: %w", n, err)
	}
	w.mu.Lock()
	w.mu.segments = append(w.mu.segments, n)
	w.mu.sizes[n] = 0
	w.mu.Unlock()
	if err := w.opts.FS.SyncDir(w.opts.Dir); err != nil {
		f.Close()
		return fmt.Errorf("sync wal dir for segment %d: %w", n, err)
	}
	w.seg, w.segNum, w.unsynced = f, n, false
	return nil
}

// fail records the first I/O failure, after which the WAL refuses appends,
// and returns the error every affected caller gets.
func (w *WAL) fail(cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mu.err == nil {
		w.mu.err = fmt.Errorf("%w: %w", ErrFailed, cause)
		w.failed.Store(true)
		w.opts.Logger.Error("wal failed, refusing further appends until reopened", "dir", w.opts.Dir, "err", cause)
	}
	return w.mu.err
}

// syncLoop is the SyncInterval background syncer.
func (w *WAL) syncLoop() {
	defer w.wg.Done()
	t := time.NewTicker(w.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		select {
		case <-w.stop:
			return
		case w.ioSem <- struct{}{}:
		}
		w.flushIO(true)
		<-w.ioSem
	}
}

// Rotate syncs and closes the current segment and starts the next one,
// returning its number: every record appended before Rotate was called is in
// a lower-numbered segment, durable when Rotate returns nil.
func (w *WAL) Rotate() (uint64, error) {
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return 0, err
	}
	b := w.mu.pending
	w.rollLocked(b)
	seg := w.mu.tailSeg
	w.mu.Unlock()
	if err := w.wait(context.Background(), b); err != nil {
		return 0, fmt.Errorf("rotate wal: %w", err)
	}
	return seg, nil
}

// RemoveBefore deletes every whole segment numbered below seg, never the
// one being appended to. The engine calls it once the records in those
// segments are safely in its parts.
func (w *WAL) RemoveBefore(seg uint64) error {
	w.mu.Lock()
	if w.mu.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	var victims []uint64
	for i, n := range w.mu.segments {
		if n < seg && i < len(w.mu.segments)-1 {
			victims = append(victims, n)
		}
	}
	w.mu.Unlock()
	if len(victims) == 0 {
		return nil
	}
	for _, n := range victims {
		if err := w.opts.FS.Remove(w.path(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove wal segment %d: %w", n, err)
		}
		w.forgetSegment(n)
	}
	if err := w.opts.FS.SyncDir(w.opts.Dir); err != nil {
		return fmt.Errorf("sync wal dir after removing segments: %w", err)
	}
	return nil
}

// forgetSegment drops segment n from the bookkeeping after its file is gone.
func (w *WAL) forgetSegment(n uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.mu.sizes, n)
	if i, ok := slices.BinarySearch(w.mu.segments, n); ok {
		w.mu.segments = slices.Delete(w.mu.segments, i, i+1)
	}
}

// Segments lists the numbers of the segment files on disk, ascending; the
// last is the one being appended to.
func (w *WAL) Segments() []uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.mu.segments)
}

// Size is the bytes in all segment files.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	for _, s := range w.mu.sizes {
		n += s
	}
	return n
}

// Stats returns the cumulative counters. Each is read atomically; together
// they are not one consistent snapshot.
func (w *WAL) Stats() Stats {
	return Stats{
		Appends:      w.appends.Load(),
		Writes:       w.writes.Load(),
		Syncs:        w.syncs.Load(),
		SyncTime:     time.Duration(w.syncNanos.Load()),
		BytesWritten: w.written.Load(),
		PayloadBytes: w.payloadBytes.Load(),
		Rotations:    w.rotations.Load(),
		Failed:       w.failed.Load(),
	}
}

// Close writes and fsyncs whatever is queued, closes the current segment and
// waits for the WAL's goroutine. It returns the WAL's failure, if any; later
// calls return the same result.
func (w *WAL) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.close() })
	return w.closeErr
}

func (w *WAL) close() error {
	w.mu.Lock()
	w.mu.closed = true
	w.mu.Unlock()
	close(w.stop)
	w.wg.Wait()
	// Take the I/O token for good: nothing may touch the files after Close.
	w.ioSem <- struct{}{}
	w.flushIO(true)
	w.mu.Lock()
	err := w.mu.err
	w.mu.Unlock()
	if w.seg != nil {
		if cerr := w.seg.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close wal segment %d: %w", w.segNum, cerr)
		}
		w.seg = nil
	}
	return err
}
