package tsdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldhub/fieldhub/internal/tsdb/wal"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configures an Engine. The zero value of every member means its default.
type Options struct {
	// Dir is the data directory (required).
	Dir string
	// FS is the filesystem; default vfs.Default.
	FS vfs.FS
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the engine's Prometheus metrics; nil registers none.
	Registerer prometheus.Registerer
	// WALSync is the durability policy: "always" (default: a write is
	// acknowledged after its WAL record is fsynced, with group commit),
	// "interval" (fsync every WALSyncInterval) or "none" (the OS decides).
	WALSync string
	// WALSyncInterval is the fsync period of the "interval" policy; default 100ms.
	WALSyncInterval time.Duration
	// HeadMemoryLimit bounds the memory of unflushed data; writes beyond it
	// fail with ErrHeadFull until a flush catches up. Default 512 MiB.
	HeadMemoryLimit int64
	// FlushSize starts a flush of the head to parts when it holds this many
	// bytes; default HeadMemoryLimit/8 (the head is compact, so this holds
	// more points than a quarter of the limit did in plain columns).
	FlushSize int64
	// FlushInterval flushes the head at least this often (bounds WAL replay
	// time); default 10m.
	FlushInterval time.Duration
	// CompactionInterval is how often partitions are checked for compaction; default 10s.
	CompactionInterval time.Duration
	// CompactionThroughput caps compaction output in bytes/s to leave I/O and
	// CPU for writes and queries; default 32 MiB/s; negative means unlimited.
	CompactionThroughput int64
	// ColdCompactionAfter fully compacts a partition (all parts into one) once
	// no flush has written to it for this long, so old data ends up in large,
	// well-compressed blocks; default 30m.
	ColdCompactionAfter time.Duration
	// RetentionInterval is how often expired partitions are dropped; default 10m.
	RetentionInterval time.Duration
	// Now returns the current time; default time.Now (tests inject a clock).
	Now func() time.Time
}

// EnsureDefaults fills unset members with their defaults.
func (o *Options) EnsureDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WALSync == "" {
		o.WALSync = "always"
	}
	if o.WALSyncInterval <= 0 {
		o.WALSyncInterval = 100 * time.Millisecond
	}
	if o.HeadMemoryLimit <= 0 {
		o.HeadMemoryLimit = 512 << 20
	}
	if o.FlushSize <= 0 {
		o.FlushSize = o.HeadMemoryLimit / 8
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 10 * time.Minute
	}
	if o.CompactionInterval <= 0 {
		o.CompactionInterval = 10 * time.Second
	}
	if o.CompactionThroughput == 0 {
		o.CompactionThroughput = 32 << 20
	}
	if o.ColdCompactionAfter <= 0 {
		o.ColdCompactionAfter = 30 * time.Minute
	}
	if o.RetentionInterval <= 0 {
		o.RetentionInterval = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports invalid options.
func (o *Options) Validate() error {
	if o.Dir == "" {
		return errors.New("tsdb: data dir is required")
	}
	if _, err := walPolicy(o.WALSync); err != nil {
		return err
	}
	return nil
}

func walPolicy(s string) (wal.SyncPolicy, error) {
	switch s {
	case "always", "":
		return wal.SyncAlways, nil
	case "interval":
		return wal.SyncInterval, nil
	case "none":
		return wal.SyncNone, nil
	}
	return 0, fmt.Errorf("tsdb: unknown WAL sync policy %q (want always, interval or none)", s)
}

// Engine is the storage engine. It is safe for concurrent use.
type Engine struct {
	opts    Options // immutable after Open
	fs      vfs.FS
	log     *slog.Logger
	wal     *wal.WAL
	metrics *metrics

	// gate orders commits against checkpoints: a commit holds it shared across
	// its WAL append and head apply; a checkpoint holds it exclusively while it
	// swaps heads and rotates the WAL, so every record in the older segments is
	// in the frozen heads.
	gate sync.RWMutex
	// headBytes is the memory of every head, active and frozen.
	headBytes atomic.Int64
	// flushMu serialises checkpoints.
	flushMu   sync.Mutex
	lastFlush atomic.Int64 // unix ns
	flushReq  chan struct{}

	// mu guards the catalog; never held across disk I/O except the small catalog file.
	mu struct {
		sync.RWMutex
		state  catalogState
		dbs    map[string]*database
		byID   map[uint64]*database
		closed bool
	}

	stop chan struct{}
	wg   sync.WaitGroup
}

// Open opens (creating if needed) the data directory, replays the WAL and
// starts the background flush, compaction and retention loops.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, fs: opts.FS, log: opts.Logger, stop: make(chan struct{}), flushReq: make(chan struct{}, 1)}
	e.mu.dbs = make(map[string]*database)
	e.mu.byID = make(map[uint64]*database)
	e.lastFlush.Store(opts.Now().UnixNano())
	if err := e.fs.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := e.loadCatalog(); err != nil {
		return nil, err
	}
	policy, _ := walPolicy(opts.WALSync)
	w, err := wal.Open(ctx, wal.Options{FS: e.fs, Dir: filepath.Join(opts.Dir, "wal"), Sync: policy, SyncInterval: opts.WALSyncInterval, Logger: e.log})
	if err != nil {
		e.closeParts()
		return nil, fmt.Errorf("open wal: %w", err)
	}
	e.wal = w
	start := time.Now()
	var points, values, skipped int
	stats, err := w.Replay(ctx, func(rec []byte) error {
		n, v, err := e.applyRecord(rec, nil)
		points += n
		values += v
		if err != nil {
			// A record that passed its checksum but does not decode is a bug or
			// a dropped database's leftovers; keep going, report it.
			skipped++
			e.log.Warn("skipping undecodable WAL record", "err", err)
		}
		return nil
	})
	if err != nil {
		w.Close()
		e.closeParts()
		return nil, fmt.Errorf("replay wal: %w", err)
	}
	if stats.Records > 0 {
		el := time.Since(start)
		e.log.Info("replayed WAL", "records", stats.Records, "points", points, "values", values, "bytes", stats.Bytes,
			"skipped_records", skipped, "duration", el.Round(time.Millisecond),
			"values_per_sec", int64(float64(values)/max(el.Seconds(), 1e-9)))
	}
	e.metrics = newMetrics(e, opts.Registerer)
	e.wg.Add(3)
	go e.flushLoop()
	go e.compactionLoop()
	go e.retentionLoop()
	return e, nil
}

