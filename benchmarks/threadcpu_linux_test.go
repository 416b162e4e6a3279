//go:build linux

package benchmarks

import "syscall"

// threadCPU returns the CPU time the calling thread has used, in
// nanoseconds (getrusage RUSAGE_THREAD). Time spent waiting for a CPU is
// not in it, which is what makes it readable on a busy machine.
func threadCPU() (int64, bool) {
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
