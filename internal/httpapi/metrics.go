package httpapi

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Write error reasons, the values of the reason label.
const (
	reasonParse         = "parse"
	reasonFieldConflict = "field_type_conflict"
	reasonRetention     = "outside_retention"
	reasonInvalidPoint  = "invalid_point"
	reasonBadRequest    = "bad_request"
	reasonNotFound      = "not_found"
	reasonTooLarge      = "body_too_large"
	reasonHeadFull      = "head_full"
	reasonUnauthorized  = "unauthorized"
	reasonInternal      = "internal"
	reasonClientGone    = "client_gone"
	reasonUnavailable   = "unavailable"
)

// metrics are the API's Prometheus metrics. A nil *metrics (no registry) records nothing.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	points      prometheus.Counter
	values      prometheus.Counter
	bytes       prometheus.Counter
	writeErrors *prometheus.CounterVec
	partial     prometheus.Counter
	running     prometheus.Gauge
	stopped     *prometheus.CounterVec
}

// Reasons a query was stopped or refused, the values of the reason label.
const (
	stopKilled   = "killed"
	stopTimeout  = "timeout"
	stopRejected = "max_concurrent"
)

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "requests_total", Help: "HTTP requests by endpoint and status code."}, []string{"endpoint", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "request_duration_seconds", Help: "HTTP request latency by endpoint.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"endpoint"}),
		points: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "points_written_total", Help: "Points accepted by the write endpoints."}),
		values: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "values_written_total", Help: "Field values accepted by the write endpoints."}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "write_bytes_received_total", Help: "Write request body bytes as received (before decompression)."}),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "write_errors_total", Help: "Rejected write requests and dropped points by reason."}, []string{"reason"}),
		partial: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "partial_writes_total", Help: "Write requests that dropped some lines or points (answered 400 \"partial write\")."}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "queries_running", Help: "/query requests running now (SHOW QUERIES lists them)."}),
		stopped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "http",
			Name: "queries_stopped_total", Help: "/query requests killed, timed out or refused by the concurrency limit."}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.points, m.values, m.bytes, m.writeErrors, m.partial, m.running, m.stopped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(endpoint, statusLabel(status)).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}

func (m *metrics) written(points, values int, bytes int64) {
	if m == nil {
		return
	}
	m.points.Add(float64(points))
	m.values.Add(float64(values))
	m.bytes.Add(float64(bytes))
}

func (m *metrics) partialWrite() {
	if m == nil {
		return
	}
	m.partial.Inc()
}

func (m *metrics) writeError(reason string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.writeErrors.WithLabelValues(reason).Add(float64(n))
}

func (m *metrics) queryRunning(delta float64) {
	if m == nil {
		return
	}
	m.running.Add(delta)
}

func (m *metrics) queryStopped(reason string) {
	if m == nil {
		return
	}
	m.stopped.WithLabelValues(reason).Inc()
}

// statusLabel avoids formatting the common codes on every request.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 204:
		return "204"
	case 400:
		return "400"
	case 404:
		return "404"
	case 413:
		return "413"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}
