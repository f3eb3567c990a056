package lineproto

import (
	"strconv"

	"github.com/fieldhub/fieldhub/internal/model"
)

// AppendPoint appends pt to dst as one line of line protocol, without a trailing newline, and
// returns the extended slice. Names are escaped so that Parser reads the line back to an equal
// point: floats use the shortest representation that round-trips bit-exactly, integers get an
// `i` suffix and unsigned integers a `u`, and the timestamp is always written in nanoseconds.
//
// Tags with an empty value and fields of unknown type are left out, since line protocol has no
// way to write them. Line protocol cannot represent a newline in a measurement, tag or field
// key, a name that ends in a backslash (the backslash would escape the separator after it), a
// NaN or infinite float, a time outside [MinTime, MaxTime], duplicate tag keys, or a point
// without fields; AppendPoint writes such points as they are and the result will not parse.
// Every point that Parser returns can be written.
func AppendPoint(dst []byte, pt *model.Point) []byte {
	dst = appendEscaped(dst, pt.Measurement, cMeasEsc)
	for _, t := range pt.Tags {
		if len(t.Value) == 0 {
			continue
		}
		dst = append(dst, ',')
		dst = appendEscaped(dst, t.Key, cKeyEsc)
		dst = append(dst, '=')
		dst = appendEscaped(dst, t.Value, cKeyEsc)
	}
	sep := byte(' ')
	for i := range pt.Fields {
		f := &pt.Fields[i]
		if f.Type < model.Float || f.Type > model.String {
			continue
		}
		dst = append(dst, sep)
		sep = ','
		dst = appendEscaped(dst, f.Key, cKeyEsc)
		dst = append(dst, '=')
		switch f.Type {
		case model.Float:
			dst = strconv.AppendFloat(dst, f.F, 'g', -1, 64)
		case model.Integer:
			dst = append(strconv.AppendInt(dst, f.I, 10), 'i')
		case model.Unsigned:
			dst = append(strconv.AppendUint(dst, f.U, 10), 'u')
		case model.Boolean:
			dst = strconv.AppendBool(dst, f.B)
		case model.String:
			dst = AppendQuotedString(dst, f.S)
		}
	}
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, pt.Time, 10)
}

// AppendEscapedMeasurement appends a measurement name with commas and spaces escaped.
func AppendEscapedMeasurement(dst, name []byte) []byte {
	return appendEscaped(dst, name, cMeasEsc)
}

// AppendEscapedKey appends a tag key, tag value or field key with commas, equals signs and
// spaces escaped.
func AppendEscapedKey(dst, key []byte) []byte {
	return appendEscaped(dst, key, cKeyEsc)
}

// AppendQuotedString appends a string field value in double quotes, with double quotes and
// backslashes escaped.
func AppendQuotedString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for len(s) > 0 {
		// Copy runs without special bytes in one append; most strings have none.
		i := 0
		for i < len(s) && s[i] != '"' && s[i] != '\\' {
			i++
		}
		dst = append(dst, s[:i]...)
		if i == len(s) {
			break
		}
		dst = append(dst, '\\', s[i])
		s = s[i+1:]
	}
	return append(dst, '"')
}

// appendEscaped appends b with a backslash before every byte of class esc.
func appendEscaped(dst, b []byte, esc uint8) []byte {
	for _, c := range b {
		if class[c]&esc != 0 {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}
