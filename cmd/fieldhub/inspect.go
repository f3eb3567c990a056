package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fieldhub/fieldhub/internal/inspect"
	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/fieldhub/fieldhub/internal/tsdb/wal"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

const inspectUsage = `usage: fieldhub inspect <command> --data-dir DIR [flags]

Offline tools; stop the hub first.

commands:
  report   databases, series, points, values, disk bytes and bytes per value
  verify   check every checksum (parts, series file, WAL); exits 1 on corruption
  export   write line protocol to stdout (--db, --rp, --start, --end narrow it)
  import   read line protocol or an export from a file or stdin (--file, --db, --rp, --precision)
`

// runInspect implements `fieldhub inspect`; it returns the process exit code.
func runInspect(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, inspectUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("inspect "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "./data", "data directory")
	db := fs.String("db", "", "database (export: only this one; import: default target)")
	rp := fs.String("rp", "", "retention policy (export: only this one; import: default target)")
	start := fs.String("start", "", "export: RFC3339 start time (inclusive)")
	end := fs.String("end", "", "export: RFC3339 end time (inclusive)")
	file := fs.String("file", "-", "import: input file ('-' = stdin)")
	precision := fs.String("precision", "ns", "import: timestamp precision of the input (ns, us, ms, s, m, h)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := os.Stat(*dataDir); err != nil {
		fmt.Fprintf(stderr, "inspect %s: data dir %s: %v\n", cmd, *dataDir, err)
		return 1
	}
	switch cmd {
	case "verify":
		return inspectVerify(ctx, *dataDir, stdout, stderr)
	case "report", "export", "import":
	default:
		fmt.Fprintf(stderr, "inspect: unknown command %q\n\n%s", cmd, inspectUsage)
		return 2
	}
	e, err := tsdb.Open(ctx, tsdb.Options{Dir: *dataDir, CompactionInterval: time.Hour, RetentionInterval: time.Hour})
	if err != nil {
		fmt.Fprintf(stderr, "inspect %s: open %s: %v\n", cmd, *dataDir, err)
		return 1
	}
	defer e.Close()
	switch cmd {
	case "report":
		r, err := inspect.BuildReport(e, vfs.Default, *dataDir)
		if err != nil {
			fmt.Fprintf(stderr, "inspect report: %v\n", err)
			return 1
		}
		r.Print(stdout)
	case "export":
		opts := inspect.ExportOptions{Database: *db, Policy: *rp}
		for _, tv := range []struct {
			s   string
			dst *time.Time
		}{{*start, &opts.Start}, {*end, &opts.End}} {
			if tv.s == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, tv.s)
			if err != nil {
				fmt.Fprintf(stderr, "inspect export: bad time %q: want RFC3339 like 2026-11-24T00:00:00Z\n", tv.s)
				return 2
			}
			*tv.dst = t
		}
		st, err := inspect.Export(ctx, e, stdout, opts)
		if err != nil {
			fmt.Fprintf(stderr, "inspect export: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "exported %d points, %d values\n", st.Points, st.Values)
	case "import":
		prec, err := lineproto.ParsePrecision(*precision)
		if err != nil {
			fmt.Fprintf(stderr, "inspect import: %v\n", err)
			return 2
		}
		var in io.Reader = os.Stdin
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				fmt.Fprintf(stderr, "inspect import: %v\n", err)
				return 1
			}
			defer f.Close()
			in = f
		}
		last := time.Now()
		st, err := inspect.Import(ctx, e, in, inspect.ImportOptions{Database: *db, Policy: *rp, Precision: prec,
			Progress: func(s inspect.ImportStats) {
				if time.Since(last) > 2*time.Second {
					last = time.Now()
					fmt.Fprintf(stderr, "imported %d points...\n", s.Points)
				}
			}})
		for _, m := range st.Errors {
			fmt.Fprintf(stderr, "rejected: %s\n", m)
		}
		fmt.Fprintf(stderr, "imported %d points, %d values, rejected %d lines\n", st.Points, st.Values, st.Rejected)
		if err != nil {
			fmt.Fprintf(stderr, "inspect import: %v\n", err)
			return 1
		}
		if st.Rejected > 0 {
			return 1
		}
	}
	return 0
}

func inspectVerify(ctx context.Context, dir string, stdout, stderr io.Writer) int {
	rep, err := tsdb.Verify(ctx, vfs.Default, dir, nil)
	if err != nil {
		fmt.Fprintf(stderr, "inspect verify: %v\n", err)
		return 1
	}
	wrep, err := wal.Verify(ctx, vfs.Default, dir+"/wal")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "inspect verify: wal: %v\n", err)
		return 1
	}
	problems := append(rep.Problems, wrep.Problems...)
	fmt.Fprintf(stdout, "parts: %d (%d bytes), blocks: %d, values: %d; wal: %d segments, %d records\n",
		rep.Parts, rep.Bytes, rep.Blocks, rep.Values, wrep.Segments, wrep.Records)
	for _, p := range problems {
		fmt.Fprintf(stdout, "CORRUPT: %s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "verify failed: %d problems\n", len(problems))
		return 1
	}
	fmt.Fprintln(stdout, "verify ok")
	return 0
}
