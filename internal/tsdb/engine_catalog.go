package tsdb

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// saveCatalogLocked persists the catalog; e.mu must be held for writing.
func (e *Engine) saveCatalogLocked() error {
	return writeFileAtomic(e.fs, filepath.Join(e.opts.Dir, catalogFile), e.mu.state.marshal())
}

func (e *Engine) dbStateLocked(name string) *catalogDBState {
	for i := range e.mu.state.Databases {
		if e.mu.state.Databases[i].Name == name {
			return &e.mu.state.Databases[i]
		}
	}
	return nil
}

// CreateDatabase creates a database with a default retention policy: rp when
// given, else "autogen" keeping data forever. Creating an existing database is
// not an error (InfluxDB semantics) unless rp conflicts with its policies.
func (e *Engine) CreateDatabase(ctx context.Context, name string, rp *RetentionPolicySpec) error {
	if err := validName(name); err != nil {
		return err
	}
	spec := RetentionPolicySpec{Name: defaultPolicyName}
	if rp != nil {
		spec = *rp
		if spec.Name == "" {
			spec.Name = defaultPolicyName
		}
	}
	if err := normalizeSpec(&spec); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.closed {
		return ErrClosed
	}
	if d := e.mu.dbs[name]; d != nil {
		if rp == nil {
			return nil
		}
		existing := d.rps[spec.Name]
		if existing != nil && existing.duration == spec.Duration && existing.partitionDuration == spec.PartitionDuration {
			return nil
		}
		return fmt.Errorf("%w: database %q already exists with a different policy %q", ErrRetentionPolicyExists, name, spec.Name)
	}
	id := e.mu.state.NextID
	rpID := id + 1
	e.mu.state.NextID += 2
	ds := catalogDBState{ID: id, Name: name, DefaultPolicy: spec.Name, Policies: []catalogRPState{{
		ID: rpID, Name: spec.Name, Duration: spec.Duration, PartitionDuration: spec.PartitionDuration, ReplicaN: spec.ReplicaN,
	}}}
	d := newDatabase(id, name, e.dbDir(id))
	d.defaultPolicy = spec.Name
	if err := e.fs.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	p, err := e.openPolicy(d, ds.Policies[0])
	if err != nil {
		return err
	}
	e.mu.state.Databases = append(e.mu.state.Databases, ds)
	if err := e.saveCatalogLocked(); err != nil {
		e.mu.state.Databases = e.mu.state.Databases[:len(e.mu.state.Databases)-1]
		return fmt.Errorf("save catalog: %w", err)
	}
	d.rps[p.name] = p
	e.mu.dbs[name] = d
	e.mu.byID[id] = d
	e.log.Info("created database", "db", name, "policy", spec.Name)
	return nil
}

// DropDatabase removes a database and all its data. Dropping a missing database is not an error.
func (e *Engine) DropDatabase(ctx context.Context, name string) error {
	e.mu.Lock()
	d := e.mu.dbs[name]
	if d == nil {
		e.mu.Unlock()
		return nil
	}
	states := e.mu.state.Databases
	for i := range states {
		if states[i].Name == name {
			e.mu.state.Databases = append(states[:i:i], states[i+1:]...)
			break
		}
	}
	if err := e.saveCatalogLocked(); err != nil {
		e.mu.state.Databases = states
		e.mu.Unlock()
		return fmt.Errorf("save catalog: %w", err)
	}
	delete(e.mu.dbs, name)
	delete(e.mu.byID, d.id)
	e.mu.Unlock()
	for _, rp := range d.rps {
		e.dropPolicyData(rp)
	}
	e.log.Info("dropped database", "db", name)
	return e.fs.RemoveAll(d.dir)
}

// dropPolicyData releases a dropped policy's heads and parts.
func (e *Engine) dropPolicyData(rp *retentionPolicy) {
	rp.mu.Lock()
	heads := append([]*head{rp.active}, rp.frozen...)
	parts := rp.partitions
	rp.partitions = map[int64]*partition{}
	rp.active = newHead(rp, &e.headBytes)
	rp.frozen = nil
	rp.mu.Unlock()
	for _, h := range heads {
		e.headBytes.Add(-h.own.Swap(0))
	}
	for _, p := range parts {
		p.drop()
	}
}

// drop marks a partition dropped and releases its parts.
func (p *partition) drop() {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	p.mu.Lock()
	parts := p.parts
	p.parts = nil
	p.dropped = true
	p.mu.Unlock()
	for _, pt := range parts {
		pt.obsolete.Store(true)
		pt.release()
	}
}

