package query

import (
	"regexp"
	"strconv"
	"time"
)

// Calendar intervals. InfluxQL has no month or year duration, so before
// parsing, RewriteCalendarIntervals turns GROUP BY time(Nmo) and time(Ny)
// into durations that are exact multiples of monthSentinel, a length no
// real interval has (30 days and 7 ns). The planner recognises those
// multiples and windows by calendar months in the query's time zone.
const monthSentinel = int64(30*24*time.Hour) + 7

var calendarRE = regexp.MustCompile(`(?i)\btime\s*\(\s*(\d+)\s*(mo|y)\s*([,)])`)

// RewriteCalendarIntervals rewrites time(Nmo) and time(Ny) in a query so
// the InfluxQL parser accepts them; other text is unchanged.
func RewriteCalendarIntervals(q string) string {
	if !calendarRE.MatchString(q) {
		return q
	}
	return calendarRE.ReplaceAllStringFunc(q, func(m string) string {
		sub := calendarRE.FindStringSubmatch(m)
		n, err := strconv.ParseInt(sub[1], 10, 64)
		if err != nil || n <= 0 || n > 12*10000 {
			return m
		}
		if sub[2] == "y" || sub[2] == "Y" {
			n *= 12
		}
		return "time(" + strconv.FormatInt(n*monthSentinel, 10) + "ns" + sub[3]
	})
}

// calendarMonths returns the number of months an interval stands for, or 0.
func calendarMonths(interval int64) int {
	if interval <= 0 || interval%monthSentinel != 0 {
		return 0
	}
	return int(interval / monthSentinel)
}

// monthWindowStart returns the start of the n-month window holding t:
// windows begin on the first day of a month at midnight in loc, counted
// from January 1970.
func monthWindowStart(t int64, n int, loc *time.Location) int64 {
	if loc == nil {
		loc = time.UTC
	}
	lt := time.Unix(0, t).In(loc)
	m := (lt.Year()-1970)*12 + int(lt.Month()) - 1
	m -= ((m % n) + n) % n
	return time.Date(1970+m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, loc).UnixNano()
}

// monthWindowNext returns the start of the window after the one at s.
func monthWindowNext(s int64, n int, loc *time.Location) int64 {
	if loc == nil {
		loc = time.UTC
	}
	return time.Unix(0, s).In(loc).AddDate(0, n, 0).UnixNano()
}
