package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
)

// TestOfficialClient starts a real server on 127.0.0.1:0 and writes to it with
// the official InfluxDB Go client (v2 API, bucket "db/rp") and plain net/http.
func TestOfficialClient(t *testing.T) {
	env := newTestEnv(t, nil)
	srv := httptest.NewServer(env.api) // listens on 127.0.0.1:0
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := http.Post(srv.URL+"/query", "application/x-www-form-urlencoded",
		strings.NewReader("q=CREATE+RETENTION+POLICY+rp+ON+db+DURATION+0s+REPLICATION+1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	client := influxdb2.NewClientWithOptions(srv.URL, "user:pass",
		influxdb2.DefaultOptions().SetPrecision(time.Millisecond).SetUseGZip(true))
	defer client.Close()
	if ok, err := client.Ping(ctx); err != nil || !ok {
		t.Fatalf("ping: %v %v", ok, err)
	}
	w := client.WriteAPIBlocking("", "db/rp")
	ts := time.UnixMilli(1700000000123)
	for i := range 3 {
		p := influxdb2.NewPoint("battery", map[string]string{"device": "bx-1"},
			map[string]any{"soc": 81.5 + float64(i), "temp": int64(29 + i), "ok": true, "fw": "1.2"}, ts.Add(time.Duration(i)*time.Second))
		if err := w.WritePoint(ctx, p); err != nil {
			t.Fatalf("write point %d: %v", i, err)
		}
	}
	if err := w.WriteRecord(ctx, "battery,device=bx-2 soc=50 1700000000000"); err != nil {
		t.Fatalf("write record: %v", err)
	}
	// A type conflict comes back to the client as an error naming the field.
	err = w.WriteRecord(ctx, `battery,device=bx-2 soc="high" 1700000001000`)
	if err == nil || !strings.Contains(err.Error(), `field type conflict: input field "soc" on measurement "battery"`) {
		t.Fatalf("conflict error = %v", err)
	}

	got := env.stored(t, "db", "rp", "battery")
	if n := len(got["battery,device=bx-1|soc"]); n != 3 {
		t.Fatalf("bx-1 soc has %d values, want 3: %v", n, got)
	}
	if n := len(got["battery,device=bx-2|soc"]); n != 1 {
		t.Fatalf("bx-2 soc has %d values, want 1: %v", n, got)
	}
	if got := env.stored(t, "db", "", "battery"); len(got) != 0 {
		t.Fatalf("data leaked into the default policy: %v", got)
	}

	// A plain gzip POST to the v1 endpoint, as Telegraf sends it.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("cpu,host=a usage_idle=99.5 1700000000\ncpu,host=b usage_idle=12 1700000000\n"))
	zw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/write?db=db&precision=s&u=x&p=y", &buf)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Influxdb-Version") != ReportedVersion {
		t.Fatalf("gzip write: %d %v", resp.StatusCode, resp.Header)
	}
	if got := env.stored(t, "db", "", "cpu"); len(got) != 2 {
		t.Fatalf("cpu series: %v", got)
	}
}
