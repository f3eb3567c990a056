package wal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/klauspost/compress/s2"
)

// SyncPolicy says when appended records are fsynced.
type SyncPolicy int

// Sync policies.
const (
	// SyncAlways fsyncs before Append returns (group commit).
	SyncAlways SyncPolicy = iota
	// SyncInterval fsyncs in the background every Options.SyncInterval.
	SyncInterval
	// SyncNone leaves it to the OS (and to segment rolls and Close).
	SyncNone
)

// Errors.
var (
	// ErrCorrupt marks a damaged record (Verify reports them; Replay truncates).
	ErrCorrupt = errors.New("wal: corrupt record")
	// ErrClosed is returned by Append after Close.
	ErrClosed = errors.New("wal: closed")
)

const (
	headerLen      = 9 // u32 length, u32 crc, u8 flags
	flagCompressed = 1
	// maxRecord bounds one record so a corrupt length cannot make replay allocate wildly.
	maxRecord   = 512 << 20
	segmentExt  = ".wal"
	minCompress = 256
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configures a WAL; zero values mean defaults.
type Options struct {
	FS           vfs.FS
	Dir          string
	Sync         SyncPolicy
	SyncInterval time.Duration // default 100ms
	SegmentSize  int64         // default 64 MiB
	Logger       *slog.Logger
	// OnSync, when set, is told how long each fsync took.
	OnSync func(time.Duration)
}

// Stats are cumulative counters.
type Stats struct {
	Appends, Syncs, BytesWritten int64
}

// ReplayStats describes a replay.
type ReplayStats struct {
	Records, Bytes, Segments int64
	DroppedBytes             int64
	Truncated                bool
}

// WAL is a write-ahead log.
type WAL struct {
	opts Options

	// syncMu serialises fsyncs and segment switches; taken before mu.
	syncMu sync.Mutex
	// mu guards the fields below; never held across fsync.
	mu        sync.Mutex
	seg       vfs.File
	segNum    uint64
	segSize   int64
	segments  []uint64 // existing segment numbers, ascending, including the current one
	sizes     map[uint64]int64
	lsn       int64 // bytes ever appended
	replayEnd uint64
	closed    bool

	synced atomic.Int64 // lsn known durable

	appends, syncs, written atomic.Int64
	stop                    chan struct{}
	wg                      sync.WaitGroup
}

func segmentName(n uint64) string { return fmt.Sprintf("%016d%s", n, segmentExt) }

func listSegments(fsys vfs.FS, dir string) ([]uint64, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, de := range entries {
		name := de.Name()
		if !strings.HasSuffix(name, segmentExt) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Open opens the log in opts.Dir (created if missing) and starts a new segment for appends.
func Open(ctx context.Context, opts Options) (*WAL, error) {
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 100 * time.Millisecond
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 64 << 20
	}
	if err := opts.FS.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	segs, err := listSegments(opts.FS, opts.Dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{opts: opts, segments: segs, sizes: map[uint64]int64{}, stop: make(chan struct{})}
	for _, n := range segs {
		if st, err := opts.FS.Stat(filepath.Join(opts.Dir, segmentName(n))); err == nil {
			w.sizes[n] = st.Size()
		}
	}
	next := uint64(1)
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
		w.replayEnd = next
	}
	if err := w.openSegmentLocked(next); err != nil {
		return nil, err
	}
	if opts.Sync == SyncInterval {
		w.wg.Add(1)
		go w.syncLoop()
	}
	return w, nil
}

// openSegmentLocked creates segment n and makes its directory entry durable.
func (w *WAL) openSegmentLocked(n uint64) error {
	f, err := w.opts.FS.Create(filepath.Join(w.opts.Dir, segmentName(n)))
	if err != nil {
		return fmt.Errorf("create wal segment %d: %w", n, err)
	}
	if err := w.opts.FS.SyncDir(w.opts.Dir); err != nil {
		f.Close()
		return fmt.Errorf("sync wal dir: %w", err)
	}
	w.seg, w.segNum, w.segSize = f, n, 0
	w.segments = append(w.segments, n)
	w.sizes[n] = 0
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Append writes one record; see the package doc for durability.
func (w *WAL) Append(ctx context.Context, payload []byte) error {
	if len(payload) > maxRecord {
		return fmt.Errorf("wal: record of %d bytes exceeds %d", len(payload), maxRecord)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	rec := encodeRecord((*bp)[:0], payload)
	*bp = rec

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if w.segSize > 0 && w.segSize+int64(len(rec)) > w.opts.SegmentSize {
		w.mu.Unlock()
		if _, err := w.Rotate(); err != nil {
			return err
		}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return ErrClosed
		}
	}
	if _, err := w.seg.Write(rec); err != nil {
		// A partial write leaves a torn record that replay will cut; later
		// appends go to a fresh segment so nothing acknowledged follows it.
		w.mu.Unlock()
		w.Rotate()
		return fmt.Errorf("wal write: %w", err)
	}
	w.segSize += int64(len(rec))
	w.sizes[w.segNum] = w.segSize
	w.lsn += int64(len(rec))
	my := w.lsn
	w.mu.Unlock()
	w.appends.Add(1)
	w.written.Add(int64(len(rec)))
	if w.opts.Sync != SyncAlways {
		return nil
	}
	return w.syncTo(ctx, my)
}

// encodeRecord appends the framed record of payload to dst.
func encodeRecord(dst, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, headerLen)...)
	flags := byte(0)
	stored := false
	if len(payload) >= minCompress {
		need := s2.MaxEncodedLen(len(payload))
		if need > 0 {
			if cap(dst)-len(dst) < need {
				nd := make([]byte, len(dst), len(dst)+need)
				copy(nd, dst)
				dst = nd
			}
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
	crc := crc32.Update(0, castagnoli, dst[start+8:start+9])
	crc = crc32.Update(crc, castagnoli, dst[start+headerLen:])
	binary.LittleEndian.PutUint32(dst[start+4:], crc)
	return dst
}

// syncTo returns once every byte up to lsn is durable, sharing fsyncs with
// concurrent callers.
func (w *WAL) syncTo(ctx context.Context, lsn int64) error {
	for w.synced.Load() < lsn {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.syncMu.Lock()
		if w.synced.Load() >= lsn {
			w.syncMu.Unlock()
			return nil
		}
		err := w.syncLocked()
		w.syncMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// syncLocked fsyncs the current segment; syncMu must be held.
func (w *WAL) syncLocked() error {
	w.mu.Lock()
	f, target, closed := w.seg, w.lsn, w.closed
	w.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if w.synced.Load() >= target {
		return nil
	}
	start := time.Now()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal sync: %w", err)
	}
	if w.opts.OnSync != nil {
		w.opts.OnSync(time.Since(start))
	}
	w.syncs.Add(1)
	w.synced.Store(target)
	return nil
}

func (w *WAL) syncLoop() {
	defer w.wg.Done()
	t := time.NewTicker(w.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.syncMu.Lock()
			if err := w.syncLocked(); err != nil && !errors.Is(err, ErrClosed) {
				w.opts.Logger.Error("wal background sync failed", "err", err)
			}
			w.syncMu.Unlock()
		}
	}
}

// Rotate syncs and closes the current segment and starts the next one,
// returning its number: every record appended before Rotate is in a lower segment.
func (w *WAL) Rotate() (uint64, error) {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if err := w.seg.Sync(); err != nil {
		return 0, fmt.Errorf("wal sync: %w", err)
	}
	w.syncs.Add(1)
	w.synced.Store(w.lsn)
	if err := w.seg.Close(); err != nil {
		return 0, err
	}
	if err := w.openSegmentLocked(w.segNum + 1); err != nil {
		return 0, err
	}
	return w.segNum, nil
}

// RemoveBefore deletes every segment numbered below seg (never the current one).
func (w *WAL) RemoveBefore(seg uint64) error {
	w.mu.Lock()
	var victims, keep []uint64
	for _, n := range w.segments {
		if n < seg && n != w.segNum {
			victims = append(victims, n)
		} else {
			keep = append(keep, n)
		}
	}
	w.segments = keep
	for _, n := range victims {
		delete(w.sizes, n)
	}
	w.mu.Unlock()
	for _, n := range victims {
		if err := w.opts.FS.Remove(filepath.Join(w.opts.Dir, segmentName(n))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if len(victims) > 0 {
		return w.opts.FS.SyncDir(w.opts.Dir)
	}
	return nil
}

// Segments lists the segment numbers on disk.
func (w *WAL) Segments() []uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uint64(nil), w.segments...)
}

// Size is the bytes in all segments.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	for _, s := range w.sizes {
		n += s
	}
	return n
}

// Stats returns cumulative counters.
func (w *WAL) Stats() Stats {
	return Stats{Appends: w.appends.Load(), Syncs: w.syncs.Load(), BytesWritten: w.written.Load()}
}

// Close syncs and closes the log and waits for its goroutines; idempotent.
func (w *WAL) Close() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.stop)
	err := w.seg.Sync()
	if cerr := w.seg.Close(); err == nil {
		err = cerr
	}
	w.mu.Unlock()
	w.wg.Wait()
	return err
}

