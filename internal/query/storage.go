package query

import (
	"context"

	"github.com/fieldhub/fieldhub/internal/tsdb"
)

// Storage is everything the query engine reads and changes in the storage
// engine. *tsdb.Engine implements it; the query package uses nothing else of
// tsdb but its value types.
type Storage interface {
	dataStorage
	metaStorage
}

// dataStorage is the part of Storage that SELECT reads through.
type dataStorage interface {
	// SelectSeries returns the series of measurement matching expr with data in [tmin, tmax], sorted by id.
	SelectSeries(ctx context.Context, db, rp, measurement string, expr *tsdb.TagExpr, tmin, tmax int64) ([]tsdb.SeriesInfo, error)
	// ReadSeries streams rows of each series in ids within [tmin, tmax].
	ReadSeries(ctx context.Context, db, rp string, ids []uint64, fields []string, tmin, tmax int64, fn func(*tsdb.SeriesBatch) error) error
	// WindowAggregates computes per-window aggregates of one field of one series.
	WindowAggregates(ctx context.Context, db, rp string, seriesID uint64, field string, tmin, tmax, every, offset int64, fn func(*tsdb.WindowAggregate) error) error
	// LastValues returns the latest value of every field of each series.
	LastValues(ctx context.Context, db, rp string, ids []uint64) (map[uint64]map[string]tsdb.Value, error)
	// LastFieldValues returns the latest value of each of fields for each series, flat.
	LastFieldValues(ctx context.Context, db, rp string, ids []uint64, fields []string) ([]tsdb.Value, []bool, error)
	// Measurements lists the measurements of db, sorted.
	Measurements(db string) ([]string, error)
	// Fields lists a measurement's fields and types, sorted by name.
	Fields(db, measurement string) ([]tsdb.FieldInfo, error)
	// Databases lists the databases.
	Databases() []tsdb.DatabaseInfo
	// RetentionPolicies lists the policies of db.
	RetentionPolicies(db string) ([]tsdb.RetentionPolicyInfo, error)
	// NewBatch starts a write batch (SELECT INTO).
	NewBatch(db, rp string) (*tsdb.Batch, error)
	// Commit writes a batch durably.
	Commit(ctx context.Context, b *tsdb.Batch) error
}

var _ Storage = (*tsdb.Engine)(nil)
