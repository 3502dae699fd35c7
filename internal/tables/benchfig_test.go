package tables

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// Figures that make bench prints beside the targets. Wall time on
// the shared bench machine swings with whatever else runs, so the figures
// that compare are taken in the same run: the process CPU per operation
// (Azurite runs in its own process, so this is the handler's share), and the
// median of an operation beside the median of the storage queries it needs,
// made directly with aztables, in alternating rounds.

// cpuTime returns the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportVersusStorage runs op and direct alternately rounds times each and
// reports their medians (ms) and the ratio of the medians.
func reportVersusStorage(b *testing.B, rounds int, op, direct func() error) {
	b.Helper()
	var ops, directs []float64
	timed := func(fn func() error) float64 {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		return float64(time.Since(start).Microseconds()) / 1000
	}
	for range rounds {
		ops = append(ops, timed(op))
		directs = append(directs, timed(direct))
	}
	mo, md := median(ops), median(directs)
	b.ReportMetric(mo, "median-ms")
	b.ReportMetric(md, "storage-median-ms")
	b.ReportMetric(mo/md, "x-storage")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// rawQuery reads every page of a query with aztables alone, as a direct
// caller of the SDK would: the storage floor of a read path.
func rawQuery(ctx context.Context, c *Client, table, filter, sel string) error {
	opts := &aztables.ListEntitiesOptions{Filter: &filter}
	if sel != "" {
		opts.Select = &sel
	}
	pager := c.table(table).NewListEntitiesPager(opts)
	for pager.More() {
		if _, err := pager.NextPage(ctx); err != nil {
			return err
		}
	}
	return nil
}
