package inspect

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// Report is what `inspect report` prints.
type Report struct {
	Policies  []tsdb.PolicyStats
	DiskBytes int64 // the whole data directory, WAL included
	Series    int64
	Points    int64
	Values    int64
}

// BuildReport gathers storage statistics of an open engine and the data dir's size.
func BuildReport(e *tsdb.Engine, fsys vfs.FS, dir string) (*Report, error) {
	r := &Report{Policies: e.Stats()}
	for _, p := range r.Policies {
		r.Series += p.Series
		r.Points += p.Points
		r.Values += p.Values
	}
	n, err := DirSize(fsys, dir)
	if err != nil {
		return nil, err
	}
	r.DiskBytes = n
	return r, nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATABASE\tPOLICY\tSERIES\tPOINTS\tVALUES\tPARTITIONS\tPARTS\tPART BYTES\tBYTES/VALUE")
	for _, p := range r.Policies {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", p.Database, p.Policy, p.Series, p.Points, p.Values,
			p.Partitions, p.Parts, p.PartBytes, perValue(p.PartBytes, p.Values))
	}
	tw.Flush()
	fmt.Fprintf(w, "\ntotal: %d series, %d points, %d values, %d bytes on disk (WAL included), %s bytes/value\n",
		r.Series, r.Points, r.Values, r.DiskBytes, perValue(r.DiskBytes, r.Values))
}

func perValue(bytes, values int64) string {
	if values == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(bytes)/float64(values))
}

// DirSize sums the sizes of every file below dir.
func DirSize(fsys vfs.FS, dir string) (int64, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, de := range entries {
		path := dir + "/" + de.Name()
		if de.IsDir() {
			m, err := DirSize(fsys, path)
			if err != nil {
				return 0, err
			}
			n += m
			continue
		}
		st, err := fsys.Stat(path)
		if err != nil {
			return 0, err
		}
		n += st.Size()
	}
	return n, nil
}
