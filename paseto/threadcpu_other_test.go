//go:build !linux

package paseto

func threadCPU() (int64, bool) { return 0, false }
