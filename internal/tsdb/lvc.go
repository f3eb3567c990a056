package tsdb

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/fieldhub/fieldhub/internal/model"
)

// The last-value cache answers "latest value of every field of a series"
// without touching disk: entries are filled when the head is flushed (from
// data already in memory) and merged at read time with whatever the heads hold
// now. A series not seen since start is loaded once from its newest block and
// then cached.

// lastValues is the cached latest value of each field of one series.
type lastValues struct {
	fields []string
	vals   []Value
}

// lvc is a retention policy's last-value cache.
type lvc struct {
	// mu guards m.
	mu sync.RWMutex
	m  map[uint64]*lastValues
}

// copyInto copies the cached entry of id into dst (reusing its slices)
// under the lock; ok is false when id has no entry.
func (c *lvc) copyInto(id uint64, dst *lastValues) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	lv := c.m[id]
	dst.fields, dst.vals = dst.fields[:0], dst.vals[:0]
	if lv == nil {
		return false
	}
	dst.fields = append(dst.fields, lv.fields...)
	dst.vals = append(dst.vals, lv.vals...)
	return true
}

func (c *lvc) get(id uint64) *lastValues {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[id]
}

// update merges newer values of r into the cache entry of id.
func (c *lvc) update(id uint64, r *rows) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[uint64]*lastValues)
	}
	lv := c.m[id]
	if lv == nil {
		lv = &lastValues{}
		c.m[id] = lv
	}
	mergeLast(lv, r)
}

func (c *lvc) invalidate(ids []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.m, id)
	}
}

func (rp *retentionPolicy) lvcInvalidate(ids []uint64) { rp.cache.invalidate(ids) }

// mergeLast folds the last valid value of each column of r into lv.
func mergeLast(lv *lastValues, r *rows) {
	for ci := range r.cols {
		c := &r.cols[ci]
		for i := len(r.ts) - 1; i >= 0; i-- {
			if !c.IsValid(i) {
				continue
			}
			v := columnValue(c, i, r.ts[i])
			found := false
			for k, name := range lv.fields {
				if name == c.Name {
					found = true
					if v.Time >= lv.vals[k].Time {
						lv.vals[k] = v
					}
				}
			}
			if !found {
				lv.fields = append(lv.fields, c.Name)
				lv.vals = append(lv.vals, v)
			}
			break
		}
	}
}

func columnValue(c *Column, i int, t int64) Value {
	v := Value{Time: t, Type: c.Type}
	switch c.Type {
	case model.Float:
		v.F = c.Floats[i]
	case model.Integer:
		v.I = c.Integers[i]
	case model.Unsigned:
		v.U = c.Unsigned[i]
	case model.Boolean:
		v.B = c.Bools[i]
	case model.String:
		v.S = append([]byte(nil), c.Strings[i]...)
	}
	return v
}

// LastValues returns the latest value of every field of each series in ids
// (in db/rp), keyed by field name. Series without data are absent.
func (e *Engine) LastValues(ctx context.Context, db, rp string, ids []uint64) (map[uint64]map[string]Value, error) {
	out := make(map[uint64]map[string]Value, len(ids))
	err := e.lastValues(ctx, db, rp, ids, func(i int, lv *lastValues) {
		if len(lv.fields) == 0 {
			return
		}
		res := make(map[string]Value, len(lv.fields))
		for k, name := range lv.fields {
			res[name] = lv.vals[k]
		}
		out[ids[i]] = res
	})
	return out, err
}

// LastFieldValues is LastValues for a fixed list of fields, without maps:
// the latest value of fields[k] of ids[i] is vals[i*len(fields)+k] when
// has[i*len(fields)+k] is set. It answers "the latest reading of every
// device" for thousands of series in one pass over the cache.
func (e *Engine) LastFieldValues(ctx context.Context, db, rp string, ids []uint64, fields []string) (vals []Value, has []bool, err error) {
	nf := len(fields)
	vals = make([]Value, len(ids)*nf)
	has = make([]bool, len(ids)*nf)
	err = e.lastValues(ctx, db, rp, ids, func(i int, lv *lastValues) {
		for j, name := range lv.fields {
			for k, f := range fields {
				if f == name {
					vals[i*nf+k], has[i*nf+k] = lv.vals[j], true
				}
			}
		}
	})
	return vals, has, err
}

