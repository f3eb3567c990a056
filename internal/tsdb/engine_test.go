package tsdb

import (
	"context"
	"errors"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/google/go-cmp/cmp"
)

// pt builds a point; fields alternate name, value (float64, int64, uint64, bool, string).
func pt(meas string, tags []string, t int64, fields ...any) model.Point {
	p := model.Point{Measurement: []byte(meas), Time: t}
	for i := 0; i+1 < len(tags); i += 2 {
		p.Tags = append(p.Tags, model.Tag{Key: []byte(tags[i]), Value: []byte(tags[i+1])})
	}
	sort.Slice(p.Tags, func(i, j int) bool { return string(p.Tags[i].Key) < string(p.Tags[j].Key) })
	for i := 0; i+1 < len(fields); i += 2 {
		f := model.Field{Key: []byte(fields[i].(string))}
		switch v := fields[i+1].(type) {
		case float64:
			f.Type, f.F = model.Float, v
		case int64:
			f.Type, f.I = model.Integer, v
		case int:
			f.Type, f.I = model.Integer, int64(v)
		case uint64:
			f.Type, f.U = model.Unsigned, v
		case bool:
			f.Type, f.B = model.Boolean, v
		case string:
			f.Type, f.S = model.String, []byte(v)
		}
		p.Fields = append(p.Fields, f)
	}
	return p
}

func openTest(t *testing.T, fs vfs.FS, opts ...func(*Options)) *Engine {
	t.Helper()
	o := Options{Dir: "/data", FS: fs, CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour}
	for _, f := range opts {
		f(&o)
	}
	e, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return e
}

