package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fieldhub/fieldhub/internal/config"
	"github.com/fieldhub/fieldhub/internal/cq"
	"github.com/fieldhub/fieldhub/internal/httpapi"
	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand. Every command gets the same arguments so the
// dispatch table stays uniform; each returns the process exit code (0 ok,
// 1 runtime failure, 2 usage error).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int
}

// commands is the dispatch table, in the order usage lists them. A new
// subcommand adds one entry here and keeps its code in its own file.
var commands = []command{
	{"serve", "run the server (fieldhub serve --help for flags)",
		func(args []string, _, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
			return runServe(args, stderr, lookupEnv)
		}},
	{"inspect", "offline tools: report, verify, export, import",
		func(args []string, stdout, stderr io.Writer, _ func(string) (string, bool)) int {
			return runInspect(args, stdout, stderr)
		}},
	{"query", "InfluxQL shell; -execute runs statements and exits", runQueryCommand},
	{"version", "print the version", runVersion},
}

// usage renders the top-level help from the dispatch table.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: fieldhub <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run dispatches a subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "--version", "-version":
		return runVersion(nil, stdout, stderr, lookupEnv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr, lookupEnv)
		}
	}
	fmt.Fprintf(stderr, "fieldhub: unknown command %q\n\n%s", args[0], usage())
	return 2
}

func runVersion(args []string, stdout, stderr io.Writer, _ func(string) (string, bool)) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "usage: fieldhub version\n")
		return 2
	}
	fmt.Fprintf(stdout, "fieldhub %s (InfluxDB API %s)\n", version, httpapi.InfluxDBVersion)
	return 0
}

// serveFlags are the flags of `fieldhub serve`; each overrides a config setting when given.
type serveFlags struct {
	fs         *flag.FlagSet
	configFile string
	process    processOptions
}

// processOptions are process-level settings that only exist as flags, not in
// the config file.
type processOptions struct {
	// demo creates the database "demo" if it is missing (make run).
	demo bool
	// pprofAddr serves Go profiles on a separate listener when not empty.
	pprofAddr string
}

