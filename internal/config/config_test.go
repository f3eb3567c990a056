package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	c, err := Parse([]byte(`
data_dir: /var/lib/fieldhub
http:
  addr: "127.0.0.1:9999"
  max_body_size: 50MiB
log:
  format: json
storage:
  wal_sync: interval
  wal_sync_interval: 250ms
  head_memory_limit: 1GiB
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = "/var/lib/fieldhub"
	want.HTTP.Addr = "127.0.0.1:9999"
	want.HTTP.MaxBodySize = 50 << 20
	want.Log.Format = "json"
	want.Storage.WALSync = "interval"
	want.Storage.WALSyncInterval = Duration(250 * time.Millisecond)
	want.Storage.HeadMemoryLimit = 1 << 30
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if c, err := Parse(nil); err != nil || c != Default() {
		t.Fatalf("empty file: %v %+v", err, c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"data_dri: x", "field data_dri not found"},
		{"http:\n  max_body_size: lots", `size "lots"`},
		{"http:\n  shutdown_timeout: 5", `duration "5"`},
		{"http: [1, 2]", "cannot unmarshal"},
		{"storage:\n  head_memory_limit: [1]", "size must be a scalar"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.DataDir = "" }, "data_dir: must not be empty"},
		{func(c *Config) { c.HTTP.Addr = "" }, "http.addr: must not be empty"},
		{func(c *Config) { c.HTTP.Addr = "localhost" }, "http.addr:"},
		{func(c *Config) { c.HTTP.Addr = ":99999" }, "http.addr:"},
		{func(c *Config) { c.HTTP.MaxBodySize = 10 }, "http.max_body_size:"},
		{func(c *Config) { c.HTTP.ShutdownTimeout = -1 }, "http.shutdown_timeout:"},
		{func(c *Config) { c.Log.Level = "loud" }, "log.level:"},
		{func(c *Config) { c.Log.Format = "xml" }, "log.format:"},
		{func(c *Config) { c.Storage.WALSync = "sometimes" }, "storage.wal_sync:"},
		{func(c *Config) { c.Storage.WALSyncInterval = 0 }, "storage.wal_sync_interval:"},
		{func(c *Config) { c.Storage.HeadMemoryLimit = 1000 }, "storage.head_memory_limit:"},
		{func(c *Config) { c.Storage.FlushInterval = 0 }, "storage.flush_interval:"},
		{func(c *Config) { c.Storage.RetentionCheckInterval = 0 }, "storage.retention_check_interval:"},
	}
	for _, tc := range tests {
		c := Default()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate() = %v, want error containing %q", err, tc.want)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"FIELDHUB_DATA_DIR":          "/data",
		"FIELDHUB_HTTP_ADDR":         ":1234",
		"FIELDHUB_HEAD_MEMORY_LIMIT": "64MiB",
		"FIELDHUB_WAL_SYNC":          "none",
		"FIELDHUB_FLUSH_INTERVAL":    "1m",
		"UNRELATED":                  "x",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c := Default()
	if err := c.ApplyEnv(lookup); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir, want.HTTP.Addr, want.Storage.HeadMemoryLimit = "/data", ":1234", 64<<20
	want.Storage.WALSync, want.Storage.FlushInterval = "none", Duration(time.Minute)
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	env["FIELDHUB_MAX_BODY_SIZE"] = "big"
	if err := c.ApplyEnv(lookup); err == nil || !strings.Contains(err.Error(), "FIELDHUB_MAX_BODY_SIZE") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fieldhub.yaml")
	if err := os.WriteFile(p, []byte("log:\n  level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Log.Level != "debug" {
		t.Fatalf("Load: %v %+v", err, c.Log)
	}
	if _, err := Load(p + ".missing"); err == nil {
		t.Fatal("missing file loaded")
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		str  string
	}{
		{"0", 0, "0B"}, {"1048576", 1 << 20, "1MiB"}, {"25MiB", 25 << 20, "25MiB"}, {"512mib", 512 << 20, "512MiB"},
		{"1g", 1 << 30, "1GiB"}, {"10KB", 10000, "10000B"}, {"1.5KiB", 1536, "1536B"}, {" 2 TiB ", 2 << 40, "2TiB"},
		{"100B", 100, "100B"}, {"3MB", 3e6, "3000000B"},
	}
	for _, tc := range tests {
		got, err := ParseByteSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if got.String() != tc.str {
			t.Errorf("%d.String() = %q, want %q", got, got.String(), tc.str)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1XB", "NaN", "1e30GiB", "inf"} {
		if v, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want error", bad, v)
		}
	}
}

func TestQuerySettings(t *testing.T) {
	c, err := Parse([]byte(`
query:
  timeout: 30s
  max_concurrent_queries: 8
  max_select_series: 1000
  max_select_points: 5000000
  max_select_buckets: 10000
  max_memory: 256MiB
  log_queries_after: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Query{Timeout: Duration(30 * time.Second), MaxConcurrentQueries: 8, MaxSelectSeries: 1000,
		MaxSelectPoints: 5000000, MaxSelectBuckets: 10000, MaxMemory: 256 << 20, LogQueriesAfter: Duration(2 * time.Second)}
	if diff := cmp.Diff(want, c.Query); diff != "" {
		t.Fatalf("yaml (-want +got):\n%s", diff)
	}
	if Default().Query != (Query{MaxMemory: 1 << 30}) {
		t.Fatalf("default query limits %+v, want only 1GiB of memory", Default().Query)
	}

	env := map[string]string{
		"FIELDHUB_QUERY_TIMEOUT":          "1m",
		"FIELDHUB_MAX_CONCURRENT_QUERIES": "2",
		"FIELDHUB_MAX_SELECT_SERIES":      "3",
		"FIELDHUB_MAX_SELECT_POINTS":      "4",
		"FIELDHUB_MAX_SELECT_BUCKETS":     "5",
		"FIELDHUB_LOG_QUERIES_AFTER":      "6s",
		"FIELDHUB_MAX_QUERY_MEMORY":       "64MiB",
	}
	c = Default()
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	want = Query{Timeout: Duration(time.Minute), MaxConcurrentQueries: 2, MaxSelectSeries: 3, MaxSelectPoints: 4,
		MaxSelectBuckets: 5, MaxMemory: 64 << 20, LogQueriesAfter: Duration(6 * time.Second)}
	if diff := cmp.Diff(want, c.Query); diff != "" {
		t.Fatalf("env (-want +got):\n%s", diff)
	}
	c = Default()
	err = c.ApplyEnv(func(k string) (string, bool) { return "many", k == "FIELDHUB_MAX_SELECT_SERIES" })
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "FIELDHUB_MAX_SELECT_SERIES") {
		t.Fatalf("bad integer: %v", err)
	}

	for key, mod := range map[string]func(*Query){
		"query.timeout":                func(q *Query) { q.Timeout = -1 },
		"query.max_concurrent_queries": func(q *Query) { q.MaxConcurrentQueries = -1 },
		"query.max_select_series":      func(q *Query) { q.MaxSelectSeries = -1 },
		"query.max_select_points":      func(q *Query) { q.MaxSelectPoints = -1 },
		"query.max_select_buckets":     func(q *Query) { q.MaxSelectBuckets = -1 },
		"query.log_queries_after":      func(q *Query) { q.LogQueriesAfter = -1 },
		"query.max_memory":             func(q *Query) { q.MaxMemory = -1 },
	} {
		c := Default()
		mod(&c.Query)
		if err := c.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key+": must not be negative") {
			t.Errorf("%s negative: %v", key, err)
		}
	}
}
