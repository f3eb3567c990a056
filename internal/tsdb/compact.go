package tsdb

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Compaction is tiered: a partition's parts are ordered by seq, newest last;
// whenever compactionFanIn consecutive parts share a level they are merged
// into one part of the next level (deduplicating rows and applying
// tombstones), so a part is rewritten about log4(N) times in its life. Only
// consecutive parts are merged, so "newer seq wins" stays true for the output.

const (
	compactionFanIn = 4
	maxLevel        = 4
	// maxPartsBeforeForce merges any consecutive run when a partition
	// accumulates this many parts regardless of level (bounds read fan-out).
	maxPartsBeforeForce = 12
)

// pickCompaction chooses a run of parts to merge, or nil.
func pickCompaction(parts []*part) []*part {
	for i := 0; i+compactionFanIn <= len(parts); i++ {
		lvl := parts[i].level
		if lvl >= maxLevel {
			continue
		}
		j := i
		for j < len(parts) && parts[j].level == lvl {
			j++
		}
		if j-i >= compactionFanIn {
			return parts[i:j]
		}
		i = j - 1
	}
	if len(parts) >= maxPartsBeforeForce {
		// Merge the newest run of lowest-level parts that is at least 2 long.
		return parts[len(parts)-compactionFanIn:]
	}
	return nil
}

// compactionLoop runs compactions one at a time (the machine may have few cores).
func (e *Engine) compactionLoop() {
	defer e.wg.Done()
	tick := time.NewTicker(e.opts.CompactionInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
		}
		for _, rp := range e.allPolicies() {
			for _, p := range rp.partitionList() {
				select {
				case <-e.stop:
					return
				default:
				}
				p.mu.RLock()
				cold := len(p.parts) > 1 && e.now().UnixNano()-p.lastFlush > int64(e.opts.ColdCompactionAfter)
				p.mu.RUnlock()
				if _, err := e.compactPartition(context.Background(), p, cold); err != nil {
					e.log.Error("compaction failed", "db", rp.db.name, "policy", rp.name, "partition", p.start, "err", err)
				}
			}
		}
	}
}

// compactPartition performs one compaction step on p (or, with full, merges
// all its parts into one). It reports whether it merged anything.
func (e *Engine) compactPartition(ctx context.Context, p *partition, full bool) (bool, error) {
	p.mu.Lock()
	if p.compacting || p.dropped {
		p.mu.Unlock()
		return false, nil
	}
	var run []*part
	if full || len(p.tombstones) > 0 {
		// Tombstones are reclaimed by merging every part they cover.
		if len(p.parts) > 1 || (len(p.parts) == 1 && len(p.tombstones) > 0) {
			run = slices.Clone(p.parts)
		}
	} else {
		run = slices.Clone(pickCompaction(p.parts))
	}
	if len(run) == 0 {
		p.mu.Unlock()
		return false, nil
	}
	p.compacting = true
	tombs := slices.Clone(p.tombstones)
	for _, pt := range run {
		pt.acquire()
	}
	p.mu.Unlock()
	defer func() {
		releaseAll(run)
		p.mu.Lock()
		p.compacting = false
		p.mu.Unlock()
	}()
	start := time.Now()
	level := run[0].level + 1
	for _, pt := range run {
		level = max(level, pt.level+1)
	}
	level = min(level, maxLevel)
	var inBytes, points int64
	for _, pt := range run {
		inBytes += pt.size
	}
	// Series ids across the run, ascending.
	ids := run[0].series.Clone()
	for _, pt := range run[1:] {
		ids.Or(pt.series)
	}
	view := partitionView{start: p.start, end: p.end, parts: run, tombs: tombs}
	throttle := newThrottle(e.opts.CompactionThroughput)
	err := e.writePart(p, level, func(pw *partWriter) error {
		var m rowMerger
		var buf []byte
		it := ids.Iterator()
		for it.HasNext() {
			if err := ctx.Err(); err != nil {
				return err
			}
			select {
			case <-e.stop:
				if !full {
					return errCompactionStopped
				}
			default:
			}
			id := uint64(it.Next())
			r, err := e.readSeries(&view, id, p.start, p.end-1, nil, &m, &buf)
			if err != nil {
				return err
			}
			if len(r.ts) == 0 {
				continue
			}
			before := pw.off
			if err := pw.writeSeries(id, &r); err != nil {
				return err
			}
			points += int64(len(r.ts))
			throttle.wait(pw.off - before)
		}
		return nil
	}, run, tombs)
	if err == errCompactionStopped {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("compact %d parts: %w", len(run), err)
	}
	if e.metrics != nil {
		e.metrics.compactions.Inc()
	}
	e.log.Debug("compacted", "db", p.rp.db.name, "policy", p.rp.name, "partition", p.start, "parts", len(run),
		"level", level, "points", points, "bytes_in", inBytes, "duration", time.Since(start).Round(time.Millisecond))
	return true, nil
}

var errCompactionStopped = fmt.Errorf("compaction stopped by shutdown")

// Compact fully compacts every partition: each ends with one part and no
// tombstones. Used by tests, benchmarks and `inspect`; the background loop
// compacts incrementally.
func (e *Engine) Compact(ctx context.Context) error {
	if err := e.Flush(ctx); err != nil {
		return err
	}
	for _, rp := range e.allPolicies() {
		for _, p := range rp.partitionList() {
			for {
				// Wait out a background compaction of this partition.
				p.mu.RLock()
				busy := p.compacting
				p.mu.RUnlock()
				if !busy {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := e.compactPartition(ctx, p, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// throttle limits a byte rate by sleeping.
type throttle struct {
	rate  int64 // bytes/s; <= 0 unlimited
	start time.Time
	done  int64
}

func newThrottle(rate int64) *throttle { return &throttle{rate: rate, start: time.Now()} }

func (t *throttle) wait(n int64) {
	if t.rate <= 0 {
		return
	}
	t.done += n
	want := time.Duration(float64(t.done) / float64(t.rate) * float64(time.Second))
	if d := want - time.Since(t.start); d > time.Millisecond {
		time.Sleep(d)
	}
}

// partitionList snapshots the policy's partitions.
func (rp *retentionPolicy) partitionList() []*partition {
	rp.mu.RLock()
	defer rp.mu.RUnlock()
	out := make([]*partition, 0, len(rp.partitions))
	for _, p := range rp.partitions {
		out = append(out, p)
	}
	return out
}
