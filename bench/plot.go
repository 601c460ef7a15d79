package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// This file turns JSON lines into SVG plots with no dependencies: the
// latency CDF per system and broadcast path (one plot per config, payload
// and N), and wire bytes per broadcast and idle CPU against N.

// readResults reads the JSON lines of path, skipping blank lines and
// comment lines (starting with '#', as results files note their runs).
func readResults(path string) ([]result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	defer f.Close()
	var out []result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if t := strings.TrimSpace(sc.Text()); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("plot: %s line %d: %w", path, line, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("plot: read %s: %w", path, err)
	}
	return out, nil
}

// writePlots writes the SVG plots of the "run" lines in path to dir.
func writePlots(path, dir string) error {
	rs, err := readResults(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	// Latest line per cell wins.
	type cell struct {
		config      string
		payload, n  int
		system, api string
	}
	last := map[cell]result{}
	var cells []cell
	for _, r := range rs {
		if r.Mode != "run" || r.Error != "" {
			continue
		}
		k := cell{r.Config, r.PayloadBytes, r.Nodes, r.System, r.API}
		if _, ok := last[k]; !ok {
			cells = append(cells, k)
		}
		last[k] = r
	}
	label := func(k cell) string { return k.system + " " + k.api }

	// Latency CDFs.
	type group struct {
		config     string
		payload, n int
	}
	cdfs := map[group][]series{}
	var groups []group
	for _, k := range cells {
		r := last[k]
		if len(r.LatencyQuantilesMs) == 0 {
			continue
		}
		g := group{k.config, k.payload, k.n}
		if _, ok := cdfs[g]; !ok {
			groups = append(groups, g)
		}
		var s series
		s.label = label(k)
		for i, q := range r.LatencyQuantilesMs {
			s.pts = append(s.pts, point{max(q, 0.01), float64(i*5) / 100 * r.MessagesComplete})
		}
		cdfs[g] = append(cdfs[g], s)
	}
	for _, g := range groups {
		c := chart{
			title:  fmt.Sprintf("Time until every node has a broadcast: N=%d, %d B, %s config", g.n, g.payload, g.config),
			xlabel: "milliseconds (log)", ylabel: "fraction of broadcasts",
			xlog: true, series: cdfs[g],
		}
		name := fmt.Sprintf("latency_cdf_%s_%dB_n%d.svg", g.config, g.payload, g.n)
		if err := c.write(filepath.Join(dir, name)); err != nil {
			return err
		}
	}

	// Figures against N.
	byN := func(f func(result) float64, perPayload bool) (map[string][]series, []string) {
		acc := map[string]map[string][]point{}
		var keys []string
		for _, k := range cells {
			r := last[k]
			key := k.config
			if perPayload {
				key = fmt.Sprintf("%s_%dB", k.config, k.payload)
			}
			lbl := label(k)
			if !perPayload {
				lbl = k.system
				if k.api != "queue" && k.system != "hyparlist" {
					continue
				}
				if k.api == "native" {
					continue // the idle figures are the cluster's, not the path's
				}
				lbl = fmt.Sprintf("%s %d B", k.system, k.payload)
			}
			if acc[key] == nil {
				acc[key] = map[string][]point{}
				keys = append(keys, key)
			}
			acc[key][lbl] = append(acc[key][lbl], point{float64(k.n), f(r)})
		}
		out := map[string][]series{}
		for key, m := range acc {
			labels := make([]string, 0, len(m))
			for l := range m {
				labels = append(labels, l)
			}
			slices.Sort(labels)
			for _, l := range labels {
				pts := m[l]
				slices.SortFunc(pts, func(a, b point) int { return int(a.x - b.x) })
				out[key] = append(out[key], series{label: l, pts: pts})
			}
		}
		return out, keys
	}
	bytes, keys := byN(func(r result) float64 { return r.WireBytesPerBroadcast }, true)
	for _, key := range keys {
		c := chart{
			title:  "Bytes on the wire per broadcast per node, " + strings.ReplaceAll(key, "_", " config, "),
			xlabel: "nodes (log)", ylabel: "bytes per broadcast per node (log)",
			xlog: true, ylog: true, series: bytes[key],
		}
		if err := c.write(filepath.Join(dir, "bytes_per_broadcast_"+key+".svg")); err != nil {
			return err
		}
	}
	cpu, keys := byN(func(r result) float64 { return r.IdleCPUCores }, false)
	for _, key := range keys {
		c := chart{
			title:  "Idle CPU of the whole process, " + key + " config",
			xlabel: "nodes (log)", ylabel: "cores",
			xlog: true, series: cpu[key],
		}
		if err := c.write(filepath.Join(dir, "idle_cpu_"+key+".svg")); err != nil {
			return err
		}
	}
	return nil
}

type point struct{ x, y float64 }

type series struct {
	label string
	pts   []point
}

// chart is a line chart with optional log axes.
type chart struct {
	title, xlabel, ylabel string
	xlog, ylog            bool
	series                []series
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

func (c chart) write(path string) error {
	const (
		w, h                     = 720, 440
		left, right, top, bottom = 80, 200, 40, 50
	)
	tx := func(v float64) float64 {
		if c.xlog {
			return math.Log10(max(v, 1e-9))
		}
		return v
	}
	ty := func(v float64) float64 {
		if c.ylog {
			return math.Log10(max(v, 1e-9))
		}
		return v
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.series {
		for _, p := range s.pts {
			x0, x1 = min(x0, tx(p.x)), max(x1, tx(p.x))
			y0, y1 = min(y0, ty(p.y)), max(y1, ty(p.y))
		}
	}
	if math.IsInf(x0, 0) {
		return nil
	}
	if !c.ylog {
		y0 = min(y0, 0)
	}
	if x1 == x0 {
		x1 = x0 + 1
	}
	if y1 == y0 {
		y1 = y0 + 1
	}
	if c.xlog {
		x0, x1 = math.Floor(x0), math.Ceil(x1)
	}
	if c.ylog {
		y0, y1 = math.Floor(y0), math.Ceil(y1)
	}
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	px := func(v float64) float64 { return left + (tx(v)-x0)/(x1-x0)*pw }
	py := func(v float64) float64 { return top + ph - (ty(v)-y0)/(y1-y0)*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">%s</text>`+"\n", left, esc(c.title))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%g" height="%g" fill="none" stroke="#444"/>`+"\n", left, top, pw, ph)
	ticks := func(lo, hi float64, log bool) []float64 {
		var t []float64
		if log {
			for e := lo; e <= hi; e++ {
				t = append(t, math.Pow(10, e))
			}
			return t
		}
		step := niceStep((hi - lo) / 5)
		for v := math.Ceil(lo/step) * step; v <= hi+step/1e6; v += step {
			t = append(t, v)
		}
		return t
	}
	for _, v := range ticks(x0, x1, c.xlog) {
		x := px(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%g" stroke="#ddd"/>`, x, top, x, top+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", x, top+ph+16, fmtNum(v))
	}
	for _, v := range ticks(y0, y1, c.ylog) {
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>`, left, y, left+pw, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, fmtNum(v))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%d" text-anchor="middle">%s</text>`+"\n", left+pw/2, h-10, esc(c.xlabel))
	fmt.Fprintf(&b, `<text x="16" y="%g" text-anchor="middle" transform="rotate(-90 16 %g)">%s</text>`+"\n", top+ph/2, top+ph/2, esc(c.ylabel))
	for i, s := range c.series {
		col := palette[i%len(palette)]
		var pts []string
		for _, p := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		for _, p := range s.pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, px(p.x), py(p.y), col)
		}
		ly := top + 10 + 18*i
		fmt.Fprintf(&b, "\n"+`<line x1="%g" y1="%d" x2="%g" y2="%d" stroke="%s" stroke-width="2"/>`, left+pw+12, ly, left+pw+32, ly, col)
		fmt.Fprintf(&b, `<text x="%g" y="%d">%s</text>`+"\n", left+pw+38, ly+4, esc(s.label))
	}
	b.WriteString("</svg>\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case math.Abs(v) >= 1e4:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
