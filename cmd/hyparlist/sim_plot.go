package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hyparlist/hyparlist/internal/sim"
)

// This file draws the simulator's figures as hand-written SVG: grouped bar
// charts, histograms and line charts, with axes and tick labels.

// writeSimPlots writes SVG figures of results into dir (created if
// needed):
//   - reliability.svg: reliability of the first broadcast after a crash
//     against the failed fraction, Plumtree next to the flood baseline,
//     plus the reliability after healing ("fail" results);
//   - active_in_degree.svg and passive_in_degree.svg: in-degree
//     histograms of the stable overlay ("overlay" result);
//   - broadcasts.svg: RMR and LDH (Plumtree and flood) of each broadcast
//     in sending order ("broadcast" result).
//
// A figure whose experiment is missing from results is not written.
func writeSimPlots(dir string, results []sim.SimResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	write := func(name, svg string) error {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(svg), 0o644); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
		return nil
	}
	var fails []sim.SimResult
	for _, r := range results {
		switch r.Experiment {
		case sim.ExperimentFail:
			if r.ReliabilityFirstBroadcast != nil {
				fails = append(fails, r)
			}
		case sim.ExperimentOverlay:
			title := fmt.Sprintf("in-degree, %d nodes, seed %d", r.Nodes, r.Seed)
			if err := write("active_in_degree.svg", histogramSVG("Active view "+title, "active in-degree", r.ActiveInDegreeHist)); err != nil {
				return err
			}
			if err := write("passive_in_degree.svg", histogramSVG("Passive view "+title, "passive in-degree", r.PassiveInDegreeHist)); err != nil {
				return err
			}
		case sim.ExperimentBroadcast:
			if err := write("broadcasts.svg", broadcastsSVG(r)); err != nil {
				return err
			}
		}
	}
	if len(fails) > 0 {
		return write("reliability.svg", reliabilitySVG(fails))
	}
	return nil
}

// Plot geometry, in SVG user units.
const (
	plotW, plotH         = 720, 400
	plotLeft, plotRight  = 70, 20
	plotTop, plotBottom  = 40, 60
	plotInnerW           = plotW - plotLeft - plotRight
	plotInnerH           = plotH - plotTop - plotBottom
	plotLegendLineHeight = 16
)

// svgColors are the series colours, in order.
var svgColors = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}

// svgPlot accumulates one chart.
type svgPlot struct {
	b          strings.Builder
	xmin, xmax float64
	ymin, ymax float64
	top        float64 // y offset of this panel
	height     float64 // inner height of this panel
	legend     int
}

// svgDoc starts a document of the given height with a title.
func svgDoc(height int, title string) *strings.Builder {
	b := &strings.Builder{}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, height, plotW, height)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%d" y="22" text-anchor="middle" font-size="15">%s</text>`+"\n", plotW/2, html.EscapeString(title))
	return b
}