// Replay calls fn with every record of the segments that existed at Open, in
// order. See the package doc for how damage is handled.
func (w *WAL) Replay(ctx context.Context, fn func(payload []byte) error) (ReplayStats, error) {
	var st ReplayStats
	w.mu.Lock()
	var segs []uint64
	for _, n := range w.segments {
		if n < w.replayEnd {
			segs = append(segs, n)
		}
	}
	w.mu.Unlock()
	var dec []byte
	for i, n := range segs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		path := filepath.Join(w.opts.Dir, segmentName(n))
		data, err := readAll(w.opts.FS, path)
		if err != nil {
			return st, fmt.Errorf("read wal segment %d: %w", n, err)
		}
		st.Segments++
		off := 0
		for off < len(data) {
			payload, size, derr := decodeRecord(data[off:], &dec)
			if derr != nil {
				dropped := int64(len(data) - off)
				var later int64
				for _, m := range segs[i+1:] {
					later += w.sizes[m]
				}
				w.opts.Logger.Warn("WAL damaged: truncating at the last good record",
					"segment", segmentName(n), "offset", off, "dropped_bytes", dropped,
					"later_segments_removed", len(segs)-i-1, "later_bytes", later, "reason", derr.Error())
				st.DroppedBytes = dropped + later
				st.Truncated = true
				if err := w.truncate(n, int64(off), segs[i+1:]); err != nil {
					return st, err
				}
				return st, nil
			}
			if err := fn(payload); err != nil {
				return st, err
			}
			st.Records++
			st.Bytes += int64(size)
			off += size
		}
	}
	return st, nil
}

