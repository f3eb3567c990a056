package tsdb

// DRAFT: signatures only; the real implementation replaces this file shortly.

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

var errDraft = errors.New("BUG: engine not implemented yet")

// Options configures an Engine; the zero value means defaults.
type Options struct {
	Dir             string
	FS              vfs.FS
	Logger          *slog.Logger
	Registerer      prometheus.Registerer
	WALSync         string // "always" (default), "interval", "none"
	WALSyncInterval time.Duration
	HeadMemoryLimit int64
}

// Engine is the storage engine.
type Engine struct{}

// Batch collects points for one database and retention policy.
type Batch struct{}

func Open(ctx context.Context, opts Options) (*Engine, error)                  { return nil, errDraft }
func (e *Engine) Close() error                                                 { return errDraft }
func (e *Engine) CreateDatabase(ctx context.Context, name string, rp *RetentionPolicySpec) error {
	return errDraft
}
func (e *Engine) DropDatabase(ctx context.Context, name string) error { return errDraft }
func (e *Engine) Databases() []DatabaseInfo                            { return nil }
func (e *Engine) CreateRetentionPolicy(ctx context.Context, db string, spec RetentionPolicySpec, makeDefault bool) error {
	return errDraft
}
func (e *Engine) AlterRetentionPolicy(ctx context.Context, db, name string, upd RetentionPolicyUpdate) error {
	return errDraft
}
func (e *Engine) DropRetentionPolicy(ctx context.Context, db, name string) error { return errDraft }
func (e *Engine) RetentionPolicies(db string) ([]RetentionPolicyInfo, error)    { return nil, errDraft }
func (e *Engine) NewBatch(db, rp string) (*Batch, error)                       { return nil, errDraft }
func (b *Batch) Add(p *model.Point) error                                      { return errDraft }
func (b *Batch) Points() int                                                   { return 0 }
func (b *Batch) Values() int                                                   { return 0 }
func (b *Batch) Release()                                                      {}
func (e *Engine) Commit(ctx context.Context, b *Batch) error                   { return errDraft }
func (e *Engine) CheckWritable() error                                         { return errDraft }
