// Package tsdb is Fieldhub's time-series storage engine. It stores typed series
// (measurement + tags → float, integer, unsigned, boolean and string fields with
// nanosecond timestamps) on local disk and knows nothing of HTTP, MQTT or
// InfluxQL.
//
// # Shape
//
// Data dir: catalog.json (databases and retention policies), wal/ (one
// write-ahead log for the whole engine), and per database db-<id>/ with
// series.log (series key → id), series.drop (dropped series), fields.json
// (field types) and per retention policy rp-<id>/p<start>/ time partitions
// holding immutable part files and a MANIFEST. docs/format/ describes every
// file byte by byte.
//
// Write path: Engine.NewBatch → Batch.Add (validates, resolves series ids and
// field types, encodes a binary WAL record) → Engine.Commit (WAL append with
// group-commit fsync, then the record is applied to the in-memory head). A
// commit is acknowledged only once durable per Options.WALSync. The head keeps
// per series one compactly encoded row buffer in arrival order (headseries.go);
// it is decoded, sorted and de-duplicated (same series and timestamp: fields
// merge, the last write wins) when read or flushed. When the head grows past FlushSize or FlushInterval passes, a
// checkpoint freezes it, writes one level-0 part per time partition, persists
// new series and fields, and deletes the WAL segments it covered. Tiered
// compaction merges parts in the background; retention drops whole partitions.
//
// # Read API (for the query engine)
//
//   - SelectSeries(db, rp, measurement, *TagExpr, tmin, tmax) → matching series
//     with data in the range (tag =, !=, =~, !~ combined with AND/OR; a missing
//     tag compares as "").
//   - ReadSeries(db, rp, ids, fields, tmin, tmax, fn) streams, per series and
//     partition, rows in ascending time with unique timestamps and aligned
//     columns (Column.Valid marks nulls).
//   - WindowAggregates(db, rp, id, field, tmin, tmax, every, offset, fn) gives
//     count/sum/min/max/first/last per window; blocks that lie inside a window
//     and overlap no other source are answered from block statistics without
//     decoding.
//   - LastValues(db, rp, ids) answers the latest value of every field from the
//     last-value cache and the head.
//   - Measurements, Fields, SeriesCount; DeleteSeries deletes rows.
//   - For InfluxQL's SHOW statements (meta.go): MeasurementNames, TagKeys,
//     TagValues, SeriesKeys, SeriesCardinality over the roaring postings,
//     restricted to series with data in partitions overlapping a time range.
//   - DropMeasurement, DropSeries and DeleteRange remove series from the
//     index durably (series.drop) and delete their rows (tombstones).
//
// Every read works on a snapshot taken at its start (parts are reference
// counted, so compaction never pulls a file from under a reader); data
// committed afterwards may or may not be seen.
//
// # Concurrency and buffer lifetimes
//
// An Engine is safe for concurrent use. A Batch is not; it belongs to one
// goroutine from NewBatch to Release. Points passed to Batch.Add are copied.
// Slices in a SeriesBatch or WindowAggregate are valid only during the
// callback; Columns returned by value (LastValues) are owned by the caller.
// Close waits for background goroutines, flushes the head and closes files.
//
// # Errors
//
// ErrDatabaseNotFound, ErrRetentionPolicyNotFound, ErrHeadFull (back-pressure:
// retry later), ErrOutsideRetention, *FieldTypeConflictError, and ErrCorrupt
// for anything on disk that fails a checksum or does not decode.
package tsdb
