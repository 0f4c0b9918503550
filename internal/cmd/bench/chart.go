package main

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// chart draws, for each size, one group of bars per (latency, phase): terraform_data, the floor
// with the provider's request time stacked on it, and the provider. Each size has its own axis.
func chart(o options, results []sizeResult) string {
	const (
		width                = 900
		panelH               = 260
		left, right, top     = 60, 20, 50
		under                = 56
		barWidth, barGap     = 14, 3
		legendH              = 30
		colorData, colorProv = "#9aa5b1", "#3b6ea8"
		colorFloor, colorReq = "#e0a040", "#f3d9a8"
	)
	all := rows(o, results)
	height := top + len(results)*(panelH+under) + legendH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">Wall time per phase (seconds), parallelism %d</text>`+"\n", left, o.parallelism)
	for pi, res := range results {
		var panel []row
		for _, r := range all {
			if r.Size == res.Size {
				panel = append(panel, r)
			}
		}
		var most time.Duration
		for _, r := range panel {
			most = max(most, r.Data.Wall, r.Floor.Wall+r.RequestTime, r.Provider.Wall)
		}
		scale := niceCeiling(most.Seconds())
		y0 := float64(top + pi*(panelH+under))
		plotH := float64(panelH - 30)
		y := func(s float64) float64 { return y0 + 20 + plotH - s/scale*plotH }
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-weight="bold">%d webhooks × %d steps (%d resources)</text>`+"\n", left, y0+10, res.Size.webhooks, res.Size.steps, res.Size.resources())
		for i := 0; i <= 4; i++ {
			s := scale * float64(i) / 4
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, width-right, y(s), y(s))
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(s)+4, strconv.FormatFloat(s, 'g', 4, 64))
		}
		groupW := float64(width-left-right) / float64(max(len(panel), 1))
		for i, r := range panel {
			x0 := float64(left) + groupW*float64(i) + (groupW-3*barWidth-2*barGap)/2
			bar := func(k int, from, to time.Duration, color string) {
				x := x0 + float64(k*(barWidth+barGap))
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"/>`+"\n", x, y(to.Seconds()), barWidth, y(from.Seconds())-y(to.Seconds()), color)
			}
			bar(0, 0, r.Data.Wall, colorData)
			bar(1, 0, r.Floor.Wall, colorFloor)
			bar(1, r.Floor.Wall, r.Floor.Wall+r.RequestTime, colorReq)
			bar(2, 0, r.Provider.Wall, colorProv)
			cx := x0 + 1.5*barWidth + barGap
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.1f</text>`+"\n", x0+2.5*barWidth+2*barGap, y(r.Provider.Wall.Seconds())-3, r.Provider.Wall.Seconds())
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`+"\n", cx, y(0)+14, html.EscapeString(r.Phase))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s, %.2f×</text>`+"\n", cx, y(0)+28, r.Latency, r.Ratio())
		}
	}
	legendY := height - 12
	x := left
	for _, l := range []struct{ color, text string }{
		{colorData, "terraform_data"}, {colorFloor, "floor"}, {colorReq, "+ request time"}, {colorProv, "provider (× floor + request time)"},
	} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, legendY-10, l.color, x+16, legendY, html.EscapeString(l.text))
		x += 40 + 7*len(l.text)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeiling rounds v up to 1, 2 or 5 times a power of ten, for a readable axis.
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 < v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
