package sim

import (
	"math"
	"strconv"
)

// The battery workload is an IoT fleet of battery boxes reporting roughly once a minute with
// jitter. Fields are typed as real devices send them (floats with fixed decimals, an integer
// counter, a bool and a string), and 1% of points arrive late: a box that lost its uplink
// sends a buffered reading minutes to hours after it was taken.

const (
	batteryInterval = int64(60_000_000_000) // nominal 60 s between readings
	batteryJitterMS = 10_000                // ± 10 s of jitter, in ms
	batteryFields   = 7
	lateOneIn       = 100                    // 1% of points are delivered late
	lateMinDelay    = 2 * 60 * 1_000_000_000 // 2 min
	lateMaxFactor   = 120                    // … up to 2 min × 120 = 4 h
	batteryFullSoC  = 10000                  // 100.00 %
	firmwareUpgrade = 20000                  // a box upgrades with p = 1/20000 per reading
	msNS            = int64(1_000_000)       // ns per ms
)

var (
	batteryZones    = []string{"north", "south", "east", "west", "central"}
	batteryFirmware = []string{`"1.2.0"`, `"1.3.1"`, `"1.4.0"`, `"2.0.2"`}
)

// device is the simulated physical state of one battery box.
type device struct {
	next     int64 // ns timestamp of the next reading
	count    int64 // readings taken so far
	soc      int64 // state of charge, hundredths of a percent
	low      int64 // soc at which the box starts charging
	temp     int64 // tenths of a degree Celsius
	ambient  int64 // tenths of a degree Celsius
	drain    int64 // typical discharge current, hundredths of an ampere
	cycles   int64
	fw       int
	charging bool
}

// lateLine is a reading held back to be delivered at release.
type lateLine struct {
	release int64
	seq     int64 // tie-break so that the order never depends on heap internals
	line    []byte
}

type batteryGen struct {
	r        rng
	prec     Precision
	maxCount int64 // 0 = unbounded
	endNS    int64 // 0 = unbounded

	prefixes [][]byte // "battery,device=…,site=…,zone=… " per device
	devs     []device
	ready    []int32 // min-heap of device indices by devs[i].next
	late     []lateLine
	free     [][]byte // recycled lateLine buffers
	seq      int64
}

func newBattery(cfg Config) *batteryGen {
	g := &batteryGen{
		r:        newRNG(cfg.Seed),
		prec:     cfg.Precision,
		maxCount: int64(cfg.PointsPerSeries),
		prefixes: make([][]byte, cfg.Scale),
		devs:     make([]device, cfg.Scale),
		ready:    make([]int32, 0, cfg.Scale),
	}
	if !cfg.End.IsZero() {
		g.endNS = cfg.End.UnixNano()
	}
	start := cfg.Start.UnixNano()
	sites := max(1, cfg.Scale/20)
	for i := range g.devs {
		site := g.r.intn(int64(sites))
		b := make([]byte, 0, 64)
		b = append(b, "battery,device=bx-"...)
		b = appendPadded(b, int64(i), 6)
		b = append(b, ",site=site-"...)
		b = appendPadded(b, site, 4)
		b = append(b, ",zone="...)
		b = append(b, batteryZones[site%int64(len(batteryZones))]...)
		b = append(b, ' ')
		g.prefixes[i] = b

		ambient := g.r.rangeIn(120, 300)
		g.devs[i] = device{
			next:     start + g.r.intn(batteryInterval/msNS)*msNS,
			soc:      g.r.rangeIn(2000, batteryFullSoC),
			low:      g.r.rangeIn(1500, 3000),
			temp:     ambient,
			ambient:  ambient,
			drain:    g.r.rangeIn(300, 2000),
			cycles:   g.r.rangeIn(0, 800),
			fw:       int(g.r.intn(int64(len(batteryFirmware)))),
			charging: g.r.intn(4) == 0,
		}
		if g.live(&g.devs[i]) {
			g.pushReady(int32(i))
		}
	}
	return g
}

// live reports whether d still has readings to take.
func (g *batteryGen) live(d *device) bool {
	return (g.maxCount == 0 || d.count < g.maxCount) && (g.endNS == 0 || d.next < g.endNS)
}

// Next implements Generator.
func (g *batteryGen) Next(dst []byte) ([]byte, int, bool) {
	for {
		// Late readings are delivered once the fleet's clock passes their release time,
		// or at the end when nothing else is left.
		if len(g.late) > 0 && (len(g.ready) == 0 || g.late[0].release <= g.devs[g.ready[0]].next) {
			l := g.popLate()
			dst = append(dst, l.line...)
			g.free = append(g.free, l.line[:0])
			return dst, batteryFields, true
		}
		if len(g.ready) == 0 {
			return dst, 0, false
		}
		i := g.ready[0]
		d := &g.devs[i]
		t := d.next
		g.step(d)
		d.count++
		d.next += batteryInterval + g.r.rangeIn(-batteryJitterMS, batteryJitterMS)*msNS
		if g.live(d) {
			g.fixReadyTop()
		} else {
			g.popReady()
		}
		if g.r.intn(lateOneIn) == 0 {
			// Log-uniform delay: most late readings are minutes old, a few are hours old.
			delay := int64(float64(lateMinDelay) * math.Pow(lateMaxFactor, g.r.float64()))
			var buf []byte
			if n := len(g.free); n > 0 {
				buf, g.free = g.free[n-1], g.free[:n-1]
			}
			buf = g.appendReading(buf, int(i), t)
			g.pushLate(lateLine{release: t + delay, seq: g.seq, line: buf})
			g.seq++
			continue
		}
		return g.appendReading(dst, int(i), t), batteryFields, true
	}
}

