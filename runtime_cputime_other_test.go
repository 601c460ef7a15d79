//go:build !unix

package hyparlist

import "time"

// processCPU reports that the process's CPU time cannot be read here.
func processCPU() (cpu time.Duration, ok bool) { return 0, false }
