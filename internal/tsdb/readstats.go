package tsdb

import (
	"context"
	"sync/atomic"
)

// ReadStats counts the storage work of reads made with a context from
// WithReadStats; EXPLAIN ANALYZE reports them. It is safe for concurrent use.
type ReadStats struct {
	// BlocksDecoded counts part blocks read from disk and decoded.
	BlocksDecoded atomic.Int64
	// BlocksFromStats counts part blocks answered from their statistics without decoding.
	BlocksFromStats atomic.Int64
	// BlocksSkipped counts blocks of a read series that lie outside the time range.
	BlocksSkipped atomic.Int64
	// BytesRead counts the bytes of decoded blocks.
	BytesRead atomic.Int64
	// HeadRows counts rows taken from the in-memory head.
	HeadRows atomic.Int64
}

type readStatsKey struct{}

// WithReadStats returns a context whose reads are counted in s.
func WithReadStats(ctx context.Context, s *ReadStats) context.Context {
	return context.WithValue(ctx, readStatsKey{}, s)
}

func readStatsFrom(ctx context.Context) *ReadStats {
	s, _ := ctx.Value(readStatsKey{}).(*ReadStats)
	return s
}

// withStats attaches the context's counters to views.
func withStats(ctx context.Context, views []partitionView) {
	if s := readStatsFrom(ctx); s != nil {
		for i := range views {
			views[i].stats = s
		}
	}
}