// step advances d's physics by one reading interval.
func (g *batteryGen) step(d *device) {
	if d.charging {
		d.soc += g.r.rangeIn(20, 60)
		if d.soc >= batteryFullSoC {
			d.soc = batteryFullSoC
			d.charging = false
			d.cycles++
		}
	} else {
		d.soc -= g.r.rangeIn(2, 30)
		if d.soc <= d.low || g.r.intn(2000) == 0 {
			d.soc = max(d.soc, 0)
			d.charging = true
		}
	}
	if d.fw < len(batteryFirmware)-1 && g.r.intn(firmwareUpgrade) == 0 {
		d.fw++
	}
}

// appendReading formats the current state of device i at time t.
func (g *batteryGen) appendReading(dst []byte, i int, t int64) []byte {
	d := &g.devs[i]
	var current int64
	if d.charging {
		current = g.r.rangeIn(1500, 3000)
	} else {
		current = -(d.drain + g.r.rangeIn(-200, 200))
	}
	// Pack voltage follows state of charge (46–54 V) and sits higher while charging.
	voltage := 4600 + d.soc*8/100 + g.r.rangeIn(-3, 3)
	if d.charging {
		voltage += 40
	}
	// Temperature drifts towards ambient plus self-heating from the current.
	target := d.ambient + abs64(current)/100
	d.temp += (target-d.temp)/8 + g.r.rangeIn(-2, 2)

	dst = append(dst, g.prefixes[i]...)
	dst = append(dst, "soc="...)
	dst = appendFixed(dst, d.soc, 2)
	dst = append(dst, ",voltage="...)
	dst = appendFixed(dst, voltage, 2)
	dst = append(dst, ",current="...)
	dst = appendFixed(dst, current, 2)
	dst = append(dst, ",temperature="...)
	dst = appendFixed(dst, d.temp, 1)
	dst = append(dst, ",cycles="...)
	dst = strconv.AppendInt(dst, d.cycles, 10)
	dst = append(dst, 'i')
	dst = append(dst, ",charging="...)
	dst = strconv.AppendBool(dst, d.charging)
	dst = append(dst, ",firmware="...)
	dst = append(dst, batteryFirmware[d.fw]...)
	dst = append(dst, ' ')
	dst = appendTime(dst, t, g.prec)
	return append(dst, '\n')
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// appendPadded appends v in decimal, left-padded with zeros to width digits.
func appendPadded(dst []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// The two heaps are written out rather than using container/heap, whose interface{}
// Push/Pop would allocate on every reading.

func (g *batteryGen) readyLess(a, b int32) bool {
	na, nb := g.devs[a].next, g.devs[b].next
	return na < nb || (na == nb && a < b)
}

func (g *batteryGen) pushReady(i int32) {
	g.ready = append(g.ready, i)
	h := g.ready
	for j := len(h) - 1; j > 0; {
		p := (j - 1) / 2
		if !g.readyLess(h[j], h[p]) {
			break
		}
		h[j], h[p] = h[p], h[j]
		j = p
	}
}

func (g *batteryGen) popReady() {
	n := len(g.ready) - 1
	g.ready[0] = g.ready[n]
	g.ready = g.ready[:n]
	g.fixReadyTop()
}

// fixReadyTop restores the heap after the top element's key grew.
func (g *batteryGen) fixReadyTop() {
	h := g.ready
	for j := 0; ; {
		l := 2*j + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && g.readyLess(h[r], h[l]) {
			m = r
		}
		if !g.readyLess(h[m], h[j]) {
			return
		}
		h[j], h[m] = h[m], h[j]
		j = m
	}
}

func lateLess(a, b *lateLine) bool {
	return a.release < b.release || (a.release == b.release && a.seq < b.seq)
}

func (g *batteryGen) pushLate(l lateLine) {
	g.late = append(g.late, l)
	h := g.late
	for j := len(h) - 1; j > 0; {
		p := (j - 1) / 2
		if !lateLess(&h[j], &h[p]) {
			break
		}
		h[j], h[p] = h[p], h[j]
		j = p
	}
}

func (g *batteryGen) popLate() lateLine {
	h := g.late
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = lateLine{}
	h = h[:n]
	g.late = h
	for j := 0; ; {
		l := 2*j + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && lateLess(&h[r], &h[l]) {
			m = r
		}
		if !lateLess(&h[m], &h[j]) {
			break
		}
		h[j], h[m] = h[m], h[j]
		j = m
	}
	return top
}
