package query_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/influxql"
)

// metaNow is now() for the meta tests.
var metaNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Two days of data: cpu and mem on day one, cpu,host=c and disk on day two
// (the default policy partitions by 7 days, so "week" policy is used with 1h
// partitions to make time bounds visible).
const metaData = `
cpu,host=a,region=eu usage=1,idle=99i 1767139200000000000
cpu,host=b,region=us usage=2,idle=98i 1767139200000000000
cpu,host=b,region=us usage=3 1767139260000000000
mem,host=a free=10u,ok=true,note="x" 1767139200000000000
cpu,host=c\ d,zone=z\,1 usage=4 1767225600000000000
disk,host=a,path=/ used=1.5 1767225600000000000
`

func openMeta(t *testing.T) (*tsdb.Engine, *query.Executor, string) {
	t.Helper()
	dir := t.TempDir()
	e := openMetaDir(t, dir)
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", &tsdb.RetentionPolicySpec{Name: "autogen", PartitionDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateDatabase(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	writeLines(t, e, "db", metaData)
	return e, query.New(query.Options{Storage: e, Now: func() time.Time { return metaNow }}), dir
}

func openMetaDir(t *testing.T, dir string) *tsdb.Engine {
	t.Helper()
	e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none",
		CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func writeLines(t testing.TB, e *tsdb.Engine, db, lines string) {
	t.Helper()
	b, err := e.NewBatch(db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var p lineproto.Parser
	p.Reset([]byte(strings.TrimSpace(lines)), lineproto.Nanosecond, 0)
	var pt model.Point
	for {
		ok, err := p.Next(&pt)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if err := b.Add(&pt); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Commit(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// run executes one statement with db as the request's database.
func run(t *testing.T, ex *query.Executor, db, q string) (*query.Result, error) {
	t.Helper()
	stmt, err := influxql.ParseStatement(q)
	if err != nil {
		t.Fatalf("parse %s: %v", q, err)
	}
	return ex.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: db})
}

func rows(rs ...*query.Row) *query.Result { return &query.Result{Series: rs} }

func row(name string, cols []string, vals ...[]any) *query.Row {
	return &query.Row{Name: name, Columns: cols, Values: vals}
}

func vals(col string, vs ...any) [][]any {
	out := make([][]any, len(vs))
	for i, v := range vs {
		out[i] = []any{v}
	}
	return out
}

func one(name, col string, vs ...any) *query.Row {
	return &query.Row{Name: name, Columns: []string{col}, Values: vals(col, vs...)}
}

type metaCase struct {
	q       string
	db      string // request database; default "db"
	want    *query.Result
	wantErr string
}

func runCases(t *testing.T, ex *query.Executor, cases []metaCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			db := tc.db
			if db == "" {
				db = "db"
			}
			if db == "-" {
				db = ""
			}
			got, err := run(t, ex, db, tc.q)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

var kv = []string{"key", "value"}

func TestShowStatements(t *testing.T) {
	for _, flushed := range []bool{false, true} {
		name := "head"
		if flushed {
			name = "flushed"
		}
		t.Run(name, func(t *testing.T) {
			e, ex, _ := openMeta(t)
			defer e.Close()
			if flushed {
				if err := e.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			runCases(t, ex, showCases)
		})
	}
}

var showCases = []metaCase{
	// SHOW MEASUREMENTS
	{q: `SHOW MEASUREMENTS`, want: rows(one("measurements", "name", "cpu", "disk", "mem"))},
	{q: `SHOW MEASUREMENTS ON db`, db: "-", want: rows(one("measurements", "name", "cpu", "disk", "mem"))},
	{q: `SHOW MEASUREMENTS LIMIT 2 OFFSET 1`, want: rows(one("measurements", "name", "disk", "mem"))},
	{q: `SHOW MEASUREMENTS OFFSET 3`, want: &query.Result{}},
	{q: `SHOW MEASUREMENTS WITH MEASUREMENT = mem`, want: rows(one("measurements", "name", "mem"))},
	{q: `SHOW MEASUREMENTS WITH MEASUREMENT =~ /^(c|d)/`, want: rows(one("measurements", "name", "cpu", "disk"))},
	{q: `SHOW MEASUREMENTS WHERE host = 'a'`, want: rows(one("measurements", "name", "cpu", "disk", "mem"))},
	// Differs from 1.8, whose TSI lists a measurement for tag != 'x' only when
	// no series has tag = 'x' (here: nothing); Fieldhub agrees with SHOW SERIES.
	{q: `SHOW MEASUREMENTS WHERE region =~ /u/ AND host != 'a'`, want: rows(one("measurements", "name", "cpu"))},
	{q: `SHOW MEASUREMENTS WHERE region =~ /u/ AND host = 'b'`, want: rows(one("measurements", "name", "cpu"))},
	{q: `SHOW MEASUREMENTS WHERE _name = 'cpu'`, want: rows(one("measurements", "name", "cpu"))},
	{q: `SHOW MEASUREMENTS WHERE _name =~ /m/ AND host = 'a'`, want: rows(one("measurements", "name", "mem"))},
	{q: `SHOW MEASUREMENTS WITH MEASUREMENT =~ /x/`, want: &query.Result{}},
	{q: `SHOW MEASUREMENTS WHERE path = '/' OR zone = 'z,1'`, want: rows(one("measurements", "name", "cpu", "disk"))},
	{q: `SHOW MEASUREMENTS WHERE host = 'nope'`, want: &query.Result{}},
	{q: `SHOW MEASUREMENTS ON empty`, want: &query.Result{}},
	{q: `SHOW MEASUREMENTS WHERE time > now() - 1h`, wantErr: "SHOW MEASUREMENTS doesn't support time in WHERE clause"},
	{q: `SHOW MEASUREMENTS`, db: "-", wantErr: "database name required"},
	{q: `SHOW MEASUREMENTS ON nope`, want: &query.Result{}}, // 1.8 does not complain here

	// SHOW TAG KEYS
	{q: `SHOW TAG KEYS`, want: rows(
		one("cpu", "tagKey", "host", "region", "zone"),
		one("disk", "tagKey", "host", "path"),
		one("mem", "tagKey", "host"))},
	{q: `SHOW TAG KEYS FROM cpu LIMIT 1 OFFSET 1`, want: rows(one("cpu", "tagKey", "region"))},
	{q: `SHOW TAG KEYS FROM /^(cpu|mem)$/ WHERE host = 'a'`, want: rows(
		one("cpu", "tagKey", "host", "region"),
		one("mem", "tagKey", "host"))},
	{q: `SHOW TAG KEYS FROM nope`, want: &query.Result{}},
	{q: `SHOW TAG KEYS OFFSET 2`, want: rows(one("cpu", "tagKey", "zone"))},
	{q: `SHOW TAG KEYS FROM cpu WHERE time >= '2026-01-01T00:00:00Z'`, want: rows(one("cpu", "tagKey", "host", "zone"))},
	{q: `SHOW TAG KEYS FROM cpu WHERE time < '2026-01-01T00:00:00Z'`, want: rows(one("cpu", "tagKey", "host", "region"))},
	{q: `SHOW TAG KEYS ON nope`, wantErr: "database not found: nope"},
	{q: `SHOW TAG KEYS FROM db.autogen.mem`, db: "-", want: rows(one("mem", "tagKey", "host"))},
	{q: `SHOW TAG KEYS FROM autogen.mem`, want: rows(one("mem", "tagKey", "host"))},
	{q: `SHOW TAG KEYS FROM cpu SLIMIT 1`, want: rows(one("cpu", "tagKey", "host", "region", "zone"))},

	// SHOW TAG VALUES
	{q: `SHOW TAG VALUES WITH KEY = host`, want: rows(
		row("cpu", kv, []any{"host", "a"}, []any{"host", "b"}, []any{"host", "c d"}),
		row("disk", kv, []any{"host", "a"}),
		row("mem", kv, []any{"host", "a"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY IN (region, zone)`, want: rows(
		row("cpu", kv, []any{"region", "eu"}, []any{"region", "us"}, []any{"zone", "z,1"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY =~ /^(region|zone)$/ LIMIT 1 OFFSET 1`, want: rows(row("cpu", kv, []any{"region", "us"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY != host`, want: rows(
		row("cpu", kv, []any{"region", "eu"}, []any{"region", "us"}, []any{"zone", "z,1"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY !~ /^(host|zone)$/`, want: rows(
		row("cpu", kv, []any{"region", "eu"}, []any{"region", "us"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'us'`, want: rows(row("cpu", kv, []any{"host", "b"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = ''`, want: rows(row("cpu", kv, []any{"host", "c d"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY = host WHERE time >= '2026-01-01T00:00:00Z'`, want: rows(row("cpu", kv, []any{"host", "c d"}))},
	{q: `SHOW TAG VALUES WITH KEY = nope`, want: &query.Result{}},
	{q: `SHOW TAG VALUES WITH KEY = host WHERE region =~ /u/ AND host != 'a'`, want: rows(row("cpu", kv, []any{"host", "b"}))},
	{q: `SHOW TAG VALUES WITH KEY = host WHERE host = 'a' OR host = 'b'`, want: rows(
		row("cpu", kv, []any{"host", "a"}, []any{"host", "b"}),
		row("disk", kv, []any{"host", "a"}),
		row("mem", kv, []any{"host", "a"}))},
	{q: `SHOW TAG VALUES FROM cpu WITH KEY = "host" WHERE zone = ''`, want: rows(row("cpu", kv, []any{"host", "a"}, []any{"host", "b"}))},
	{q: `SHOW TAG VALUES ON nope WITH KEY = host`, wantErr: "database not found: nope"},
	{q: `SHOW TAG VALUES WITH KEY = host WHERE host =~ /a/ OR usage > 1`, wantErr: "invalid tag comparison operator"},
	{q: `SHOW TAG VALUES WITH KEY = host`, db: "-", wantErr: "database name required"},

	// SHOW FIELD KEYS
	{q: `SHOW FIELD KEYS`, want: rows(
		row("cpu", []string{"fieldKey", "fieldType"}, []any{"idle", "integer"}, []any{"usage", "float"}),
		row("disk", []string{"fieldKey", "fieldType"}, []any{"used", "float"}),
		row("mem", []string{"fieldKey", "fieldType"}, []any{"free", "unsigned"}, []any{"note", "string"}, []any{"ok", "boolean"}))},
	{q: `SHOW FIELD KEYS FROM mem LIMIT 1 OFFSET 1`, want: rows(row("mem", []string{"fieldKey", "fieldType"}, []any{"note", "string"}))},
	{q: `SHOW FIELD KEYS ON empty`, want: &query.Result{}},
	{q: `SHOW FIELD KEYS FROM nope`, want: &query.Result{}},
	{q: `SHOW FIELD KEYS ON nope`, wantErr: "database not found: nope"},

	// SHOW SERIES
	{q: `SHOW SERIES`, want: rows(one("", "key",
		"cpu,host=a,region=eu", "cpu,host=b,region=us", `cpu,host=c\ d,zone=z\,1`, "disk,host=a,path=/", "mem,host=a"))},
	{q: `SHOW SERIES FROM cpu WHERE host != 'a' LIMIT 1 OFFSET 1`, want: rows(one("", "key", `cpu,host=c\ d,zone=z\,1`))},
	{q: `SHOW SERIES WHERE host = 'a' AND time < '2026-01-01T00:00:00Z'`, want: rows(one("", "key", "cpu,host=a,region=eu", "mem,host=a"))},
	{q: `SHOW SERIES FROM /^d/`, want: rows(one("", "key", "disk,host=a,path=/"))},
	{q: `SHOW SERIES WHERE host = 'nope'`, want: &query.Result{}},
	{q: `SHOW SERIES WHERE usage > 1`, wantErr: "invalid tag comparison operator"},
	{q: `SHOW SERIES WHERE host > 'a'`, wantErr: "invalid tag comparison operator"},
	{q: `SHOW SERIES WHERE region =~ /u/ AND host != 'a'`, want: rows(one("", "key", "cpu,host=b,region=us"))},
	{q: `SHOW SERIES FROM cpu WHERE zone !~ /./`, want: rows(one("", "key", "cpu,host=a,region=eu", "cpu,host=b,region=us"))},
	{q: `SHOW SERIES FROM cpu WHERE _name = 'cpu' AND host = 'a'`, want: rows(one("", "key", "cpu,host=a,region=eu"))},
	// Time bounds select partitions (1.8: shards), not points: host=a and
	// mem only have points at 00:00:00, in the partition of [00:00, 01:00).
	{q: `SHOW SERIES WHERE time > '2025-12-31T00:00:30Z' AND time < '2025-12-31T00:02:00Z'`, want: rows(one("", "key",
		"cpu,host=a,region=eu", "cpu,host=b,region=us", "mem,host=a"))},
	{q: `SHOW SERIES WHERE time > '2026-01-01T00:00:00Z'`, want: rows(one("", "key", `cpu,host=c\ d,zone=z\,1`, "disk,host=a,path=/"))},
	{q: `SHOW SERIES WHERE time > 0 AND time < 1`, want: &query.Result{}},
	{q: `SHOW SERIES ON nope`, wantErr: "database not found: nope"},

	// Cardinality
	{q: `SHOW SERIES CARDINALITY`, want: rows(one("", "cardinality estimation", int64(5)))},
	{q: `SHOW SERIES CARDINALITY ON empty`, want: rows(one("", "cardinality estimation", int64(0)))},
	{q: `SHOW SERIES CARDINALITY ON nope`, want: rows(one("", "cardinality estimation", int64(0)))},
	{q: `SHOW SERIES EXACT CARDINALITY ON nope`, wantErr: "database not found: nope"},
	{q: `SHOW SERIES EXACT CARDINALITY FROM cpu LIMIT 1`, want: rows(one("cpu", "count", int64(3)))},
	{q: `SHOW SERIES EXACT CARDINALITY FROM cpu LIMIT 1 OFFSET 1`, want: &query.Result{}},
	{q: `SHOW SERIES CARDINALITY WHERE time > 0`, wantErr: "SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause"},
	{q: `SHOW SERIES EXACT CARDINALITY`, want: rows(one("cpu", "count", int64(3)), one("disk", "count", int64(1)), one("mem", "count", int64(1)))},
	{q: `SHOW SERIES CARDINALITY FROM cpu WHERE host = 'a'`, want: rows(one("cpu", "count", int64(1)))},
	{q: `SHOW SERIES EXACT CARDINALITY WHERE time > now() - 1h`, wantErr: "SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause"},
	{q: `SHOW MEASUREMENT CARDINALITY`, want: rows(one("", "cardinality estimation", int64(3)))},
	{q: `SHOW MEASUREMENT CARDINALITY ON nope`, want: rows(one("", "cardinality estimation", int64(0)))},
	{q: `SHOW MEASUREMENT EXACT CARDINALITY`, want: rows(one("", "count", int64(3)))},
	{q: `SHOW MEASUREMENT EXACT CARDINALITY FROM /^(cpu|mem)$/ WHERE host = 'a'`, want: rows(one("", "count", int64(2)))},
	{q: `SHOW MEASUREMENT EXACT CARDINALITY ON empty`, want: &query.Result{}},
	{q: `SHOW TAG KEY CARDINALITY`, want: rows(one("cpu", "count", int64(3)), one("disk", "count", int64(2)), one("mem", "count", int64(1)))},
	{q: `SHOW TAG KEY EXACT CARDINALITY FROM cpu WHERE region = 'eu'`, want: rows(one("cpu", "count", int64(2)))},
	{q: `SHOW TAG KEY CARDINALITY WHERE time > 0`, wantErr: "SHOW TAG KEY EXACT CARDINALITY doesn't support time in WHERE clause"},
	{q: `SHOW TAG VALUES CARDINALITY WITH KEY = host`, want: rows(one("cpu", "count", int64(3)), one("disk", "count", int64(1)), one("mem", "count", int64(1)))},
	{q: `SHOW TAG VALUES EXACT CARDINALITY FROM cpu WITH KEY IN (host, region) WHERE region = 'us'`, want: rows(one("cpu", "count", int64(2)))},
	{q: `SHOW TAG VALUES CARDINALITY WITH KEY IN (host, region)`, want: rows(one("cpu", "count", int64(5)), one("disk", "count", int64(1)), one("mem", "count", int64(1)))},
	{q: `SHOW FIELD KEY CARDINALITY`, want: rows(one("cpu", "count", int64(2)), one("disk", "count", int64(1)), one("mem", "count", int64(3)))},
	{q: `SHOW FIELD KEY EXACT CARDINALITY FROM /^(cpu|disk)$/`, want: rows(one("cpu", "count", int64(2)), one("disk", "count", int64(1)))},
	{q: `SHOW FIELD KEY CARDINALITY WHERE host = 'a'`, want: rows(one("cpu", "count", int64(2)), one("disk", "count", int64(1)), one("mem", "count", int64(3)))},
	{q: `SHOW FIELD KEY CARDINALITY WHERE region = 'eu'`, want: rows(one("cpu", "count", int64(2)))},

	// Not ours.
	{q: `SHOW DATABASES`, wantErr: "statement not supported yet: SHOW DATABASES"},
}

func TestDropAndDelete(t *testing.T) {
	e, ex, dir := openMeta(t)
	runCases(t, ex, []metaCase{
		{q: `DROP SERIES FROM cpu WHERE time > 0`, wantErr: "DROP SERIES doesn't support time in WHERE clause"},
		{q: `DROP MEASUREMENT cpu`, db: "-", wantErr: "database name required"},
		{q: `DROP MEASUREMENT cpu`, db: "nope", wantErr: "database not found: nope"},
		{q: `DELETE FROM cpu`, db: "-", wantErr: "database name required"},
		{q: `DROP SERIES FROM cpu WHERE host = 'b'`, want: &query.Result{}},
		{q: `SHOW SERIES FROM cpu`, want: rows(one("", "key", "cpu,host=a,region=eu", `cpu,host=c\ d,zone=z\,1`))},
		{q: `SHOW TAG VALUES FROM cpu WITH KEY = region`, want: rows(row("cpu", kv, []any{"region", "eu"}))},
		{q: `DROP MEASUREMENT mem`, want: &query.Result{}},
		{q: `DROP MEASUREMENT nope`, want: &query.Result{}},
		{q: `SHOW MEASUREMENTS`, want: rows(one("measurements", "name", "cpu", "disk"))},
		{q: `SHOW FIELD KEYS FROM mem`, want: &query.Result{}},
		// DELETE of day one: cpu,host=a has no data left and leaves the index, as in 1.8.
		{q: `DELETE FROM cpu WHERE time < '2026-01-01T00:00:00Z'`, want: &query.Result{}},
		{q: `SHOW SERIES`, want: rows(one("", "key", `cpu,host=c\ d,zone=z\,1`, "disk,host=a,path=/"))},
		{q: `DELETE WHERE path = '/'`, want: &query.Result{}},
		{q: `DELETE FROM nope`, want: &query.Result{}},
		{q: `SHOW MEASUREMENTS`, want: rows(one("measurements", "name", "cpu"))},
	})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := openMetaDir(t, dir)
	defer e2.Close()
	ex2 := query.New(query.Options{Storage: e2, Now: func() time.Time { return metaNow }})
	runCases(t, ex2, []metaCase{
		{q: `SHOW SERIES`, want: rows(one("", "key", `cpu,host=c\ d,zone=z\,1`))},
		{q: `SHOW FIELD KEYS`, want: rows(row("cpu", []string{"fieldKey", "fieldType"}, []any{"idle", "integer"}, []any{"usage", "float"}))},
	})
	// mem's field types are gone: free may now be a float.
	writeLines(t, e2, "db", `mem,host=z free=1.5 1767225600000000000`)
	runCases(t, ex2, []metaCase{
		{q: `SHOW FIELD KEYS FROM mem`, want: rows(row("mem", []string{"fieldKey", "fieldType"}, []any{"free", "float"}))},
		{q: `SHOW SERIES FROM mem`, want: rows(one("", "key", "mem,host=z"))},
	})
}

func TestMetaErrorsAreNotSupportedForOthers(t *testing.T) {
	e, ex, _ := openMeta(t)
	defer e.Close()
	for _, q := range []string{`SHOW RETENTION POLICIES`, `SHOW QUERIES`, `KILL QUERY 1`, `SHOW CONTINUOUS QUERIES`, `SHOW USERS`} {
		_, err := run(t, ex, "db", q)
		if !errors.Is(err, query.ErrStatementNotSupported) {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// metaBench holds databases of 1,000,000 series of one measurement, in the
// head or flushed to parts: host has a value per series, rack 1,000 values,
// region 10.
var metaBench [2]struct {
	once sync.Once
	ex   *query.Executor
	err  error
}

const metaBenchSeries = 1_000_000

func metaBenchSetup(b *testing.B, flushed bool) *query.Executor {
	mb := &metaBench[0]
	if flushed {
		mb = &metaBench[1]
	}
	mb.once.Do(func() { mb.ex, mb.err = newMetaBench(flushed) })
	if mb.err != nil {
		b.Fatal(mb.err)
	}
	return mb.ex
}

func newMetaBench(flushed bool) (*query.Executor, error) {
	dir, err := os.MkdirTemp("", "fieldhub-meta-bench")
	if err != nil {
		return nil, err
	}
	e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none", HeadMemoryLimit: 8 << 30, FlushSize: 8 << 30,
		CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "bench", nil); err != nil {
		return nil, err
	}
	t0 := metaNow.UnixNano()
	for i := 0; i < metaBenchSeries; {
		batch, err := e.NewBatch("bench", "")
		if err != nil {
			return nil, err
		}
		for n := 0; n < 10000 && i < metaBenchSeries; n, i = n+1, i+1 {
			p := model.Point{Measurement: []byte("device"), Time: t0 + int64(i%3600)*1e9,
				Tags: []model.Tag{
					{Key: []byte("host"), Value: fmt.Appendf(nil, "h%07d", i)},
					{Key: []byte("rack"), Value: fmt.Appendf(nil, "r%03d", i%1000)},
					{Key: []byte("region"), Value: fmt.Appendf(nil, "eu-%d", i%10)},
				},
				Fields: []model.Field{{Key: []byte("v"), Type: model.Float, F: float64(i)}}}
			if err := batch.Add(&p); err != nil {
				return nil, err
			}
		}
		err = e.Commit(ctx, batch)
		batch.Release()
		if err != nil {
			return nil, err
		}
	}
	if flushed {
		if err := e.Flush(ctx); err != nil {
			return nil, err
		}
	}
	return query.New(query.Options{Storage: e, Now: func() time.Time { return metaNow }}), nil
}

// BenchmarkMetaStatements runs SHOW statements over 1,000,000 series:
//
//	go test ./internal/query -run '^$' -bench MetaStatements -benchtime 10x
func BenchmarkMetaStatements(b *testing.B) {
	for _, data := range []string{"parts", "head"} {
		for _, bc := range []struct{ name, q string }{
			{"show-measurements", `SHOW MEASUREMENTS`},
			{"tag-keys", `SHOW TAG KEYS`},
			{"tag-values-region", `SHOW TAG VALUES WITH KEY = region`},
			{"tag-values-region-where-rack", `SHOW TAG VALUES WITH KEY = region WHERE rack = 'r007'`},
			{"tag-values-host-where-rack", `SHOW TAG VALUES WITH KEY = host WHERE rack = 'r007'`},
			{"tag-values-host-all", `SHOW TAG VALUES WITH KEY = host`},
			{"tag-values-region-time", `SHOW TAG VALUES WITH KEY = region WHERE time > now() - 1h`},
			{"series-where-rack", `SHOW SERIES WHERE rack = 'r007'`},
			{"series-where-region", `SHOW SERIES WHERE region = 'eu-3'`},
			{"series-all-limit-10", `SHOW SERIES LIMIT 10`},
			{"series-cardinality", `SHOW SERIES CARDINALITY`},
			{"series-exact-cardinality-where", `SHOW SERIES EXACT CARDINALITY WHERE region =~ /eu-[1-3]/`},
			{"tag-values-cardinality-host", `SHOW TAG VALUES CARDINALITY WITH KEY = host`},
		} {
			b.Run("data="+data+"/q="+bc.name, func(b *testing.B) {
				ex := metaBenchSetup(b, data == "parts")
				stmt, err := influxql.ParseStatement(bc.q)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := ex.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: "bench"}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
