package tsdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/google/go-cmp/cmp"
)

const (
	anyTime = math.MinInt64
	endTime = math.MaxInt64
	hour    = int64(time.Hour)
)

// metaFixture writes cpu and mem series in two one-hour partitions:
// [0, 1h) and [2h, 3h).
func metaFixture(t *testing.T, fs vfs.FS) *Engine {
	t.Helper()
	e := openTest(t, fs)
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "autogen", PartitionDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	write(t, e, "db",
		pt("cpu", []string{"host", "a", "region", "eu"}, 1, "v", 1.0),
		pt("cpu", []string{"host", "b", "region", "us"}, 2, "v", 2.0),
		pt("cpu", []string{"host", "c d", "zone", "z,1"}, 2*hour, "v", 3.0, "n", int64(1)),
		pt("mem", []string{"host", "a"}, 2*hour+1, "free", int64(5)),
	)
	return e
}

func TestMetaReads(t *testing.T) {
	ctx := context.Background()
	for _, flushed := range []bool{false, true} {
		t.Run(fmt.Sprintf("flushed=%v", flushed), func(t *testing.T) {
			e := metaFixture(t, vfs.NewMem())
			defer e.Close()
			if flushed {
				if err := e.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			eq := func(k, v string) *TagExpr { return &TagExpr{Op: TagEq, Key: k, Value: v} }

			names, err := e.MeasurementNames(ctx, "db", nil, anyTime, endTime)
			check(t, "measurements", []string{"cpu", "mem"}, names, err)
			names, err = e.MeasurementNames(ctx, "db", eq("region", "us"), anyTime, endTime)
			check(t, "measurements region=us", []string{"cpu"}, names, err)
			names, err = e.MeasurementNames(ctx, "db", nil, 2*hour, endTime)
			check(t, "measurements after 2h", []string{"cpu", "mem"}, names, err)
			names, err = e.MeasurementNames(ctx, "db", eq("region", "eu"), 2*hour, endTime)
			check(t, "measurements region=eu after 2h", []string{}, names, err)

			keys, err := e.TagKeys(ctx, "db", []string{"cpu", "mem", "nope"}, nil, anyTime, endTime)
			check(t, "tag keys", [][]string{{"host", "region", "zone"}, {"host"}, nil}, keys, err)
			keys, err = e.TagKeys(ctx, "db", []string{"cpu"}, nil, anyTime, hour-1)
			check(t, "tag keys first hour", [][]string{{"host", "region"}}, keys, err)

			all := func(string) bool { return true }
			vals, err := e.TagValues(ctx, "db", []string{"cpu", "mem"}, all, nil, anyTime, endTime)
			check(t, "tag values", [][]TagValue{
				{{"host", "a"}, {"host", "b"}, {"host", "c d"}, {"region", "eu"}, {"region", "us"}, {"zone", "z,1"}},
				{{"host", "a"}},
			}, vals, err)
			vals, err = e.TagValues(ctx, "db", []string{"cpu"}, func(k string) bool { return k == "host" },
				&TagExpr{Op: TagRegex, Key: "region", Regex: regexp.MustCompile("^(eu|us)$")}, anyTime, endTime)
			check(t, "tag values host where region", [][]TagValue{{{"host", "a"}, {"host", "b"}}}, vals, err)

			series, err := e.SeriesKeys(ctx, "db", []string{"cpu", "mem"}, nil, anyTime, endTime)
			check(t, "series", [][]string{
				{`cpu,host=a,region=eu`, `cpu,host=b,region=us`, `cpu,host=c\ d,zone=z\,1`},
				{"mem,host=a"},
			}, series, err)
			series, err = e.SeriesKeys(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagNotEq, Key: "host", Value: "a"}, 2*hour, endTime)
			check(t, "series bounded", [][]string{{`cpu,host=c\ d,zone=z\,1`}}, series, err)

			n, err := e.SeriesCardinality(ctx, "db", []string{"cpu", "mem"}, nil, anyTime, endTime)
			check(t, "cardinality", []int{3, 1}, n, err)

			if _, err := e.TagKeys(ctx, "nodb", []string{"cpu"}, nil, anyTime, endTime); !errors.Is(err, ErrDatabaseNotFound) {
				t.Fatalf("unknown db: %v", err)
			}
		})
	}
}

