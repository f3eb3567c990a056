package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid is wrapped by every validation and parse error of a setting.
var ErrInvalid = errors.New("invalid configuration")

// Config is the whole process configuration. Its YAML keys are the snake_case
// names in the struct tags; Default returns the values used for anything unset.
type Config struct {
	// DataDir is the storage engine's data directory.
	DataDir string `yaml:"data_dir"`
	// HTTP configures the HTTP API listener.
	HTTP HTTP `yaml:"http"`
	// Log configures the process logger.
	Log Log `yaml:"log"`
	// Storage configures the storage engine.
	Storage Storage `yaml:"storage"`
	// Query configures InfluxQL query limits and management.
	Query Query `yaml:"query"`
}

// HTTP configures the HTTP API.
type HTTP struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// MaxBodySize caps a write request body, after decompression.
	MaxBodySize ByteSize `yaml:"max_body_size"`
	// ShutdownTimeout bounds how long a graceful shutdown waits for in-flight requests.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Storage configures the storage engine (see tsdb.Options).
type Storage struct {
	// WALSync is always, interval or none.
	WALSync string `yaml:"wal_sync"`
	// WALSyncInterval is the fsync period of the interval policy.
	WALSyncInterval Duration `yaml:"wal_sync_interval"`
	// HeadMemoryLimit bounds unflushed in-memory data; writes get 503 beyond it.
	HeadMemoryLimit ByteSize `yaml:"head_memory_limit"`
	// FlushInterval flushes the in-memory head at least this often.
	FlushInterval Duration `yaml:"flush_interval"`
	// RetentionCheckInterval is how often expired partitions are dropped.
	RetentionCheckInterval Duration `yaml:"retention_check_interval"`
}

// Query configures InfluxQL execution limits, InfluxDB's coordinator
// settings of the same names. Zero means no limit everywhere; only the
// memory per query has a default limit.
type Query struct {
	// Timeout stops a /query request that runs longer ("query-timeout limit exceeded").
	Timeout Duration `yaml:"timeout"`
	// MaxConcurrentQueries refuses /query requests while this many run.
	MaxConcurrentQueries int `yaml:"max_concurrent_queries"`
	// MaxSelectSeries fails a SELECT that would read more series.
	MaxSelectSeries int `yaml:"max_select_series"`
	// MaxSelectPoints fails a SELECT that would read more points.
	MaxSelectPoints int64 `yaml:"max_select_points"`
	// MaxSelectBuckets fails a SELECT whose GROUP BY time() makes more windows.
	MaxSelectBuckets int `yaml:"max_select_buckets"`
	// MaxMemory fails a statement whose estimated memory passes it.
	MaxMemory ByteSize `yaml:"max_memory"`
	// LogQueriesAfter logs a query still running after this long ("slow query").
	LogQueriesAfter Duration `yaml:"log_queries_after"`
}

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		DataDir: "./data",
		HTTP: HTTP{
			Addr:            ":8086",
			MaxBodySize:     25 << 20,
			ShutdownTimeout: Duration(30 * time.Second),
		},
		Log: Log{Level: "info", Format: "text"},
		Storage: Storage{
			WALSync:                "always",
			WALSyncInterval:        Duration(100 * time.Millisecond),
			HeadMemoryLimit:        512 << 20,
			FlushInterval:          Duration(10 * time.Minute),
			RetentionCheckInterval: Duration(10 * time.Minute),
		},
		// One statement may not hold more than 1 GiB: a runaway raw query
		// fails with a clear error instead of taking the hub down.
		Query: Query{MaxMemory: 1 << 30},
	}
}

// Parse overlays the YAML document data on Default. Unknown keys are errors,
// so a typo does not silently fall back to a default.
func Parse(data []byte) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: parse yaml: %w", ErrInvalid, err)
	}
	return c, nil
}

// Load reads and parses the YAML file at path.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config file: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, nil
}

