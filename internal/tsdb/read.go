package tsdb

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/fieldhub/fieldhub/internal/model"
)

// TagOp is the operator of a TagExpr node.
type TagOp uint8

// Tag expression operators. Eq/NotEq/Regex/NotRegex compare one tag; And/Or combine children.
const (
	TagEq TagOp = iota + 1
	TagNotEq
	TagRegex
	TagNotRegex
	TagAnd
	TagOr
)

// TagExpr is a predicate over a series' tags, as InfluxQL's WHERE clause
// restricts series. A series without the tag compares as if its value were "".
// A nil *TagExpr matches every series.
type TagExpr struct {
	Op          TagOp
	Key, Value  string         // Eq, NotEq
	Regex       *regexp.Regexp // Regex, NotRegex
	Left, Right *TagExpr       // And, Or
}

// SeriesInfo describes a selected series. Tags are sorted by key and owned by the caller.
type SeriesInfo struct {
	ID          uint64
	Measurement string
	Tags        []model.Tag
}

// Key renders the series like InfluxDB's SHOW SERIES (measurement,k=v,... unescaped).
func (s *SeriesInfo) Key() string {
	b := []byte(s.Measurement)
	for _, t := range s.Tags {
		b = append(b, ',')
		b = append(b, t.Key...)
		b = append(b, '=')
		b = append(b, t.Value...)
	}
	return string(b)
}

// SeriesBatch is a run of one series' rows in ascending time order with
// unique timestamps; Columns are aligned with Timestamps. It is valid only
// during the callback it is passed to.
type SeriesBatch struct {
	SeriesID   uint64
	Timestamps []int64
	Columns    []Column
}

// partitionView is a consistent snapshot of one time partition's sources.
type partitionView struct {
	start, end int64
	parts      []*part // acquired, oldest first
	tombs      []tombstone
	heads      []*headPartition // frozen heads oldest first, then the active head
	stats      *ReadStats       // nil unless the read is counted
}

