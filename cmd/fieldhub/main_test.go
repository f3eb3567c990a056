package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/config"
)

func noEnv(string) (string, bool) { return "", false }

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{nil, 2, "usage: fieldhub"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"version"}, 0, "fieldhub dev (InfluxDB API 1.8.10)"},
		{[]string{"--version"}, 0, "fieldhub dev"},
		{[]string{"version", "extra"}, 2, "usage: fieldhub version"},
		{[]string{"help"}, 0, "  inspect   offline tools"},
		{[]string{"--help"}, 0, "  serve     run the server"},
		{[]string{"serve", "--wal-sync", "sometimes"}, 2, "storage.wal_sync"},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"serve", "--log-format", "xml"}, 2, "log.format"},
		{[]string{"serve", "--head-memory-limit", "lots"}, 2, "invalid value"},
		{[]string{"serve", "-h"}, 0, "Precedence: flags > FIELDHUB_* environment > config file > defaults"},
		{[]string{"inspect"}, 2, "usage: fieldhub inspect"},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		code := run(tc.args, &out, &out, noEnv)
		if code != tc.wantCode || !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("run(%q) = %d, output %q; want %d and %q", tc.args, code, out.String(), tc.wantCode, tc.wantOut)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fieldhub.yaml")
	os.WriteFile(file, []byte("data_dir: /from/file\nhttp:\n  addr: \":1111\"\nlog:\n  level: warn\nstorage:\n  wal_sync: interval\n"), 0o644)
	env := map[string]string{"FIELDHUB_HTTP_ADDR": ":2222", "FIELDHUB_WAL_SYNC": "none", "FIELDHUB_CONFIG": file}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, f, err := loadConfig([]string{"--wal-sync", "always", "--max-body-size", "1MiB", "--demo"}, io.Discard, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.DataDir = "/from/file"     // file
	want.Log.Level = "warn"         // file
	want.HTTP.Addr = ":2222"        // env beats file
	want.Storage.WALSync = "always" // flag beats env and file
	want.HTTP.MaxBodySize = 1 << 20 // flag
	if cfg != want || !f.process.demo {
		t.Fatalf("got %+v demo=%v\nwant %+v", cfg, f.process.demo, want)
	}
}

// TestServeGracefulShutdown runs serve in-process, writes through HTTP,
// cancels (as SIGTERM does) and reopens the data dir to find the point.
func TestServeGracefulShutdown(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Storage.WALSync = "none"
	log := slog.New(slog.DiscardHandler)
	start := func() (string, context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- serve(ctx, cfg, processOptions{demo: true}, log, ready) }()
		select {
		case addr := <-ready:
			return "http://" + addr, cancel, done
		case err := <-done:
			t.Fatalf("serve: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not start")
		}
		return "", cancel, done
	}
	goroutinesBefore := runtime.NumGoroutine()
	base, cancel, done := start()
	resp, err := http.Post(base+"/write?db=demo", "text/plain", strings.NewReader("cpu v=1 1"))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// Everything serve started (HTTP server, engine goroutines) is gone once
	// it returns; only the client's idle connection needs closing.
	http.DefaultClient.CloseIdleConnections()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutinesBefore; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after shutdown, %d before:\n%s", runtime.NumGoroutine(), goroutinesBefore, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}

	base, cancel, done = start()
	defer func() { cancel(); <-done }()
	resp, err = http.Post(base+"/query", "application/x-www-form-urlencoded", strings.NewReader("q=SHOW+DATABASES"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `[["demo"]]`) {
		t.Fatalf("after restart: %s", body)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"fieldhub_http_requests_total", "fieldhub_tsdb_", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
