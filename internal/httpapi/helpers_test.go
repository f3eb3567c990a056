package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/prometheus/client_golang/prometheus"
)

// testNow is the clock of points without a timestamp.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type testEnv struct {
	e   *tsdb.Engine
	api *API
	reg *prometheus.Registry
}

// newTestEnv opens a real engine in a temp dir with database "db" and wraps it in an API.
func newTestEnv(t testing.TB, mod func(*Options)) *testEnv {
	return newTestEnvWithEngine(t, nil, mod)
}

// newTestEnvWithEngine is newTestEnv with a hook to adjust the engine's options.
func newTestEnvWithEngine(t testing.TB, engineMod func(*tsdb.Options), mod func(*Options)) *testEnv {
	t.Helper()
	reg := prometheus.NewRegistry()
	eo := tsdb.Options{
		Dir: t.TempDir(), Registerer: reg, WALSync: "none",
		CompactionInterval: time.Hour, RetentionInterval: time.Hour, FlushInterval: time.Hour,
	}
	if engineMod != nil {
		engineMod(&eo)
	}
	e, err := tsdb.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	if err := e.CreateDatabase(context.Background(), "db", nil); err != nil {
		t.Fatal(err)
	}
	opts := Options{Engine: e, Registry: reg, Version: "test", Now: func() time.Time { return testNow }}
	if mod != nil {
		mod(&opts)
	}
	api, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{e: e, api: api, reg: reg}
}

// do sends a request through the handler and returns the recorder.
func (env *testEnv) do(t testing.TB, method, target string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	env.api.ServeHTTP(w, r)
	return w
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stored returns "series|field" → values (as float64) in db/rp for measurement m.
func (env *testEnv) stored(t testing.TB, db, rp, m string) map[string][]float64 {
	t.Helper()
	ctx := context.Background()
	series, err := env.e.SelectSeries(ctx, db, rp, m, nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[uint64]string{}
	var ids []uint64
	for _, s := range series {
		keys[s.ID] = s.Key()
		ids = append(ids, s.ID)
	}
	fields, err := env.e.Fields(db, m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fields {
		names = append(names, f.Name)
	}
	out := map[string][]float64{}
	err = env.e.ReadSeries(ctx, db, rp, ids, names, math.MinInt64, math.MaxInt64, func(sb *tsdb.SeriesBatch) error {
		for _, c := range sb.Columns {
			for i := range sb.Timestamps {
				if !c.IsValid(i) {
					continue
				}
				var v float64
				switch c.Type {
				case model.Float:
					v = c.Floats[i]
				case model.Integer:
					v = float64(c.Integers[i])
				case model.Unsigned:
					v = float64(c.Unsigned[i])
				case model.Boolean:
					if c.Bools[i] {
						v = 1
					}
				case model.String:
					v = float64(len(c.Strings[i]))
				}
				k := keys[sb.SeriesID] + "|" + c.Name
				out[k] = append(out[k], v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustStatus(t testing.TB, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d; body %s", w.Code, want, w.Body.String())
	}
}
