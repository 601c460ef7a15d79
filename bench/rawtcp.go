package main

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// This file measures the raw ceiling: conns loopback TCP connections in
// this process, each writer sending size-byte messages (one Write each) as
// fast as it can and each reader reading whole messages, with no protocol.
// It reports the messages read per second and the CPU cores the process
// used meanwhile: what a broadcast protocol on this machine could at most
// move.

func rawCeiling(conns, size int, d time.Duration) (result, error) {
	load := loadAvg()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, fmt.Errorf("raw: listen: %w", err)
	}
	defer ln.Close()
	var (
		read atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
		open []net.Conn
		mu   sync.Mutex
	)
	track := func(c net.Conn) {
		mu.Lock()
		open = append(open, c)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range conns {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, size)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					read.Add(1)
				}
			}()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			stop.Store(true)
			return result{}, fmt.Errorf("raw: dial: %w", err)
		}
		track(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, size)
			for !stop.Load() {
				if _, err := c.Write(msg); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // warm up
	r0, cpu0, t0 := read.Load(), cpuTime(), time.Now()
	time.Sleep(d)
	r1, cpu1, secs := read.Load(), cpuTime(), time.Since(t0).Seconds()
	stop.Store(true)
	mu.Lock()
	for _, c := range open {
		_ = c.Close()
	}
	mu.Unlock()
	_ = ln.Close()
	wg.Wait()
	return result{
		Mode: "raw", System: "raw_tcp", API: "none", Nodes: conns, RawConns: conns,
		PayloadBytes: size, LoadAvgBefore: load, GoVersion: goVersion(), Timestamp: now(),
		RawMessagesPerS:   round3(float64(r1-r0) / secs),
		RawCores:          round3((cpu1 - cpu0).Seconds() / secs),
		Timeouts:          []string{},
		JoinConvergenceMs: -1, Join99Ms: -1, CrashDetectionMs: -1,
	}, nil
}
