package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ErrProcStat reports a /proc/PID/stat file that could not be understood.
var ErrProcStat = errors.New("malformed /proc stat")

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux fixes it at 100
// on every architecture Go supports; reading sysconf(_SC_CLK_TCK) would need cgo.
const clockTicks = 100

// ProcessCPU returns the CPU time (user + system) that process pid has used so far,
// read from /proc/PID/stat. It works on Linux only.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("process %d cpu: %w", pid, err)
	}
	ticks, err := parseProcStat(b)
	if err != nil {
		return 0, fmt.Errorf("process %d cpu: %w", pid, err)
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
}

// parseProcStat returns utime+stime in clock ticks from the contents of /proc/PID/stat.
// The command name (field 2) is in parentheses and may itself contain spaces and ')', so
// fields are counted from the last ')'.
func parseProcStat(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name: %w", ErrProcStat)
	}
	// After ") " come field 3 (state) onwards; utime and stime are fields 14 and 15.
	fields := bytes.Fields(b[i+1:])
	const utime = 14 - 3
	if len(fields) <= utime+1 {
		return 0, fmt.Errorf("%d fields after the command name: %w", len(fields), ErrProcStat)
	}
	u, err := strconv.ParseUint(string(fields[utime]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("utime: %w: %w", ErrProcStat, err)
	}
	s, err := strconv.ParseUint(string(fields[utime+1]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("stime: %w: %w", ErrProcStat, err)
	}
	if u+s < u || u+s > 1<<62 {
		return 0, fmt.Errorf("cpu ticks overflow: %w", ErrProcStat)
	}
	return u + s, nil
}
