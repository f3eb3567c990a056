// Package cq runs InfluxQL continuous queries: it stores their definitions
// in the data directory, answers CREATE/DROP/SHOW CONTINUOUS QUERY, and
// runs each query on its schedule through the query engine. A continuous
// query remembers the end of the last interval it computed, so after a
// restart or an outage it catches up the intervals it missed (up to
// Options.MaxCatchUp of them) instead of leaving holes in downsampled data.
package cq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/influxdata/influxql"
)

// FileName is the file in the data directory that holds the definitions.
const FileName = "continuous_queries.json"

// Options configure a Service.
type Options struct {
	// Dir is the data directory (required).
	Dir string
	// FS is the filesystem; default vfs.Default.
	FS vfs.FS
	// Exec runs the queries, and every statement the service does not own (required).
	Exec query.StatementExecutor
	// Databases lists the existing databases (required): SHOW lists them,
	// and the queries of a dropped database are dropped with it.
	Databases func() []string
	// DefaultPolicy names a database's default retention policy; a new
	// query's measurements are stored fully qualified (db.rp.m) with it, as
	// InfluxDB does, so a later change of default does not move them.
	// Optional.
	DefaultPolicy func(db string) string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives run errors; nil discards them.
	Logger *slog.Logger
	// Tick is how often the scheduler looks for due queries; default 1s.
	Tick time.Duration
	// MaxCatchUp caps how many missed runs of one query are caught up; default 1000.
	MaxCatchUp int
}

// definition is a stored continuous query.
type definition struct {
	Name     string `json:"name"`
	Database string `json:"database"`
	// Query is the CREATE CONTINUOUS QUERY statement.
	Query string `json:"query"`
	// LastRun is the scheduled time (Unix ns) of the last completed run.
	LastRun int64 `json:"last_run"`

	stmt *influxql.CreateContinuousQueryStatement
}

// Service stores and runs continuous queries. It implements
// query.StatementExecutor: CQ statements are its own, everything else goes to Options.Exec.
type Service struct {
	opts Options
	log  *slog.Logger
	path string

	// mu guards defs and the file.
	mu   sync.Mutex
	defs map[string]*definition // by database + "\x00" + name

	stop chan struct{}
	done chan struct{}
	// runMu serialises runs (the scheduler and RunDue).
	runMu sync.Mutex
}

var _ query.StatementExecutor = (*Service)(nil)

// Open loads the stored definitions. Call Start to begin scheduling.
func Open(opts Options) (*Service, error) {
	if opts.Exec == nil || opts.Databases == nil || opts.Dir == "" {
		return nil, errors.New("cq: Dir, Exec and Databases are required")
	}
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.MaxCatchUp <= 0 {
		opts.MaxCatchUp = 1000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{opts: opts, log: log, path: filepath.Join(opts.Dir, FileName), defs: map[string]*definition{}}
	data, err := vfs.ReadFile(opts.FS, s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("cq: %w", err)
	default:
		var list []*definition
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("cq: %s: %w", s.path, err)
		}
		for _, d := range list {
			if err := d.parse(); err != nil {
				return nil, fmt.Errorf("cq: %s: query %q: %w", s.path, d.Name, err)
			}
			s.defs[key(d.Database, d.Name)] = d
		}
	}
	return s, nil
}

func key(db, name string) string { return db + "\x00" + name }

func (d *definition) parse() error {
	stmt, err := influxql.ParseStatement(query.RewriteCalendarIntervals(d.Query))
	if err != nil {
		return err
	}
	cq, ok := stmt.(*influxql.CreateContinuousQueryStatement)
	if !ok {
		return fmt.Errorf("not a CREATE CONTINUOUS QUERY statement")
	}
	d.stmt = cq
	return nil
}

// Start runs the scheduler until Close.
func (s *Service) Start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.opts.Tick)
		defer t.Stop()
		for {
			s.RunDue(context.Background())
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops the scheduler and waits for a running query to finish.
func (s *Service) Close() error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	return nil
}

