package cq

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type env struct {
	t    *testing.T
	dir  string
	e    *tsdb.Engine
	exec *query.Executor
	clk  *clock
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none",
		CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.CreateDatabase(context.Background(), "db", nil); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return &env{t: t, dir: dir, e: e, clk: clk, exec: query.New(query.Options{Storage: e, Now: clk.Now})}
}

func (v *env) service() *Service {
	s, err := Open(Options{Dir: v.dir, Exec: v.exec, Now: v.clk.Now, Databases: func() []string {
		var out []string
		for _, d := range v.e.Databases() {
			out = append(out, d.Name)
		}
		return out
	}})
	if err != nil {
		v.t.Fatal(err)
	}
	return s
}

func (v *env) exec1(s *Service, q string) *query.Result {
	v.t.Helper()
	stmt, err := influxql.ParseStatement(q)
	if err != nil {
		v.t.Fatal(err)
	}
	res, err := s.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: "db"})
	if err != nil {
		v.t.Fatalf("%s: %v", q, err)
	}
	return res
}

// writeMinutes writes one point per minute with value = minute index.
func (v *env) writeMinutes(from time.Time, n int) {
	b, err := v.e.NewBatch("db", "autogen")
	if err != nil {
		v.t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		p := model.Point{Measurement: []byte("m"), Tags: []model.Tag{{Key: []byte("dev"), Value: []byte("d1")}},
			Fields: []model.Field{{Key: []byte("v"), Type: model.Float, F: float64(i)}}, Time: from.Add(time.Duration(i) * time.Minute).UnixNano()}
		if err := b.Add(&p); err != nil {
			v.t.Fatal(err)
		}
	}
	if err := v.e.Commit(context.Background(), b); err != nil {
		v.t.Fatal(err)
	}
}

func rowsString(res *query.Result) string {
	var b strings.Builder
	for _, r := range res.Series {
		for _, vals := range r.Values {
			fmt.Fprintln(&b, vals...)
		}
	}
	return b.String()
}

func TestCreateShowDrop(t *testing.T) {
	v := newEnv(t)
	s := v.service()
	q := `CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT mean(v) INTO m_10m FROM m GROUP BY time(10m), * END`
	v.exec1(s, q)
	v.exec1(s, q) // identical: accepted
	stmt, _ := influxql.ParseStatement(strings.Replace(q, "mean", "max", 1))
	if _, err := s.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{}); err == nil || err.Error() != "continuous query already exists" {
		t.Fatalf("want already exists, got %v", err)
	}
	res := v.exec1(s, "SHOW CONTINUOUS QUERIES")
	if len(res.Series) != 1 || res.Series[0].Name != "db" || len(res.Series[0].Values) != 1 || res.Series[0].Values[0][0] != "cq1" {
		t.Fatalf("show: %+v", res.Series)
	}
	// The definition survives a restart.
	s2 := v.service()
	if got := v.exec1(s2, "SHOW CONTINUOUS QUERIES"); len(got.Series[0].Values) != 1 {
		t.Fatalf("after reopen: %+v", got.Series)
	}
	v.exec1(s2, "DROP CONTINUOUS QUERY cq1 ON db")
	stmt, _ = influxql.ParseStatement("DROP CONTINUOUS QUERY cq1 ON db")
	if _, err := s2.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{}); err != nil {
		t.Fatalf("dropping a missing query: %v (InfluxDB 1.8 accepts it)", err)
	}
	stmt, _ = influxql.ParseStatement(`CREATE CONTINUOUS QUERY x ON nodb BEGIN SELECT mean(v) INTO a FROM m GROUP BY time(1m) END`)
	if _, err := s2.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{}); err == nil || err.Error() != "database not found: nodb" {
		t.Fatalf("want database not found, got %v", err)
	}
}

func TestScheduleAndCatchUp(t *testing.T) {
	v := newEnv(t)
	start := v.clk.Now()
	v.writeMinutes(start, 120)
	s := v.service()
	v.exec1(s, `CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) AS v INTO m_10m FROM m GROUP BY time(10m), * END`)
	if n := s.RunDue(context.Background()); n != 0 {
		t.Fatalf("ran %d times before the first boundary", n)
	}
	v.clk.Set(start.Add(10*time.Minute + time.Second))
	if n := s.RunDue(context.Background()); n != 1 {
		t.Fatalf("runs at first boundary = %d, want 1", n)
	}
	// The hub is down for 40 minutes: a new service catches up 4 runs.
	v.clk.Set(start.Add(50*time.Minute + time.Second))
	s2 := v.service()
	if n := s2.RunDue(context.Background()); n != 4 {
		t.Fatalf("catch-up runs = %d, want 4", n)
	}
	stmt, _ := influxql.ParseStatement("SELECT v FROM m_10m")
	res, err := v.exec.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: "db"})
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for w := 0; w < 5; w++ {
		want += fmt.Sprintln(start.Add(time.Duration(w)*10*time.Minute).UnixNano(), float64(w*10)+4.5)
	}
	if got := rowsString(res); got != want {
		t.Fatalf("downsampled rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestResampleFor(t *testing.T) {
	v := newEnv(t)
	start := v.clk.Now()
	s := v.service()
	v.exec1(s, `CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 10m FOR 30m BEGIN SELECT count(v) AS n INTO m_c FROM m GROUP BY time(10m) END`)
	// Data arrives late: the 0-10m interval is written after its first run.
	v.clk.Set(start.Add(10*time.Minute + time.Second))
	s.RunDue(context.Background())
	v.writeMinutes(start, 30)
	v.clk.Set(start.Add(30*time.Minute + time.Second))
	s.RunDue(context.Background())
	stmt, _ := influxql.ParseStatement("SELECT n FROM m_c")
	res, err := v.exec.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: "db"})
	if err != nil {
		t.Fatal(err)
	}
	// The catch-up run at 20m covers [-10m, 20m): its empty first window
	// counts 0, as InfluxDB's count() reports empty windows.
	want := fmt.Sprintln(start.Add(-10*time.Minute).UnixNano(), int64(0))
	for w := 0; w < 3; w++ {
		want += fmt.Sprintln(start.Add(time.Duration(w)*10*time.Minute).UnixNano(), int64(10))
	}
	if got := rowsString(res); got != want {
		t.Fatalf("resampled rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestDroppedDatabaseDropsQueries(t *testing.T) {
	v := newEnv(t)
	s := v.service()
	v.exec1(s, `CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1m) END`)
	if err := v.e.DropDatabase(context.Background(), "db"); err != nil {
		t.Fatal(err)
	}
	s.RunDue(context.Background())
	if res := v.exec1(s, "SHOW CONTINUOUS QUERIES"); len(res.Series) != 0 {
		t.Fatalf("queries of a dropped database are still listed: %+v", res.Series)
	}
}
