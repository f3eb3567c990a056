package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/sim"
)

func TestParseFlags(t *testing.T) {
	start := sim.DefaultStart
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, f flags)
	}{
		{"defaults", nil, false, func(t *testing.T, f flags) {
			if !f.cfg.End.Equal(start.Add(time.Hour)) || f.cfg.Precision != sim.Nanosecond || f.opts.BatchSize != 5000 {
				t.Errorf("%+v", f.cfg)
			}
		}},
		{"points only", []string{"--points-per-series", "10"}, false, func(t *testing.T, f flags) {
			if !f.cfg.End.IsZero() || f.cfg.PointsPerSeries != 10 {
				t.Errorf("%+v", f.cfg)
			}
		}},
		{"duration", []string{"--start", "2025-03-01T00:00:00Z", "--duration", "2h", "--precision", "ms"}, false, func(t *testing.T, f flags) {
			if f.cfg.End.Sub(f.cfg.Start) != 2*time.Hour || f.opts.Precision != sim.Millisecond {
				t.Errorf("%+v", f.cfg)
			}
		}},
		{"no retries", []string{"--max-retries", "0"}, false, func(t *testing.T, f flags) {
			if f.opts.MaxRetries != -1 {
				t.Errorf("MaxRetries %d", f.opts.MaxRetries)
			}
		}},
		{"end and duration", []string{"--end", "2024-01-02T00:00:00Z", "--duration", "1h"}, true, nil},
		{"bad precision", []string{"--precision", "us"}, true, nil},
		{"bad workload", []string{"--workload", "disk"}, true, nil},
		{"bad url", []string{"--url", "127.0.0.1:8086"}, true, nil},
		{"bad start", []string{"--start", "yesterday"}, true, nil},
		{"stray argument", []string{"cpu"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFlags(%q) error %v, wantErr %v", tt.args, err, tt.wantErr)
			}
			if err == nil && tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestRunEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var created string
	var got bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/query":
			created = r.FormValue("q")
			_, _ = io.WriteString(w, `{"results":[{"statement_id":0}]}`)
		case "/write":
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got.Write(b)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	ack := filepath.Join(t.TempDir(), "ack.lp")
	var stdout, stderr bytes.Buffer
	rc := run([]string{"--url", srv.URL, "--create-db", "--workload", "battery", "--scale", "20",
		"--points-per-series", "5", "--writers", "2", "--batch", "30", "--json", "--quiet",
		"--ack-log", ack, "--server-pid", strconv.Itoa(os.Getpid())}, &stdout, &stderr)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	var rep sim.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, stdout.String())
	}
	if rep.Points != 100 || rep.Values != 700 || rep.Errors != 0 || rep.ServerCPUSeconds == nil {
		t.Errorf("report %+v", rep)
	}
	if created != `CREATE DATABASE "bench"` {
		t.Errorf("query %q", created)
	}
	logged, err := os.ReadFile(ack)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != got.Len() || strings.Count(string(logged), "\n") != 100 {
		t.Errorf("ack log has %d bytes, server got %d", len(logged), got.Len())
	}
}

func TestRunFailsOnRejectedBatches(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"database not found: \"bench\""}`, http.StatusNotFound)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	rc := run([]string{"--url", srv.URL, "--scale", "2", "--points-per-series", "2", "--quiet"}, &stdout, &stderr)
	if rc != 1 || !strings.Contains(stderr.String(), "database not found") || !strings.Contains(stdout.String(), "errors:          1") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", rc, stdout.String(), stderr.String())
	}
}
