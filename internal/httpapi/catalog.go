package httpapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// catalogExecutor runs the statements that manage databases, retention
// policies and running queries (SHOW QUERIES, KILL QUERY) directly and passes
// everything else to next. It is the front of the executor chain.
type catalogExecutor struct {
	engine  *tsdb.Engine
	queries *queryManager
	next    QueryExecutor // nil: nothing else is supported
}

var _ QueryExecutor = (*catalogExecutor)(nil)

// ExecuteStatement implements QueryExecutor.
func (c *catalogExecutor) ExecuteStatement(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error) {
	e := c.engine
	switch s := stmt.(type) {
	case *influxql.CreateDatabaseStatement:
		var spec *tsdb.RetentionPolicySpec
		if s.RetentionPolicyCreate {
			spec = &tsdb.RetentionPolicySpec{Name: s.RetentionPolicyName, PartitionDuration: s.RetentionPolicyShardGroupDuration, ReplicaN: 1}
			if s.RetentionPolicyDuration != nil {
				spec.Duration = *s.RetentionPolicyDuration
			}
			if s.RetentionPolicyReplication != nil {
				spec.ReplicaN = *s.RetentionPolicyReplication
			}
		}
		return &Result{}, e.CreateDatabase(ctx, s.Name, spec)
	case *influxql.DropDatabaseStatement:
		err := e.DropDatabase(ctx, s.Name)
		if errors.Is(err, tsdb.ErrDatabaseNotFound) {
			err = nil // InfluxDB 1.8 drops a missing database silently
		}
		return &Result{}, err
	case *influxql.ShowDatabasesStatement:
		row := &Row{Name: "databases", Columns: []string{"name"}}
		for _, d := range e.Databases() {
			row.Values = append(row.Values, []any{d.Name})
		}
		return &Result{Series: []*Row{row}}, nil
	case *influxql.CreateRetentionPolicyStatement:
		spec := tsdb.RetentionPolicySpec{Name: s.Name, Duration: s.Duration, PartitionDuration: s.ShardGroupDuration, ReplicaN: s.Replication}
		return &Result{}, notFound(e.CreateRetentionPolicy(ctx, s.Database, spec, s.Default), s.Database)
	case *influxql.AlterRetentionPolicyStatement:
		upd := tsdb.RetentionPolicyUpdate{Duration: s.Duration, PartitionDuration: s.ShardGroupDuration, ReplicaN: s.Replication, MakeDefault: s.Default}
		return &Result{}, notFound(e.AlterRetentionPolicy(ctx, s.Database, s.Name, upd), s.Database)
	case *influxql.DropRetentionPolicyStatement:
		return &Result{}, notFound(e.DropRetentionPolicy(ctx, s.Database, s.Name), s.Database)
	case *influxql.ShowRetentionPoliciesStatement:
		db := s.Database
		if db == "" {
			db = ec.Database
		}
		if db == "" {
			return nil, errors.New("database name required")
		}
		rps, err := e.RetentionPolicies(db)
		if err != nil {
			return nil, notFound(err, db)
		}
		row := &Row{Columns: []string{"name", "duration", "shardGroupDuration", "replicaN", "default"}}
		for _, rp := range rps {
			row.Values = append(row.Values, []any{rp.Name, formatDuration(rp.Duration), formatDuration(rp.PartitionDuration), rp.ReplicaN, rp.Default})
		}
		return &Result{Series: []*Row{row}}, nil
	case *influxql.ShowQueriesStatement:
		return c.queries.showQueries(), nil
	case *influxql.KillQueryStatement:
		// ON "host" names a node of an InfluxDB Enterprise cluster; a hub is
		// one node, so the host is ignored as InfluxDB OSS does.
		return &Result{}, c.queries.kill(s.QueryID)
	}
	if c.next != nil {
		res, err := c.next.ExecuteStatement(ctx, stmt, ec)
		if !errors.Is(err, ErrStatementNotSupported) {
			return res, err
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrStatementNotSupported, stmt.String())
}

// notFound rewrites a missing-database error in InfluxDB's words.
func notFound(err error, db string) error {
	if errors.Is(err, tsdb.ErrDatabaseNotFound) {
		return fmt.Errorf("database not found: %s", db)
	}
	return err
}

// formatDuration renders a duration like InfluxDB does ("0s", "168h0m0s").
func formatDuration(d time.Duration) string { return d.String() }