// svgPanel starts a chart panel at vertical offset top with the given ranges.
func svgPanel(top, height float64, xmin, xmax, ymin, ymax float64) *svgPlot {
	if ymax <= ymin {
		ymax = ymin + 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	return &svgPlot{xmin: xmin, xmax: xmax, ymin: ymin, ymax: ymax, top: top, height: height}
}

func (p *svgPlot) x(v float64) float64 {
	return plotLeft + (v-p.xmin)/(p.xmax-p.xmin)*plotInnerW
}

func (p *svgPlot) y(v float64) float64 {
	return p.top + p.height - (v-p.ymin)/(p.ymax-p.ymin)*p.height
}

// axes draws the frame, y ticks with grid lines, x ticks at xticks (label
// by xlabel), and the axis titles.
func (p *svgPlot) axes(xtitle, ytitle string, xticks []float64, xlabel func(float64) string) {
	b := &p.b
	for _, t := range svgTicks(p.ymin, p.ymax, 5) {
		y := p.y(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, y, plotW-plotRight, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotLeft-6, y+4, svgTickLabel(t))
	}
	for _, t := range xticks {
		x := p.x(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x, p.top+p.height, x, p.top+p.height+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, p.top+p.height+17, html.EscapeString(xlabel(t)))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="none" stroke="black"/>`+"\n", plotLeft, p.top, plotInnerW, p.height)
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="middle">%s</text>`+"\n", plotLeft+plotInnerW/2, p.top+p.height+36, html.EscapeString(xtitle))
	cy := p.top + p.height/2
	fmt.Fprintf(b, `<text x="16" y="%.1f" text-anchor="middle" transform="rotate(-90 16 %.1f)">%s</text>`+"\n", cy, cy, html.EscapeString(ytitle))
}

// legendEntry adds a coloured legend line in the panel's top-right corner,
// on a white background.
func (p *svgPlot) legendEntry(color, label string) {
	y := p.top + 14 + float64(p.legend*plotLegendLineHeight)
	x := float64(plotW - plotRight - 190)
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="186" height="%d" fill="white" fill-opacity="0.85"/>`+"\n", x-4, y-12, plotLegendLineHeight)
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="12" height="10" fill="%s"/>`+"\n", x, y-9, color)
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x+18, y, html.EscapeString(label))
	p.legend++
}

// marker draws a dashed vertical line at data x with a label to its right;
// nothing when x is outside the panel.
func (p *svgPlot) marker(x float64, label string) {
	if x <= p.xmin || x >= p.xmax {
		return
	}
	px := p.x(x)
	fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="gray" stroke-dasharray="4 3"/>`+"\n", px, p.top, px, p.top+p.height)
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" fill="gray">%s</text>`+"\n", px+4, p.top+14, html.EscapeString(label))
}

// polyline draws a series of points.
func (p *svgPlot) polyline(xs, ys []float64, color string) {
	var pts strings.Builder
	for i := range xs {
		fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(xs[i]), p.y(ys[i]))
	}
	fmt.Fprintf(&p.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", strings.TrimSpace(pts.String()), color)
}

// bar draws a bar from the x axis (ymin) to v, between data x0 and x1.
func (p *svgPlot) bar(x0, x1, v float64, color string) {
	top := p.y(v)
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
		p.x(x0), top, p.x(x1)-p.x(x0), p.y(p.ymin)-top, color)
}

// reliabilitySVG draws the reliability of the "fail" results as grouped
// bars per failed fraction.
func reliabilitySVG(fails []sim.SimResult) string {
	doc := svgDoc(plotH, fmt.Sprintf("Reliability after a crash, %d nodes, seed %d", fails[0].Nodes, fails[0].Seed))
	// Headroom above 1 keeps the legend clear of the bars.
	p := svgPanel(plotTop, plotInnerH, -0.5, float64(len(fails))-0.5, 0, 1.3)
	var ticks []float64
	for i := range fails {
		ticks = append(ticks, float64(i))
	}
	p.axes("fraction of nodes crashed at once", "fraction of survivors delivering", ticks, func(t float64) string {
		return strconv.FormatFloat(fails[int(t)].FailFraction, 'g', -1, 64)
	})
	series := []struct {
		label string
		get   func(sim.SimResult) float64
	}{
		{"Plumtree, first broadcast", func(r sim.SimResult) float64 { return simValue(r.ReliabilityFirstBroadcast) }},
		{"flood, first broadcast", func(r sim.SimResult) float64 { return simValue(r.ReliabilityFirstBroadcastFlood) }},
		{"Plumtree, after healing", func(r sim.SimResult) float64 { return simValue(r.ReliabilityAfterHealing) }},
	}
	const groupW = 0.8
	w := groupW / float64(len(series))
	for si, s := range series {
		for i, r := range fails {
			x0 := float64(i) - groupW/2 + float64(si)*w
			p.bar(x0, x0+w*0.9, s.get(r), svgColors[si])
		}
		p.legendEntry(svgColors[si], s.label)
	}
	doc.WriteString(p.b.String())
	doc.WriteString("</svg>\n")
	return doc.String()
}