// lastValues calls fn with the latest values of each series of ids (the
// cache, loaded from disk when missing, merged with the heads). lv is only
// valid during the call.
func (e *Engine) lastValues(ctx context.Context, db, rp string, ids []uint64, fn func(i int, lv *lastValues)) error {
	_, p, err := e.lookup(db, rp)
	if err != nil {
		return err
	}
	p.mu.RLock()
	heads := append(append([]*head(nil), p.frozen...), p.active)
	p.mu.RUnlock()
	var hps []*headPartition
	for _, h := range heads {
		hps = append(hps, h.snapshotParts()...)
	}
	// Series not cached yet are loaded from disk with one snapshot of the
	// parts for all of them.
	var views []partitionView
	defer func() { releaseViews(views) }()
	var cur lastValues
	for i, id := range ids {
		if !p.cache.copyInto(id, &cur) {
			if views == nil {
				views = e.readView(p, math.MinInt64, math.MaxInt64)
			}
			if _, err := e.loadLast(ctx, p, views, id); err != nil {
				return err
			}
			p.cache.copyInto(id, &cur)
		}
		var tmp lastValues
		for _, hp := range hps {
			hp.mu.Lock()
			if sb := hp.series[id]; sb != nil {
				r := sb.materializeLocked(math.MinInt64, math.MaxInt64, nil)
				mergeLast(&tmp, &r)
			}
			hp.mu.Unlock()
		}
		for k, name := range tmp.fields {
			found := false
			for j, have := range cur.fields {
				if have == name {
					found = true
					if tmp.vals[k].Time >= cur.vals[j].Time {
						cur.vals[j] = tmp.vals[k]
					}
				}
			}
			if !found {
				cur.fields = append(cur.fields, name)
				cur.vals = append(cur.vals, tmp.vals[k])
			}
		}
		fn(i, &cur)
	}
	return nil
}

// loadLast fills the cache for id from the newest partition of views that
// has it on disk.
func (e *Engine) loadLast(ctx context.Context, rp *retentionPolicy, views []partitionView, id uint64) (*lastValues, error) {
	var m rowMerger
	var buf []byte
	lv := &lastValues{}
	// Newest partition first; a field missing there may be in an older one.
	for i := len(views) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := views[i]
		v.heads = nil // heads are merged by the caller, uncached
		tail, ok, err := lastFromBlocks(&v, id, &buf)
		if err != nil {
			return nil, err
		}
		if ok {
			lv = tail
		} else {
			r, err := e.readSeries(&v, id, math.MinInt64, math.MaxInt64, nil, &m, &buf)
			if err != nil {
				return nil, err
			}
			mergeLast(lv, &r)
		}
		if len(lv.fields) > 0 {
			break
		}
	}
	rp.cache.mu.Lock()
	if rp.cache.m == nil {
		rp.cache.m = make(map[uint64]*lastValues)
	}
	if cur := rp.cache.m[id]; cur == nil {
		rp.cache.m[id] = lv
	}
	rp.cache.mu.Unlock()
	return lv, nil
}

// lastFromBlocks finds the latest value of each field of series id in a
// partition view by walking its blocks newest first and reading mostly
// block headers: a column with a value in every row has its last value in
// the header's statistics at the block's last time. Only blocks with sparse
// or string columns still missing are decoded (those columns only). ok is
// false when blocks overlap in time or a tombstone touches the series; the
// caller then merges the whole series.
func lastFromBlocks(v *partitionView, id uint64, buf *[]byte) (lv *lastValues, ok bool, err error) {
	type ref struct {
		pt *part
		bm blockMeta
	}
	var blocks []ref
	for _, pt := range v.parts {
		for _, bm := range pt.blocksOf(id) {
			blocks = append(blocks, ref{pt, bm})
		}
	}
	for i := range v.tombs {
		if v.tombs[i].set.Contains(uint32(id)) {
			return nil, false, nil
		}
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].bm.maxT > blocks[j].bm.maxT })
	for i := 1; i < len(blocks); i++ {
		if blocks[i].bm.maxT >= blocks[i-1].bm.minT {
			return nil, false, nil // overlapping writes: which value wins needs a merge
		}
	}
	lv = &lastValues{}
	found := map[string]bool{}
	for _, b := range blocks {
		hdr, hb, err := readBlockHeader(b.pt.f, b.pt.idx, &b.bm, *buf)
		if err != nil {
			return nil, false, fmt.Errorf("part %s: %w", b.pt.path, err)
		}
		*buf = hb
		decode := false
		for _, cm := range hdr.cols {
			pf := b.pt.idx.fields[cm.field]
			if found[pf.name] || cm.count == 0 {
				continue
			}
			if cm.count == b.bm.rows && pf.typ != model.String {
				lv.fields = append(lv.fields, pf.name)
				lv.vals = append(lv.vals, valueOf(pf.typ, cm.last, b.bm.maxT))
				found[pf.name] = true
				continue
			}
			decode = true
		}
		if !decode {
			continue
		}
		r, err := v.readPartBlock(b.pt, &b.bm, math.MinInt64, math.MaxInt64, func(n string) bool { return !found[n] }, buf)
		if err != nil {
			return nil, false, err
		}
		mergeLast(lv, &r)
		for _, f := range lv.fields {
			found[f] = true
		}
	}
	return lv, true, nil
}
