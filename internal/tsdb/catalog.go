package tsdb

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// catalogFile is the name of the database/retention-policy catalog in the data dir.
const catalogFile = "catalog.json"

// defaultPolicyName is the retention policy InfluxDB creates with every database.
const defaultPolicyName = "autogen"

// catalogState is the persisted form of the catalog. Directories are named by
// numeric id so that any UTF-8 database name is safe on disk.
type catalogState struct {
	Version   int              `json:"version"`
	NextID    uint64           `json:"next_id"`
	Databases []catalogDBState `json:"databases"`
}

type catalogDBState struct {
	ID            uint64           `json:"id"`
	Name          string           `json:"name"`
	DefaultPolicy string           `json:"default_policy"`
	Policies      []catalogRPState `json:"policies"`
}

type catalogRPState struct {
	ID                uint64        `json:"id"`
	Name              string        `json:"name"`
	Duration          time.Duration `json:"duration"`
	PartitionDuration time.Duration `json:"partition_duration"`
	ReplicaN          int           `json:"replica_n"`
}

// partitionDurationFor picks a partition width the way InfluxDB picks shard
// group durations: short retention gets narrow partitions so whole partitions
// can be dropped on time; long or infinite retention gets a week.
func partitionDurationFor(retention time.Duration) time.Duration {
	switch {
	case retention > 0 && retention < 2*24*time.Hour:
		return time.Hour
	case retention > 0 && retention <= 180*24*time.Hour:
		return 24 * time.Hour
	default:
		return 7 * 24 * time.Hour
	}
}

func validName(s string) error {
	if s == "" || !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q", ErrInvalidName, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return fmt.Errorf("%w: %q contains a control character", ErrInvalidName, s)
		}
	}
	return nil
}

func normalizeSpec(spec *RetentionPolicySpec) error {
	if err := validName(spec.Name); err != nil {
		return err
	}
	if spec.Duration < 0 || (spec.Duration > 0 && spec.Duration < time.Hour) {
		return fmt.Errorf("retention policy duration must be at least 1h or 0 (infinite), got %s", spec.Duration)
	}
	if spec.PartitionDuration == 0 {
		spec.PartitionDuration = partitionDurationFor(spec.Duration)
	}
	if spec.PartitionDuration < time.Hour {
		return fmt.Errorf("shard duration must be at least 1h, got %s", spec.PartitionDuration)
	}
	if spec.ReplicaN <= 0 {
		spec.ReplicaN = 1
	}
	return nil
}

// writeFileAtomic publishes data at path: tmp file, fsync, rename, fsync dir.
func writeFileAtomic(fs vfs.FS, path string, data []byte) error {
	tmp := path + ".tmp"
	if err := vfs.WriteFile(fs, tmp, data, false); err != nil {
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return err
	}
	return fs.SyncDir(filepath.Dir(path))
}

func (c *catalogState) marshal() []byte {
	sort.Slice(c.Databases, func(i, j int) bool { return c.Databases[i].Name < c.Databases[j].Name })
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic("BUG: marshal catalog: " + err.Error())
	}
	return b
}
