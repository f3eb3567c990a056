package tsdb

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// DeleteSeries deletes the rows of the series of measurement matching expr
// within [tmin, tmax] in every retention policy of db (InfluxQL's DELETE and,
// with the full time range, DROP SERIES). The head is flushed first, then each
// affected partition gets a tombstone in its manifest; reads hide the rows at
// once and compaction reclaims the space. It returns the number of series
// affected.
func (e *Engine) DeleteSeries(ctx context.Context, db, measurement string, expr *TagExpr, tmin, tmax int64) (int, error) {
	d, err := e.database(db)
	if err != nil {
		return 0, err
	}
	d.series.mu.RLock()
	var ids *roaring.Bitmap
	if mp := d.series.postings[measurement]; mp != nil {
		ids = evalTagExpr(mp, expr)
	}
	d.series.mu.RUnlock()
	if ids == nil || ids.IsEmpty() {
		return 0, nil
	}
	if err := e.Flush(ctx); err != nil {
		return 0, fmt.Errorf("flush before delete: %w", err)
	}
	affected, err := e.tombstoneSeries(d, ids, tmin, tmax)
	if err != nil {
		return 0, err
	}
	return int(affected.GetCardinality()), nil
}

// tombstoneSeries adds tombstones for the series of ids within [tmin, tmax] to
// every partition of d that overlaps the range and holds any of them, and
// returns the series that had data there. The caller flushed the head first.
func (e *Engine) tombstoneSeries(d *database, ids *roaring.Bitmap, tmin, tmax int64) (*roaring.Bitmap, error) {
	series := make([]uint64, 0, ids.GetCardinality())
	it := ids.Iterator()
	for it.HasNext() {
		series = append(series, uint64(it.Next()))
	}
	affected := roaring.New()
	for _, rp := range e.allPolicies() {
		if rp.db != d {
			continue
		}
		rp.mu.RLock()
		var parts []*partition
		for _, p := range rp.partitions {
			if p.start <= tmax && p.end-1 >= tmin {
				parts = append(parts, p)
			}
		}
		rp.mu.RUnlock()
		for _, p := range parts {
			n, err := e.addTombstone(p, ids, tmin, tmax)
			if err != nil {
				return nil, err
			}
			affected.Or(n)
		}
		rp.lvcInvalidate(series)
	}
	return affected, nil
}

// addTombstone records a tombstone in p for the series of ids that p holds.
func (e *Engine) addTombstone(p *partition, ids *roaring.Bitmap, tmin, tmax int64) (*roaring.Bitmap, error) {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	p.mu.Lock()
	present := roaring.New()
	for _, pt := range p.parts {
		present.Or(roaring.And(pt.series, ids))
	}
	if present.IsEmpty() || p.dropped {
		p.mu.Unlock()
		return present, nil
	}
	t := tombstone{Seq: p.nextSeq, Min: max(tmin, p.start), Max: min(tmax, p.end-1), set: present}
	it := present.Iterator()
	for it.HasNext() {
		t.Series = append(t.Series, uint64(it.Next()))
	}
	prevSeq, prevTombs := p.nextSeq, p.tombstones
	p.nextSeq++
	p.tombstones = append(slices.Clone(p.tombstones), t)
	manifest := p.manifestLocked()
	p.mu.Unlock()
	if err := writeFileAtomic(e.fs, filepath.Join(p.dir, manifestName), manifest); err != nil {
		p.mu.Lock()
		p.nextSeq, p.tombstones = prevSeq, prevTombs
		p.mu.Unlock()
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	return present, nil
}

// coversPartition reports whether t deletes everything of its series in p's range.
func (t *tombstone) coversPartition(start, end int64) bool {
	return t.Min <= start && t.Max >= end-1 || (t.Min == math.MinInt64 && t.Max == math.MaxInt64)
}
