package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// SyncPolicy says when appended records are fsynced.
type SyncPolicy int

// Sync policies; see the package doc.
const (
	// SyncAlways fsyncs before Append returns, sharing fsyncs between
	// concurrent appenders (group commit). The default.
	SyncAlways SyncPolicy = iota
	// SyncInterval fsyncs in the background every Options.SyncInterval.
	SyncInterval
	// SyncNone fsyncs only on segment rolls, Rotate and Close.
	SyncNone
)

// String names the policy as the configuration spells it.
func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// Defaults for zero Options fields.
const (
	DefaultSyncInterval = 100 * time.Millisecond
	DefaultSegmentSize  = 64 << 20
)

// Options configures a WAL. The zero value of every field means its default.
type Options struct {
	// FS is the filesystem; default vfs.Default.
	FS vfs.FS
	// Dir holds the segment files; created if missing. Required.
	Dir string
	// Sync is the durability policy; default SyncAlways.
	Sync SyncPolicy
	// SyncInterval is the background fsync period of SyncInterval; default 100ms.
	SyncInterval time.Duration
	// SegmentSize is the size at which a segment is rolled; default 64 MiB. A
	// record larger than it gets a segment of its own.
	SegmentSize int64
	// Logger receives the truncation warning of Replay and I/O failures; nil discards.
	Logger *slog.Logger
	// OnSync, when set, is told how long each fsync took. It is called from
	// whichever goroutine did the fsync, outside every lock, and must be quick.
	OnSync func(d time.Duration)
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports options that cannot work; call it after EnsureDefaults.
func (o *Options) Validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("dir is required"))
	}
	if o.Sync < SyncAlways || o.Sync > SyncNone {
		errs = append(errs, fmt.Errorf("unknown sync policy %d", int(o.Sync)))
	}
	if o.SyncInterval < 0 {
		errs = append(errs, fmt.Errorf("sync interval %v is negative", o.SyncInterval))
	}
	if o.SegmentSize < 0 {
		errs = append(errs, fmt.Errorf("segment size %d is negative", o.SegmentSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

// Stats are cumulative counters since Open; see WAL.Stats.
type Stats struct {
	// Appends is the number of records written to segments.
	Appends int64
	// Writes is the number of batches written, each with one write call per
	// segment it touches: Appends/Writes is the average group size.
	Writes int64
	// Syncs is the number of segment fsyncs.
	Syncs int64
	// SyncTime is the total time spent in those fsyncs.
	SyncTime time.Duration
	// BytesWritten is the framed (on-disk) bytes written.
	BytesWritten int64
	// PayloadBytes is the payload bytes appended, before compression.
	PayloadBytes int64
	// Rotations is the number of segments started after Open (rolls and Rotate).
	Rotations int64
	// Failed is set once an I/O error has made the WAL refuse appends.
	Failed bool
}

// ReplayStats describes what Replay read and dropped.
type ReplayStats struct {
	// Records is the number of good records passed to the callback.
	Records int64
	// Bytes is the on-disk (framed) size of those records.
	Bytes int64
	// Segments is the number of segments read.
	Segments int64
	// DroppedBytes is what the truncation removed: the damaged tail of one
	// segment plus every later segment.
	DroppedBytes int64
	// Truncated reports that a damaged record was found and dropped.
	Truncated bool
}