func check[T any](t *testing.T, what string, want, got T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s (-want +got)\n%s", what, d)
	}
}

// TestDropSeriesIsDurable drops series in several states (head, parts) and
// checks the index and the data after a clean restart and after a crash.
func TestDropSeriesIsDurable(t *testing.T) {
	ctx := context.Background()
	for _, restart := range []string{"close", "crash"} {
		t.Run("restart="+restart, func(t *testing.T) {
			mem := vfs.NewMem()
			e := metaFixture(t, mem)
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// More data for host=b in the head, then drop it.
			write(t, e, "db", pt("cpu", []string{"host", "b", "region", "us"}, 3, "v", 9.0))
			if err := e.DropSeries(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagEq, Key: "host", Value: "b"}); err != nil {
				t.Fatal(err)
			}
			// Writes after the drop (unflushed) recreate the key with a new id.
			write(t, e, "db", pt("cpu", []string{"host", "b", "region", "us"}, 10, "v", 10.0))
			write(t, e, "db", pt("cpu", []string{"host", "a", "region", "eu"}, 11, "v", 11.0))
			want := dumpT{
				"cpu,host=a,region=eu":  {1: {"v": 1.0}, 11: {"v": 11.0}},
				"cpu,host=b,region=us":  {10: {"v": 10.0}},
				"cpu,host=c d,zone=z,1": {2 * hour: {"v": 3.0, "n": int64(1)}},
			}
			checkState := func(e *Engine, stage string) {
				t.Helper()
				if d := cmp.Diff(want, dump(t, e, "db", "cpu")); d != "" {
					t.Fatalf("%s: data (-want +got)\n%s", stage, d)
				}
				vals, err := e.TagValues(ctx, "db", []string{"cpu"}, func(k string) bool { return k == "host" }, nil, anyTime, endTime)
				check(t, stage+": hosts", [][]TagValue{{{"host", "a"}, {"host", "b"}, {"host", "c d"}}}, vals, err)
			}
			checkState(e, "live")

			var fs2 vfs.FS = mem
			if restart == "crash" {
				fs2 = mem.CrashClone()
			}
			if restart == "close" {
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
			}
			e2 := openTest(t, fs2)
			checkState(e2, "reopened")
			// Drop host=b again (the new series) and check once more after a restart.
			if err := e2.DropSeries(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagEq, Key: "host", Value: "b"}); err != nil {
				t.Fatal(err)
			}
			delete(want, "cpu,host=b,region=us")
			if err := e2.Close(); err != nil {
				t.Fatal(err)
			}
			e3 := openTest(t, fs2)
			defer e3.Close()
			if d := cmp.Diff(want, dump(t, e3, "db", "cpu")); d != "" {
				t.Fatalf("second drop: (-want +got)\n%s", d)
			}
			if err := e3.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, dump(t, e3, "db", "cpu")); d != "" {
				t.Fatalf("compacted: (-want +got)\n%s", d)
			}
			if e != nil && restart == "crash" {
				e.Close()
			}
		})
	}
}

func TestDropMeasurementForgetsFieldTypes(t *testing.T) {
	ctx := context.Background()
	mem := vfs.NewMem()
	e := metaFixture(t, mem)
	if err := e.DropMeasurement(ctx, "db", "cpu"); err != nil {
		t.Fatal(err)
	}
	if err := e.DropMeasurement(ctx, "db", "nope"); err != nil {
		t.Fatalf("missing measurement: %v", err)
	}
	names, err := e.MeasurementNames(ctx, "db", nil, anyTime, endTime)
	check(t, "measurements", []string{"mem"}, names, err)
	// v was a float; now it may be a string.
	write(t, e, "db", pt("cpu", []string{"host", "x"}, 5, "v", "text"))
	crashed := mem.CrashClone()
	e.Close()
	for _, fs := range []vfs.FS{mem, crashed} {
		e2 := openTest(t, fs)
		fields, err := e2.Fields("db", "cpu")
		check(t, "fields", []FieldInfo{{Name: "v", Type: model.String}}, fields, err)
		if d := cmp.Diff(dumpT{"cpu,host=x": {5: {"v": "text"}}}, dump(t, e2, "db", "cpu")); d != "" {
			t.Fatalf("data (-want +got)\n%s", d)
		}
		names, err := e2.MeasurementNames(ctx, "db", nil, anyTime, endTime)
		check(t, "measurements", []string{"cpu", "mem"}, names, err)
		e2.Close()
	}
}

