package lineproto

import "strconv"

// AppendFloatTest formats f so that it parses back to the same bits.
func AppendFloatTest(f float64, format byte) []byte {
	return strconv.AppendFloat(nil, f, format, -1, 64)
}