// EnvVar documents one environment override.
type EnvVar struct {
	Name string // e.g. FIELDHUB_HTTP_ADDR
	Key  string // the YAML key it overrides, e.g. http.addr
	set  func(c *Config, v string) error
}

// EnvVars lists every supported environment variable, in documentation order.
var EnvVars = []EnvVar{
	{"FIELDHUB_DATA_DIR", "data_dir", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"FIELDHUB_HTTP_ADDR", "http.addr", func(c *Config, v string) error { c.HTTP.Addr = v; return nil }},
	{"FIELDHUB_MAX_BODY_SIZE", "http.max_body_size", func(c *Config, v string) error { return c.HTTP.MaxBodySize.Set(v) }},
	{"FIELDHUB_SHUTDOWN_TIMEOUT", "http.shutdown_timeout", func(c *Config, v string) error { return c.HTTP.ShutdownTimeout.Set(v) }},
	{"FIELDHUB_LOG_LEVEL", "log.level", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"FIELDHUB_LOG_FORMAT", "log.format", func(c *Config, v string) error { c.Log.Format = v; return nil }},
	{"FIELDHUB_WAL_SYNC", "storage.wal_sync", func(c *Config, v string) error { c.Storage.WALSync = v; return nil }},
	{"FIELDHUB_WAL_SYNC_INTERVAL", "storage.wal_sync_interval", func(c *Config, v string) error { return c.Storage.WALSyncInterval.Set(v) }},
	{"FIELDHUB_HEAD_MEMORY_LIMIT", "storage.head_memory_limit", func(c *Config, v string) error { return c.Storage.HeadMemoryLimit.Set(v) }},
	{"FIELDHUB_FLUSH_INTERVAL", "storage.flush_interval", func(c *Config, v string) error { return c.Storage.FlushInterval.Set(v) }},
	{"FIELDHUB_RETENTION_CHECK_INTERVAL", "storage.retention_check_interval", func(c *Config, v string) error {
		return c.Storage.RetentionCheckInterval.Set(v)
	}},
	{"FIELDHUB_QUERY_TIMEOUT", "query.timeout", func(c *Config, v string) error { return c.Query.Timeout.Set(v) }},
	{"FIELDHUB_MAX_CONCURRENT_QUERIES", "query.max_concurrent_queries", func(c *Config, v string) error {
		return setInt(&c.Query.MaxConcurrentQueries, v)
	}},
	{"FIELDHUB_MAX_SELECT_SERIES", "query.max_select_series", func(c *Config, v string) error {
		return setInt(&c.Query.MaxSelectSeries, v)
	}},
	{"FIELDHUB_MAX_SELECT_POINTS", "query.max_select_points", func(c *Config, v string) error {
		return setInt(&c.Query.MaxSelectPoints, v)
	}},
	{"FIELDHUB_MAX_SELECT_BUCKETS", "query.max_select_buckets", func(c *Config, v string) error {
		return setInt(&c.Query.MaxSelectBuckets, v)
	}},
	{"FIELDHUB_MAX_QUERY_MEMORY", "query.max_memory", func(c *Config, v string) error { return c.Query.MaxMemory.Set(v) }},
	{"FIELDHUB_LOG_QUERIES_AFTER", "query.log_queries_after", func(c *Config, v string) error { return c.Query.LogQueriesAfter.Set(v) }},
}

// setInt parses a decimal integer setting.
func setInt[T int | int64](dst *T, v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || int64(T(n)) != n {
		return fmt.Errorf("%w: %q is not an integer", ErrInvalid, v)
	}
	*dst = T(n)
	return nil
}

// ApplyEnv overlays the FIELDHUB_* variables that lookup reports as set
// (pass os.LookupEnv). A malformed value is an error naming the variable.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	for _, ev := range EnvVars {
		v, ok := lookup(ev.Name)
		if !ok {
			continue
		}
		if err := ev.set(c, v); err != nil {
			return fmt.Errorf("environment %s: %w", ev.Name, err)
		}
	}
	return nil
}

