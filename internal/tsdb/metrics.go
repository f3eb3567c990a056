package tsdb

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus metrics, registered on Options.Registerer.
type metrics struct {
	reg            prometheus.Registerer
	collectors     []prometheus.Collector
	pointsWritten  prometheus.Counter
	valuesWritten  prometheus.Counter
	flushes        prometheus.Counter
	flushErrors    prometheus.Counter
	compactions    prometheus.Counter
	retentionDrops prometheus.Counter
}

func newMetrics(e *Engine, reg prometheus.Registerer) *metrics {
	m := &metrics{reg: reg}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "tsdb", Name: name, Help: help})
		m.collectors = append(m.collectors, c)
		return c
	}
	m.pointsWritten = counter("points_written_total", "Points committed to the engine.")
	m.valuesWritten = counter("values_written_total", "Field values committed to the engine.")
	m.flushes = counter("head_flushes_total", "Checkpoints of the head to parts.")
	m.flushErrors = counter("head_flush_errors_total", "Failed checkpoints (retried).")
	m.compactions = counter("compactions_total", "Completed compactions.")
	m.retentionDrops = counter("retention_partitions_dropped_total", "Partitions dropped by retention.")
	gauge := func(name, help string, f func() float64) {
		m.collectors = append(m.collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "fieldhub", Subsystem: "tsdb", Name: name, Help: help}, f))
	}
	cfunc := func(name, help string, f func() float64) {
		m.collectors = append(m.collectors, prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "fieldhub", Subsystem: "tsdb", Name: name, Help: help}, f))
	}
	gauge("head_bytes", "Estimated memory of unflushed data.", func() float64 { return float64(e.headBytes.Load()) })
	gauge("head_memory_limit_bytes", "Head memory limit; writes above it are refused.", func() float64 { return float64(e.opts.HeadMemoryLimit) })
	gauge("series", "Series known to the engine (all databases).", func() float64 {
		n := 0
		e.mu.RLock()
		for _, d := range e.mu.dbs {
			n += d.series.count()
		}
		e.mu.RUnlock()
		return float64(n)
	})
	gauge("parts", "Part files.", func() float64 { n, _ := e.partStats(); return float64(n) })
	gauge("parts_bytes", "Bytes in part files.", func() float64 { _, b := e.partStats(); return float64(b) })
	gauge("wal_bytes", "Bytes in WAL segments.", func() float64 { return float64(e.wal.Size()) })
	cfunc("wal_syncs_total", "WAL fsyncs.", func() float64 { return float64(e.wal.Stats().Syncs) })
	cfunc("wal_appends_total", "WAL records appended.", func() float64 { return float64(e.wal.Stats().Appends) })
	cfunc("wal_bytes_written_total", "Bytes written to the WAL.", func() float64 { return float64(e.wal.Stats().BytesWritten) })
	if reg != nil {
		for _, c := range m.collectors {
			if err := reg.Register(c); err != nil {
				e.log.Warn("register metric", "err", err)
			}
		}
	}
	return m
}

func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// partStats counts part files and their bytes.
func (e *Engine) partStats() (n int, bytes int64) {
	for _, rp := range e.allPolicies() {
		rp.mu.RLock()
		for _, p := range rp.partitions {
			p.mu.RLock()
			for _, pt := range p.parts {
				n++
				bytes += pt.size
			}
			p.mu.RUnlock()
		}
		rp.mu.RUnlock()
	}
	return n, bytes
}
