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
// key, a NaN or infinite float, or a point without fields; AppendPoint writes such points as
// they are and the result will not parse.
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
			dst = append(dst, '"')
			for _, c := range f.S {
				if c == '"' || c == '\\' {
					dst = append(dst, '\\')
				}
				dst = append(dst, c)
			}
			dst = append(dst, '"')
		}
	}
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, pt.Time, 10)
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
