package tsdb

import (
	"errors"
	"fmt"

	"github.com/fieldhub/fieldhub/internal/model"
)

// Sentinel errors. Callers test with errors.Is.
var (
	// ErrDatabaseNotFound: the named database does not exist (HTTP 404 on write).
	ErrDatabaseNotFound = errors.New("database not found")
	// ErrRetentionPolicyNotFound: the named retention policy does not exist.
	ErrRetentionPolicyNotFound = errors.New("retention policy not found")
	// ErrRetentionPolicyExists: a policy of that name exists with different settings.
	ErrRetentionPolicyExists = errors.New("retention policy already exists")
	// ErrInvalidName: a database, retention policy, measurement, tag or field name is empty or not valid UTF-8.
	ErrInvalidName = errors.New("invalid name")
	// ErrHeadFull: the in-memory head reached its memory limit; retry after the
	// background flush catches up (HTTP 429/503 with Retry-After).
	ErrHeadFull = errors.New("head memory limit reached, retry later")
	// ErrOutsideRetention: a point is older than its retention policy keeps.
	ErrOutsideRetention = errors.New("point is outside the retention policy")
	// ErrCorrupt marks data on disk that failed a checksum or could not be decoded.
	ErrCorrupt = errors.New("corrupt data")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("engine closed")
)

// FieldTypeConflictError rejects a point whose field type differs from the type
// already stored for that field of that measurement.
type FieldTypeConflictError struct {
	Measurement string
	Field       string
	Stored      model.FieldType
	Got         model.FieldType
}

func (e *FieldTypeConflictError) Error() string {
	return fmt.Sprintf("field type conflict: input field %q on measurement %q is type %s, already exists as type %s",
		e.Field, e.Measurement, e.Got, e.Stored)
}