func newServeFlags(cfg *config.Config, stderr io.Writer) *serveFlags {
	f := &serveFlags{fs: flag.NewFlagSet("serve", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.StringVar(&f.configFile, "config", "", "YAML config file (env FIELDHUB_CONFIG)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (env FIELDHUB_DATA_DIR)")
	fs.StringVar(&cfg.HTTP.Addr, "http-addr", cfg.HTTP.Addr, "HTTP listen address (env FIELDHUB_HTTP_ADDR)")
	fs.StringVar(&cfg.Log.Level, "log-level", cfg.Log.Level, "log level: debug, info, warn, error (env FIELDHUB_LOG_LEVEL)")
	fs.StringVar(&cfg.Log.Format, "log-format", cfg.Log.Format, "log format: text or json (env FIELDHUB_LOG_FORMAT)")
	fs.StringVar(&cfg.Storage.WALSync, "wal-sync", cfg.Storage.WALSync, "WAL durability: always, interval or none (env FIELDHUB_WAL_SYNC)")
	fs.Var(&cfg.Storage.HeadMemoryLimit, "head-memory-limit", "memory for unflushed data, e.g. 512MiB (env FIELDHUB_HEAD_MEMORY_LIMIT)")
	fs.Var(&cfg.HTTP.MaxBodySize, "max-body-size", "write body limit after decompression, e.g. 25MiB (env FIELDHUB_MAX_BODY_SIZE)")
	fs.Var(&cfg.Query.Timeout, "query-timeout", "stop a query running longer, e.g. 30s; 0 = no limit (env FIELDHUB_QUERY_TIMEOUT)")
	fs.IntVar(&cfg.Query.MaxConcurrentQueries, "max-concurrent-queries", cfg.Query.MaxConcurrentQueries,
		"refuse queries while this many run; 0 = no limit (env FIELDHUB_MAX_CONCURRENT_QUERIES)")
	fs.IntVar(&cfg.Query.MaxSelectSeries, "max-select-series", cfg.Query.MaxSelectSeries,
		"fail a SELECT reading more series; 0 = no limit (env FIELDHUB_MAX_SELECT_SERIES)")
	fs.Int64Var(&cfg.Query.MaxSelectPoints, "max-select-points", cfg.Query.MaxSelectPoints,
		"fail a SELECT reading more points; 0 = no limit (env FIELDHUB_MAX_SELECT_POINTS)")
	fs.IntVar(&cfg.Query.MaxSelectBuckets, "max-select-buckets", cfg.Query.MaxSelectBuckets,
		"fail a SELECT with more GROUP BY time() windows; 0 = no limit (env FIELDHUB_MAX_SELECT_BUCKETS)")
	fs.Var(&cfg.Query.MaxMemory, "max-query-memory", "fail a statement estimated to need more memory, e.g. 1GiB; 0 = no limit (env FIELDHUB_MAX_QUERY_MEMORY)")
	fs.Var(&cfg.Query.LogQueriesAfter, "log-queries-after", "log queries still running after this long, e.g. 5s; 0 = off (env FIELDHUB_LOG_QUERIES_AFTER)")
	fs.BoolVar(&f.process.demo, "demo", false, "create the database \"demo\" if it is missing")
	fs.StringVar(&f.process.pprofAddr, "pprof-addr", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off when empty")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fieldhub serve [flags]\n\nPrecedence: flags > FIELDHUB_* environment > config file > defaults.\n\nflags:\n")
		fs.PrintDefaults()
	}
	return f
}

// loadConfig builds the configuration: defaults, then the file, then the
// environment, then the flags that were given on the command line.
func loadConfig(args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) (config.Config, *serveFlags, error) {
	// First pass only finds --config; flag values are applied in the second
	// pass on top of file and env so that they win.
	probe := config.Default()
	pf := newServeFlags(&probe, io.Discard)
	if err := pf.fs.Parse(args); err != nil {
		// Re-parse with output so the user sees the error and usage.
		f := newServeFlags(&probe, stderr)
		return config.Config{}, nil, usageError{f.fs.Parse(args)}
	}
	if len(pf.fs.Args()) > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q\n", pf.fs.Args()[0])
		newServeFlags(&probe, stderr).fs.Usage()
		return config.Config{}, nil, usageError{errors.New("unexpected argument")}
	}
	path := pf.configFile
	if path == "" {
		path, _ = lookupEnv("FIELDHUB_CONFIG")
	}
	cfg := config.Default()
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return config.Config{}, nil, err
		}
	}
	if err := cfg.ApplyEnv(lookupEnv); err != nil {
		return config.Config{}, nil, err
	}
	// Apply only the flags that were set, re-parsing into the layered config.
	f := newServeFlags(&cfg, stderr)
	var again []string
	pf.fs.Visit(func(fl *flag.Flag) { again = append(again, "-"+fl.Name+"="+fl.Value.String()) })
	if err := f.fs.Parse(again); err != nil {
		return config.Config{}, nil, usageError{err}
	}
	f.configFile, f.process = pf.configFile, pf.process
	if err := cfg.Validate(); err != nil {
		return config.Config{}, nil, err
	}
	return cfg, f, nil
}

// usageError marks a command-line mistake (exit code 2, usage already printed).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level)) // validated already
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	cfg, f, err := loadConfig(args, stderr, lookupEnv)
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	case err != nil:
		// Config file, environment or validation errors: they name the setting.
		fmt.Fprintf(stderr, "fieldhub serve: %v\n", err)
		return 2
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, f.process, log, nil); err != nil {
		log.Error("fieldhub stopped with an error", "err", err)
		return 1
	}
	return 0
}

