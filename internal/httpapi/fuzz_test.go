package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/influxdata/influxql"
)

// FuzzWrite posts arbitrary bodies (optionally claimed to be gzip) to /write
// with a real engine. Every request must get 204 or a 400/413 with InfluxDB's
// error shape, and the server must stay healthy.
func FuzzWrite(f *testing.F) {
	env := newTestEnv(f, func(o *Options) { o.MaxBodySize = 1 << 16 })
	f.Add([]byte("cpu,host=a usage=1 1\ncpu,host=a usage=2i 2\nbad"), false, "ns")
	f.Add([]byte("m,t=\\ x f=\"a\\\"b\",g=1u,h=T 1700000000"), false, "s")
	f.Add(gz(f, []byte("mem free=1i 1\n")), true, "ms")
	f.Add([]byte("\xff\xfe v=1"), true, "")
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool, prec string) {
		hdr := map[string]string{}
		if gzipped {
			hdr["Content-Encoding"] = "gzip"
		}
		w := env.do(t, "POST", "/write?db=db&precision="+url.QueryEscape(prec), body, hdr)
		switch w.Code {
		case http.StatusNoContent:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if !strings.HasPrefix(w.Body.String(), `{"error":"`) || w.Header().Get("X-Influxdb-Error") == "" {
				t.Fatalf("error response without InfluxDB shape: %q", w.Body)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// FuzzQuery sends arbitrary InfluxQL and bound parameters to /query against a real engine, by GET
// (read-only statements only) or POST (catalog changes too). Every answer
// must be 200 with one result per statement, or a 400/405 in InfluxDB's
// error shape; never a 5xx or a panic.
func FuzzQuery(f *testing.F) {
	// An in-memory filesystem: catalog changes fsync on disk, and a fuzzer
	// creates and drops thousands of databases.
	env := newTestEnvWithEngine(f, func(o *tsdb.Options) { o.FS = vfs.NewMem() }, nil)
	for _, q := range []string{
		"SHOW DATABASES",
		"CREATE DATABASE d WITH DURATION 7d REPLICATION 1 SHARD DURATION 1d NAME w",
		"CREATE RETENTION POLICY r ON db DURATION 2h REPLICATION 1 SHARD DURATION 1h DEFAULT; SHOW RETENTION POLICIES ON db",
		"ALTER RETENTION POLICY r ON db DURATION 4h REPLICATION 2 SHARD DURATION 30m DEFAULT",
		"DROP RETENTION POLICY r ON db; DROP DATABASE d",
		"SELECT mean(v) FROM cpu WHERE time > now() - 1h GROUP BY time(1m)",
		`CREATE DATABASE "a\"b"`,
		"SELEKT",
	} {
		f.Add(q, "", true)
		f.Add(q, "", false)
	}
	f.Add("SELECT v FROM cpu WHERE host = $h AND n > $n", `{"h":"a","n":1.5}`, false)
	f.Add("SHOW RETENTION POLICIES ON $db", `{"db":"db"}`, false)
	f.Fuzz(func(t *testing.T, q, params string, post bool) {
		method := "GET"
		if post {
			method = "POST"
		}
		v := url.Values{"db": {"db"}, "q": {q}}
		if params != "" {
			v.Set("params", params)
		}
		w := env.do(t, method, "/query?"+v.Encode(), nil, nil)
		switch w.Code {
		case http.StatusOK:
			var resp Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("200 with a body that is not JSON: %v: %q", err, w.Body)
			}
			parser := influxql.NewParser(strings.NewReader(q))
			if params != "" {
				pm, err := parseBindParams(params)
				if err != nil {
					t.Fatalf("200 with params that do not parse: %v", err)
				}
				parser.SetParams(pm)
			}
			parsed, err := parser.ParseQuery()
			if err != nil {
				t.Fatalf("200 for a query that does not parse: %v", err)
			}
			if len(resp.Results) != len(parsed.Statements) {
				t.Fatalf("%d results for %d statements: %s", len(resp.Results), len(parsed.Statements), w.Body)
			}
		case http.StatusBadRequest, http.StatusMethodNotAllowed:
			if !strings.HasPrefix(w.Body.String(), `{"error":"`) || w.Header().Get("X-Influxdb-Error") == "" {
				t.Fatalf("error response without InfluxDB shape: %q", w.Body)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