// truncate cuts segment n at off and removes the later segments.
func (w *WAL) truncate(n uint64, off int64, later []uint64) error {
	f, err := w.opts.FS.OpenReadWrite(filepath.Join(w.opts.Dir, segmentName(n)))
	if err != nil {
		return err
	}
	if err := f.Truncate(off); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	w.mu.Lock()
	w.sizes[n] = off
	w.mu.Unlock()
	for _, m := range later {
		if err := w.opts.FS.Remove(filepath.Join(w.opts.Dir, segmentName(m))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		w.mu.Lock()
		delete(w.sizes, m)
		for i, s := range w.segments {
			if s == m {
				w.segments = append(w.segments[:i], w.segments[i+1:]...)
				break
			}
		}
		w.mu.Unlock()
	}
	return w.opts.FS.SyncDir(w.opts.Dir)
}

// decodeRecord decodes the record at the start of b, returning its payload
// (valid until the next call with the same dec) and its framed size.
func decodeRecord(b []byte, dec *[]byte) ([]byte, int, error) {
	if len(b) < headerLen {
		return nil, 0, fmt.Errorf("%w: %d bytes left, shorter than a header", ErrCorrupt, len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if n > maxRecord || int(n) > len(b)-headerLen {
		return nil, 0, fmt.Errorf("%w: record length %d beyond the segment end", ErrCorrupt, n)
	}
	body := b[headerLen : headerLen+int(n)]
	crc := crc32.Update(0, castagnoli, b[8:9])
	crc = crc32.Update(crc, castagnoli, body)
	if crc != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	switch b[8] {
	case 0:
		return body, headerLen + int(n), nil
	case flagCompressed:
		dl, err := s2.DecodedLen(body)
		if err != nil || dl > maxRecord {
			return nil, 0, fmt.Errorf("%w: bad compressed length", ErrCorrupt)
		}
		if cap(*dec) < dl {
			*dec = make([]byte, dl)
		}
		out, err := s2.Decode((*dec)[:dl], body)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
		}
		return out, headerLen + int(n), nil
	}
	return nil, 0, fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, b[8])
}

func readAll(fsys vfs.FS, path string) ([]byte, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	if _, err := f.ReadAt(buf, 0); err != nil && !(errors.Is(err, io.EOF) && len(buf) == 0) {
		if !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	return buf, nil
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Segments, Records int64
	Problems          []string
}

// Verify checks every record of every segment in dir without changing anything.
func Verify(ctx context.Context, fsys vfs.FS, dir string) (VerifyReport, error) {
	var rep VerifyReport
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return rep, err
	}
	var dec []byte
	for _, n := range segs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		data, err := readAll(fsys, filepath.Join(dir, segmentName(n)))
		if err != nil {
			return rep, err
		}
		rep.Segments++
		for off := 0; off < len(data); {
			_, size, derr := decodeRecord(data[off:], &dec)
			if derr != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("wal segment %s at offset %d: %v (%d bytes after it)",
					segmentName(n), off, derr, len(data)-off))
				break
			}
			rep.Records++
			off += size
		}
	}
	return rep, nil
}
