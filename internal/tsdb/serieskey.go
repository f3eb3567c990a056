package tsdb

import (
	"encoding/binary"
	"fmt"

	"github.com/fieldhub/fieldhub/internal/model"
)

// A series key identifies a series: its measurement and sorted tag set, in a
// compact binary form: uvarint(len) measurement, then per tag uvarint(len) key
// uvarint(len) value. It is unambiguous for any bytes, unlike an escaped text form.

// appendSeriesKey appends the key of p's series to dst.
func appendSeriesKey(dst []byte, measurement []byte, tags []model.Tag) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(measurement)))
	dst = append(dst, measurement...)
	for i := range tags {
		dst = binary.AppendUvarint(dst, uint64(len(tags[i].Key)))
		dst = append(dst, tags[i].Key...)
		dst = binary.AppendUvarint(dst, uint64(len(tags[i].Value)))
		dst = append(dst, tags[i].Value...)
	}
	return dst
}

// parseSeriesKey splits a key into its measurement and tags; the results alias key.
func parseSeriesKey(key []byte, tags []model.Tag) (measurement []byte, _ []model.Tag, err error) {
	next := func() ([]byte, error) {
		n, w := binary.Uvarint(key)
		if w <= 0 || n > uint64(len(key)-w) {
			return nil, fmt.Errorf("%w: bad series key", ErrCorrupt)
		}
		s := key[w : w+int(n)]
		key = key[w+int(n):]
		return s, nil
	}
	if measurement, err = next(); err != nil {
		return nil, tags, err
	}
	for len(key) > 0 {
		k, err := next()
		if err != nil {
			return nil, tags, err
		}
		v, err := next()
		if err != nil {
			return nil, tags, err
		}
		tags = append(tags, model.Tag{Key: k, Value: v})
	}
	return measurement, tags, nil
}

// seriesKeyMeasurement returns the measurement part of a key without parsing tags.
func seriesKeyMeasurement(key []byte) []byte {
	n, w := binary.Uvarint(key)
	if w <= 0 || n > uint64(len(key)-w) {
		return nil
	}
	return key[w : w+int(n)]
}
