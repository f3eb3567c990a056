package tsdb

import "time"

// RetentionPolicySpec describes a retention policy to create.
type RetentionPolicySpec struct {
	Name string
	// Duration is how long data is kept; 0 keeps it forever.
	Duration time.Duration
	// PartitionDuration is the width of a time partition (InfluxDB's shard group
	// duration); 0 derives it from Duration like InfluxDB does.
	PartitionDuration time.Duration
	// ReplicaN is accepted for compatibility and reported back; a single node keeps one copy.
	ReplicaN int
}

// RetentionPolicyInfo describes an existing retention policy.
type RetentionPolicyInfo struct {
	Name              string
	Duration          time.Duration
	PartitionDuration time.Duration
	ReplicaN          int
	Default           bool
}

// RetentionPolicyUpdate changes an existing policy; nil members stay as they are.
type RetentionPolicyUpdate struct {
	Duration          *time.Duration
	PartitionDuration *time.Duration
	ReplicaN          *int
	MakeDefault       bool
}

// DatabaseInfo describes an existing database.
type DatabaseInfo struct {
	Name          string
	DefaultPolicy string
}