func TestDropMeasurementCrashBeforeRewrite(t *testing.T) {
	// A measurement dropped and not written again stays gone, field types
	// included, after a crash.
	ctx := context.Background()
	mem := vfs.NewMem()
	e := metaFixture(t, mem)
	if err := e.DropMeasurement(ctx, "db", "mem"); err != nil {
		t.Fatal(err)
	}
	e2 := openTest(t, mem.CrashClone())
	defer e2.Close()
	e.Close()
	fields, err := e2.Fields("db", "mem")
	check(t, "fields", []FieldInfo(nil), fields, err)
	write(t, e2, "db", pt("mem", []string{"host", "a"}, 7, "free", 1.5))
	names, err := e2.MeasurementNames(ctx, "db", nil, anyTime, endTime)
	check(t, "measurements", []string{"cpu", "mem"}, names, err)
}

func TestDeleteRangeDropsEmptiedSeries(t *testing.T) {
	ctx := context.Background()
	mem := vfs.NewMem()
	e := metaFixture(t, mem)
	// Delete the first hour of cpu: host=a and host=b have no data left.
	if err := e.DeleteRange(ctx, "db", []string{"cpu"}, nil, anyTime, hour-1); err != nil {
		t.Fatal(err)
	}
	series, err := e.SeriesKeys(ctx, "db", []string{"cpu"}, nil, anyTime, endTime)
	check(t, "series", [][]string{{`cpu,host=c\ d,zone=z\,1`}}, series, err)
	// A partial delete keeps the series.
	write(t, e, "db", pt("mem", []string{"host", "a"}, 2*hour+5, "free", int64(6)))
	if err := e.DeleteRange(ctx, "db", []string{"mem"}, nil, 2*hour, 2*hour+1); err != nil {
		t.Fatal(err)
	}
	series, err = e.SeriesKeys(ctx, "db", []string{"mem"}, nil, anyTime, endTime)
	check(t, "mem series", [][]string{{"mem,host=a"}}, series, err)
	e.Close()
	e2 := openTest(t, mem)
	defer e2.Close()
	names, err := e2.MeasurementNames(ctx, "db", nil, anyTime, endTime)
	check(t, "measurements", []string{"cpu", "mem"}, names, err)
	vals, err := e2.TagValues(ctx, "db", []string{"cpu"}, func(string) bool { return true }, nil, anyTime, endTime)
	check(t, "tag values", [][]TagValue{{{"host", "c d"}, {"zone", "z,1"}}}, vals, err)
	if d := cmp.Diff(dumpT{"mem,host=a": {2*hour + 5: {"free": int64(6)}}}, dump(t, e2, "db", "mem")); d != "" {
		t.Fatalf("mem (-want +got)\n%s", d)
	}
}

