package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// FuzzQueryFormats runs arbitrary queries through the real executor with
// every answer format and checks the framing: JSON answers (each chunk of a
// chunked one) decode, chunks never carry more values than chunk_size, CSV
// answers are valid CSV, and every error is in the format asked for.
func FuzzQueryFormats(f *testing.F) {
	env := newTestEnvWithEngine(f, func(o *tsdb.Options) { o.FS = vfs.NewMem() }, func(o *Options) {
		o.Query = query.New(query.Options{Storage: o.Engine, Now: o.Now, MaxSelectPoints: 100000, MaxSelectBuckets: 10000})
	})
	w := env.do(f, "POST", "/write?db=db", []byte("cpu,host=a v=1,s=\"x,y\" 1767225600000000000\ncpu,host=b v=2 1767225601000000000\n"+
		"cpu,host=a v=3 1767225602000000000\nmem,host=a free=10i 1767225600000000000\n"), nil)
	mustStatus(f, w, http.StatusNoContent)
	for _, q := range []string{
		"SELECT * FROM cpu", "SELECT v FROM cpu GROUP BY host", "SELECT mean(v) FROM cpu WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-01T00:00:05Z' GROUP BY time(1s)",
		"SHOW DATABASES; SELECT * FROM mem; SHOW QUERIES", "SELECT nosuch(v) FROM cpu", "SELEKT",
	} {
		f.Add(q, "", uint8(0), int16(0))
		f.Add(q, "ms", uint8(1), int16(1))
		f.Add(q, "", uint8(2), int16(2))
		f.Add(q, "h", uint8(3), int16(-1))
	}
	f.Fuzz(func(t *testing.T, q, epoch string, format uint8, chunk int16) {
		accept := []string{"", "application/json", "text/csv", "application/csv;q=0.9, application/json;q=0.1"}[format%4]
		v := url.Values{"db": {"db"}, "q": {q}, "epoch": {epoch}}
		if chunk != 0 {
			v.Set("chunked", "true")
			v.Set("chunk_size", strconv.Itoa(int(chunk)))
		}
		w := env.do(t, "GET", "/query?"+v.Encode(), nil, map[string]string{"Accept": accept})
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		body := w.Body.Bytes()
		if strings.HasSuffix(w.Header().Get("Content-Type"), "csv") {
			r := csv.NewReader(bytes.NewReader(body))
			r.FieldsPerRecord = -1
			if _, err := r.ReadAll(); err != nil {
				t.Fatalf("invalid CSV: %v: %q", err, body)
			}
			return
		}
		size := int(chunk)
		if size <= 0 {
			size = DefaultChunkSize
		}
		if len(body) == 0 && chunk != 0 {
			return // a query of no statements streams nothing, as in InfluxDB
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			var resp Response
			if err := json.Unmarshal(line, &resp); err != nil {
				t.Fatalf("invalid JSON message: %v: %q", err, line)
			}
			if chunk == 0 || w.Code != http.StatusOK {
				continue
			}
			if len(resp.Results) != 1 || len(resp.Results[0].Series) > 1 {
				t.Fatalf("chunk with %d results: %q", len(resp.Results), line)
			}
			if s := resp.Results[0].Series; len(s) == 1 && len(s[0].Values) > size {
				t.Fatalf("chunk of %d values, chunk_size %d", len(s[0].Values), size)
			}
		}
	})
}
