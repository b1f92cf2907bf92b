//go:build unix

package token

import (
	"syscall"
	"testing"
	"time"
)

// cpuMetric reports, beside the wall time, the CPU time the process spent
// per operation (cpu-ns/op, garbage collection included): on a machine
// shared with other jobs, wall time counts the time the benchmark waited
// for a core, CPU time does not. Call it right before the loop and defer
// the function it returns.
func cpuMetric(b *testing.B) func() {
	start := cpuNow()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