// loadCatalog reads the catalog and opens every database and partition.
func (e *Engine) loadCatalog() error {
	b, err := vfs.ReadFile(e.fs, filepath.Join(e.opts.Dir, catalogFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.mu.state = catalogState{Version: 1, NextID: 1}
		return nil
	case err != nil:
		return fmt.Errorf("read catalog: %w", err)
	}
	if err := jsonUnmarshal(b, &e.mu.state); err != nil {
		return fmt.Errorf("%w: catalog %s: %v", ErrCorrupt, catalogFile, err)
	}
	for _, ds := range e.mu.state.Databases {
		d := newDatabase(ds.ID, ds.Name, e.dbDir(ds.ID))
		d.defaultPolicy = ds.DefaultPolicy
		if err := d.loadSchema(e.fs); err != nil {
			return err
		}
		if err := e.loadSeriesIndex(d); err != nil {
			return err
		}
		for _, rs := range ds.Policies {
			rp, err := e.openPolicy(d, rs)
			if err != nil {
				return err
			}
			d.rps[rp.name] = rp
		}
		e.mu.dbs[d.name] = d
		e.mu.byID[d.id] = d
	}
	return nil
}

func (e *Engine) dbDir(id uint64) string {
	return filepath.Join(e.opts.Dir, "db-"+strconv.FormatUint(id, 10))
}

// openPolicy opens a retention policy's directory and partitions.
func (e *Engine) openPolicy(d *database, rs catalogRPState) (*retentionPolicy, error) {
	rp := &retentionPolicy{
		db: d, id: rs.ID, name: rs.Name,
		dir:      filepath.Join(d.dir, "rp-"+strconv.FormatUint(rs.ID, 10)),
		duration: rs.Duration, partitionDuration: rs.PartitionDuration, replicaN: rs.ReplicaN,
		partitions: make(map[int64]*partition),
	}
	rp.active = newHead(rp, &e.headBytes)
	if err := e.fs.MkdirAll(rp.dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := e.fs.ReadDir(rp.dir)
	if err != nil {
		return nil, err
	}
	for _, de := range entries {
		name := de.Name()
		if !strings.HasPrefix(name, "p") || !de.IsDir() {
			continue
		}
		start, err := strconv.ParseInt(name[1:], 10, 64)
		if err != nil {
			continue
		}
		p, err := openPartition(e.fs, rp, filepath.Join(rp.dir, name), start)
		if err != nil {
			return nil, fmt.Errorf("database %q policy %q: %w", d.name, rp.name, err)
		}
		rp.partitions[start] = p
	}
	return rp, nil
}

func (rp *retentionPolicy) activeHead() *head {
	rp.mu.RLock()
	defer rp.mu.RUnlock()
	return rp.active
}

func (rp *retentionPolicy) retention() time.Duration {
	rp.mu.RLock()
	defer rp.mu.RUnlock()
	return rp.duration
}

func (e *Engine) now() time.Time { return e.opts.Now() }

// lookup finds a database and policy ("" = default policy).
func (e *Engine) lookup(db, rp string) (*database, *retentionPolicy, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.mu.closed {
		return nil, nil, ErrClosed
	}
	d := e.mu.dbs[db]
	if d == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrDatabaseNotFound, db)
	}
	if rp == "" {
		rp = d.defaultPolicy
	}
	p := d.rps[rp]
	if p == nil {
		return nil, nil, fmt.Errorf("%w: %q on database %q", ErrRetentionPolicyNotFound, rp, db)
	}
	return d, p, nil
}

