//go:build unix

package hyparlist

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the test process has
// used, for benchmarks that report CPU per operation; ok is false where
// it cannot be read.
func processCPU() (cpu time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
