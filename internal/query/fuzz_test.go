package query_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// FuzzQuery runs arbitrary InfluxQL on small data sets (four variants,
// picked by the first input) and requires a clean answer or a clean error:
// no panic, no hang past the guards, rows whose width matches their columns.
func FuzzQuery(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.txt")
	for _, path := range files {
		fh, err := os.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		prevQuery := false
		for sc.Scan() {
			line := sc.Text()
			if prevQuery {
				f.Add(uint8(len(line)), line)
			}
			prevQuery = strings.HasPrefix(line, "query")
		}
		fh.Close()
	}
	f.Add(uint8(3), "SELECT derivative(mean(v), 1s) FROM m WHERE time > 0 GROUP BY time(7ns) fill(linear)")
	f.Fuzz(func(t *testing.T, variant uint8, q string) {
		stmt, err := influxql.ParseStatement(q)
		if err != nil {
			return
		}
		switch stmt.(type) {
		case *influxql.SelectStatement, *influxql.ExplainStatement, *influxql.ShowMeasurementsStatement,
			*influxql.ShowTagKeysStatement, *influxql.ShowTagValuesStatement, *influxql.ShowFieldKeysStatement,
			*influxql.ShowSeriesStatement:
		default:
			return // statements that change data would make runs depend on each other
		}
		if s, ok := stmt.(*influxql.SelectStatement); ok && s.Target != nil {
			return
		}
		ex := fuzzExecutor(t, int(variant%4))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := ex.ExecuteStatement(ctx, stmt, query.ExecutionContext{Database: "db"})
		if err != nil {
			if errors.Is(err, query.ErrInternal) {
				t.Fatalf("%s: %v", q, err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("%s: empty error", q)
			}
			return
		}
		for _, r := range res.Series {
			for _, v := range r.Values {
				if len(v) != len(r.Columns) {
					t.Fatalf("%s: row %v does not match columns %v", q, v, r.Columns)
				}
			}
		}
	})
}

var (
	fuzzMu    sync.Mutex
	fuzzExecs = map[int]*query.Executor{}
)

// fuzzExecutor returns an executor over data set v (built once per process).
func fuzzExecutor(t *testing.T, v int) *query.Executor {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	if ex := fuzzExecs[v]; ex != nil {
		return ex
	}
	dir, err := os.MkdirTemp("", "fieldhub-fuzzquery")
	if err != nil {
		t.Fatal(err)
	}
	e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none",
		CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateDatabase(context.Background(), "db", nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	base := int64(1748736000) * 1e9
	for i := 0; i < 40+v*20; i++ {
		t := base + int64(i)*int64(time.Duration(37+v*11)*time.Second)
		switch {
		case i%(5+v) == 0:
			fmt.Fprintf(&b, "cpu,host=h%d,region=r%d usage=%d.%d,count=%di,ok=%t,note=\"n%d\" %d\n", i%3, v, i*7%50, i%10, i%9-4, i%2 == 0, i%4, t)
		case i%3 == 1:
			fmt.Fprintf(&b, "cpu,host=h%d count=%di %d\n", i%3, -i, t)
		default:
			fmt.Fprintf(&b, "cpu,host=h%d,region=r%d usage=%d.5 %d\n", i%3, (i+v)%2, i%37, t)
		}
		fmt.Fprintf(&b, "h2o_feet,location=l%d water_level=%d.25,level\\ description=\"d%d\" %d\n", i%2, i%8, i%3, t)
		fmt.Fprintf(&b, "m,k=v%d v=%du %d\n", i%4, i*3, t)
	}
	writeLines(t, e, "db", b.String())
	if v%2 == 1 {
		if err := e.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ex := query.New(query.Options{Storage: e, Now: func() time.Time { return time.Unix(0, base).Add(24 * time.Hour) },
		MaxSelectBuckets: 20000, MaxSelectPoints: 1_000_000, MaxSelectSeries: 1000})
	fuzzExecs[v] = ex
	return ex
}