// readView snapshots the sources of rp that overlap [tmin, tmax]. Heads are
// taken before parts: a flush publishes its part before it drops the frozen
// head, so data is never missed in between (at worst seen twice, and merged).
func (e *Engine) readView(rp *retentionPolicy, tmin, tmax int64) []partitionView {
	rp.mu.RLock()
	heads := append(slices.Clone(rp.frozen), rp.active)
	rp.mu.RUnlock()
	views := map[int64]*partitionView{}
	get := func(start int64) *partitionView {
		v := views[start]
		if v == nil {
			v = &partitionView{start: start, end: start + int64(rp.partitionDuration)}
			views[start] = v
		}
		return v
	}
	overlaps := func(start int64) bool {
		end := start + int64(rp.partitionDuration) - 1
		return start <= tmax && end >= tmin
	}
	for _, h := range heads {
		for _, hp := range h.snapshotParts() {
			if overlaps(hp.start) {
				v := get(hp.start)
				v.heads = append(v.heads, hp)
			}
		}
	}
	rp.mu.RLock()
	parts := make([]*partition, 0, len(rp.partitions))
	for _, p := range rp.partitions {
		if overlaps(p.start) {
			parts = append(parts, p)
		}
	}
	rp.mu.RUnlock()
	for _, p := range parts {
		v := get(p.start)
		v.parts, v.tombs = p.snapshot()
	}
	out := make([]partitionView, 0, len(views))
	for _, v := range views {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

func releaseViews(vs []partitionView) {
	for _, v := range vs {
		releaseAll(v.parts)
	}
}

// seriesPresent returns the ids of series with any data in the views.
func seriesPresent(vs []partitionView) *roaring.Bitmap {
	bm := roaring.New()
	for _, v := range vs {
		for _, pt := range v.parts {
			live := pt.series
			for i := range v.tombs {
				t := &v.tombs[i]
				if t.Seq > pt.seq && t.coversPartition(v.start, v.end) {
					if live == pt.series {
						live = pt.series.Clone()
					}
					live.AndNot(t.set)
				}
			}
			bm.Or(live)
		}
		for _, hp := range v.heads {
			hp.mu.Lock()
			for id := range hp.series {
				bm.Add(uint32(id))
			}
			hp.mu.Unlock()
		}
	}
	return bm
}

// readSeries merges one series' rows in [tmin, tmax] from a partition view.
func (e *Engine) readSeries(v *partitionView, id uint64, tmin, tmax int64, fields map[string]bool, m *rowMerger, buf *[]byte) (rows, error) {
	srcs, err := v.seriesSources(id, tmin, tmax, fields, buf)
	if err != nil {
		return rows{}, err
	}
	r := m.merge(srcs, fields)
	if fields != nil {
		r = dropEmptyRows(r)
	}
	return r, nil
}

// readSeriesRuns returns one series' rows in [tmin, tmax] from a partition
// view as runs in ascending time. Sources that do not overlap in time (the
// blocks of a compacted part, a head after them) come back as they are,
// without the cost of a merge; overlapping ones are merged into one run.
func (e *Engine) readSeriesRuns(v *partitionView, id uint64, tmin, tmax int64, fields map[string]bool, m *rowMerger, buf *[]byte) ([]rows, error) {
	srcs, err := v.seriesSources(id, tmin, tmax, fields, buf)
	if err != nil {
		return nil, err
	}
	if len(srcs) > 1 {
		// srcs are oldest first, which a merge needs (newer values win);
		// only a sorted copy is checked for overlaps.
		byTime := slices.Clone(srcs)
		sort.Slice(byTime, func(i, j int) bool { return byTime[i].ts[0] < byTime[j].ts[0] })
		for i := 1; i < len(byTime); i++ {
			if byTime[i].ts[0] <= byTime[i-1].ts[len(byTime[i-1].ts)-1] {
				r := m.merge(srcs, fields)
				if fields != nil {
					r = dropEmptyRows(r)
				}
				return []rows{r}, nil
			}
		}
		srcs = byTime
	}
	if fields != nil {
		for i := range srcs {
			srcs[i] = dropEmptyRows(srcs[i])
		}
	}
	return srcs, nil
}

// seriesSources reads every source of one series in [tmin, tmax]: the part
// blocks it overlaps and the rows the heads hold.
func (v *partitionView) seriesSources(id uint64, tmin, tmax int64, fields map[string]bool, buf *[]byte) ([]rows, error) {
	var srcs []rows
	want := func(name string) bool { return fields == nil || fields[name] }
	for _, pt := range v.parts {
		for _, bm := range pt.blocksOf(id) {
			if bm.maxT < tmin || bm.minT > tmax {
				if v.stats != nil {
					v.stats.BlocksSkipped.Add(1)
				}
				continue
			}
			r, err := v.readPartBlock(pt, &bm, tmin, tmax, want, buf)
			if err != nil {
				return nil, err
			}
			if len(r.ts) > 0 {
				srcs = append(srcs, r)
			}
		}
	}
	return v.appendHeadRows(srcs, id, tmin, tmax, fields), nil
}

// readPartBlock reads, checks and decodes one block of pt (fields selected by
// want), keeping the rows within [tmin, tmax] that no tombstone hides.
func (v *partitionView) readPartBlock(pt *part, bm *blockMeta, tmin, tmax int64, want func(string) bool, buf *[]byte) (rows, error) {
	data, err := readBlock(pt.f, bm, *buf)
	if err != nil {
		return rows{}, fmt.Errorf("part %s: %w", pt.path, err)
	}
	*buf = data
	if v.stats != nil {
		v.stats.BlocksDecoded.Add(1)
		v.stats.BytesRead.Add(int64(len(data)))
	}
	r, err := decodeBlock(pt.idx, bm, data, want)
	if err != nil {
		return rows{}, fmt.Errorf("part %s: %w", pt.path, err)
	}
	return filterRows(r, func(t int64) bool {
		if t < tmin || t > tmax {
			return false
		}
		for i := range v.tombs {
			if v.tombs[i].covers(bm.series, t, pt.seq) {
				return false
			}
		}
		return true
	}), nil
}

// appendHeadRows appends the series' rows within [tmin, tmax] from each head of the view.
func (v *partitionView) appendHeadRows(srcs []rows, id uint64, tmin, tmax int64, fields map[string]bool) []rows {
	for _, hp := range v.heads {
		hp.mu.Lock()
		if sb := hp.series[id]; sb != nil {
			if r := sb.materializeLocked(max(tmin, hp.start), min(tmax, hp.end-1), fields); len(r.ts) > 0 {
				srcs = append(srcs, r)
				if v.stats != nil {
					v.stats.HeadRows.Add(int64(len(r.ts)))
				}
			}
		}
		hp.mu.Unlock()
	}
	return srcs
}

// SelectSeries returns the series of measurement in db/rp that match expr and
// have data within [tmin, tmax], sorted by id.
func (e *Engine) SelectSeries(ctx context.Context, db, rp, measurement string, expr *TagExpr, tmin, tmax int64) ([]SeriesInfo, error) {
	d, p, err := e.lookup(db, rp)
	if err != nil {
		return nil, err
	}
	d.series.mu.RLock()
	mp := d.series.postings[measurement]
	var matched *roaring.Bitmap
	if mp != nil {
		matched = evalTagExpr(mp, expr)
	}
	d.series.mu.RUnlock()
	if matched == nil || matched.IsEmpty() {
		return nil, nil
	}
	views := e.readView(p, tmin, tmax)
	present := seriesPresent(views)
	releaseViews(views)
	matched.And(present)
	out := make([]SeriesInfo, 0, matched.GetCardinality())
	it := matched.Iterator()
	for it.HasNext() {
		id := uint64(it.Next())
		se := d.series.get(id)
		if se == nil {
			continue
		}
		meas, tags, err := parseSeriesKey([]byte(se.key), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, SeriesInfo{ID: id, Measurement: string(meas), Tags: tags})
	}
	return out, ctx.Err()
}

// evalTagExpr evaluates expr over a measurement's postings; the caller holds the index lock.
func evalTagExpr(mp *measurementPostings, expr *TagExpr) *roaring.Bitmap {
	if expr == nil {
		return mp.all.Clone()
	}
	switch expr.Op {
	case TagAnd:
		l := evalTagExpr(mp, expr.Left)
		l.And(evalTagExpr(mp, expr.Right))
		return l
	case TagOr:
		l := evalTagExpr(mp, expr.Left)
		l.Or(evalTagExpr(mp, expr.Right))
		return l
	case TagEq, TagNotEq:
		bm := eqPostings(mp, expr.Key, expr.Value)
		if expr.Op == TagNotEq {
			return roaring.AndNot(mp.all, bm)
		}
		return bm
	case TagRegex, TagNotRegex:
		bm := roaring.New()
		vals := mp.tags[expr.Key]
		for v, ids := range vals {
			if expr.Regex != nil && expr.Regex.MatchString(v) {
				bm.Or(ids)
			}
		}
		if expr.Regex != nil && expr.Regex.MatchString("") {
			bm.Or(missingTag(mp, expr.Key))
		}
		if expr.Op == TagNotRegex {
			return roaring.AndNot(mp.all, bm)
		}
		return bm
	}
	return roaring.New()
}

func eqPostings(mp *measurementPostings, key, value string) *roaring.Bitmap {
	if value == "" {
		return missingTag(mp, key)
	}
	if ids := mp.tags[key][value]; ids != nil {
		return ids.Clone()
	}
	return roaring.New()
}

// missingTag returns the series of the measurement without tag key.
func missingTag(mp *measurementPostings, key string) *roaring.Bitmap {
	has := roaring.New()
	for _, ids := range mp.tags[key] {
		has.Or(ids)
	}
	return roaring.AndNot(mp.all, has)
}

// ReadSeries streams the rows of each series in ids (in the given order)
// within [tmin, tmax], restricted to fields (nil: all), in ascending time, as
// one or more batches per series. Rows without any selected field are omitted.
func (e *Engine) ReadSeries(ctx context.Context, db, rp string, ids []uint64, fields []string, tmin, tmax int64, fn func(*SeriesBatch) error) error {
	_, p, err := e.lookup(db, rp)
	if err != nil {
		return err
	}
	var want map[string]bool
	if fields != nil {
		want = make(map[string]bool, len(fields))
		for _, f := range fields {
			want[f] = true
		}
	}
	views := e.readView(p, tmin, tmax)
	defer releaseViews(views)
	withStats(ctx, views)
	var m rowMerger
	var buf []byte
	for _, id := range ids {
		for i := range views {
			if err := ctx.Err(); err != nil {
				return err
			}
			runs, err := e.readSeriesRuns(&views[i], id, tmin, tmax, want, &m, &buf)
			if err != nil {
				return err
			}
			for _, r := range runs {
				if len(r.ts) == 0 || len(r.cols) == 0 {
					continue
				}
				if err := fn(&SeriesBatch{SeriesID: id, Timestamps: r.ts, Columns: r.cols}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Measurements lists the measurements of db, sorted.
func (e *Engine) Measurements(db string) ([]string, error) {
	d, err := e.database(db)
	if err != nil {
		return nil, err
	}
	return d.measurements(), nil
}

// database finds a database by name.
func (e *Engine) database(name string) (*database, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if d := e.mu.dbs[name]; d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrDatabaseNotFound, name)
}

// FieldInfo is a field of a measurement and its type.
type FieldInfo struct {
	Name string
	Type model.FieldType
}

// Fields lists the fields of a measurement sorted by name.
func (e *Engine) Fields(db, measurement string) ([]FieldInfo, error) {
	d, err := e.database(db)
	if err != nil {
		return nil, err
	}
	m := d.lookupSchema(measurement)
	if m == nil {
		return nil, nil
	}
	var out []FieldInfo
	for _, f := range m.snapshot() {
		out = append(out, FieldInfo{Name: f.name, Type: f.typ})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SeriesCount is the number of series ever created in db (an upper bound of live series).
func (e *Engine) SeriesCount(db string) int {
	e.mu.RLock()
	d := e.mu.dbs[db]
	e.mu.RUnlock()
	if d == nil {
		return 0
	}
	return d.series.count()
}
