package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
)

// This file writes the -pprof profiles: what the goroutines of an idle
// cluster are doing and what its heap holds, to see the cost per node.

// writeProfiles writes prefix-goroutine.txt (every goroutine's stack,
// grouped and counted), prefix-goroutine-full.txt (one stack per goroutine)
// and prefix-heap.pb.gz (`go tool pprof -sample_index=inuse_space`) to dir.
func writeProfiles(dir, prefix string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, p := range []struct {
		name, file string
		debug      int
	}{
		{"goroutine", prefix + "-goroutine.txt", 1},
		{"goroutine", prefix + "-goroutine-full.txt", 2},
		{"heap", prefix + "-heap.pb.gz", 0},
	} {
		if err := writeProfile(filepath.Join(dir, p.file), p.name, p.debug); err != nil {
			return err
		}
	}
	return nil
}

// writeProfile writes the named runtime profile to path.
func writeProfile(path, name string, debug int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile %s: %w", name, err)
	}
	if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
		f.Close()
		return fmt.Errorf("profile %s: write %s: %w", name, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("profile %s: close %s: %w", name, path, err)
	}
	return nil
}

// heapProfilePath is where -heap-profile file puts system's profile: file
// itself when one system runs, else file with the system's name before
// its extension (heap.pb.gz: heap-hyparlist.pb.gz).
func heapProfilePath(file, system string, systems int) string {
	if systems <= 1 {
		return file
	}
	dir, base := filepath.Split(file)
	stem, ext, _ := strings.Cut(base, ".")
	if ext != "" {
		ext = "." + ext
	}
	return filepath.Join(dir, stem+"-"+system+ext)
}
