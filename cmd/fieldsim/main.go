package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fieldhub/fieldhub/internal/sim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// flags are the process-level settings; they are turned into sim.Config and
// sim.WriterOptions by parseFlags.
type flags struct {
	cfg       sim.Config
	opts      sim.WriterOptions
	serverPID int
	createDB  bool
	ackLog    string
	json      bool
	quiet     bool
	out       string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("fieldsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.opts.URL, "url", "http://127.0.0.1:8086", "server base URL")
	fs.StringVar(&f.opts.DB, "db", "bench", "database (db parameter of /write)")
	fs.StringVar(&f.cfg.Workload, "workload", "cpu", "workload: cpu or battery")
	fs.IntVar(&f.cfg.Scale, "scale", 100, "hosts (cpu) or devices (battery)")
	fs.IntVar(&f.opts.Writers, "writers", 1, "concurrent HTTP writers")
	fs.IntVar(&f.opts.BatchSize, "batch", 5000, "lines per request")
	fs.IntVar(&f.cfg.PointsPerSeries, "points-per-series", 0, "points per host/device (0: bounded by --duration/--end)")
	duration := fs.Duration("duration", 0, "simulated time span from --start (default 1h unless --end or --points-per-series)")
	start := fs.String("start", sim.DefaultStart.Format(time.RFC3339), "simulated start time, RFC 3339")
	end := fs.String("end", "", "simulated end time, RFC 3339 (exclusive)")
	fs.Int64Var(&f.cfg.Seed, "seed", 1, "random seed; equal seeds give identical data")
	precision := fs.String("precision", "ns", "timestamp precision: s, ms or ns")
	fs.IntVar(&f.serverPID, "server-pid", 0, "PID of the server, to report its CPU use during the load")
	fs.StringVar(&f.opts.Token, "token", "", "send Authorization: Token <token>")
	fs.BoolVar(&f.opts.Gzip, "gzip", false, "gzip request bodies")
	fs.BoolVar(&f.createDB, "create-db", false, "send CREATE DATABASE first (POST /query)")
	fs.StringVar(&f.ackLog, "ack-log", "", "append every acknowledged batch to this file, fsynced")
	fs.IntVar(&f.opts.MaxRetries, "max-retries", 10, "retries per batch after 429/5xx/transport errors (-1: none)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&f.out, "out", "", "write the line protocol to this file (- for stdout) instead of sending it")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if f.cfg.Precision, err = sim.ParsePrecision(*precision); err != nil {
		return f, err
	}
	f.opts.Precision = f.cfg.Precision
	if f.cfg.Start, err = time.Parse(time.RFC3339Nano, *start); err != nil {
		return f, fmt.Errorf("--start: %w", err)
	}
	switch {
	case *end != "" && *duration != 0:
		return f, errors.New("--end and --duration are exclusive")
	case *end != "":
		if f.cfg.End, err = time.Parse(time.RFC3339Nano, *end); err != nil {
			return f, fmt.Errorf("--end: %w", err)
		}
	case *duration != 0:
		f.cfg.End = f.cfg.Start.Add(*duration)
	case f.cfg.PointsPerSeries == 0:
		f.cfg.End = f.cfg.Start.Add(time.Hour)
	}
	if f.opts.MaxRetries == 0 {
		f.opts.MaxRetries = -1 // the flag's 0 means "no retries", unlike the Options zero value
	}
	if err := f.cfg.Validate(); err != nil {
		return f, err
	}
	return f, f.opts.Validate()
}

func run(args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "fieldsim:", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	f.opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if !f.quiet {
		f.opts.Progress = stderr
	}
	gen, err := sim.New(f.cfg)
	if err != nil {
		fmt.Fprintln(stderr, "fieldsim:", err)
		return 2
	}
	if f.out != "" {
		return dump(f.out, gen, stdout, stderr)
	}
	if f.ackLog != "" {
		al, err := os.OpenFile(f.ackLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
			return 1
		}
		defer al.Close()
		f.opts.AckLog = al
	}
	if f.createDB {
		if err := sim.CreateDatabase(ctx, nil, f.opts.URL, f.opts.DB, f.opts.Token); err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
			return 1
		}
	}

	var cpuBefore time.Duration
	if f.serverPID > 0 {
		if cpuBefore, err = sim.ProcessCPU(f.serverPID); err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
			return 1
		}
	}
	st, runErr := sim.Run(ctx, gen, f.opts)
	serverCPU := time.Duration(-1)
	if f.serverPID > 0 {
		after, err := sim.ProcessCPU(f.serverPID)
		if err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
		} else {
			serverCPU = after - cpuBefore
		}
	}

	rep := sim.NewReport(f.cfg, f.opts, st, serverCPU)
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fieldsim:", err)
		return 1
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "fieldsim:", runErr)
		return 1
	}
	if st.Errors > 0 {
		fmt.Fprintf(stderr, "fieldsim: %d batches failed\n", st.Errors)
		return 1
	}
	return 0
}

// dump writes the data set to path ("-" is stdout) instead of sending it.
func dump(path string, gen sim.Generator, stdout, stderr io.Writer) int {
	w := stdout
	if path != "-" {
		fh, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
			return 1
		}
		defer fh.Close()
		w = fh
	}
	lines, values, err := sim.Dump(w, gen)
	if err != nil {
		fmt.Fprintln(stderr, "fieldsim:", err)
		return 1
	}
	if c, ok := w.(io.Closer); ok && path != "-" {
		if err := c.Close(); err != nil {
			fmt.Fprintln(stderr, "fieldsim:", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "fieldsim: wrote %d lines, %d values\n", lines, values)
	return 0
}
