package tsdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// Flush writes everything in the heads to parts and removes the WAL segments
// that held it (a checkpoint). Writes continue meanwhile into fresh heads.
func (e *Engine) Flush(ctx context.Context) error {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	start := time.Now()
	policies := e.allPolicies()

	e.gate.Lock()
	for _, rp := range policies {
		rp.mu.Lock()
		if rp.active.own.Load() > 0 {
			rp.frozen = append(rp.frozen, rp.active)
			rp.active = newHead(rp, &e.headBytes)
		}
		rp.mu.Unlock()
	}
	seg, err := e.wal.Rotate()
	e.gate.Unlock()
	if err != nil {
		return fmt.Errorf("rotate wal: %w", err)
	}
	e.lastFlush.Store(e.now().UnixNano())

	var points int
	for _, rp := range policies {
		rp.mu.RLock()
		frozen := slices.Clone(rp.frozen)
		rp.mu.RUnlock()
		for _, h := range frozen {
			for _, hp := range h.snapshotParts() {
				if hp.flushed {
					continue
				}
				if dur := rp.retention(); dur > 0 && hp.end <= e.now().UnixNano()-int64(dur) {
					// Expired while in the head: writing it would only recreate a
					// partition retention already dropped.
					hp.flushed = true
					continue
				}
				n, err := e.flushHeadPartition(rp, hp)
				if err != nil {
					return fmt.Errorf("flush database %q policy %q partition %d: %w", rp.db.name, rp.name, hp.start, err)
				}
				hp.flushed = true
				points += n
			}
		}
	}
	// Series and field definitions must be durable before the WAL segments
	// that defined them go away.
	e.mu.RLock()
	dbs := make([]*database, 0, len(e.mu.dbs))
	for _, d := range e.mu.dbs {
		dbs = append(dbs, d)
	}
	e.mu.RUnlock()
	for _, d := range dbs {
		if err := d.series.persist(e.fs, filepath.Join(d.dir, seriesFileName)); err != nil {
			return fmt.Errorf("persist series of %q: %w", d.name, err)
		}
		if err := d.persistSchema(e.fs); err != nil {
			return fmt.Errorf("persist schema of %q: %w", d.name, err)
		}
	}
	if err := e.wal.RemoveBefore(seg); err != nil {
		return fmt.Errorf("remove wal segments: %w", err)
	}
	for _, rp := range policies {
		rp.mu.Lock()
		frozen := rp.frozen
		rp.frozen = nil
		rp.mu.Unlock()
		for _, h := range frozen {
			e.headBytes.Add(-h.own.Swap(0))
		}
	}
	if e.metrics != nil {
		e.metrics.flushes.Inc()
	}
	if points > 0 {
		e.log.Debug("flushed head", "points", points, "duration", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// partitionFor returns the partition starting at start, creating its directory.
func (e *Engine) partitionFor(rp *retentionPolicy, start int64) (*partition, error) {
	rp.mu.RLock()
	p := rp.partitions[start]
	rp.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	dir := filepath.Join(rp.dir, partitionDirName(start))
	if err := e.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := e.fs.SyncDir(rp.dir); err != nil {
		return nil, err
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if p = rp.partitions[start]; p == nil {
		p = &partition{rp: rp, start: start, end: start + int64(rp.partitionDuration), dir: dir, nextSeq: 1}
		rp.partitions[start] = p
	}
	return p, nil
}

// flushHeadPartition writes one frozen head partition as a level-0 part.
func (e *Engine) flushHeadPartition(rp *retentionPolicy, hp *headPartition) (int, error) {
	hp.mu.Lock()
	ids := make([]uint64, 0, len(hp.series))
	for id := range hp.series {
		ids = append(ids, id)
	}
	hp.mu.Unlock()
	if len(ids) == 0 {
		return 0, nil
	}
	slices.Sort(ids)
	p, err := e.partitionFor(rp, hp.start)
	if err != nil {
		return 0, err
	}
	points := 0
	err = e.writePart(p, 0, func(pw *partWriter) error {
		for _, id := range ids {
			hp.mu.Lock()
			r := hp.series[id].materializeLocked(hp.start, hp.end-1, nil)
			hp.mu.Unlock()
			if len(r.ts) == 0 {
				continue
			}
			points += len(r.ts)
			if rp.cache.get(id) != nil {
				rp.cache.update(id, &r)
			}
			if err := pw.writeSeries(id, &r); err != nil {
				return err
			}
		}
		return nil
	}, nil, nil)
	return points, err
}

// writePart writes a new part of the given level with fill and publishes it in
// the partition's manifest, replacing the parts in replace (a compaction that
// applied the tombstones in applied).
func (e *Engine) writePart(p *partition, level int, fill func(*partWriter) error, replace []*part, applied []tombstone) error {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	p.mu.Lock()
	if p.dropped {
		p.mu.Unlock()
		return nil
	}
	seq := p.nextSeq
	// The file name carries a number of its own: a compaction's output takes the
	// newest input's seq (so parts written after its inputs still win over it)
	// and may have the same level, but must never replace an input's file.
	fileID := p.nextSeq
	p.nextSeq++
	if len(replace) > 0 {
		seq = replace[len(replace)-1].seq
	}
	p.mu.Unlock()
	name := partName(seq, level, fileID)
	path := filepath.Join(p.dir, name)
	tmp := path + ".tmp"
	f, err := e.fs.Create(tmp)
	if err != nil {
		return err
	}
	pw, err := newPartWriter(f)
	if err == nil {
		err = fill(pw)
	}
	if err == nil && len(pw.blocks) == 0 && len(replace) == 0 {
		f.Close()
		return e.fs.Remove(tmp)
	}
	if err == nil {
		err = pw.finish()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = e.fs.Rename(tmp, path)
	}
	if err != nil {
		e.fs.Remove(tmp)
		return err
	}
	var pt *part
	if len(pw.blocks) > 0 {
		if pt, err = openPart(e.fs, path, seq, level); err != nil {
			return err
		}
	}
	p.mu.Lock()
	prev := p.parts
	next := make([]*part, 0, len(prev)+1)
	for _, q := range prev {
		if !slices.Contains(replace, q) {
			next = append(next, q)
		}
	}
	if pt != nil {
		next = append(next, pt)
	}
	slices.SortFunc(next, func(a, b *part) int { return cmpU64(a.seq, b.seq) })
	p.parts = next
	if len(replace) > 0 {
		p.tombstones = remainingTombstones(p.tombstones, applied, next, pt)
	} else {
		p.lastFlush = e.now().UnixNano()
	}
	manifest := p.manifestLocked()
	p.mu.Unlock()
	if err := writeFileAtomic(e.fs, filepath.Join(p.dir, manifestName), manifest); err != nil {
		p.mu.Lock()
		p.parts = prev
		p.mu.Unlock()
		if pt != nil {
			pt.obsolete.Store(true)
			pt.release()
		}
		return fmt.Errorf("write manifest: %w", err)
	}
	for _, q := range replace {
		q.obsolete.Store(true)
		q.release()
	}
	return nil
}

// remainingTombstones drops the tombstones a compaction applied when no
// other part they cover remains; output is the compaction's own part.
func remainingTombstones(ts, applied []tombstone, parts []*part, output *part) []tombstone {
	var out []tombstone
	for _, t := range ts {
		wasApplied := false
		for _, a := range applied {
			if a.Seq == t.Seq {
				wasApplied = true
			}
		}
		keep := !wasApplied
		for _, pt := range parts {
			if pt != output && pt.seq < t.Seq {
				keep = true
			}
		}
		if keep {
			out = append(out, t)
		}
	}
	return out
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// flushLoop flushes the head when it grows past FlushSize or gets older than FlushInterval.
func (e *Engine) flushLoop() {
	defer e.wg.Done()
	tick := time.NewTicker(min(e.opts.FlushInterval/4, 10*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-e.flushReq:
			// Commits during a flush count the frozen head too and ask again;
			// once that flush is done only a head past FlushSize needs another.
			if e.headBytes.Load() < e.opts.FlushSize {
				continue
			}
		case <-tick.C:
			age := time.Duration(e.now().UnixNano() - e.lastFlush.Load())
			if age < e.opts.FlushInterval && e.headBytes.Load() < e.opts.FlushSize {
				continue
			}
		}
		if e.headBytes.Load() == 0 {
			continue
		}
		if err := e.Flush(context.Background()); err != nil {
			e.log.Error("flush failed; data stays in the WAL and will be retried", "err", err)
			if e.metrics != nil {
				e.metrics.flushErrors.Inc()
			}
			select {
			case <-e.stop:
				return
			case <-time.After(time.Second):
			}
		}
	}
}