func TestDropFileTornTail(t *testing.T) {
	ctx := context.Background()
	mem := vfs.NewMem()
	e := metaFixture(t, mem)
	if err := e.DropSeries(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagEq, Key: "host", Value: "a"}); err != nil {
		t.Fatal(err)
	}
	e.Close()
	path := filepath.Join("/data", "db-1", dropFileName)
	b, err := vfs.ReadFile(mem, path)
	if err != nil {
		t.Fatal(err)
	}
	// A torn second record: its length says more than is there.
	if err := vfs.WriteFile(mem, path, append(b, 0x7f, 1, 2), true); err != nil {
		t.Fatal(err)
	}
	e2 := openTest(t, mem)
	series, err := e2.SeriesKeys(ctx, "db", []string{"cpu"}, nil, anyTime, endTime)
	check(t, "series", [][]string{{`cpu,host=b,region=us`, `cpu,host=c\ d,zone=z\,1`}}, series, err)
	if err := e2.DropSeries(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagEq, Key: "host", Value: "b"}); err != nil {
		t.Fatal(err)
	}
	e2.Close()
	e3 := openTest(t, mem)
	defer e3.Close()
	series, err = e3.SeriesKeys(ctx, "db", []string{"cpu"}, nil, anyTime, endTime)
	check(t, "series after second drop", [][]string{{`cpu,host=c\ d,zone=z\,1`}}, series, err)

	// A flipped bit inside a complete record is corruption.
	b, _ = vfs.ReadFile(mem, path)
	b[3] ^= 0xff
	vfs.WriteFile(mem, path, b, true)
	e3.Close()
	if _, err := Open(ctx, Options{Dir: "/data", FS: mem}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt drop file: %v", err)
	}
}

