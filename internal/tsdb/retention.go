package tsdb

import (
	"time"
)

// retentionLoop drops partitions that lie entirely before their policy's horizon.
func (e *Engine) retentionLoop() {
	defer e.wg.Done()
	tick := time.NewTicker(e.opts.RetentionInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
			e.EnforceRetention()
		}
	}
}

// EnforceRetention drops every partition (on disk and in the heads) whose
// whole time range is older than its retention policy keeps. It returns the
// number of partitions dropped.
func (e *Engine) EnforceRetention() int {
	now := e.now().UnixNano()
	dropped := 0
	for _, rp := range e.allPolicies() {
		dur := rp.retention()
		if dur <= 0 {
			continue
		}
		horizon := now - int64(dur)
		var victims []*partition
		rp.mu.Lock()
		for start, p := range rp.partitions {
			if p.end <= horizon {
				victims = append(victims, p)
				delete(rp.partitions, start)
			}
		}
		for _, h := range append([]*head{rp.active}, rp.frozen...) {
			h.mu.Lock()
			for start, hp := range h.parts {
				if hp.end <= horizon && h == rp.active {
					// Expired head data of the active head is simply forgotten;
					// after a restart, replay brings it back until the next run.
					delete(h.parts, start)
				}
			}
			h.mu.Unlock()
		}
		rp.mu.Unlock()
		for _, p := range victims {
			p.drop()
			if err := e.fs.RemoveAll(p.dir); err != nil {
				e.log.Error("remove expired partition", "dir", p.dir, "err", err)
			}
			e.log.Info("dropped expired partition", "db", rp.db.name, "policy", rp.name,
				"start", time.Unix(0, p.start).UTC(), "end", time.Unix(0, p.end).UTC())
			dropped++
		}
	}
	if e.metrics != nil && dropped > 0 {
		e.metrics.retentionDrops.Add(float64(dropped))
	}
	return dropped
}
