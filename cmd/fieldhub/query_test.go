package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/config"
)

// startQueryHub runs the real server (engine, executor, HTTP API) in-process on
// 127.0.0.1:0 and returns its URL; it stops with the test.
func startQueryHub(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Storage.WALSync = "none"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, processOptions{}, slog.New(slog.DiscardHandler), ready) }()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		return "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return ""
}

// runQ runs `fieldhub query` with stdin and returns exit code, stdout, stderr.
func runQ(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"FIELDHUB_HISTORY_FILE": filepath.Join(t.TempDir(), "history")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	done := make(chan int, 1)
	go func() { done <- runQuery(args, strings.NewReader(stdin), &out, &errb, lookup) }()
	select {
	case code := <-done:
		return code, out.String(), errb.String()
	case <-time.After(30 * time.Second):
		t.Fatalf("fieldhub query %q did not finish", args)
	}
	return 0, "", ""
}

func TestQueryExecute(t *testing.T) {
	url := startQueryHub(t)
	code, out, errOut := runQ(t, "", "-url", url, "-execute", "CREATE DATABASE x; SHOW DATABASES")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "name: databases\nname\n----\nx\n"
	if out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}

	code, out, _ = runQ(t, "", "-url", url, "-format", "csv", "-execute", "SHOW DATABASES")
	if code != 0 || out != "name,name\ndatabases,x\n" {
		t.Errorf("csv: exit %d, %q", code, out)
	}
	code, out, _ = runQ(t, "", "-url", url, "-format", "json", "-execute", "SHOW DATABASES")
	if code != 0 || !strings.Contains(out, `"values":[["x"]]`) {
		t.Errorf("json: exit %d, %q", code, out)
	}
	code, out, _ = runQ(t, "", "-url", url, "-format", "json", "-pretty", "-execute", "SHOW DATABASES")
	if code != 0 || !strings.Contains(out, "\n    \"results\": [") {
		t.Errorf("json pretty: exit %d, %q", code, out)
	}

	// A query error: exit 1 and the server's message on stderr.
	code, _, errOut = runQ(t, "", "-url", url, "-execute", "SHOW RETENTION POLICIES ON nosuchdb; SHOW DATABASES")
	if code != 1 || !strings.Contains(errOut, "ERR: ") || !strings.Contains(errOut, "nosuchdb") {
		t.Errorf("error: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runQ(t, "", "-url", url, "-execute", "SELEKT 1")
	if code != 1 || !strings.Contains(errOut, "ERR: ") {
		t.Errorf("parse error: exit %d, stderr %q", code, errOut)
	}
}

func TestQueryREPL(t *testing.T) {
	url := startQueryHub(t)
	script := strings.Join([]string{
		"CREATE DATABASE sensors",
		"use sensors",
		"precision s",
		"insert battery,device=bx-1 soc=81.5,temp=29i 1700000000",
		"insert into autogen battery,device=bx-2 soc=50 1700000001",
		"insert nonsense",
		"SHOW MEASUREMENTS",
		"format csv",
		"SHOW TAG VALUES FROM battery WITH KEY = device",
		"settings",
		"exit",
		"SHOW DATABASES", // never runs
	}, "\n")
	code, out, errOut := runQ(t, script, "-url", url)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Connected to " + url + " version 1.8.10",
		"Using database sensors\n",
		"name: measurements\nname\n----\nbattery\n",
		"name,key,value\nbattery,device,bx-1\nbattery,device,bx-2\n",
		"Precision         s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(errOut, "ERR: ") != 1 || !strings.Contains(errOut, "ERR: ") {
		t.Errorf("want one error (the bad insert), stderr %q", errOut)
	}
	if strings.Contains(out, "name: databases") {
		t.Errorf("ran a line after exit:\n%s", out)
	}
}

