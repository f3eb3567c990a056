package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientRequests checks what the client puts on the wire: credentials,
// query parameters and write parameters.
func TestClientRequests(t *testing.T) {
	// seen carries each request (its form parsed) and body to the test.
	type seen struct {
		r    *http.Request
		body string
	}
	reqs := make(chan seen, 16)
	var got []*http.Request
	var bodies []string
	next := func() {
		s := <-reqs
		got, bodies = append(got, s.r), append(bodies, s.body)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		if r.URL.Path == "/write" {
			io.Copy(&b, r.Body)
		}
		r.ParseForm()
		reqs <- seen{r.Clone(context.Background()), b.String()}
		switch r.URL.Path {
		case "/ping":
			w.Header().Set("X-Influxdb-Version", "1.8.10")
			w.WriteHeader(http.StatusNoContent)
		case "/query":
			w.Write([]byte(`{"results":[{"statement_id":0}]}`))
		case "/write":
			if strings.Contains(b.String(), "bad") {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"unable to parse 'bad'"}`))
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	c, err := NewClient(ClientOptions{URL: srv.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Ping(ctx); err != nil || v != "1.8.10" {
		t.Fatalf("Ping = %q, %v", v, err)
	}
	next()
	if got[0].Header.Get("Authorization") != "Token tok" {
		t.Errorf("token header %q", got[0].Header.Get("Authorization"))
	}
	c.Close()

	c, _ = NewClient(ClientOptions{URL: srv.URL + "/", Username: "ann", Password: "pw"})
	defer c.Close()
	if _, err := c.Query(ctx, "SHOW DATABASES", QueryParams{Database: "d", RP: "r", Epoch: "s", Chunked: true, ChunkSize: 7}); err != nil {
		t.Fatal(err)
	}
	next()
	r := got[len(got)-1]
	if u, p, ok := r.BasicAuth(); !ok || u != "ann" || p != "pw" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	for k, want := range map[string]string{"q": "SHOW DATABASES", "db": "d", "rp": "r", "epoch": "s", "chunked": "true", "chunk_size": "7"} {
		if v := r.Form.Get(k); v != want {
			t.Errorf("query param %s = %q, want %q", k, v, want)
		}
	}
	if r.URL.Path != "/query" || r.Method != http.MethodPost {
		t.Errorf("query request %s %s", r.Method, r.URL.Path)
	}

	if err := c.Write(ctx, "d", "r", "s", "m v=1 1"); err != nil {
		t.Fatal(err)
	}
	next()
	r = got[len(got)-1]
	if r.URL.Query().Get("db") != "d" || r.URL.Query().Get("rp") != "r" || r.URL.Query().Get("precision") != "s" || bodies[len(bodies)-1] != "m v=1 1" {
		t.Errorf("write request %s body %q", r.URL, bodies[len(bodies)-1])
	}
	if err := c.Write(ctx, "d", "", "rfc3339", "bad"); err == nil || err.Error() != "unable to parse 'bad'" {
		t.Errorf("bad write: %v", err)
	}
	next()
	if r = got[len(got)-1]; r.URL.Query().Has("precision") {
		t.Errorf("rfc3339 sent as precision: %s", r.URL)
	}
}
