package tsdb

// PolicyStats summarises one retention policy's storage.
type PolicyStats struct {
	Database, Policy string
	// Series is the number of series with data on disk or in the head.
	Series int64
	// Points and Values count rows and field values in parts (exact once
	// compacted: uncompacted parts may hold the same point more than once) plus the head.
	Points, Values int64
	Partitions     int
	Parts          int
	PartBytes      int64
	HeadBytes      int64
	// Errors counts blocks whose header could not be read (see `inspect verify`).
	Errors int64
}

// Stats reports storage statistics per retention policy.
func (e *Engine) Stats() []PolicyStats {
	var out []PolicyStats
	for _, rp := range e.allPolicies() {
		st := PolicyStats{Database: rp.db.name, Policy: rp.name}
		views := e.readView(rp, -1<<63, 1<<63-1)
		st.Series = int64(seriesPresent(views).GetCardinality())
		st.Partitions = len(views)
		for _, v := range views {
			for _, pt := range v.parts {
				st.Parts++
				st.PartBytes += pt.size
				var buf []byte
				for i := range pt.idx.blocks {
					bm := &pt.idx.blocks[i]
					st.Points += int64(bm.rows)
					hdr, hb, err := readBlockHeader(pt.f, pt.idx, bm, buf)
					buf = hb
					if err != nil {
						st.Errors++
						continue
					}
					for _, c := range hdr.cols {
						st.Values += int64(c.count)
					}
				}
			}
			for _, hp := range v.heads {
				hp.mu.Lock()
				for _, hs := range hp.series {
					var sb seriesBuf
					hs.decodeLocked(&sb, nil)
					st.Points += int64(len(sb.ts))
					for _, c := range sb.cols {
						for j := range c.vals {
							if c.isValid(j) {
								st.Values++
							}
						}
					}
				}
				hp.mu.Unlock()
			}
		}
		releaseViews(views)
		rp.mu.RLock()
		st.HeadBytes = rp.active.own.Load()
		for _, h := range rp.frozen {
			st.HeadBytes += h.own.Load()
		}
		rp.mu.RUnlock()
		out = append(out, st)
	}
	return out
}
