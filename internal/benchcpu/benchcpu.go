// Package benchcpu reports the CPU time a benchmark's process spends per
// operation, next to the wall time go test reports: on a machine shared
// with other work, wall time counts the time the benchmark was not
// running, CPU time does not.
package benchcpu

import "testing"

// Start returns a function that, called when b's loop has ended, reports
// the process's user and system CPU time per operation as "cpu-ns/op".
// Where the platform cannot tell (Windows), it reports nothing.
func Start(b *testing.B) (stop func()) {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