// Validate reports the first invalid setting, naming its YAML key.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, key, fmt.Sprintf(format, args...))
	}
	if c.DataDir == "" {
		return bad("data_dir", "must not be empty")
	}
	if c.HTTP.Addr == "" {
		return bad("http.addr", "must not be empty")
	}
	if i := strings.LastIndexByte(c.HTTP.Addr, ':'); i < 0 {
		return bad("http.addr", "%q has no port (want host:port or :port)", c.HTTP.Addr)
	} else if p, err := strconv.Atoi(c.HTTP.Addr[i+1:]); err != nil || p < 0 || p > 65535 {
		return bad("http.addr", "%q has an invalid port", c.HTTP.Addr)
	}
	if c.HTTP.MaxBodySize < 1024 {
		return bad("http.max_body_size", "%s is below the minimum of 1KiB", c.HTTP.MaxBodySize)
	}
	if c.HTTP.ShutdownTimeout < 0 {
		return bad("http.shutdown_timeout", "must not be negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	switch c.Storage.WALSync {
	case "always", "interval", "none":
	default:
		return bad("storage.wal_sync", "%q is not one of always, interval, none", c.Storage.WALSync)
	}
	if c.Storage.WALSyncInterval <= 0 {
		return bad("storage.wal_sync_interval", "must be positive")
	}
	if c.Storage.HeadMemoryLimit < 1<<20 {
		return bad("storage.head_memory_limit", "%s is below the minimum of 1MiB", c.Storage.HeadMemoryLimit)
	}
	if c.Storage.FlushInterval <= 0 {
		return bad("storage.flush_interval", "must be positive")
	}
	if c.Storage.RetentionCheckInterval <= 0 {
		return bad("storage.retention_check_interval", "must be positive")
	}
	for _, q := range []struct {
		key string
		neg bool
	}{
		{"query.timeout", c.Query.Timeout < 0},
		{"query.max_concurrent_queries", c.Query.MaxConcurrentQueries < 0},
		{"query.max_select_series", c.Query.MaxSelectSeries < 0},
		{"query.max_select_points", c.Query.MaxSelectPoints < 0},
		{"query.max_select_buckets", c.Query.MaxSelectBuckets < 0},
		{"query.max_memory", c.Query.MaxMemory < 0},
		{"query.log_queries_after", c.Query.LogQueriesAfter < 0},
	} {
		if q.neg {
			return bad(q.key, "must not be negative (0 means no limit)")
		}
	}
	return nil
}

// ByteSize is a size in bytes. In YAML, flags and env it is an integer or a
// number with a unit: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers
// of 1024) or the short forms K, M, G, T (powers of 1024), e.g. "25MiB".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	// Longer suffixes first so "MiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseByteSize parses a size such as "512MiB", "25MB", "1g" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("%w: size %q has no number", ErrInvalid, s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: size %q is not a non-negative number with an optional unit (e.g. 512MiB)", ErrInvalid, s)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%w: size %q is too large", ErrInvalid, s)
	}
	return ByteSize(v), nil
}

// Set parses s into b; it makes *ByteSize a flag.Value.
func (b *ByteSize) Set(s string) error {
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// String renders the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	v := int64(b)
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v != 0 && v%u.m == 0 {
			return strconv.FormatInt(v/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(v, 10) + "B"
}

// UnmarshalYAML accepts an integer or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d: size must be a scalar", ErrInvalid, n.Line)
	}
	if err := b.Set(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalYAML renders the size as a string with a unit.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// Duration is a time.Duration written as a Go duration string ("30s", "10m").
type Duration time.Duration

// Set parses s into d; it makes *Duration a flag.Value.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%w: duration %q: want a Go duration such as 30s or 10m", ErrInvalid, s)
	}
	*d = Duration(v)
	return nil
}

// String renders d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML accepts a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d: duration must be a scalar", ErrInvalid, n.Line)
	}
	if err := d.Set(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalYAML renders the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
