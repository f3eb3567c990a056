package query_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

var (
	lastOnce sync.Once
	lastExec *query.Executor
)

// BenchmarkLastPerHost1000 is bench/query.sh's query (d) in process: the
// latest value of 10 fields for each of 1,000 hosts, from flushed parts.
func BenchmarkLastPerHost1000(b *testing.B) {
	lastOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fieldhub-lastbench")
		if err != nil {
			b.Fatal(err)
		}
		e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none",
			CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.CreateDatabase(context.Background(), "bench", nil); err != nil {
			b.Fatal(err)
		}
		var sb strings.Builder
		for h := 0; h < 1000; h++ {
			for i := 0; i < 5; i++ {
				fmt.Fprintf(&sb, "cpu,hostname=host_%d,region=r%d ", h, h%7)
				for f := 0; f < 10; f++ {
					if f > 0 {
						sb.WriteByte(',')
					}
					fmt.Fprintf(&sb, "usage_%d=%d.5", f, (h+i+f)%97)
				}
				fmt.Fprintf(&sb, " %d\n", int64(1704067200+i*10)*1e9)
			}
		}
		writeLines(b, e, "bench", sb.String())
		if err := e.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		lastExec = query.New(query.Options{Storage: e})
	})
	stmt := influxql.MustParseStatement("SELECT last(*) FROM cpu GROUP BY hostname")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := lastExec.ExecuteStatement(context.Background(), stmt, query.ExecutionContext{Database: "bench"})
		if err != nil || len(res.Series) != 1000 {
			b.Fatalf("%v %d", err, len(res.Series))
		}
	}
}