// serve runs the engine and HTTP server until ctx is done, then shuts down
// gracefully. If ready is not nil it receives the listen address once serving.
func serve(ctx context.Context, cfg config.Config, po processOptions, log *slog.Logger, ready chan<- string) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	engine, err := tsdb.Open(ctx, tsdb.Options{
		Dir:               cfg.DataDir,
		Logger:            log.With("component", "tsdb"),
		Registerer:        reg,
		WALSync:           cfg.Storage.WALSync,
		WALSyncInterval:   time.Duration(cfg.Storage.WALSyncInterval),
		HeadMemoryLimit:   int64(cfg.Storage.HeadMemoryLimit),
		FlushInterval:     time.Duration(cfg.Storage.FlushInterval),
		RetentionInterval: time.Duration(cfg.Storage.RetentionCheckInterval),
	})
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	closeEngine := func() error {
		start := time.Now()
		if err := engine.Close(); err != nil {
			return fmt.Errorf("close storage: %w", err)
		}
		log.Info("storage closed", "duration", time.Since(start).Round(time.Millisecond))
		return nil
	}
	if po.demo {
		if err := engine.CreateDatabase(ctx, "demo", nil); err != nil {
			closeEngine()
			return fmt.Errorf("create demo database: %w", err)
		}
	}
	exec := query.New(query.Options{
		Storage:          engine,
		Logger:           log.With("component", "query"),
		MaxSelectSeries:  cfg.Query.MaxSelectSeries,
		MaxSelectPoints:  cfg.Query.MaxSelectPoints,
		MaxSelectBuckets: cfg.Query.MaxSelectBuckets,
		MaxQueryMemory:   int64(cfg.Query.MaxMemory),
	})
	// Continuous queries sit in front of the executor: they own the CQ
	// statements and run their SELECT ... INTO through it.
	cqs, err := cq.Open(cq.Options{
		Dir:    cfg.DataDir,
		Exec:   exec,
		Logger: log.With("component", "cq"),
		Databases: func() []string {
			var names []string
			for _, d := range engine.Databases() {
				names = append(names, d.Name)
			}
			return names
		},
		DefaultPolicy: func(db string) string {
			for _, d := range engine.Databases() {
				if d.Name == db {
					return d.DefaultPolicy
				}
			}
			return ""
		},
	})
	if err != nil {
		closeEngine()
		return fmt.Errorf("continuous queries: %w", err)
	}
	cqs.Start()
	defer cqs.Close()
	api, err := httpapi.New(httpapi.Options{
		Engine:               engine,
		Logger:               log.With("component", "http"),
		Registry:             reg,
		MaxBodySize:          int64(cfg.HTTP.MaxBodySize),
		Version:              version,
		Query:                cqs,
		QueryTimeout:         time.Duration(cfg.Query.Timeout),
		MaxConcurrentQueries: cfg.Query.MaxConcurrentQueries,
		LogQueriesAfter:      time.Duration(cfg.Query.LogQueriesAfter),
	})
	if err != nil {
		closeEngine()
		return fmt.Errorf("build http api: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		closeEngine()
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// On shutdown running queries stop ("query engine shutdown", as InfluxDB
	// answers) so they do not hold the graceful shutdown; writes finish.
	srv.RegisterOnShutdown(api.StopQueries)
	log.Info("fieldhub started", "version", version, "http_addr", ln.Addr().String(), "data_dir", cfg.DataDir,
		"wal_sync", cfg.Storage.WALSync, "head_memory_limit", cfg.Storage.HeadMemoryLimit.String())
	if pprofAddr := po.pprofAddr; pprofAddr != "" {
		// A separate listener so profiles are never exposed on the public API port.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		psrv := &http.Server{Addr: pprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := psrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("pprof listener failed", "addr", pprofAddr, "err", err)
			}
		}()
		defer psrv.Close()
		log.Info("serving profiles", "addr", pprofAddr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
	case serveErr = <-errc:
		serveErr = fmt.Errorf("http server: %w", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.HTTP.ShutdownTimeout))
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// In-flight requests did not finish in time; cut them off so the engine can close.
		log.Warn("graceful shutdown timed out, closing connections", "err", err)
		srv.Close()
	}
	if serveErr == nil {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("http server: %w", err)
		}
	}
	// Stop the scheduler before the engine closes under a running query.
	cqs.Close()
	if err := closeEngine(); err != nil {
		return errors.Join(serveErr, err)
	}
	return serveErr
}
