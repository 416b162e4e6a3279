package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

var colours = map[string]string{
	"floor":       "#7f7f7f",
	"bare":        "#c7c7c7",
	"ours":        "#1f77b4",
	"ours-cached": "#17becf",
	"peer":        "#ff7f0e",
}

var legend = []struct{ kind, label string }{
	{"ours", "pasetoauth"}, {"ours-cached", "pasetoauth + cache"}, {"peer", "peer"},
	{"bare", "no auth"}, {"floor", "primitives (floor)"},
}

// writeSVG draws one horizontal bar per row, grouped by benchmark, on a
// logarithmic time axis, as hand-written SVG.
func writeSVG(w io.Writer, r *run, title string) {
	const (
		labelW, barW, valueW = 300, 520, 90
		rowH, headH, top     = 18, 24, 56
		width                = labelW + barW + valueW
	)
	type line struct {
		heading string
		res     *result
	}
	var lines []line
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		first := true
		for _, res := range r.results {
			if group(res.name) != g.bench {
				continue
			}
			if first {
				lines = append(lines, line{heading: g.title})
				first = false
			}
			lines = append(lines, line{res: res})
			if res.measured() {
				lo, hi = math.Min(lo, res.nsOp()), math.Max(hi, res.nsOp())
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	minExp, maxExp := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if maxExp <= minExp {
		maxExp = minExp + 1
	}
	x := func(ns float64) float64 {
		return labelW + barW*(math.Log10(ns)-minExp)/(maxExp-minExp)
	}
	height := top + 30
	for _, l := range lines {
		if l.res == nil {
			height += headH
		} else {
			height += rowH
		}
	}

	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="8" y="18" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	lx := 8.0
	for _, l := range legend {
		p(`<rect x="%.0f" y="28" width="10" height="10" fill="%s"/><text x="%.0f" y="37">%s</text>`+"\n",
			lx, colours[l.kind], lx+14, html.EscapeString(l.label))
		lx += 14 + 7*float64(len(l.label)) + 20
	}
	// Decades of the axis.
	for e := minExp; e <= maxExp; e++ {
		xx := x(math.Pow(10, e))
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/>`+"\n", xx, top-6, xx, height-24)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", xx, height-10, axisLabel(math.Pow(10, e)))
	}
	y := top
	for _, l := range lines {
		if l.res == nil {
			p(`<text x="8" y="%d" font-weight="bold">%s</text>`+"\n", y+16, html.EscapeString(l.heading))
			y += headH
			continue
		}
		name := leaf(l.res.name)
		p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-6, y+13, html.EscapeString(name))
		if l.res.measured() {
			ns := l.res.nsOp()
			xe := x(ns)
			p(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s, %s B/op, %s allocs/op</title></rect>`+"\n",
				labelW, y+3, math.Max(1, xe-labelW), rowH-5, colours[kind(l.res.name)],
				html.EscapeString(name), formatNs(ns), formatCount(l.res.bOp()), formatCount(l.res.allocsOp()))
			p(`<text x="%.1f" y="%d" fill="#333">%s</text>`+"\n", xe+4, y+13, formatNs(ns))
		} else {
			reason := l.res.skipped
			if r := []rune(reason); len(r) > 64 {
				reason = string(r[:61]) + "..."
			}
			p(`<text x="%d" y="%d" fill="#999" font-style="italic">not measured: %s</text>`+"\n",
				labelW+4, y+13, html.EscapeString(strings.TrimSpace(reason)))
		}
		y += rowH
	}
	p("</svg>\n")
}

// axisLabel names a decade of the time axis: 100 ns, 1 µs, 10 µs, 1 ms.
func axisLabel(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%g ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%g µs", ns/1e3)
	default:
		return fmt.Sprintf("%g ms", ns/1e6)
	}
}
