package sim

import (
	"fmt"
	"io"
	"time"
)

// Report is the summary of one load run, in the shape scripts consume (see --json).
type Report struct {
	Workload     string  `json:"workload"`
	Scale        int     `json:"scale"`
	Writers      int     `json:"writers"`
	BatchSize    int     `json:"batch_size"`
	Points       int64   `json:"points"`
	Values       int64   `json:"values"`
	Batches      int64   `json:"batches"`
	Bytes        int64   `json:"bytes"`
	Errors       int64   `json:"errors"`
	Retries      int64   `json:"retries"`
	WallSeconds  float64 `json:"wall_seconds"`
	PointsPerSec float64 `json:"points_per_sec"`
	ValuesPerSec float64 `json:"values_per_sec"`
	// ServerCPUSeconds and ValuesPerServerCPUSec are set only when the server's PID was
	// known: CPU time it used between the start and the end of the load.
	ServerCPUSeconds      *float64 `json:"server_cpu_seconds,omitempty"`
	ValuesPerServerCPUSec *float64 `json:"values_per_server_cpu_sec,omitempty"`
}

// NewReport fills a Report from run statistics. serverCPU < 0 means unknown.
func NewReport(cfg Config, opts WriterOptions, st Stats, serverCPU time.Duration) Report {
	r := Report{
		Workload:    cfg.Workload,
		Scale:       cfg.Scale,
		Writers:     opts.Writers,
		BatchSize:   opts.BatchSize,
		Points:      st.Points,
		Values:      st.Values,
		Batches:     st.Batches,
		Bytes:       st.Bytes,
		Errors:      st.Errors,
		Retries:     st.Retries,
		WallSeconds: st.Wall.Seconds(),
	}
	if w := st.Wall.Seconds(); w > 0 {
		r.PointsPerSec = float64(st.Points) / w
		r.ValuesPerSec = float64(st.Values) / w
	}
	if serverCPU >= 0 {
		cpu := serverCPU.Seconds()
		r.ServerCPUSeconds = &cpu
		if cpu > 0 {
			v := float64(st.Values) / cpu
			r.ValuesPerServerCPUSec = &v
		}
	}
	return r
}

// WriteText prints r for people, one quantity per line.
func (r Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "workload:        %s (scale %d, %d writers, batches of %d)\n"+
		"points:          %d\nvalues:          %d\nbatches:         %d (%d bytes)\n"+
		"errors:          %d (retries %d)\nwall time:       %.2f s\n"+
		"points/s:        %.0f\nvalues/s:        %.0f\n",
		r.Workload, r.Scale, r.Writers, r.BatchSize, r.Points, r.Values, r.Batches, r.Bytes,
		r.Errors, r.Retries, r.WallSeconds, r.PointsPerSec, r.ValuesPerSec)
	if err != nil || r.ServerCPUSeconds == nil {
		return err
	}
	_, err = fmt.Fprintf(w, "server cpu:      %.2f s\n", *r.ServerCPUSeconds)
	if err == nil && r.ValuesPerServerCPUSec != nil {
		_, err = fmt.Fprintf(w, "values/cpu-s:    %.0f\n", *r.ValuesPerServerCPUSec)
	}
	return err
}
