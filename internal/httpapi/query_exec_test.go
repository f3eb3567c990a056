package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/google/go-cmp/cmp"
)

// TestQueryThroughExecutor runs SELECTs through the real InfluxQL executor
// over a real engine, so the executor's raw times meet this package's
// rendering, chunking and CSV.
func TestQueryThroughExecutor(t *testing.T) {
	env := newTestEnv(t, func(o *Options) {
		o.Query = query.New(query.Options{Storage: o.Engine, Now: o.Now, MaxSelectSeries: 2})
	})
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte(
		"cpu,host=a v=1 1767225600000000000\n"+
			"cpu,host=a v=2 1767225601500000000\n"+
			"cpu,host=b v=3 1767225602000000000\n"+
			"cpu,host=a v=4 1767225603000000000\n"+
			"disk,dev=1 used=1i 1767225600000000000\ndisk,dev=2 used=2i 1767225600000000000\ndisk,dev=3 used=3i 1767225600000000000\n"), nil), http.StatusNoContent)
	const q = "SELECT v FROM cpu GROUP BY host"
	tests := []struct {
		name, params, accept, q, want string
	}{
		{"rfc3339", "", "", q,
			`{"results":[{"statement_id":0,"series":[` +
				`{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["2026-01-01T00:00:00Z",1],["2026-01-01T00:00:01.5Z",2],["2026-01-01T00:00:03Z",4]]},` +
				`{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[["2026-01-01T00:00:02Z",3]]}]}]}` + "\n"},
		{"epoch ms", "epoch=ms", "", q,
			`{"results":[{"statement_id":0,"series":[` +
				`{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[1767225600000,1],[1767225601500,2],[1767225603000,4]]},` +
				`{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[[1767225602000,3]]}]}]}` + "\n"},
		{"chunked", "chunked=true&chunk_size=2&epoch=s", "", q,
			`{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[1767225600,1],[1767225601,2]],"partial":true}],"partial":true}]}` + "\n" +
				`{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[1767225603,4]]}],"partial":true}]}` + "\n" +
				`{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[[1767225602,3]]}]}]}` + "\n"},
		{"csv", "", "text/csv", q + "; SELECT count(v) FROM cpu",
			"name,tags,time,v\n" +
				"cpu,host=a,1767225600000000000,1\ncpu,host=a,1767225601500000000,2\ncpu,host=a,1767225603000000000,4\n" +
				"cpu,host=b,1767225602000000000,3\n" +
				"\nname,tags,time,count\ncpu,,0,4\n"},
		{"tz", "", "", "SELECT v FROM cpu WHERE host = 'b' tz('America/New_York')",
			`{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["2025-12-31T19:00:02-05:00",3]]}]}]}` + "\n"},
		{"tz epoch", "epoch=s", "", "SELECT v FROM cpu WHERE host = 'b' tz('America/New_York')",
			`{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1767225602,3]]}]}]}` + "\n"},
		{"limit error", "", "", "SELECT used FROM disk; SELECT v FROM cpu",
			`{"results":[{"statement_id":0,"error":"max-select-series limit exceeded: (3/2)"},{"statement_id":1,"error":"not executed"}]}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.accept != "" {
				hdr["Accept"] = tc.accept
			}
			w := env.do(t, "GET", "/query?db=db&"+tc.params+"&q="+url.QueryEscape(tc.q), nil, hdr)
			mustStatus(t, w, http.StatusOK)
			if diff := cmp.Diff(tc.want, w.Body.String()); diff != "" {
				t.Fatalf("body (-want +got):\n%s", diff)
			}
		})
	}
	// The answer can be read back by splitting the chunks, as the influx CLI does.
	w := env.do(t, "GET", "/query?db=db&chunked=true&chunk_size=1&q="+url.QueryEscape(q), nil, nil)
	if n := strings.Count(w.Body.String(), "\n"); n != 4 {
		t.Fatalf("%d chunks, want 4: %s", n, w.Body)
	}
}
