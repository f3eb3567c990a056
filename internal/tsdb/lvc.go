package tsdb

import (
	"context"
	"math"
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

// values copies the cached values of id under the lock (flushes update
// entries in place); ok is false when id has no entry.
func (c *lvc) values(id uint64) (map[string]Value, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	lv := c.m[id]
	if lv == nil {
		return make(map[string]Value), false
	}
	res := make(map[string]Value, len(lv.fields)) // sized once: no growth per series
	for k, name := range lv.fields {
		res[name] = lv.vals[k]
	}
	return res, true
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
	_, p, err := e.lookup(db, rp)
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]map[string]Value, len(ids))
	p.mu.RLock()
	heads := append(append([]*head(nil), p.frozen...), p.active)
	p.mu.RUnlock()
	var hps []*headPartition
	for _, h := range heads {
		hps = append(hps, h.snapshotParts()...)
	}
	for _, id := range ids {
		res, ok := p.cache.values(id)
		if !ok {
			if _, err := e.loadLast(ctx, p, id); err != nil {
				return nil, err
			}
			res, _ = p.cache.values(id)
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
			if old, ok := res[name]; !ok || tmp.vals[k].Time >= old.Time {
				res[name] = tmp.vals[k]
			}
		}
		if len(res) > 0 {
			out[id] = res
		}
	}
	return out, nil
}

// loadLast fills the cache for id from the newest partition that has it on disk.
func (e *Engine) loadLast(ctx context.Context, rp *retentionPolicy, id uint64) (*lastValues, error) {
	views := e.readView(rp, math.MinInt64, math.MaxInt64)
	defer releaseViews(views)
	var m rowMerger
	var buf []byte
	lv := &lastValues{}
	// Newest partition first; a field missing there may be in an older one.
	for i := len(views) - 1; i >= 0; i-- {
		v := views[i]
		v.heads = nil // heads are merged by the caller, uncached
		r, err := e.readSeries(&v, id, math.MinInt64, math.MaxInt64, nil, &m, &buf)
		if err != nil {
			return nil, err
		}
		mergeLast(lv, &r)
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
