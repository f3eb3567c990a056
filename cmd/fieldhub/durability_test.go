package main

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
)

// buildBinaries compiles fieldhub and fieldsim once per test run.
func buildBinaries(t *testing.T) (hub, sim string) {
	t.Helper()
	dir := t.TempDir()
	hub, sim = filepath.Join(dir, "fieldhub"), filepath.Join(dir, "fieldsim")
	for _, b := range []struct{ out, pkg string }{{hub, "."}, {sim, "../fieldsim"}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return hub, sim
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startHub starts `fieldhub serve` and waits until /ping answers.
func startHub(t *testing.T, bin, dataDir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http-addr", addr, "--log-level", "warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("hub log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("hub did not answer /ping within 20s; log:\n%s", logs.String())
	return nil
}

// pointSet maps "series key|time" to the line's fields rendered exactly.
type pointSet map[string]map[string]string

func parsePoints(t *testing.T, data []byte) pointSet {
	t.Helper()
	out := pointSet{}
	var p lineproto.Parser
	p.Reset(data, lineproto.Nanosecond, 0)
	var pt model.Point
	for {
		ok, err := p.Next(&pt)
		if !ok {
			break
		}
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		key := string(pt.Measurement)
		for _, tg := range pt.Tags {
			key += "," + string(tg.Key) + "=" + string(tg.Value)
		}
		key += fmt.Sprintf("|%d", pt.Time)
		m := out[key]
		if m == nil {
			m = map[string]string{}
			out[key] = m
		}
		for _, f := range pt.Fields {
			var v string
			switch f.Type {
			case model.Float:
				v = fmt.Sprintf("f%x", math.Float64bits(f.F))
			case model.Integer:
				v = fmt.Sprintf("i%d", f.I)
			case model.Unsigned:
				v = fmt.Sprintf("u%d", f.U)
			case model.Boolean:
				v = fmt.Sprintf("b%v", f.B)
			case model.String:
				v = "s" + string(f.S)
			}
			m[string(f.Key)] = v
		}
	}
	return out
}

// TestKill9KeepsEveryAcknowledgedPoint kills a real hub with SIGKILL while
// fieldsim writes with the durable default, restarts it, and checks that every
// acknowledged point is exported bit-exact and that verify is clean.
func TestKill9KeepsEveryAcknowledgedPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real binaries")
	}
	hub, sim := buildBinaries(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	ackLog := filepath.Join(dir, "acked.lp")
	addr := freeAddr(t)
	srv := startHub(t, hub, dataDir, addr)

	load := exec.Command(sim, "--url", "http://"+addr, "--db", "bench", "--create-db", "--workload", "battery",
		"--scale", "300", "--writers", "2", "--batch", "400", "--points-per-series", "100000",
		"--ack-log", ackLog, "--max-retries", "-1", "--quiet")
	var simOut bytes.Buffer
	load.Stdout, load.Stderr = &simOut, &simOut
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	// Let it write long enough to cross at least one head flush of small parts.
	time.Sleep(3 * time.Second)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	done := make(chan struct{})
	go func() { load.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		load.Process.Kill()
		<-done
	}
	acked, err := os.ReadFile(ackLog)
	if err != nil {
		t.Fatalf("ack log: %v (fieldsim output: %s)", err, simOut.String())
	}
	want := parsePoints(t, acked)
	if len(want) < 1000 {
		t.Fatalf("only %d points acknowledged before the kill; fieldsim: %s", len(want), simOut.String())
	}

	// Restart (WAL replay) and stop gracefully, then check offline.
	addr2 := freeAddr(t)
	srv2 := startHub(t, hub, dataDir, addr2)
	srv2.Process.Signal(syscall.SIGTERM)
	if err := srv2.Wait(); err != nil {
		t.Fatalf("graceful stop after recovery: %v", err)
	}
	verify := exec.Command(hub, "inspect", "verify", "--data-dir", dataDir)
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("inspect verify: %v\n%s", err, out)
	}
	export := exec.Command(hub, "inspect", "export", "--data-dir", dataDir, "--db", "bench")
	var exported, exportErr bytes.Buffer
	export.Stdout, export.Stderr = &exported, &exportErr
	if err := export.Run(); err != nil {
		t.Fatalf("inspect export: %v\n%s", err, exportErr.String())
	}
	var dml []byte
	for _, line := range strings.SplitAfter(exported.String(), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "CREATE ") {
			continue
		}
		dml = append(dml, line...)
	}
	got := parsePoints(t, dml)
	missing := 0
	for key, fields := range want {
		g, ok := got[key]
		if !ok {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged point %s missing after kill -9", key)
			}
			continue
		}
		for f, v := range fields {
			if g[f] != v {
				t.Errorf("point %s field %s: got %s, want %s", key, f, g[f], v)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged points lost", missing, len(want))
	}
	t.Logf("%d acknowledged points, all present after kill -9 and recovery (%d exported)", len(want), len(got))
}