// histogramSVG draws a histogram: hist[k] nodes have value k.
func histogramSVG(title, xtitle string, hist []int) string {
	doc := svgDoc(plotH, title)
	ymax := 0
	for _, c := range hist {
		ymax = max(ymax, c)
	}
	p := svgPanel(plotTop, plotInnerH, -0.5, float64(max(len(hist), 1))-0.5, 0, float64(ymax)*1.05)
	var ticks []float64
	step := max(1, len(hist)/15)
	for k := 0; k < len(hist); k += step {
		ticks = append(ticks, float64(k))
	}
	p.axes(xtitle, "nodes", ticks, func(t float64) string { return strconv.Itoa(int(t)) })
	for k, c := range hist {
		if c > 0 {
			p.bar(float64(k)-0.4, float64(k)+0.4, float64(c), svgColors[0])
		}
	}
	doc.WriteString(p.b.String())
	doc.WriteString("</svg>\n")
	return doc.String()
}

// broadcastsSVG draws RMR (top panel) and LDH (bottom panel) per broadcast.
func broadcastsSVG(r sim.SimResult) string {
	const height = 2*plotInnerH + plotTop + 2*plotBottom
	doc := svgDoc(height, fmt.Sprintf("Per broadcast, %d nodes, seed %d", r.Nodes, r.Seed))
	n := len(r.BroadcastRMR)
	xs := make([]float64, n)
	ldh := make([]float64, n)
	flood := make([]float64, n)
	rmrMax, ldhMax := 0.0, 0.0
	for i := range xs {
		xs[i] = float64(i + 1)
		ldh[i] = float64(r.BroadcastLDH[i])
		flood[i] = float64(r.BroadcastFloodLDH[i])
		rmrMax = max(rmrMax, r.BroadcastRMR[i])
		ldhMax = max(ldhMax, ldh[i], flood[i])
	}
	ticks := svgTicks(1, float64(max(n, 2)), 10)
	label := func(t float64) string { return svgTickLabel(t) }

	top := svgPanel(plotTop, plotInnerH, 1, float64(max(n, 2)), 0, rmrMax*1.1)
	top.axes("broadcast (in sending order)", "RMR", ticks, label)
	top.polyline(xs, r.BroadcastRMR, svgColors[0])
	top.marker(float64(r.BroadcastRandomFrom)+0.5, "random senders →")
	top.legendEntry(svgColors[0], "Plumtree RMR")

	bottom := svgPanel(plotTop+plotInnerH+plotBottom, plotInnerH, 1, float64(max(n, 2)), 0, ldhMax*1.1+1)
	bottom.axes("broadcast (in sending order)", "LDH (hops)", ticks, label)
	bottom.marker(float64(r.BroadcastRandomFrom)+0.5, "random senders →")
	bottom.polyline(xs, ldh, svgColors[0])
	bottom.polyline(xs, flood, svgColors[1])
	bottom.legendEntry(svgColors[0], "Plumtree LDH")
	bottom.legendEntry(svgColors[1], "flood LDH")

	doc.WriteString(top.b.String())
	doc.WriteString(bottom.b.String())
	doc.WriteString("</svg>\n")
	return doc.String()
}

// svgTicks returns about n round tick values covering [lo, hi].
func svgTicks(lo, hi float64, n int) []float64 {
	if hi <= lo || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for t := math.Ceil(lo/step) * step; t <= hi+step*1e-9; t += step {
		ticks = append(ticks, t)
	}
	return ticks
}

// svgTickLabel formats a tick value compactly.
func svgTickLabel(v float64) string {
	if math.Abs(v) < 1e-12 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// simValue returns *p, or 0 for nil.
func simValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