// policyByID finds a policy by ids (WAL replay).
func (e *Engine) policyByID(dbID, rpID uint64) *retentionPolicy {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.mu.byID[dbID]
	if d == nil {
		return nil
	}
	for _, rp := range d.rps {
		if rp.id == rpID {
			return rp
		}
	}
	return nil
}

// allPolicies lists every retention policy.
func (e *Engine) allPolicies() []*retentionPolicy {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*retentionPolicy
	for _, d := range e.mu.dbs {
		for _, rp := range d.rps {
			out = append(out, rp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].db.id != out[j].db.id {
			return out[i].db.id < out[j].db.id
		}
		return out[i].id < out[j].id
	})
	return out
}

// CheckWritable fails fast with ErrHeadFull when the head is over its memory
// limit, so a transport can refuse a request before reading its body.
func (e *Engine) CheckWritable() error {
	if e.headBytes.Load() >= e.opts.HeadMemoryLimit {
		e.requestFlush()
		return ErrHeadFull
	}
	return nil
}

// Commit makes the batch durable per the WAL policy and visible to readers.
// On error nothing of the batch is visible (though with ctx cancelled during a
// sync it may still become durable and reappear after a restart, like any
// unacknowledged write).
func (e *Engine) Commit(ctx context.Context, b *Batch) error {
	if b.npts == 0 {
		return nil
	}
	if err := e.CheckWritable(); err != nil {
		return err
	}
	rec := b.record()
	e.gate.RLock()
	defer e.gate.RUnlock()
	if err := e.wal.Append(ctx, rec); err != nil {
		return fmt.Errorf("wal append: %w", err)
	}
	b.markLogged()
	if _, _, err := e.applyRecord(rec, b.rp); err != nil {
		panic("BUG: apply of a freshly encoded record failed: " + err.Error())
	}
	if e.metrics != nil {
		e.metrics.pointsWritten.Add(float64(b.npts))
		e.metrics.valuesWritten.Add(float64(b.nvals))
	}
	if e.headBytes.Load() >= e.opts.FlushSize {
		e.requestFlush()
	}
	return nil
}

func (e *Engine) requestFlush() {
	select {
	case e.flushReq <- struct{}{}:
	default:
	}
}

// Close stops background work, flushes the head to parts and closes every file.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.mu.closed {
		e.mu.Unlock()
		return nil
	}
	e.mu.closed = true
	e.mu.Unlock()
	close(e.stop)
	e.wg.Wait()
	err := e.Flush(context.Background())
	if werr := e.wal.Close(); err == nil {
		err = werr
	}
	e.closeParts()
	if e.metrics != nil {
		e.metrics.unregister()
	}
	return err
}

func (e *Engine) closeParts() {
	for _, d := range e.mu.dbs {
		for _, rp := range d.rps {
			for _, p := range rp.partitions {
				for _, pt := range p.parts {
					pt.release()
				}
				p.parts = nil
			}
		}
	}
}