// Databases lists the databases, sorted by name.
func (e *Engine) Databases() []DatabaseInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]DatabaseInfo, 0, len(e.mu.dbs))
	for _, d := range e.mu.dbs {
		out = append(out, DatabaseInfo{Name: d.name, DefaultPolicy: d.defaultPolicy})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CreateRetentionPolicy adds a policy to db. Creating an identical existing policy is not an error.
func (e *Engine) CreateRetentionPolicy(ctx context.Context, db string, spec RetentionPolicySpec, makeDefault bool) error {
	if err := normalizeSpec(&spec); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.mu.dbs[db]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrDatabaseNotFound, db)
	}
	ds := e.dbStateLocked(db)
	if old := d.rps[spec.Name]; old != nil {
		if old.duration == spec.Duration && old.partitionDuration == spec.PartitionDuration && old.replicaN == spec.ReplicaN {
			if makeDefault && d.defaultPolicy != spec.Name {
				prev := ds.DefaultPolicy
				ds.DefaultPolicy = spec.Name
				if err := e.saveCatalogLocked(); err != nil {
					ds.DefaultPolicy = prev
					return err
				}
				d.defaultPolicy = spec.Name
			}
			return nil
		}
		return fmt.Errorf("%w: %q on database %q", ErrRetentionPolicyExists, spec.Name, db)
	}
	rs := catalogRPState{ID: e.mu.state.NextID, Name: spec.Name, Duration: spec.Duration, PartitionDuration: spec.PartitionDuration, ReplicaN: spec.ReplicaN}
	p, err := e.openPolicy(d, rs)
	if err != nil {
		return err
	}
	e.mu.state.NextID++
	prevDefault := ds.DefaultPolicy
	ds.Policies = append(ds.Policies, rs)
	if makeDefault {
		ds.DefaultPolicy = spec.Name
	}
	if err := e.saveCatalogLocked(); err != nil {
		ds.Policies = ds.Policies[:len(ds.Policies)-1]
		ds.DefaultPolicy = prevDefault
		return fmt.Errorf("save catalog: %w", err)
	}
	d.rps[spec.Name] = p
	if makeDefault {
		d.defaultPolicy = spec.Name
	}
	return nil
}

// AlterRetentionPolicy changes a policy's duration, partition duration, replica count or default flag.
// A new partition duration applies to partitions created afterwards.
func (e *Engine) AlterRetentionPolicy(ctx context.Context, db, name string, upd RetentionPolicyUpdate) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.mu.dbs[db]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrDatabaseNotFound, db)
	}
	rp := d.rps[name]
	if rp == nil {
		return fmt.Errorf("%w: %q on database %q", ErrRetentionPolicyNotFound, name, db)
	}
	ds := e.dbStateLocked(db)
	var rs *catalogRPState
	for i := range ds.Policies {
		if ds.Policies[i].Name == name {
			rs = &ds.Policies[i]
		}
	}
	spec := RetentionPolicySpec{Name: name, Duration: rs.Duration, PartitionDuration: rs.PartitionDuration, ReplicaN: rs.ReplicaN}
	if upd.Duration != nil {
		spec.Duration = *upd.Duration
	}
	if upd.PartitionDuration != nil {
		spec.PartitionDuration = *upd.PartitionDuration
	}
	if upd.ReplicaN != nil {
		spec.ReplicaN = *upd.ReplicaN
	}
	if err := normalizeSpec(&spec); err != nil {
		return err
	}
	if spec.Duration > 0 && spec.PartitionDuration > spec.Duration {
		return fmt.Errorf("retention policy duration %s must be greater than the shard duration %s", spec.Duration, spec.PartitionDuration)
	}
	if spec.PartitionDuration != rs.PartitionDuration {
		// Partitions on disk and in the heads are keyed by the width; changing
		// it needs partitions that remember their own width, not built yet.
		return fmt.Errorf("changing the shard duration of existing retention policy %q is not supported yet (it is %s); create a new policy instead", name, rs.PartitionDuration)
	}
	prev, prevDefault := *rs, ds.DefaultPolicy
	rs.Duration, rs.ReplicaN = spec.Duration, spec.ReplicaN
	if upd.MakeDefault {
		ds.DefaultPolicy = name
	}
	if err := e.saveCatalogLocked(); err != nil {
		*rs, ds.DefaultPolicy = prev, prevDefault
		return fmt.Errorf("save catalog: %w", err)
	}
	rp.mu.Lock()
	rp.duration, rp.replicaN = spec.Duration, spec.ReplicaN
	rp.mu.Unlock()
	if upd.MakeDefault {
		d.defaultPolicy = name
	}
	return nil
}

// DropRetentionPolicy removes a policy and its data. Dropping a missing policy is not an error.
func (e *Engine) DropRetentionPolicy(ctx context.Context, db, name string) error {
	e.mu.Lock()
	d := e.mu.dbs[db]
	if d == nil {
		e.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrDatabaseNotFound, db)
	}
	rp := d.rps[name]
	if rp == nil {
		e.mu.Unlock()
		return nil
	}
	ds := e.dbStateLocked(db)
	prev := ds.Policies
	for i := range prev {
		if prev[i].Name == name {
			ds.Policies = append(prev[:i:i], prev[i+1:]...)
			break
		}
	}
	prevDefault := ds.DefaultPolicy
	if ds.DefaultPolicy == name {
		ds.DefaultPolicy = ""
	}
	if err := e.saveCatalogLocked(); err != nil {
		ds.Policies, ds.DefaultPolicy = prev, prevDefault
		e.mu.Unlock()
		return fmt.Errorf("save catalog: %w", err)
	}
	delete(d.rps, name)
	d.defaultPolicy = ds.DefaultPolicy
	e.mu.Unlock()
	e.dropPolicyData(rp)
	return e.fs.RemoveAll(rp.dir)
}

// RetentionPolicies lists db's policies sorted by name.
func (e *Engine) RetentionPolicies(db string) ([]RetentionPolicyInfo, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.mu.dbs[db]
	if d == nil {
		return nil, fmt.Errorf("%w: %q", ErrDatabaseNotFound, db)
	}
	ds := e.dbStateLocked(db)
	out := make([]RetentionPolicyInfo, 0, len(ds.Policies))
	for _, rs := range ds.Policies {
		out = append(out, RetentionPolicyInfo{Name: rs.Name, Duration: rs.Duration, PartitionDuration: rs.PartitionDuration,
			ReplicaN: rs.ReplicaN, Default: rs.Name == ds.DefaultPolicy})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
