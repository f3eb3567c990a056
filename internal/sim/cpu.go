package sim

import "strconv"

// The cpu workload mirrors the Time Series Benchmark Suite's cpu-only use case: hosts with
// ten tags that never change and ten usage counters that wander within [0, 100].

const cpuInterval = int64(10_000_000_000) // 10 s between points of a host

// cpuFieldKeys are the ten TSBS cpu fields, in TSBS order.
var cpuFieldKeys = [...]string{
	"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
	"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
}

const cpuFields = len(cpuFieldKeys)

// cpuRegions lists each region with its datacenters, as in TSBS.
var cpuRegions = []struct {
	name string
	dcs  []string
}{
	{"us-east-1", []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"}},
	{"us-west-1", []string{"us-west-1a", "us-west-1b"}},
	{"us-west-2", []string{"us-west-2a", "us-west-2b", "us-west-2c"}},
	{"eu-west-1", []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}},
	{"eu-central-1", []string{"eu-central-1a", "eu-central-1b"}},
	{"ap-southeast-1", []string{"ap-southeast-1a", "ap-southeast-1b"}},
	{"ap-southeast-2", []string{"ap-southeast-2a", "ap-southeast-2b"}},
	{"ap-northeast-1", []string{"ap-northeast-1a", "ap-northeast-1c"}},
	{"sa-east-1", []string{"sa-east-1a", "sa-east-1b", "sa-east-1c"}},
}

var (
	cpuOS      = []string{"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"}
	cpuArch    = []string{"x64", "x86"}
	cpuTeam    = []string{"SF", "NYC", "LON", "CHI"}
	cpuEnviron = []string{"production", "staging", "test"}
)

// cpuGen emits one point per host every 10 s of simulated time; all hosts share the
// timestamp of a tick and are emitted in host order, so the stream is time-ordered.
type cpuGen struct {
	r        rng
	prec     Precision
	hosts    int
	maxTicks int64 // 0 = unbounded
	endNS    int64 // 0 = unbounded

	prefixes [][]byte // "cpu,hostname=…,service_environment=… " per host
	keys     [cpuFields][]byte
	vals     []int64 // hosts × cpuFields, hundredths of a percent in [0, 10000]

	tick int64
	host int
	now  int64 // ns timestamp of the current tick
	done bool
}

func newCPU(cfg Config) *cpuGen {
	g := &cpuGen{
		r:        newRNG(cfg.Seed),
		prec:     cfg.Precision,
		hosts:    cfg.Scale,
		maxTicks: int64(cfg.PointsPerSeries),
		now:      cfg.Start.UnixNano(),
		prefixes: make([][]byte, cfg.Scale),
		vals:     make([]int64, cfg.Scale*cpuFields),
	}
	if !cfg.End.IsZero() {
		g.endNS = cfg.End.UnixNano()
	}
	for i, k := range cpuFieldKeys {
		sep := ","
		if i == 0 {
			sep = ""
		}
		g.keys[i] = []byte(sep + k + "=")
	}
	for h := range g.prefixes {
		reg := cpuRegions[g.r.intn(int64(len(cpuRegions)))]
		b := make([]byte, 0, 200)
		b = append(b, "cpu,hostname=host_"...)
		b = strconv.AppendInt(b, int64(h), 10)
		b = append(b, ",region="...)
		b = append(b, reg.name...)
		b = append(b, ",datacenter="...)
		b = append(b, reg.dcs[g.r.intn(int64(len(reg.dcs)))]...)
		b = append(b, ",rack="...)
		b = strconv.AppendInt(b, g.r.intn(100), 10)
		b = append(b, ",os="...)
		b = append(b, cpuOS[g.r.intn(int64(len(cpuOS)))]...)
		b = append(b, ",arch="...)
		b = append(b, cpuArch[g.r.intn(int64(len(cpuArch)))]...)
		b = append(b, ",team="...)
		b = append(b, cpuTeam[g.r.intn(int64(len(cpuTeam)))]...)
		b = append(b, ",service="...)
		b = strconv.AppendInt(b, g.r.intn(20), 10)
		b = append(b, ",service_version="...)
		b = strconv.AppendInt(b, g.r.intn(2), 10)
		b = append(b, ",service_environment="...)
		b = append(b, cpuEnviron[g.r.intn(int64(len(cpuEnviron)))]...)
		b = append(b, ' ')
		g.prefixes[h] = b
	}
	for i := range g.vals {
		g.vals[i] = g.r.intn(10001)
	}
	return g
}

// Next implements Generator.
func (g *cpuGen) Next(dst []byte) ([]byte, int, bool) {
	if g.done {
		return dst, 0, false
	}
	if g.host == g.hosts {
		g.host = 0
		g.tick++
		g.now += cpuInterval
	}
	if (g.maxTicks > 0 && g.tick >= g.maxTicks) || (g.endNS != 0 && g.now >= g.endNS) {
		g.done = true
		return dst, 0, false
	}
	dst = append(dst, g.prefixes[g.host]...)
	vals := g.vals[g.host*cpuFields : (g.host+1)*cpuFields]
	for i := range vals {
		// A bounded random walk: steps of up to ±1.00 reflected at 0 and 100, so the
		// series look like real utilisation (smooth, 2 decimals, never out of range).
		v := vals[i] + g.r.rangeIn(-100, 100)
		if v < 0 {
			v = -v
		} else if v > 10000 {
			v = 20000 - v
		}
		vals[i] = v
		dst = append(dst, g.keys[i]...)
		dst = appendFixed(dst, v, 2)
	}
	dst = append(dst, ' ')
	dst = appendTime(dst, g.now, g.prec)
	dst = append(dst, '\n')
	g.host++
	return dst, cpuFields, true
}
