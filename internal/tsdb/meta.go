package tsdb

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// Metadata reads and series removal for InfluxQL's SHOW, DROP and DELETE
// statements.
//
// Every read answers from the in-memory inverted index (roaring postings)
// restricted to the series that still have data in [tmin, tmax] at time-
// partition granularity: a series counts when a part or head of a partition
// that overlaps the range holds it and no tombstone removed it from the whole
// partition. This is how InfluxDB 1.8's per-shard TSI index behaves, and it
// also hides series whose data retention has dropped. Pass math.MinInt64 and
// math.MaxInt64 for "any time".
//
// Dropped series leave the index (byKey and postings) at once and for good:
// the drop is recorded in series.drop (described at the end of this file)
// before the index changes, so a restart never brings them back, and their
// rows are hidden by tombstones and reclaimed by compaction. Their ids are
// never reused.

// TagValue is one tag key and value of a SHOW TAG VALUES answer.
type TagValue struct {
	Key, Value string
}

// metaSelection is the live series of some measurements of one database that
// match a tag predicate and have data in a time range.
type metaSelection struct {
	d   *database
	ids []*roaring.Bitmap // aligned with the measurements asked for; nil when none
}

// selectMeta evaluates expr over each measurement's postings and keeps the
// series with data in [tmin, tmax].
func (e *Engine) selectMeta(db string, measurements []string, expr *TagExpr, tmin, tmax int64) (*metaSelection, error) {
	d, err := e.database(db)
	if err != nil {
		return nil, err
	}
	sel := &metaSelection{d: d, ids: make([]*roaring.Bitmap, len(measurements))}
	candidates := roaring.New()
	d.series.mu.RLock()
	for i, m := range measurements {
		mp := d.series.postings[m]
		if mp == nil {
			continue
		}
		if expr == nil {
			sel.ids[i] = mp.all.Clone()
		} else {
			sel.ids[i] = evalTagExpr(mp, expr)
		}
		candidates.Or(sel.ids[i])
	}
	d.series.mu.RUnlock()
	present := e.presentSeries(d, tmin, tmax, candidates)
	for i, ids := range sel.ids {
		if ids == nil {
			continue
		}
		ids.And(present)
		if ids.IsEmpty() {
			sel.ids[i] = nil
		}
	}
	return sel, nil
}

// presentSeries returns the series of candidates with data in a partition
// (part or head) of any retention policy of d that overlaps [tmin, tmax].
func (e *Engine) presentSeries(d *database, tmin, tmax int64, candidates *roaring.Bitmap) *roaring.Bitmap {
	if candidates.IsEmpty() {
		return roaring.New()
	}
	views := e.metaViews(d, tmin, tmax)
	defer releaseViews(views)
	return presentIn(views, candidates, false)
}

// metaViews snapshots the partitions of every retention policy of d that
// overlap [tmin, tmax]; release them with releaseViews.
func (e *Engine) metaViews(d *database, tmin, tmax int64) []partitionView {
	var views []partitionView
	for _, rp := range e.allPolicies() {
		if rp.db == d {
			views = append(views, e.readView(rp, tmin, tmax)...)
		}
	}
	return views
}

// presentIn returns the candidates with data in views (with first, it stops at
// the first one found). A part counts unless a tombstone removed the series
// from its whole partition. Parts are checked first, with bitmap
// operations; heads are asked only about the candidates no part holds, one
// by one when they are fewer than the head's series, so a head lock is held
// briefly when most series are in parts.
func presentIn(views []partitionView, candidates *roaring.Bitmap, first bool) *roaring.Bitmap {
	bm := roaring.New()
	for _, v := range views {
		for _, pt := range v.parts {
			live := roaring.And(pt.series, candidates)
			for i := range v.tombs {
				if t := &v.tombs[i]; t.Seq > pt.seq && t.coversPartition(v.start, v.end) {
					live.AndNot(t.set)
				}
			}
			bm.Or(live)
			if first && !bm.IsEmpty() {
				return bm
			}
		}
	}
	rest := roaring.AndNot(candidates, bm)
	for _, v := range views {
		for _, hp := range v.heads {
			if rest.IsEmpty() {
				return bm
			}
			n := rest.GetCardinality()
			var found []uint32
			hp.mu.Lock()
			if n < uint64(len(hp.series)) {
				found = make([]uint32, 0, min(n, 1024))
				it := rest.Iterator()
				for it.HasNext() {
					if id := it.Next(); hasKey(hp.series, uint64(id)) {
						found = append(found, id)
						if first {
							break
						}
					}
				}
			} else {
				found = make([]uint32, 0, min(len(hp.series), 1024))
				for id := range hp.series {
					if rest.Contains(uint32(id)) {
						found = append(found, uint32(id))
						if first {
							break
						}
					}
				}
			}
			hp.mu.Unlock()
			if len(found) == 0 {
				continue
			}
			f := roaring.New()
			f.AddMany(found)
			bm.Or(f)
			if first {
				return bm
			}
			rest.AndNot(f)
		}
	}
	return bm
}

