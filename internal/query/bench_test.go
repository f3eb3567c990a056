package query_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/sim"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// The benchmarks run bench/query.sh's queries in process on a smaller cpu
// data set (100 hosts, 6 h at 10 s, 2.16M values), flushed to parts, so the
// executor can be profiled without the HTTP layer:
//
//	go test ./internal/query -run '^$' -bench Query -cpuprofile cpu.out

var (
	benchOnce sync.Once
	benchExec *query.Executor
	benchErr  error
)

func benchSetup(b *testing.B) *query.Executor {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fieldhub-query-bench")
		if err != nil {
			benchErr = err
			return
		}
		e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: dir, WALSync: "none",
			CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour})
		if err != nil {
			benchErr = err
			return
		}
		ctx := context.Background()
		if err := e.CreateDatabase(ctx, "bench", nil); err != nil {
			benchErr = err
			return
		}
		gen, err := sim.New(sim.Config{Workload: "cpu", Scale: 100, PointsPerSeries: 2160, Precision: sim.Second})
		if err != nil {
			benchErr = err
			return
		}
		var buf []byte
		var p lineproto.Parser
		var pt model.Point
		for done := false; !done; {
			buf = buf[:0]
			for n := 0; n < 5000; n++ {
				var ok bool
				buf, _, ok = gen.Next(buf)
				if !ok {
					done = true
					break
				}
			}
			bt, err := e.NewBatch("bench", "")
			if err != nil {
				benchErr = err
				return
			}
			p.Reset(buf, lineproto.Second, 0)
			for {
				ok, err := p.Next(&pt)
				if err != nil {
					benchErr = err
					return
				}
				if !ok {
					break
				}
				if err := bt.Add(&pt); err != nil {
					benchErr = err
					return
				}
			}
			if err := e.Commit(ctx, bt); err != nil {
				benchErr = err
				return
			}
		}
		if err := e.Flush(ctx); err != nil {
			benchErr = err
			return
		}
		benchExec = query.New(query.Options{Storage: e})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchExec
}

func benchQuery(b *testing.B, q string) {
	ex := benchSetup(b)
	stmt, err := influxql.ParseStatement(q)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := ex.ExecuteStatement(ctx, stmt, query.ExecutionContext{Database: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Series) == 0 {
			b.Fatal("no result")
		}
	}
}

const allMeans = "mean(usage_user), mean(usage_system), mean(usage_idle), mean(usage_nice), mean(usage_iowait), mean(usage_irq), mean(usage_softirq), mean(usage_steal), mean(usage_guest), mean(usage_guest_nice)"

func BenchmarkQueryA_MaxOneHost1h(b *testing.B) {
	benchQuery(b, "SELECT max(usage_user) FROM cpu WHERE hostname = 'host_1' AND time >= '2024-01-01T02:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(1m)")
}

func BenchmarkQueryB_Max5Fields8Hosts(b *testing.B) {
	benchQuery(b, "SELECT max(usage_user), max(usage_system), max(usage_idle), max(usage_nice), max(usage_iowait) FROM cpu WHERE (hostname = 'host_1' OR hostname = 'host_9' OR hostname = 'host_17' OR hostname = 'host_25' OR hostname = 'host_33' OR hostname = 'host_41' OR hostname = 'host_49' OR hostname = 'host_57') AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T06:00:00Z' GROUP BY time(1h)")
}

func BenchmarkQueryC_MeanAllByHour(b *testing.B) {
	benchQuery(b, "SELECT "+allMeans+" FROM cpu WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T06:00:00Z' GROUP BY time(1h), hostname")
}

func BenchmarkQueryD_LastPerHost(b *testing.B) {
	benchQuery(b, "SELECT last(*) FROM cpu GROUP BY hostname")
}

func BenchmarkQueryE_Threshold(b *testing.B) {
	benchQuery(b, "SELECT count(usage_user) FROM cpu WHERE (usage_user > 99 OR usage_system > 99) AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T06:00:00Z' GROUP BY hostname")
}

func BenchmarkQueryF_MeanAllByMinute(b *testing.B) {
	benchQuery(b, "SELECT "+allMeans+" FROM cpu WHERE time >= '2024-01-01T02:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(1m), hostname")
}

func BenchmarkQueryRaw(b *testing.B) {
	benchQuery(b, "SELECT usage_user, usage_system FROM cpu WHERE hostname = 'host_3' AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T01:00:00Z'")
}
