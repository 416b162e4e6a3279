//go:build !linux

package benchmarks

func threadCPU() (int64, bool) { return 0, false }