// save writes the definitions atomically; s.mu held.
func (s *Service) saveLocked() error {
	list := make([]*definition, 0, len(s.defs))
	for _, d := range s.defs {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return key(list[i].Database, list[i].Name) < key(list[j].Database, list[j].Name) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := vfs.WriteFile(s.opts.FS, tmp, data, false); err != nil {
		return err
	}
	if err := s.opts.FS.Rename(tmp, s.path); err != nil {
		return err
	}
	return s.opts.FS.SyncDir(s.opts.Dir)
}

// ExecuteStatement implements query.StatementExecutor.
func (s *Service) ExecuteStatement(ctx context.Context, stmt influxql.Statement, ec query.ExecutionContext) (*query.Result, error) {
	switch st := stmt.(type) {
	case *influxql.CreateContinuousQueryStatement:
		return &query.Result{}, s.create(st)
	case *influxql.DropContinuousQueryStatement:
		return &query.Result{}, s.drop(st.Database, st.Name)
	case *influxql.ShowContinuousQueriesStatement:
		return s.show(), nil
	}
	return s.opts.Exec.ExecuteStatement(ctx, stmt, ec)
}

func (s *Service) dbExists(name string) bool {
	for _, d := range s.opts.Databases() {
		if d == name {
			return true
		}
	}
	return false
}

func (s *Service) create(st *influxql.CreateContinuousQueryStatement) error {
	if !s.dbExists(st.Database) {
		return fmt.Errorf("database not found: %s", st.Database)
	}
	if st.Source.Target == nil {
		return errors.New("continuous query requires an INTO clause")
	}
	interval, err := st.Source.GroupByInterval()
	if err != nil {
		return err
	}
	if interval <= 0 {
		return errors.New("continuous query requires a GROUP BY time() clause")
	}
	s.qualify(st)
	d := &definition{Name: st.Name, Database: st.Database, Query: st.String(), stmt: st}
	d.LastRun = d.boundary(s.opts.Now().UnixNano())
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.defs[key(st.Database, st.Name)]; old != nil {
		if old.Query == d.Query {
			return nil // InfluxDB accepts re-creating an identical query
		}
		return errors.New("continuous query already exists")
	}
	s.defs[key(st.Database, st.Name)] = d
	if err := s.saveLocked(); err != nil {
		delete(s.defs, key(st.Database, st.Name))
		return err
	}
	return nil
}

func (s *Service) drop(db, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(db, name)
	d := s.defs[k]
	if d == nil {
		return nil // InfluxDB 1.8 drops a missing query silently
	}
	delete(s.defs, k)
	if err := s.saveLocked(); err != nil {
		s.defs[k] = d
		return err
	}
	return nil
}

// qualify names the database and retention policy of every measurement
// of a new query (sources, subqueries, target) that names none.
func (s *Service) qualify(st *influxql.CreateContinuousQueryStatement) {
	rp := ""
	if s.opts.DefaultPolicy != nil {
		rp = s.opts.DefaultPolicy(st.Database)
	}
	fix := func(m *influxql.Measurement) {
		if m.Database == "" {
			m.Database = st.Database
		}
		if m.RetentionPolicy == "" {
			m.RetentionPolicy = rp
		}
	}
	var walk func(sel *influxql.SelectStatement)
	walk = func(sel *influxql.SelectStatement) {
		for _, src := range sel.Sources {
			switch x := src.(type) {
			case *influxql.Measurement:
				fix(x)
			case *influxql.SubQuery:
				walk(x.Statement)
			}
		}
	}
	walk(st.Source)
	if st.Source.Target != nil && st.Source.Target.Measurement != nil {
		fix(st.Source.Target.Measurement)
	}
}

// show lists the queries of every database, one series per database.
func (s *Service) show() *query.Result {
	dbs := s.opts.Databases()
	sort.Strings(dbs)
	s.mu.Lock()
	defer s.mu.Unlock()
	res := &query.Result{}
	for _, db := range dbs {
		row := &query.Row{Name: db, Columns: []string{"name", "query"}}
		var names []string
		for _, d := range s.defs {
			if d.Database == db {
				names = append(names, d.Name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			row.Values = append(row.Values, []any{n, s.defs[key(db, n)].Query})
		}
		res.Series = append(res.Series, row)
	}
	return res
}

// schedule returns the GROUP BY interval and offset, the run period and the resample window.
func (d *definition) schedule() (interval, offset, every, window int64) {
	iv, _ := d.stmt.Source.GroupByInterval()
	off, _ := d.stmt.Source.GroupByOffset()
	interval, offset = int64(iv), int64(off)
	every, window = interval, interval
	if d.stmt.ResampleEvery > 0 {
		every = int64(d.stmt.ResampleEvery)
	}
	if d.stmt.ResampleFor > 0 {
		window = int64(d.stmt.ResampleFor)
	}
	return
}

// floorTo aligns t down to a multiple of step shifted by offset.
func floorTo(t, step, offset int64) int64 {
	if step <= 0 {
		return t
	}
	d := (t - offset) % step
	if d < 0 {
		d += step
	}
	return t - d
}

// boundary is the latest scheduled run time at or before now.
func (d *definition) boundary(now int64) int64 {
	_, offset, every, _ := d.schedule()
	return floorTo(now, every, offset)
}

// runRange is the time range a run scheduled at t computes: the complete
// GROUP BY intervals in [t - window, t).
func (d *definition) runRange(t int64) (start, end int64) {
	interval, offset, _, window := d.schedule()
	end = floorTo(t, interval, offset)
	start = floorTo(t-window, interval, offset)
	if start >= end {
		start = end - interval
	}
	return start, end
}

// RunDue runs every query whose next run time has passed, catching up
// missed runs oldest first. It returns the number of runs.
func (s *Service) RunDue(ctx context.Context) int {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	now := s.opts.Now().UnixNano()
	s.mu.Lock()
	var due []*definition
	existing := map[string]bool{}
	for _, db := range s.opts.Databases() {
		existing[db] = true
	}
	dropped := false
	for k, d := range s.defs {
		if !existing[d.Database] {
			delete(s.defs, k) // its database was dropped
			dropped = true
			continue
		}
		if d.boundary(now) > d.LastRun {
			due = append(due, d)
		}
	}
	if dropped {
		if err := s.saveLocked(); err != nil {
			s.log.Error("continuous queries: save", "err", err)
		}
	}
	s.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return key(due[i].Database, due[i].Name) < key(due[j].Database, due[j].Name) })
	runs := 0
	for _, d := range due {
		_, _, every, _ := d.schedule()
		last := d.boundary(now)
		first := d.LastRun + every
		if n := (last-first)/every + 1; n > int64(s.opts.MaxCatchUp) {
			s.log.Warn("continuous query missed more runs than it catches up", "db", d.Database, "name", d.Name, "missed", n, "max", s.opts.MaxCatchUp)
			first = last - int64(s.opts.MaxCatchUp-1)*every
		}
		for t := first; t <= last; t += every {
			if err := s.runOnce(ctx, d, t); err != nil {
				s.log.Error("continuous query failed", "db", d.Database, "name", d.Name, "err", err)
				// The run is not retried: a query that cannot run (e.g. its
				// target was dropped) must not block the ones after it.
			}
			runs++
			s.mu.Lock()
			if cur := s.defs[key(d.Database, d.Name)]; cur == d {
				d.LastRun = t
				if err := s.saveLocked(); err != nil {
					s.log.Error("continuous queries: save", "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
	return runs
}

// runOnce computes the intervals of the run scheduled at t.
func (s *Service) runOnce(ctx context.Context, d *definition, t int64) error {
	start, end := d.runRange(t)
	sel := d.stmt.Source.Clone()
	tc := &influxql.BinaryExpr{Op: influxql.AND,
		LHS: &influxql.BinaryExpr{Op: influxql.GTE, LHS: &influxql.VarRef{Val: "time"}, RHS: &influxql.TimeLiteral{Val: time.Unix(0, start).UTC()}},
		RHS: &influxql.BinaryExpr{Op: influxql.LT, LHS: &influxql.VarRef{Val: "time"}, RHS: &influxql.TimeLiteral{Val: time.Unix(0, end).UTC()}},
	}
	if sel.Condition == nil {
		sel.Condition = tc
	} else {
		sel.Condition = &influxql.BinaryExpr{Op: influxql.AND, LHS: &influxql.ParenExpr{Expr: sel.Condition}, RHS: tc}
	}
	res, err := s.opts.Exec.ExecuteStatement(ctx, sel, query.ExecutionContext{Database: d.Database})
	if err != nil {
		return err
	}
	if res != nil && res.Err != "" {
		return errors.New(res.Err)
	}
	return nil
}