func write(t *testing.T, e *Engine, db string, pts ...model.Point) {
	t.Helper()
	b, err := e.NewBatch(db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	for i := range pts {
		if err := b.Add(&pts[i]); err != nil {
			t.Fatalf("add point %d: %v", i, err)
		}
	}
	if err := e.Commit(context.Background(), b); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// dump reads every series of measurement as "key" → time → field → value.
type dumpT map[string]map[int64]map[string]any

func dump(t *testing.T, e *Engine, db, meas string) dumpT {
	t.Helper()
	ctx := context.Background()
	series, err := e.SelectSeries(ctx, db, "", meas, nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	out := dumpT{}
	keys := map[uint64]string{}
	var ids []uint64
	for _, s := range series {
		keys[s.ID] = s.Key()
		ids = append(ids, s.ID)
	}
	err = e.ReadSeries(ctx, db, "", ids, nil, math.MinInt64, math.MaxInt64, func(b *SeriesBatch) error {
		m := out[keys[b.SeriesID]]
		if m == nil {
			m = map[int64]map[string]any{}
			out[keys[b.SeriesID]] = m
		}
		for i, ts := range b.Timestamps {
			if i > 0 && ts <= b.Timestamps[i-1] {
				t.Errorf("timestamps not strictly ascending: %v", b.Timestamps)
			}
			row := m[ts]
			if row == nil {
				row = map[string]any{}
				m[ts] = row
			}
			for _, c := range b.Columns {
				if !c.IsValid(i) {
					continue
				}
				row[c.Name] = colAny(&c, i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func colAny(c *Column, i int) any {
	switch c.Type {
	case model.Float:
		return c.Floats[i]
	case model.Integer:
		return c.Integers[i]
	case model.Unsigned:
		return c.Unsigned[i]
	case model.Boolean:
		return c.Bools[i]
	case model.String:
		return string(c.Strings[i])
	}
	return nil
}

func TestWriteReadAllTypesAcrossFlushAndRestart(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs)
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", nil); err != nil {
		t.Fatal(err)
	}
	base := int64(1_700_000_000_000_000_000)
	write(t, e, "db",
		pt("m", []string{"dev", "a"}, base+2, "f", 1.5, "i", int64(-3), "u", uint64(7), "b", true, "s", "x"),
		pt("m", []string{"dev", "a"}, base+1, "f", math.Copysign(0, -1)), // out of order, sparse
		pt("m", []string{"dev", "b"}, base+1, "s", "hello"),
	)
	want := dumpT{
		"m,dev=a": {base + 1: {"f": math.Copysign(0, -1)}, base + 2: {"f": 1.5, "i": int64(-3), "u": uint64(7), "b": true, "s": "x"}},
		"m,dev=b": {base + 1: {"s": "hello"}},
	}
	check := func(stage string) {
		t.Helper()
		got := dump(t, e, "db", "m")
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%s: (-want +got)\n%s", stage, d)
		}
	}
	check("head")
	// Duplicate timestamp: fields merge, last write wins.
	write(t, e, "db", pt("m", []string{"dev", "a"}, base+2, "f", 2.5))
	want["m,dev=a"][base+2]["f"] = 2.5
	check("head dup")
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check("flushed")
	write(t, e, "db", pt("m", []string{"dev", "a"}, base+2, "i", int64(9)))
	want["m,dev=a"][base+2]["i"] = int64(9)
	check("head over part")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openTest(t, fs)
	check("reopened")
	if err := e.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	check("compacted")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCrashReplaysAcknowledgedWrites(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs)
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", nil); err != nil {
		t.Fatal(err)
	}
	want := dumpT{}
	for i := 0; i < 50; i++ {
		host := []string{"a", "b", "c"}[i%3]
		write(t, e, "db", pt("cpu", []string{"host", host}, int64(i), "v", float64(i)))
		key := "cpu,host=" + host
		if want[key] == nil {
			want[key] = map[int64]map[string]any{}
		}
		want[key][int64(i)] = map[string]any{"v": float64(i)}
		if i == 20 {
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	crashed := fs.CrashClone()
	e.Close()
	e2 := openTest(t, crashed)
	defer e2.Close()
	if d := cmp.Diff(want, dump(t, e2, "db", "cpu")); d != "" {
		t.Fatalf("after crash (-want +got)\n%s", d)
	}
}

func TestFieldTypeConflict(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	write(t, e, "db", pt("m", nil, 1, "v", 1.0))
	b, _ := e.NewBatch("db", "")
	defer b.Release()
	p := pt("m", nil, 2, "v", int64(1))
	err := b.Add(&p)
	var conflict *FieldTypeConflictError
	if !errors.As(err, &conflict) || conflict.Measurement != "m" || conflict.Field != "v" {
		t.Fatalf("got %v, want a conflict naming m and v", err)
	}
	if b.Points() != 0 {
		t.Fatalf("rejected point was kept")
	}
}

func TestUnknownDatabaseAndPolicy(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	if _, err := e.NewBatch("nope", ""); !errors.Is(err, ErrDatabaseNotFound) {
		t.Fatalf("got %v", err)
	}
	e.CreateDatabase(context.Background(), "db", nil)
	if _, err := e.NewBatch("db", "nope"); !errors.Is(err, ErrRetentionPolicyNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestRetentionPolicies(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateRetentionPolicy(ctx, "db", RetentionPolicySpec{Name: "week", Duration: 7 * 24 * time.Hour}, true); err != nil {
		t.Fatal(err)
	}
	rps, err := e.RetentionPolicies("db")
	if err != nil {
		t.Fatal(err)
	}
	want := []RetentionPolicyInfo{
		{Name: "autogen", PartitionDuration: 7 * 24 * time.Hour, ReplicaN: 1},
		{Name: "week", Duration: 7 * 24 * time.Hour, PartitionDuration: 24 * time.Hour, ReplicaN: 1, Default: true},
	}
	if d := cmp.Diff(want, rps); d != "" {
		t.Fatal(d)
	}
	if err := e.CreateRetentionPolicy(ctx, "db", RetentionPolicySpec{Name: "week", Duration: time.Hour}, false); !errors.Is(err, ErrRetentionPolicyExists) {
		t.Fatalf("conflicting create: %v", err)
	}
	d := 48 * time.Hour
	if err := e.AlterRetentionPolicy(ctx, "db", "week", RetentionPolicyUpdate{Duration: &d}); err != nil {
		t.Fatal(err)
	}
	pd := time.Hour
	if err := e.AlterRetentionPolicy(ctx, "db", "week", RetentionPolicyUpdate{PartitionDuration: &pd}); err == nil || !strings.Contains(err.Error(), "not supported yet") {
		t.Fatalf("changing the partition width: %v", err)
	}
	if err := e.DropRetentionPolicy(ctx, "db", "week"); err != nil {
		t.Fatal(err)
	}
	rps, _ = e.RetentionPolicies("db")
	if len(rps) != 1 || rps[0].Name != "autogen" {
		t.Fatalf("after drop: %+v", rps)
	}
	if err := e.DropDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if len(e.Databases()) != 0 {
		t.Fatal("database not dropped")
	}
}

func TestRetentionDropsOldPartitionsAndRejectsOldPoints(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := openTest(t, vfs.NewMem(), func(o *Options) { o.Now = clock })
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "short", Duration: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-20 * time.Hour).UnixNano()
	write(t, e, "db", pt("m", nil, old, "v", 1.0), pt("m", nil, now.UnixNano(), "v", 2.0))
	e.Flush(ctx)
	b, _ := e.NewBatch("db", "")
	p := pt("m", nil, now.Add(-48*time.Hour).UnixNano(), "v", 3.0)
	if err := b.Add(&p); !errors.Is(err, ErrOutsideRetention) {
		t.Fatalf("old point: %v", err)
	}
	b.Release()
	now = now.Add(10 * time.Hour) // the day of `old` is now past retention
	if n := e.EnforceRetention(); n != 1 {
		t.Fatalf("dropped %d partitions, want 1", n)
	}
	got := dump(t, e, "db", "m")
	if len(got["m"]) != 1 {
		t.Fatalf("after retention: %v", got)
	}
}

func TestDeleteSeriesAndTimeRange(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	for i := int64(0); i < 10; i++ {
		write(t, e, "db", pt("m", []string{"dev", "a"}, i, "v", float64(i)), pt("m", []string{"dev", "b"}, i, "v", float64(i)))
	}
	n, err := e.DeleteSeries(ctx, "db", "m", &TagExpr{Op: TagEq, Key: "dev", Value: "a"}, 3, 5)
	if err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	got := dump(t, e, "db", "m")
	if len(got["m,dev=a"]) != 7 || len(got["m,dev=b"]) != 10 {
		t.Fatalf("after range delete: a=%d b=%d", len(got["m,dev=a"]), len(got["m,dev=b"]))
	}
	// Drop the series entirely: it disappears from SelectSeries.
	if _, err := e.DeleteSeries(ctx, "db", "m", &TagExpr{Op: TagEq, Key: "dev", Value: "b"}, math.MinInt64, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	ss, _ := e.SelectSeries(ctx, "db", "", "m", nil, math.MinInt64, math.MaxInt64)
	if len(ss) != 1 || ss[0].Key() != "m,dev=a" {
		t.Fatalf("series after drop: %+v", ss)
	}
	if err := e.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	got = dump(t, e, "db", "m")
	if len(got["m,dev=a"]) != 7 || len(got["m,dev=b"]) != 0 {
		t.Fatalf("after compaction: %v", got)
	}
}

func TestSelectSeriesPredicates(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	write(t, e, "db",
		pt("m", []string{"site", "s1", "zone", "z1"}, 1, "v", 1.0),
		pt("m", []string{"site", "s1", "zone", "z2"}, 1, "v", 1.0),
		pt("m", []string{"site", "s2"}, 1, "v", 1.0),
		pt("other", []string{"site", "s1"}, 1, "v", 1.0),
	)
	keys := func(expr *TagExpr) []string {
		ss, err := e.SelectSeries(ctx, "db", "", "m", expr, math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range ss {
			out = append(out, s.Key())
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range []struct {
		name string
		expr *TagExpr
		want []string
	}{
		{"all", nil, []string{"m,site=s1,zone=z1", "m,site=s1,zone=z2", "m,site=s2"}},
		{"eq", &TagExpr{Op: TagEq, Key: "site", Value: "s1"}, []string{"m,site=s1,zone=z1", "m,site=s1,zone=z2"}},
		{"neq", &TagExpr{Op: TagNotEq, Key: "zone", Value: "z1"}, []string{"m,site=s1,zone=z2", "m,site=s2"}},
		{"eq-empty", &TagExpr{Op: TagEq, Key: "zone", Value: ""}, []string{"m,site=s2"}},
		{"regex", &TagExpr{Op: TagRegex, Key: "zone", Regex: mustRe(`^z[2-9]$`)}, []string{"m,site=s1,zone=z2"}},
		{"nregex", &TagExpr{Op: TagNotRegex, Key: "zone", Regex: mustRe(`z`)}, []string{"m,site=s2"}},
		{"and-or", &TagExpr{Op: TagOr,
			Left:  &TagExpr{Op: TagAnd, Left: &TagExpr{Op: TagEq, Key: "site", Value: "s1"}, Right: &TagExpr{Op: TagEq, Key: "zone", Value: "z1"}},
			Right: &TagExpr{Op: TagEq, Key: "site", Value: "s2"}}, []string{"m,site=s1,zone=z1", "m,site=s2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, keys(tc.expr)); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestWindowAggregatesUseStatsAndMatchDecoding(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	const n = 1000
	var pts []model.Point
	for i := 0; i < n; i++ {
		pts = append(pts, pt("m", []string{"d", "x"}, int64(i)*int64(time.Second), "v", float64(i%17)/4, "c", int64(i)))
	}
	write(t, e, "db", pts...)
	type res struct {
		Start, Count  int64
		Sum, Min, Max float64
		First, Last   float64
		FirstT, LastT int64
	}
	run := func() ([]res, int64) {
		ss, _ := e.SelectSeries(ctx, "db", "", "m", nil, math.MinInt64, math.MaxInt64)
		var out []res
		var stats int64
		err := e.WindowAggregates(ctx, "db", "", ss[0].ID, "v", 0, int64(n)*int64(time.Second), 0, 0, func(a *WindowAggregate) error {
			out = append(out, res{a.Start, a.Count, a.Sum, a.Min.F, a.Max.F, a.First.F, a.Last.F, a.First.Time, a.Last.Time})
			stats += a.FromStats
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, stats
	}
	fromHead, _ := run()
	e.Flush(ctx)
	fromParts, stats := run()
	if d := cmp.Diff(fromHead, fromParts); d != "" {
		t.Fatalf("stats and decoding disagree (-head +parts)\n%s", d)
	}
	if stats != n {
		t.Fatalf("%d values from stats, want all %d", stats, n)
	}
}

func TestLastValues(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	write(t, e, "db", pt("m", []string{"d", "x"}, 5, "a", 1.0, "s", "old"), pt("m", []string{"d", "x"}, 6, "a", 2.0))
	e.Flush(ctx)
	write(t, e, "db", pt("m", []string{"d", "x"}, 4, "a", 0.5)) // late point does not win
	ss, _ := e.SelectSeries(ctx, "db", "", "m", nil, math.MinInt64, math.MaxInt64)
	lv, err := e.LastValues(ctx, "db", "", []uint64{ss[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	got := lv[ss[0].ID]
	if got["a"].F != 2.0 || got["a"].Time != 6 || string(got["s"].S) != "old" || got["s"].Time != 5 {
		t.Fatalf("last values: %+v", got)
	}
}

func mustRe(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func TestColdPartitionIsFullyCompacted(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := openTest(t, vfs.NewMem(), func(o *Options) {
		o.Now = clock
		o.CompactionInterval = 10 * time.Millisecond
		o.ColdCompactionAfter = time.Minute
	})
	defer e.Close()
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	for i := 0; i < 3; i++ {
		write(t, e, "db", pt("m", []string{"d", "a"}, now.UnixNano()+int64(i), "v", float64(i)))
		e.Flush(ctx)
	}
	parts := func() int { n, _ := e.partStats(); return n }
	if parts() != 3 {
		t.Fatalf("%d parts before, want 3", parts())
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for parts() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if parts() != 1 {
		t.Fatalf("%d parts after the partition went cold, want 1", parts())
	}
	if got := dump(t, e, "db", "m"); len(got["m,d=a"]) != 3 {
		t.Fatalf("data after cold compaction: %v", got)
	}
}
