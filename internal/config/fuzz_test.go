package config

import (
	"testing"
)

// FuzzParse checks that any YAML input either fails cleanly or yields a
// config whose Validate does not panic and whose sizes re-parse to themselves.
func FuzzParse(f *testing.F) {
	f.Add([]byte("data_dir: ./d\nhttp:\n  addr: \":8086\"\n  max_body_size: 25MiB\n"))
	f.Add([]byte("storage:\n  wal_sync: interval\n  wal_sync_interval: 1s\n  head_memory_limit: 1.5GiB\n"))
	f.Add([]byte("log: {level: debug, format: json}\n"))
	f.Add([]byte("http:\n  max_body_size: [1]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil {
			return
		}
		_ = c.Validate()
		for _, s := range []ByteSize{c.HTTP.MaxBodySize, c.Storage.HeadMemoryLimit} {
			if s < 0 {
				continue
			}
			back, err := ParseByteSize(s.String())
			if err != nil || back != s {
				t.Fatalf("size %d renders as %q which parses to %d, %v", s, s.String(), back, err)
			}
		}
	})
}