func hasKey[M ~map[uint64]V, V any](m M, k uint64) bool {
	_, ok := m[k]
	return ok
}

// MeasurementNames lists, sorted, the measurements of db that have a series
// matching expr with data in [tmin, tmax] (SHOW MEASUREMENTS). It stops at
// the first such series of each measurement.
func (e *Engine) MeasurementNames(ctx context.Context, db string, expr *TagExpr, tmin, tmax int64) ([]string, error) {
	d, err := e.database(db)
	if err != nil {
		return nil, err
	}
	d.series.mu.RLock()
	names := make([]string, 0, len(d.series.postings))
	for m := range d.series.postings {
		names = append(names, m)
	}
	d.series.mu.RUnlock()
	sort.Strings(names)
	views := e.metaViews(d, tmin, tmax)
	defer releaseViews(views)
	out := names[:0]
	for _, m := range names {
		var ids *roaring.Bitmap
		d.series.mu.RLock()
		if mp := d.series.postings[m]; mp != nil {
			if expr == nil {
				ids = mp.all.Clone()
			} else {
				ids = evalTagExpr(mp, expr)
			}
		}
		d.series.mu.RUnlock()
		if ids != nil && !ids.IsEmpty() && !presentIn(views, ids, true).IsEmpty() {
			out = append(out, m)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TagKeys returns, for each measurement, the sorted tag keys of its series
// that match expr and have data in [tmin, tmax] (SHOW TAG KEYS).
func (e *Engine) TagKeys(ctx context.Context, db string, measurements []string, expr *TagExpr, tmin, tmax int64) ([][]string, error) {
	sel, err := e.selectMeta(db, measurements, expr, tmin, tmax)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(measurements))
	x := sel.d.series
	x.mu.RLock()
	for i, m := range measurements {
		ids := sel.ids[i]
		mp := x.postings[m]
		if ids == nil || mp == nil {
			continue
		}
		card := ids.GetCardinality()
		all := card == mp.all.GetCardinality()
		nvals := 0
		for _, vals := range mp.tags {
			nvals += len(vals)
		}
		if !all && card < uint64(nvals) {
			// Few series, many values: read the keys off the series keys.
			found := map[string]bool{}
			var tags []model.Tag
			it := ids.Iterator()
			for it.HasNext() {
				if se := x.byIDLocked(uint64(it.Next())); se != nil {
					if _, tg, err := parseSeriesKey(keyBytes(se.key), tags[:0]); err == nil {
						tags = tg
						for _, t := range tags {
							found[string(t.Key)] = true
						}
					}
				}
			}
			for k := range found {
				if mp.tags[k] != nil {
					out[i] = append(out[i], k)
				}
			}
			continue
		}
		for k, vals := range mp.tags {
			for _, bm := range vals {
				if all || bm.Intersects(ids) {
					out[i] = append(out[i], k)
					break
				}
			}
		}
	}
	x.mu.RUnlock()
	for _, keys := range out {
		sort.Strings(keys)
	}
	return out, ctx.Err()
}

// TagValues returns, for each measurement, the tag key/value pairs of its
// series that match expr and have data in [tmin, tmax], for the tag keys
// accepted by keyMatch, sorted by key then value (SHOW TAG VALUES).
//
// With few selected series and many values it reads the values off the
// selected series' keys; otherwise it intersects each value's postings with
// the selection (or takes every value when all series are selected).
func (e *Engine) TagValues(ctx context.Context, db string, measurements []string, keyMatch func(key string) bool, expr *TagExpr, tmin, tmax int64) ([][]TagValue, error) {
	sel, err := e.selectMeta(db, measurements, expr, tmin, tmax)
	if err != nil {
		return nil, err
	}
	out := make([][]TagValue, len(measurements))
	x := sel.d.series
	for i, m := range measurements {
		if sel.ids[i] == nil {
			continue
		}
		x.mu.RLock()
		tv, err := tagValuesLocked(x, x.postings[m], sel.ids[i], keyMatch)
		x.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		out[i] = tv
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tagValuesLocked answers TagValues for one measurement; x.mu is held.
func tagValuesLocked(x *seriesIndex, mp *measurementPostings, ids *roaring.Bitmap, keyMatch func(string) bool) ([]TagValue, error) {
	if mp == nil {
		return nil, nil
	}
	var keys []string
	nvals := 0
	for k, vals := range mp.tags {
		if keyMatch(k) {
			keys = append(keys, k)
			nvals += len(vals)
		}
	}
	sort.Strings(keys)
	card := ids.GetCardinality()
	all := card == mp.all.GetCardinality()
	var out []TagValue
	if !all && card < uint64(nvals) {
		// Few series, many values: read the values off the series keys.
		found := make(map[string]map[string]struct{}, len(keys))
		for _, k := range keys {
			found[k] = map[string]struct{}{}
		}
		var tags []model.Tag
		it := ids.Iterator()
		for it.HasNext() {
			se := x.byIDLocked(uint64(it.Next()))
			if se == nil {
				continue
			}
			_, tg, err := parseSeriesKey(keyBytes(se.key), tags[:0])
			if err != nil {
				return nil, err
			}
			tags = tg
			for _, t := range tags {
				if set := found[string(t.Key)]; set != nil {
					if _, ok := set[string(t.Value)]; !ok {
						set[string(t.Value)] = struct{}{}
					}
				}
			}
		}
		for _, k := range keys {
			out = appendSortedValues(out, k, found[k])
		}
		return out, nil
	}
	out = make([]TagValue, 0, min(nvals, int(card)))
	for _, k := range keys {
		vals := mp.tags[k]
		start := len(out)
		for v, bm := range vals {
			if all || bm.Intersects(ids) {
				out = append(out, TagValue{Key: k, Value: v})
			}
		}
		part := out[start:]
		sort.Slice(part, func(a, b int) bool { return part[a].Value < part[b].Value })
	}
	return out, nil
}

func appendSortedValues(out []TagValue, key string, set map[string]struct{}) []TagValue {
	vals := make([]string, 0, len(set))
	for v := range set {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	for _, v := range vals {
		out = append(out, TagValue{Key: key, Value: v})
	}
	return out
}

// SeriesKeys returns, for each measurement, the sorted keys of its series
// that match expr and have data in [tmin, tmax] (SHOW SERIES). A key is
// rendered like InfluxDB's: measurement,k=v,... with line-protocol escaping.
// The keys of one measurement share one allocation.
func (e *Engine) SeriesKeys(ctx context.Context, db string, measurements []string, expr *TagExpr, tmin, tmax int64) ([][]string, error) {
	sel, err := e.selectMeta(db, measurements, expr, tmin, tmax)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(measurements))
	var raw []string
	var ends []int
	var tags []model.Tag
	for i, ids := range sel.ids {
		if ids == nil {
			continue
		}
		n := int(ids.GetCardinality())
		raw = slices.Grow(raw[:0], n)
		sel.d.series.mu.RLock()
		it := ids.Iterator()
		for it.HasNext() {
			if se := sel.d.series.byIDLocked(uint64(it.Next())); se != nil {
				raw = append(raw, se.key)
			}
		}
		sel.d.series.mu.RUnlock()
		if len(raw) == 0 {
			continue
		}
		// One buffer holds every rendered key of the measurement; it is
		// never written again once the keys point into it.
		buf := make([]byte, 0, len(raw)*(len(raw[0])+len(raw[0])/4+4))
		ends = slices.Grow(ends[:0], len(raw))
		for _, k := range raw {
			meas, tg, err := parseSeriesKey(keyBytes(k), tags[:0])
			if err != nil {
				return nil, err
			}
			tags = tg
			buf = appendDisplayKey(buf, meas, tags)
			ends = append(ends, len(buf))
		}
		all := unsafe.String(unsafe.SliceData(buf), len(buf))
		keys := make([]string, len(ends))
		start := 0
		for j, end := range ends {
			keys[j] = all[start:end]
			start = end
		}
		slices.Sort(keys)
		out[i] = keys
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SeriesCardinality returns, for each measurement, the number of its series
// that match expr and have data in [tmin, tmax]. It is exact.
func (e *Engine) SeriesCardinality(ctx context.Context, db string, measurements []string, expr *TagExpr, tmin, tmax int64) ([]int, error) {
	sel, err := e.selectMeta(db, measurements, expr, tmin, tmax)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(measurements))
	for i, ids := range sel.ids {
		if ids != nil {
			out[i] = int(ids.GetCardinality())
		}
	}
	return out, ctx.Err()
}

// keyBytes views a series key as bytes without copying it, for parsing only:
// the bytes must not be modified.
func keyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// appendDisplayKey renders a series key as InfluxDB prints it: the
// measurement with commas and spaces escaped, then ,key=value per tag with
// commas, equals signs and spaces escaped.
func appendDisplayKey(dst, measurement []byte, tags []model.Tag) []byte {
	dst = appendEscaped(dst, measurement, ", ")
	for _, t := range tags {
		dst = append(dst, ',')
		dst = appendEscaped(dst, t.Key, ",= ")
		dst = append(dst, '=')
		dst = appendEscaped(dst, t.Value, ",= ")
	}
	return dst
}

func appendEscaped(dst, s []byte, special string) []byte {
	for _, c := range s {
		if strings.IndexByte(special, c) >= 0 {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}

// DropMeasurement removes a measurement: its series leave the index, its
// rows are deleted and its field types are forgotten (so a later write may
// use other types). Dropping a missing measurement is not an error.
func (e *Engine) DropMeasurement(ctx context.Context, db, measurement string) error {
	d, err := e.database(db)
	if err != nil {
		return err
	}
	d.series.mu.RLock()
	var ids *roaring.Bitmap
	if mp := d.series.postings[measurement]; mp != nil {
		ids = mp.all.Clone()
	}
	d.series.mu.RUnlock()
	if ids == nil {
		return nil
	}
	return e.removeSeries(ctx, d, map[string]*roaring.Bitmap{measurement: ids}, math.MinInt64, math.MaxInt64, true)
}

// DropSeries removes the series of the measurements that match expr (nil:
// all) from the index and deletes their rows (DROP SERIES). A measurement
// left without series loses its field types too, as in InfluxDB.
func (e *Engine) DropSeries(ctx context.Context, db string, measurements []string, expr *TagExpr) error {
	return e.deleteMeta(ctx, db, measurements, expr, math.MinInt64, math.MaxInt64, true)
}

// DeleteRange deletes the rows within [tmin, tmax] of the series of the
// measurements that match expr (DELETE). Series left without any data are
// removed from the index, as InfluxDB 1.8 does.
func (e *Engine) DeleteRange(ctx context.Context, db string, measurements []string, expr *TagExpr, tmin, tmax int64) error {
	return e.deleteMeta(ctx, db, measurements, expr, tmin, tmax, false)
}

func (e *Engine) deleteMeta(ctx context.Context, db string, measurements []string, expr *TagExpr, tmin, tmax int64, drop bool) error {
	d, err := e.database(db)
	if err != nil {
		return err
	}
	sel := map[string]*roaring.Bitmap{}
	d.series.mu.RLock()
	for _, m := range measurements {
		if mp := d.series.postings[m]; mp != nil {
			if ids := evalTagExpr(mp, expr); !ids.IsEmpty() {
				sel[m] = ids
			}
		}
	}
	d.series.mu.RUnlock()
	if len(sel) == 0 {
		return nil
	}
	return e.removeSeries(ctx, d, sel, tmin, tmax, drop)
}

// removeSeries deletes the rows of the selected series within [tmin, tmax]
// and then drops from the index the ones that, with drop, were selected, or
// else have no data left. The head is flushed first so tombstones cover
// everything written before the call; a write racing with a drop may land in
// the dropped series' id and stay invisible.
func (e *Engine) removeSeries(ctx context.Context, d *database, sel map[string]*roaring.Bitmap, tmin, tmax int64, drop bool) error {
	if err := e.Flush(ctx); err != nil {
		return fmt.Errorf("flush before delete: %w", err)
	}
	d.dropMu.Lock()
	defer d.dropMu.Unlock()
	all := roaring.New()
	for _, ids := range sel {
		all.Or(ids)
	}
	if _, err := e.tombstoneSeries(d, all, tmin, tmax); err != nil {
		return err
	}
	if !drop {
		all.AndNot(e.seriesWithData(d, all))
		if all.IsEmpty() {
			return nil
		}
		for m, ids := range sel {
			ids.And(all)
			if ids.IsEmpty() {
				delete(sel, m)
			}
		}
	}
	return e.dropFromIndex(d, sel)
}

// seriesWithData returns the series of candidates that still have rows in
// some part or head of d. A block counts as deleted when one tombstone
// covers its whole time range; blocks cut by several tombstones together are
// (conservatively) still counted.
func (e *Engine) seriesWithData(d *database, candidates *roaring.Bitmap) *roaring.Bitmap {
	live := roaring.New()
	for _, rp := range e.allPolicies() {
		if rp.db != d {
			continue
		}
		views := e.readView(rp, math.MinInt64, math.MaxInt64)
		for _, v := range views {
			for _, pt := range v.parts {
				it := roaring.And(pt.series, candidates).Iterator()
				for it.HasNext() {
					id := uint64(it.Next())
					if live.Contains(uint32(id)) {
						continue
					}
					for _, bm := range pt.blocksOf(id) {
						if !blockDeleted(v.tombs, pt.seq, id, bm.minT, bm.maxT) {
							live.Add(uint32(id))
							break
						}
					}
				}
			}
			for _, hp := range v.heads {
				hp.mu.Lock()
				for id := range hp.series {
					if candidates.Contains(uint32(id)) {
						live.Add(uint32(id))
					}
				}
				hp.mu.Unlock()
			}
		}
		releaseViews(views)
	}
	return live
}

func blockDeleted(tombs []tombstone, seq, id uint64, minT, maxT int64) bool {
	for i := range tombs {
		t := &tombs[i]
		if t.Seq > seq && t.Min <= minT && t.Max >= maxT && t.set.Contains(uint32(id)) {
			return true
		}
	}
	return false
}

// dropFromIndex records the drop of the selected series durably, then
// removes them from the index and forgets the field types of measurements
// left without series. d.dropMu must be held.
func (e *Engine) dropFromIndex(d *database, sel map[string]*roaring.Bitmap) error {
	names := make([]string, 0, len(sel))
	for m := range sel {
		names = append(names, m)
	}
	sort.Strings(names)
	var recs []dropRecord
	d.series.mu.RLock()
	for _, m := range names {
		var fields []*fieldDef
		if sc := d.lookupSchema(m); sc != nil {
			fields = sc.snapshot()
		}
		rec := dropRecord{measurement: m, fields: fields}
		it := sel[m].Iterator()
		for it.HasNext() {
			id := uint64(it.Next())
			if se := d.series.byIDLocked(id); se != nil {
				rec.series = append(rec.series, droppedSeries{id: id, key: se.key})
			}
		}
		recs = append(recs, rec)
	}
	d.series.mu.RUnlock()
	if err := appendDropFile(e.fs, d.dir, recs); err != nil {
		return fmt.Errorf("record dropped series: %w", err)
	}
	d.series.mu.Lock()
	var emptied []string
	for _, rec := range recs {
		if d.series.removeLocked(rec.measurement, rec.series) {
			emptied = append(emptied, rec.measurement)
		}
	}
	d.series.mu.Unlock()
	if len(emptied) == 0 {
		return nil
	}
	d.schemaMu.Lock()
	for _, m := range emptied {
		delete(d.schemas, m)
	}
	d.schemaMu.Unlock()
	// A checkpoint rewrites fields.json too; flushMu orders the two, and one
	// that read the schemas before the delete above writes before this does.
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	if err := d.persistSchema(e.fs); err != nil {
		return fmt.Errorf("persist schema of %q: %w", d.name, err)
	}
	return nil
}

// removeLocked takes dropped series out of byKey and the postings of their
// measurement; their byID entries stay, so a batch that resolved them before
// the drop still commits (into rows nobody can see) and the ids are never
// handed out again. It reports whether the measurement has no series left.
// x.mu must be held for writing.
func (x *seriesIndex) removeLocked(measurement string, series []droppedSeries) bool {
	mp := x.postings[measurement]
	var tags []model.Tag
	for _, s := range series {
		if e := x.byKey[s.key]; e != nil && e.id == s.id {
			delete(x.byKey, s.key)
		}
		if mp == nil {
			continue
		}
		mp.all.Remove(uint32(s.id))
		_, tg, err := parseSeriesKey([]byte(s.key), tags[:0])
		if err != nil {
			continue
		}
		tags = tg
		for _, t := range tags {
			vals := mp.tags[string(t.Key)]
			if bm := vals[string(t.Value)]; bm != nil {
				bm.Remove(uint32(s.id))
				if bm.IsEmpty() {
					delete(vals, string(t.Value))
					if len(vals) == 0 {
						delete(mp.tags, string(t.Key))
					}
				}
			}
		}
	}
	if mp != nil && mp.all.IsEmpty() {
		delete(x.postings, measurement)
	}
	return x.postings[measurement] == nil
}

// definePlaceholderLocked puts a dropped series back into byID only (not
// byKey, not the postings): WAL records written around its drop may still
// refer to its id, and the id must not be reused. x.mu must be held.
func (x *seriesIndex) definePlaceholderLocked(id uint64, key string, m *measurementSchema) {
	for uint64(len(x.byID)) <= id {
		x.byID = append(x.byID, nil)
	}
	if x.byID[id] != nil {
		return
	}
	e := &seriesEntry{id: id, key: key, m: m}
	e.logged.Store(true)
	x.byID[id] = e
}

// The drop file (series.drop in the database dir) is append-only. Each
// record is uvarint(len) body u32(CRC-32C of body); a body is
//
//	uvarint len, measurement
//	uvarint n fields, each: uvarint idx, byte type, uvarint len, name
//	uvarint n series, each: uvarint id, uvarint len, series key
//
// listing dropped series of one measurement and the measurement's field
// definitions at the time (so WAL records that still refer to the ids decode
// on replay). It is fsynced before the index changes. On open, its series
// are put in byID only, before series.log is read, so series.log's copies of
// them are no-ops and a later series with the same key gets its own id. A
// torn tail (crash during append: the drop was not acknowledged) is cut off.

const dropFileName = "series.drop"

// maxDropRecordSeries bounds one record so a huge drop is written in pieces.
const maxDropRecordSeries = 1 << 16

type dropRecord struct {
	measurement string
	fields      []*fieldDef
	series      []droppedSeries
}

type droppedSeries struct {
	id  uint64
	key string
}

func encodeDropRecord(dst []byte, measurement string, fields []*fieldDef, series []droppedSeries) []byte {
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(measurement)))
	body = append(body, measurement...)
	body = binary.AppendUvarint(body, uint64(len(fields)))
	for _, f := range fields {
		body = binary.AppendUvarint(body, uint64(f.idx))
		body = append(body, byte(f.typ))
		body = binary.AppendUvarint(body, uint64(len(f.name)))
		body = append(body, f.name...)
	}
	body = binary.AppendUvarint(body, uint64(len(series)))
	for _, s := range series {
		body = binary.AppendUvarint(body, s.id)
		body = binary.AppendUvarint(body, uint64(len(s.key)))
		body = append(body, s.key...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	dst = append(dst, body...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(body, castagnoli))
}

// appendDropFile appends recs to the drop file of the database in dir and syncs it.
func appendDropFile(fsys vfs.FS, dir string, recs []dropRecord) error {
	path := filepath.Join(dir, dropFileName)
	f, err := fsys.OpenReadWrite(path)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		f, err = fsys.Create(path)
		created = true
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var buf []byte
	for _, rec := range recs {
		for start := 0; start < len(rec.series) || start == 0; start += maxDropRecordSeries {
			end := min(start+maxDropRecordSeries, len(rec.series))
			buf = encodeDropRecord(buf[:0], rec.measurement, rec.fields, rec.series[start:end])
			if _, err := w.Write(buf); err != nil {
				return err
			}
			if end == len(rec.series) {
				break
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if created {
		return fsys.SyncDir(dir)
	}
	return nil
}

// readDropFile reads the drop file of the database in dir, cutting off a torn tail.
func readDropFile(fsys vfs.FS, dir string) ([]dropRecord, error) {
	path := filepath.Join(dir, dropFileName)
	b, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []dropRecord
	off := 0
	for off < len(b) {
		n, w := binary.Uvarint(b[off:])
		if w <= 0 || n > uint64(len(b)-off-w) || uint64(len(b)-off-w)-n < 4 {
			break // torn tail
		}
		body := b[off+w : off+w+int(n)]
		sum := binary.LittleEndian.Uint32(b[off+w+int(n):])
		if crc32.Checksum(body, castagnoli) != sum {
			return nil, fmt.Errorf("%w: drop file %s: bad checksum at offset %d", ErrCorrupt, path, off)
		}
		rec, err := decodeDropRecord(body)
		if err != nil {
			return nil, fmt.Errorf("drop file %s at offset %d: %w", path, off, err)
		}
		recs = append(recs, rec)
		off += w + int(n) + 4
	}
	if off < len(b) {
		f, err := fsys.OpenReadWrite(path)
		if err != nil {
			return nil, err
		}
		err = f.Truncate(int64(off))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("cut torn tail of %s: %w", path, err)
		}
	}
	return recs, nil
}

func decodeDropRecord(body []byte) (dropRecord, error) {
	r := recordReader{b: body}
	var rec dropRecord
	rec.measurement = string(r.bytes())
	nf := r.uvarint()
	for i := uint64(0); i < nf && r.err == nil; i++ {
		idx, typ, name := r.uvarint(), model.FieldType(r.byte1()), r.bytes()
		if r.err == nil && (typ < model.Float || typ > model.String || idx > math.MaxUint32) {
			return rec, fmt.Errorf("%w: bad field definition", ErrCorrupt)
		}
		rec.fields = append(rec.fields, &fieldDef{idx: uint32(idx), typ: typ, name: string(name)})
	}
	ns := r.uvarint()
	for i := uint64(0); i < ns && r.err == nil; i++ {
		id, key := r.uvarint(), r.bytes()
		if r.err == nil && (id == 0 || id > 1<<32-1) {
			return rec, fmt.Errorf("%w: dropped series id %d out of range", ErrCorrupt, id)
		}
		rec.series = append(rec.series, droppedSeries{id: id, key: string(key)})
	}
	if r.err != nil {
		return rec, r.err
	}
	if len(rec.measurement) == 0 {
		return rec, fmt.Errorf("%w: drop record without measurement", ErrCorrupt)
	}
	return rec, nil
}

// loadSeriesIndex rebuilds d's series index at open: dropped series first
// (as byID placeholders), then series.log; measurements whose series were
// all dropped lose their field types, as they did before the restart.
func (e *Engine) loadSeriesIndex(d *database) error {
	recs, err := readDropFile(e.fs, d.dir)
	if err != nil {
		return err
	}
	d.series.mu.Lock()
	for _, rec := range recs {
		snap := newMeasurementSchema(rec.measurement)
		for _, f := range rec.fields {
			snap.define(f.idx, f.name, f.typ) // a bad snapshot only costs the replay of racing writes
		}
		for _, s := range rec.series {
			d.series.definePlaceholderLocked(s.id, s.key, snap)
		}
	}
	d.series.mu.Unlock()
	if err := d.series.loadSeriesFile(e.fs, filepath.Join(d.dir, seriesFileName), d.schema); err != nil {
		return err
	}
	for _, rec := range recs {
		d.series.mu.RLock()
		empty := d.series.postings[rec.measurement] == nil
		d.series.mu.RUnlock()
		if empty {
			d.schemaMu.Lock()
			delete(d.schemas, rec.measurement)
			d.schemaMu.Unlock()
		}
	}
	return nil
}
