package model

import "fmt"

// FieldType is the stored type of a field. The zero value is invalid.
type FieldType uint8

// Field types, matching InfluxDB's: float64, int64 (`i`), uint64 (`u`), bool and string.
const (
	FieldTypeUnknown FieldType = iota
	Float
	Integer
	Unsigned
	Boolean
	String
)

// String returns the InfluxQL name of the type ("float", "integer", ...).
func (t FieldType) String() string {
	switch t {
	case Float:
		return "float"
	case Integer:
		return "integer"
	case Unsigned:
		return "unsigned"
	case Boolean:
		return "boolean"
	case String:
		return "string"
	}
	return fmt.Sprintf("fieldtype(%d)", uint8(t))
}

// Tag is one tag key/value pair, unescaped.
type Tag struct {
	Key, Value []byte
}

// Field is one typed field value, unescaped. Only the member matching Type is meaningful.
type Field struct {
	Key  []byte
	Type FieldType
	F    float64
	I    int64 // Integer
	U    uint64
	B    bool
	S    []byte // String
}

// Point is one measurement at one time: a series (measurement + tags) and its fields.
// Tags are sorted by key with duplicate keys removed; field keys are unique within a point
// (a parser keeps the last value of a repeated key). Time is in nanoseconds since the Unix epoch.
type Point struct {
	Measurement []byte
	Tags        []Tag
	Fields      []Field
	Time        int64
}

// Reset empties p keeping its slices' capacity for reuse.
func (p *Point) Reset() {
	p.Measurement = p.Measurement[:0]
	p.Tags = p.Tags[:0]
	p.Fields = p.Fields[:0]
	p.Time = 0
}
