package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzWrite posts arbitrary bodies (optionally claimed to be gzip) to /write
// with a real engine. Every request must get 204 or a 400/413 with InfluxDB's
// error shape, and the server must stay healthy.
func FuzzWrite(f *testing.F) {
	env := newTestEnv(f, func(o *Options) { o.MaxBodySize = 1 << 16 })
	f.Add([]byte("cpu,host=a usage=1 1\ncpu,host=a usage=2i 2\nbad"), false, "ns")
	f.Add([]byte("m,t=\\ x f=\"a\\\"b\",g=1u,h=T 1700000000"), false, "s")
	f.Add(gz(f, []byte("mem free=1i 1\n")), true, "ms")
	f.Add([]byte("\xff\xfe v=1"), true, "")
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool, prec string) {
		hdr := map[string]string{}
		if gzipped {
			hdr["Content-Encoding"] = "gzip"
		}
		w := env.do(t, "POST", "/write?db=db&precision="+url.QueryEscape(prec), body, hdr)
		switch w.Code {
		case http.StatusNoContent:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if !strings.HasPrefix(w.Body.String(), `{"error":"`) || w.Header().Get("X-Influxdb-Error") == "" {
				t.Fatalf("error response without InfluxDB shape: %q", w.Body)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