// TestWriteRacingDropReplays commits a batch that resolved a series before
// the series (or its whole measurement) was dropped, then crashes: the
// batch's other points must survive the replay and the dropped series must
// stay dropped.
func TestWriteRacingDropReplays(t *testing.T) {
	ctx := context.Background()
	for _, dropMeasurement := range []bool{false, true} {
		t.Run(fmt.Sprintf("measurement=%v", dropMeasurement), func(t *testing.T) {
			mem := vfs.NewMem()
			e := metaFixture(t, mem)
			defer e.Close()
			b, err := e.NewBatch("db", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []model.Point{
				pt("cpu", []string{"host", "a", "region", "eu"}, 50, "v", 50.0),
				pt("mem", []string{"host", "a"}, 50, "free", int64(50)),
			} {
				if err := b.Add(&p); err != nil {
					t.Fatal(err)
				}
			}
			if dropMeasurement {
				err = e.DropMeasurement(ctx, "db", "cpu")
			} else {
				err = e.DropSeries(ctx, "db", []string{"cpu"}, &TagExpr{Op: TagEq, Key: "host", Value: "a"})
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Commit(ctx, b); err != nil {
				t.Fatal(err)
			}
			b.Release()
			wantMem := dumpT{"mem,host=a": {2*hour + 1: {"free": int64(5)}, 50: {"free": int64(50)}}}
			wantCPU := dumpT{
				"cpu,host=b,region=us":  {2: {"v": 2.0}},
				"cpu,host=c d,zone=z,1": {2 * hour: {"v": 3.0, "n": int64(1)}},
			}
			if dropMeasurement {
				wantCPU = dumpT{}
			}
			for stage, e := range map[string]*Engine{"live": e, "crashed": openTest(t, mem.CrashClone())} {
				if d := cmp.Diff(wantMem, dump(t, e, "db", "mem")); d != "" {
					t.Errorf("%s: mem (-want +got)\n%s", stage, d)
				}
				if d := cmp.Diff(wantCPU, dump(t, e, "db", "cpu")); d != "" {
					t.Errorf("%s: cpu (-want +got)\n%s", stage, d)
				}
				if stage == "crashed" {
					e.Close()
				}
			}
		})
	}
}

// TestDropsRaceWithWritesAndReads runs drops, writes and metadata reads at
// once (for -race), then checks that a crash leaves an engine that opens and
// whose index lists only series with data.
func TestDropsRaceWithWritesAndReads(t *testing.T) {
	ctx := context.Background()
	mem := vfs.NewMem()
	e := openTest(t, mem)
	if err := e.CreateDatabase(ctx, "db", nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 4)
	go func() { // writer
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			b, err := e.NewBatch("db", "")
			if err != nil {
				done <- err
				return
			}
			for h := 0; h < 8; h++ {
				p := pt(fmt.Sprintf("m%d", h%2), []string{"host", fmt.Sprint(h)}, i, "v", float64(i))
				if err := b.Add(&p); err != nil {
					done <- err
					return
				}
			}
			err = e.Commit(ctx, b)
			b.Release()
			if err != nil {
				done <- err
				return
			}
		}
	}()
	go func() { // reader
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := e.SeriesKeys(ctx, "db", []string{"m0", "m1"}, nil, anyTime, endTime); err != nil {
				done <- err
				return
			}
			if _, err := e.TagValues(ctx, "db", []string{"m0", "m1"}, func(string) bool { return true }, nil, anyTime, endTime); err != nil {
				done <- err
				return
			}
		}
	}()
	go func() { // dropper
		for i := 0; i < 20; i++ {
			var err error
			switch i % 3 {
			case 0:
				err = e.DropSeries(ctx, "db", []string{"m0"}, &TagExpr{Op: TagEq, Key: "host", Value: fmt.Sprint(i % 8)})
			case 1:
				err = e.DropMeasurement(ctx, "db", "m1")
			case 2:
				err = e.DeleteRange(ctx, "db", []string{"m0", "m1"}, nil, anyTime, int64(i*10))
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if err := <-done; err != nil { // the dropper finishes first
		t.Fatal(err)
	}
	close(stop)
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	crashed := mem.CrashClone()
	e.Close()
	e2 := openTest(t, crashed)
	defer e2.Close()
	for _, m := range []string{"m0", "m1"} {
		keys, err := e2.SeriesKeys(ctx, "db", []string{m}, nil, anyTime, endTime)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, k := range keys[0] {
			listed[k] = true
		}
		for k := range dump(t, e2, "db", m) {
			if !listed[k] {
				t.Errorf("%s has data but is not listed", k)
			}
		}
	}
}

// TestTagKeysAndValuesStrategies checks the two ways of answering (per value
// postings, or reading the selected series' keys) against a brute-force
// answer for selections of many sizes.
func TestTagKeysAndValuesStrategies(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, vfs.NewMem())
	defer e.Close()
	if err := e.CreateDatabase(ctx, "db", nil); err != nil {
		t.Fatal(err)
	}
	type series map[string]string
	var all []series
	var pts []model.Point
	for i := 0; i < 300; i++ {
		s := series{"a": fmt.Sprint(i % 4), "b": fmt.Sprint(i % 60)}
		if i%7 == 0 {
			s["c"] = fmt.Sprint(i % 3)
		}
		all = append(all, s)
		var tags []string
		for k, v := range s {
			tags = append(tags, k, v)
		}
		pts = append(pts, pt("m", tags, int64(i), "v", 1.0))
	}
	write(t, e, "db", pts...)
	for _, tc := range []struct {
		name string
		expr *TagExpr
		keep func(series) bool
	}{
		{"all", nil, func(series) bool { return true }},
		{"a=1", &TagExpr{Op: TagEq, Key: "a", Value: "1"}, func(s series) bool { return s["a"] == "1" }},
		{"b=7", &TagExpr{Op: TagEq, Key: "b", Value: "7"}, func(s series) bool { return s["b"] == "7" }},
		{"c!=''", &TagExpr{Op: TagNotEq, Key: "c", Value: ""}, func(s series) bool { return s["c"] != "" }},
		{"b=~^1", &TagExpr{Op: TagRegex, Key: "b", Regex: regexp.MustCompile("^1")}, func(s series) bool { return s["b"] != "" && s["b"][0] == '1' }},
		{"none", &TagExpr{Op: TagEq, Key: "a", Value: "x"}, func(series) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keySet := map[string]bool{}
			valSet := map[TagValue]bool{}
			for _, s := range all {
				if tc.keep(s) {
					for k, v := range s {
						keySet[k] = true
						valSet[TagValue{k, v}] = true
					}
				}
			}
			var wantKeys []string
			for k := range keySet {
				wantKeys = append(wantKeys, k)
			}
			sort.Strings(wantKeys)
			var wantVals []TagValue
			for v := range valSet {
				wantVals = append(wantVals, v)
			}
			sort.Slice(wantVals, func(i, j int) bool {
				if wantVals[i].Key != wantVals[j].Key {
					return wantVals[i].Key < wantVals[j].Key
				}
				return wantVals[i].Value < wantVals[j].Value
			})
			keys, err := e.TagKeys(ctx, "db", []string{"m"}, tc.expr, anyTime, endTime)
			check(t, "keys", [][]string{wantKeys}, keys, err)
			vals, err := e.TagValues(ctx, "db", []string{"m"}, func(string) bool { return true }, tc.expr, anyTime, endTime)
			check(t, "values", [][]TagValue{wantVals}, vals, err)
		})
	}
}

// FuzzDropFile feeds arbitrary bytes to the drop file reader: it must cut a
// torn tail or report corruption, never panic, and what it accepts must
// encode back to the bytes it kept.
func FuzzDropFile(f *testing.F) {
	key := string(appendSeriesKey(nil, []byte("cpu"), []model.Tag{{Key: []byte("host"), Value: []byte("a")}}))
	rec := encodeDropRecord(nil, "cpu", []*fieldDef{{idx: 0, typ: model.Float, name: "v"}}, []droppedSeries{{id: 7, key: key}})
	f.Add(rec)
	f.Add(append(append([]byte(nil), rec...), rec[:5]...))
	f.Add([]byte{0x7f, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		mem := vfs.NewMem()
		if err := mem.MkdirAll("/d", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := vfs.WriteFile(mem, "/d/"+dropFileName, b, true); err != nil {
			t.Fatal(err)
		}
		recs, err := readDropFile(mem, "/d")
		if err != nil {
			return
		}
		var again []byte
		for _, r := range recs {
			again = encodeDropRecord(again, r.measurement, r.fields, r.series)
		}
		kept, _ := vfs.ReadFile(mem, "/d/"+dropFileName)
		if !bytes.Equal(again, kept) {
			t.Fatalf("re-encoding %d records gives %x, file keeps %x", len(recs), again, kept)
		}
	})
}

// TestRetentionHidesExpiredSeries: a series whose every partition retention
// dropped is no longer listed, as in 1.8 when its shards expire.
func TestRetentionHidesExpiredSeries(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := openTest(t, vfs.NewMem(), func(o *Options) { o.Now = clock })
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "short", Duration: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	write(t, e, "db",
		pt("m", []string{"dev", "old"}, now.Add(-20*time.Hour).UnixNano(), "v", 1.0),
		pt("m", []string{"dev", "new"}, now.UnixNano(), "v", 2.0),
		pt("gone", []string{"dev", "old"}, now.Add(-20*time.Hour).UnixNano(), "v", 1.0))
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := e.SeriesKeys(ctx, "db", []string{"m"}, nil, anyTime, endTime)
	check(t, "before", [][]string{{"m,dev=new", "m,dev=old"}}, keys, err)
	now = now.Add(10 * time.Hour)
	if n := e.EnforceRetention(); n != 1 {
		t.Fatalf("dropped %d partitions, want 1", n)
	}
	keys, err = e.SeriesKeys(ctx, "db", []string{"m"}, nil, anyTime, endTime)
	check(t, "after", [][]string{{"m,dev=new"}}, keys, err)
	names, err := e.MeasurementNames(ctx, "db", nil, anyTime, endTime)
	check(t, "measurements", []string{"m"}, names, err)
	vals, err := e.TagValues(ctx, "db", []string{"m"}, func(string) bool { return true }, nil, anyTime, endTime)
	check(t, "values", [][]TagValue{{{"dev", "new"}}}, vals, err)
}

// TestMetaModelRandomOps runs random writes, drops, deletes, flushes,
// restarts and crashes against the engine and a plain model, and checks
// after every step that the data matches and that the series listed are
// those with data (a series whose rows several deletes cut from one block
// may stay listed, never one that was dropped or never written).
func TestMetaModelRandomOps(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FIELDHUB_META_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (FIELDHUB_META_SEED=%d to replay)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	ctx := context.Background()
	mem := vfs.NewMem()
	var fsys vfs.FS = mem
	open := func() *Engine {
		return openTest(t, fsys, func(o *Options) { o.HeadMemoryLimit, o.FlushSize = 1<<30, 1<<30 })
	}
	e := open()
	defer func() { e.Close() }()
	if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "autogen", PartitionDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	measurements := []string{"m0", "m1"}
	hosts := []string{"a", "b", "c", "d"}
	expect := map[string]dumpT{"m0": {}, "m1": {}} // measurement → key → time → fields
	written := map[string]bool{}                   // keys ever written and not dropped since
	const span = 3 * hour
	for step := 0; step < 150; step++ {
		op := rng.IntN(100)
		var desc string
		switch {
		case op < 55:
			var pts []model.Point
			for n := 1 + rng.IntN(6); n > 0; n-- {
				m, h := measurements[rng.IntN(2)], hosts[rng.IntN(len(hosts))]
				ts := rng.Int64N(span/1e9) * 1e9
				v := float64(rng.IntN(100))
				pts = append(pts, pt(m, []string{"host", h}, ts, "v", v))
				key := m + ",host=" + h
				if expect[m][key] == nil {
					expect[m][key] = map[int64]map[string]any{}
				}
				expect[m][key][ts] = map[string]any{"v": v}
				written[key] = true
			}
			write(t, e, "db", pts...)
			desc = fmt.Sprintf("write %d points", len(pts))
		case op < 62:
			h := hosts[rng.IntN(len(hosts))]
			ms := measurements[:1+rng.IntN(2)]
			if err := e.DropSeries(ctx, "db", ms, &TagExpr{Op: TagEq, Key: "host", Value: h}); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				delete(expect[m], m+",host="+h)
				delete(written, m+",host="+h)
			}
			desc = fmt.Sprintf("drop series %v host=%s", ms, h)
		case op < 65:
			m := measurements[rng.IntN(2)]
			if err := e.DropMeasurement(ctx, "db", m); err != nil {
				t.Fatal(err)
			}
			for key := range expect[m] {
				delete(written, key)
			}
			expect[m] = dumpT{}
			desc = "drop measurement " + m
		case op < 75:
			lo := rng.Int64N(span/1e9) * 1e9
			hi := lo + rng.Int64N(span/1e9)*1e9
			var expr *TagExpr
			h := ""
			if rng.IntN(2) == 0 {
				h = hosts[rng.IntN(len(hosts))]
				expr = &TagExpr{Op: TagEq, Key: "host", Value: h}
			}
			if err := e.DeleteRange(ctx, "db", measurements, expr, lo, hi); err != nil {
				t.Fatal(err)
			}
			for _, m := range measurements {
				for key, rows := range expect[m] {
					if h != "" && key != m+",host="+h {
						continue
					}
					for ts := range rows {
						if ts >= lo && ts <= hi {
							delete(rows, ts)
						}
					}
					if len(rows) == 0 {
						delete(expect[m], key)
					}
				}
			}
			desc = fmt.Sprintf("delete host=%q [%d, %d]", h, lo, hi)
		case op < 85:
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			desc = "flush"
		case op < 90:
			if err := e.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			desc = "compact"
		case op < 95:
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e = open()
			desc = "restart"
		default:
			crashed := mem.CrashClone()
			e.Close()
			mem = crashed
			fsys = mem
			e = open()
			desc = "crash"
		}
		for _, m := range measurements {
			got := dump(t, e, "db", m)
			want := expect[m]
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("step %d (%s): %s data (-model +engine)\n%s", step, desc, m, d)
			}
			keys, err := e.SeriesKeys(ctx, "db", []string{m}, nil, anyTime, endTime)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, k := range keys[0] {
				listed[k] = true
				if !written[k] {
					t.Fatalf("step %d (%s): %s listed but dropped or never written", step, desc, k)
				}
			}
			for k := range want {
				if !listed[k] {
					t.Fatalf("step %d (%s): %s has data but is not listed", step, desc, k)
				}
			}
		}
	}
}
