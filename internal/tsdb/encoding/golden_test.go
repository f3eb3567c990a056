package encoding

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// goldenBlocks are small inputs covering every codec. Their encodings are
// pinned in testdata/golden.txt: a change there is an on-disk format change
// (or a different encoder choice) and must be deliberate. The decoder must
// keep reading the pinned bytes whatever the encoder does later.
func goldenBlocks() []struct {
	name string
	enc  []byte
	want string // fmt %v of the decoded values
} {
	type block = struct {
		name string
		enc  []byte
		want string
	}
	ints := func(name string, v []int64) block {
		return block{name, AppendIntegers(nil, v), fmt.Sprint(v)}
	}
	floats := func(name string, v []float64) block {
		return block{name, AppendFloats(nil, v), fmt.Sprint(bitsOf(v))}
	}
	jitter := seq(10, func(i int) int64 { return 1_700_000_000_000_000_000 + int64(i)*60e9 + int64(i*i%7)*1e6 })
	return []block{
		ints("int/raw-empty", nil),
		ints("int/const", []int64{-3, -3, -3}),
		ints("int/run", []int64{100, 110, 120, 130}),
		ints("int/rle", seq(40, func(i int) int64 { return []int64{3, 90000, -5, 12}[i/10] })),
		ints("int/for", []int64{5, 1, 7, 3, 2, 6, 0, 4}),
		ints("int/delta", jitter),
		ints("int/dod", seq(10, func(i int) int64 { return int64(i * i * i) })),
		ints("int/dod-patched", seq(20, func(i int) int64 { return []int64{int64(i % 5), -1e12}[i/19] })),
		ints("int/raw", []int64{math.MinInt64, math.MaxInt64, -0x1234567890abcdef, 0x7edcba0987654321, 0, -0x6a09e667f3bcc909}),
		floats("float/const", []float64{2.5, 2.5}),
		floats("float/decimal", []float64{58.13, 58.21, 57.99, math.Copysign(0, -1), 58.5}),
		floats("float/xor", []float64{math.Pi, math.Pi, math.E, math.Sqrt2}),
		floats("float/raw", []float64{math.NaN(), math.Inf(-1)}),
		{"bool/packed", AppendBools(nil, []bool{true, false, true, true, false, false, true, false, true}), "[true false true true false false true false true]"},
		{"bool/const", AppendBools(nil, []bool{true, true}), "[true true]"},
		{"bool/rle", AppendBools(nil, append(make([]bool, 40), true, true, true)), fmt.Sprint(append(make([]bool, 40), true, true, true))},
		{"string/plain", AppendStrings(nil, [][]byte{[]byte("a"), []byte("bc")}), "[a bc]"},
		{"string/dict", AppendStrings(nil, [][]byte{[]byte("on"), []byte("off"), []byte("on"), []byte("on")}), "[on off on on]"},
		{"string/zstd", AppendStrings(nil, [][]byte{[]byte(strings.Repeat("sensor ok; ", 10)), []byte(strings.Repeat("sensor fault; ", 10))}),
			fmt.Sprintf("[%s %s]", strings.Repeat("sensor ok; ", 10), strings.Repeat("sensor fault; ", 10))},
	}
}

func decodeAny(name string, b []byte) (string, error) {
	switch name[:strings.IndexByte(name, '/')] {
	case "int":
		v, err := DecodeIntegers(nil, b)
		if len(v) == 0 {
			v = nil
		}
		return fmt.Sprint(v), err
	case "float":
		v, err := DecodeFloats(nil, b)
		return fmt.Sprint(bitsOf(v)), err
	case "bool":
		v, err := DecodeBools(nil, b)
		return fmt.Sprint(v), err
	}
	v, err := DecodeStrings(nil, b)
	return fmt.Sprintf("%s", v), err
}

func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden.txt")
	blocks := goldenBlocks()
	if *update {
		var sb strings.Builder
		sb.WriteString("# name hex-encoding; regenerate with go test -run TestGolden -update\n")
		for _, b := range blocks {
			fmt.Fprintf(&sb, "%s %x\n", b.name, b.enc)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pinned := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, hx, _ := strings.Cut(line, " ")
		b, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pinned[name] = b
	}
	for _, b := range blocks {
		old, ok := pinned[b.name]
		if !ok {
			t.Errorf("%s: not in %s (run with -update)", b.name, path)
			continue
		}
		if got := fmt.Sprintf("%x", b.enc); got != hex.EncodeToString(old) {
			t.Errorf("%s: encoding changed:\n got %s\nwant %x", b.name, got, old)
		}
		got, err := decodeAny(b.name, old)
		if err != nil || got != b.want {
			t.Errorf("%s: decoding pinned bytes: %s, %v; want %s", b.name, got, err, b.want)
		}
		if id := old[0]; !strings.HasSuffix(b.name, "/raw-empty") && !strings.HasPrefix(b.name, codecName(id)) {
			t.Errorf("%s: pinned block uses codec %s", b.name, codecName(id))
		}
	}
}

func codecName(id byte) string {
	return map[byte]string{
		idIntRaw: "int/raw", idIntConst: "int/const", idIntRun: "int/run", idIntRLE: "int/rle",
		idIntFOR: "int/for", idIntDelta: "int/delta", idIntDoD: "int/dod",
		idFloatRaw: "float/raw", idFloatConst: "float/const", idFloatDecimal: "float/decimal", idFloatXOR: "float/xor",
		idBoolPacked: "bool/packed", idBoolConst: "bool/const", idBoolRLE: "bool/rle",
		idStrPlain: "string/plain", idStrDict: "string/dict", idStrZstd: "string/zstd",
	}[id]
}