// TestQuerySelect needs SELECT in the executor; it skips while the server
// answers "statement not supported".
func TestQuerySelect(t *testing.T) {
	url := startQueryHub(t)
	script := "CREATE DATABASE s\nuse s\ninsert cpu,host=a v=1 1000000000\ninsert cpu,host=b v=2 2000000000\n"
	if code, _, errOut := runQ(t, script, "-url", url); code != 0 || errOut != "" {
		t.Fatalf("setup: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runQ(t, "", "-url", url, "-db", "s", "-execute", "SELECT v FROM cpu GROUP BY host")
	if strings.Contains(errOut, "not supported") {
		t.Skipf("SELECT not implemented by the server yet: %s", strings.TrimSpace(errOut))
	}
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "name: cpu\ntags: host=a\ntime       v\n----       -\n1000000000 1\n\nname: cpu\ntags: host=b\ntime       v\n----       -\n2000000000 2\n"
	if out != want {
		t.Errorf("column:\n%s\nwant:\n%s", out, want)
	}
	_, out, _ = runQ(t, "", "-url", url, "-db", "s", "-precision", "rfc3339", "-format", "csv", "-execute", "SELECT v FROM cpu")
	if want := "name,time,v\ncpu,1970-01-01T00:00:01Z,1\ncpu,1970-01-01T00:00:02Z,2\n"; out != want {
		t.Errorf("csv rfc3339: %q, want %q", out, want)
	}
	_, out, _ = runQ(t, "", "-url", url, "-db", "s", "-precision", "s", "-chunked", "-chunk-size", "1", "-execute", "SELECT v FROM cpu")
	if want := "name: cpu\ntime v\n---- -\n1    1\n2    2\n"; out != want {
		t.Errorf("chunked epoch=s: %q, want %q", out, want)
	}
}

func TestQueryUnreachable(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	code, _, errOut := runQ(t, "", "-host", "127.0.0.1", "-port", itoa(addr.Port))
	if code != 1 || !strings.Contains(errOut, "Failed to connect to http://127.0.0.1:") {
		t.Errorf("shell: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runQ(t, "", "-url", "http://"+addr.String(), "-execute", "SHOW DATABASES")
	if code != 1 || !strings.Contains(errOut, "server unreachable") {
		t.Errorf("execute: exit %d, stderr %q", code, errOut)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestQueryUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-format", "xml"}, 2, "unknown -format"},
		{[]string{"-precision", "weeks"}, 2, "unknown -precision"},
		{[]string{"-url", "ftp://x"}, 2, "scheme must be http or https"},
		{[]string{"-h"}, 0, "usage: fieldhub query"},
	}
	for _, tc := range tests {
		code, _, errOut := runQ(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	var out bytes.Buffer
	if run([]string{"help"}, &out, &out, noEnv); !strings.Contains(out.String(), "  query ") {
		t.Errorf("usage lacks query:\n%s", out.String())
	}
}

// TestQueryCredentials checks that -username with FIELDHUB_PASSWORD or
// INFLUX_PASSWORD, -password and -token reach the server.
func TestQueryCredentials(t *testing.T) {
	auth := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth <- r.Header.Get("Authorization")
		w.Write([]byte(`{"results":[{"statement_id":0}]}`))
	}))
	defer srv.Close()
	basic := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"FIELDHUB_PASSWORD": "fp", "INFLUX_PASSWORD": "ip"}, []string{"-username", "ann"}, basic("ann", "fp")},
		{map[string]string{"INFLUX_PASSWORD": "ip"}, []string{"-username", "ann"}, basic("ann", "ip")},
		{map[string]string{"INFLUX_PASSWORD": "ip"}, []string{"-username", "ann", "-password", "pw"}, basic("ann", "pw")},
		{nil, []string{"-token", "tok"}, "Token tok"},
	}
	for _, tc := range tests {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		var out, errb bytes.Buffer
		args := append([]string{"-url", srv.URL, "-execute", "SHOW DATABASES"}, tc.args...)
		if code := runQuery(args, strings.NewReader(""), &out, &errb, lookup); code != 0 {
			t.Fatalf("%q: exit %d, %s", tc.args, code, errb.String())
		}
		if got := <-auth; got != tc.want {
			t.Errorf("%q env %v: Authorization %q, want %q", tc.args, tc.env, got, tc.want)
		}
	}
}
