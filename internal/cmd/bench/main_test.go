package main

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRequestTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		requests    int64
		depth, conc int
		want        time.Duration
	}{
		{"limited by concurrency", 312, 5, 10, 32 * 100 * time.Millisecond},
		{"limited by the chain", 3, 2, 10, 2 * 100 * time.Millisecond},
		{"no requests", 0, 2, 10, 2 * 100 * time.Millisecond},
		{"exact rounds", 20, 1, 10, 2 * 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := requestTime(tc.requests, tc.depth, tc.conc, 100*time.Millisecond); got != tc.want {
				t.Errorf("requestTime = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseSizesAndLatencies(t *testing.T) {
	t.Parallel()
	sizes, err := parseSizes("50x4, 1000x5,3x0")
	if err != nil || len(sizes) != 3 || sizes[1] != (size{1000, 5}) || sizes[2] != (size{3, 0}) {
		t.Errorf("parseSizes = %v, %v", sizes, err)
	}
	for _, bad := range []string{"", "50", "0x4", "5x-1", "ax4"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) succeeded", bad)
		}
	}
	lat, err := parseLatencies("0s,100ms")
	if err != nil || len(lat) != 2 || lat[1] != 100*time.Millisecond {
		t.Errorf("parseLatencies = %v, %v", lat, err)
	}
	if _, err := parseLatencies("-1s"); err == nil {
		t.Error("parseLatencies accepted a negative latency")
	}
}

func TestParseChoiceKeepsTheGivenOrderOfAllowed(t *testing.T) {
	t.Parallel()
	got, err := parseChoice("-phases", "plan, apply", phaseNames)
	if err != nil || strings.Join(got, ",") != "apply,plan" {
		t.Errorf("parseChoice = %v, %v", got, err)
	}
	if _, err := parseChoice("-graphs", "provider,nothing", []string{"provider"}); err == nil {
		t.Error("parseChoice accepted an unknown name")
	}
}

func TestRowsWithoutAFloorShowDashes(t *testing.T) {
	t.Parallel()
	results := sampleResults()
	results[0].Floor, results[0].TerraformData = nil, nil
	md := markdown(options{parallelism: 10, phases: []string{"apply"}}, machine{}, results)
	if !strings.Contains(md, "| 50×4 | 100ms | `apply` | – | – | 9.00 s | 312 (312) | 2 | 3.20 s | – |") || strings.Contains(md, "`plan`") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestBudgetAt1000x5(t *testing.T) {
	t.Parallel()
	s := size{1000, 5}
	if s.pairs() != 6 {
		t.Fatalf("pairs = %d, want 6", s.pairs())
	}
	// 6000 creates, 1000 name checks, 6 pair lookups in each of two processes.
	if got := budget("apply", s); got != 7012 {
		t.Errorf("apply budget = %d, want 7012", got)
	}
	if got := budget("plan", s); got != 30 {
		t.Errorf("plan budget = %d, want 30", got)
	}
}

func TestPluginUsageTakesTheLargestPeakAndSumsCPU(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"1.kb": "30000 120", "2.kb": "250000 4000", "3.kb": "1000 5"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	peak, cpu, err := pluginUsage(dir)
	if err != nil || peak != 250000 || cpu != 4125*time.Millisecond {
		t.Errorf("pluginUsage = %d kB, %s, %v; want 250000 kB, 4.125s", peak, cpu, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "4.kb"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pluginUsage(dir); err == nil {
		t.Error("pluginUsage read a malformed file without error")
	}
}

func sampleResults() []sizeResult {
	m := func(wall time.Duration, requests int64) measurement {
		return measurement{Wall: wall, Requests: requests, TokenRequests: 2, PeakKB: 40 * 1024, PluginCPU: wall / 2, CPU: wall}
	}
	phases := func(apply, plan, destroy measurement) map[string]measurement {
		return map[string]measurement{"apply": apply, "plan": plan, "destroy": destroy}
	}
	return []sizeResult{{
		Size:          size{50, 4},
		TerraformData: phases(m(time.Second, 0), m(300*time.Millisecond, 0), m(time.Second, 0)),
		Floor:         phases(m(2*time.Second, 0), m(time.Second, 0), m(2*time.Second, 0)),
		Provider: []providerRun{{
			Latency: 100 * time.Millisecond,
			Phases:  phases(m(9*time.Second, 312), m(1500*time.Millisecond, 3), m(4*time.Second, 253)),
		}},
	}}
}

func TestRowsCompareTheProviderWithTheFloorPlusItsRequests(t *testing.T) {
	t.Parallel()
	rs := rows(options{parallelism: 10, phases: phaseNames}, sampleResults())
	if len(rs) != 3 {
		t.Fatalf("rows = %d, want 3", len(rs))
	}
	apply, plan := rs[0], rs[1]
	// 312 requests at 10 in flight: 32 rounds of 100 ms; the floor took 2 s.
	if apply.RequestTime != 3200*time.Millisecond || apply.Ratio() < 1.73 || apply.Ratio() > 1.74 || apply.WithinTarget() {
		t.Errorf("apply: request time %s, ratio %.3f, within %v", apply.RequestTime, apply.Ratio(), apply.WithinTarget())
	}
	// 1.5 s against 1 s + 0.2 s.
	if plan.Ratio() != 1.25 || plan.WithinTarget() || !plan.WithinBudget() {
		t.Errorf("plan: ratio %.3f, within %v, budget %v", plan.Ratio(), plan.WithinTarget(), plan.WithinBudget())
	}
}

func TestChartIsWellFormedSVG(t *testing.T) {
	t.Parallel()
	svg := chart(options{parallelism: 10, phases: phaseNames}, sampleResults())
	dec := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "rect" {
			rects++
		}
	}
	// A background, four bars per phase (the floor's with the request time on top) and four
	// legend swatches.
	if want := 1 + 4*3 + 4; rects != want {
		t.Errorf("rects = %d, want %d", rects, want)
	}
	for _, want := range []string{"50 webhooks × 4 steps", "apply", "100ms, 1.73×", "9.0"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
}

func TestMarkdownNamesTheMachineAndEveryPhase(t *testing.T) {
	t.Parallel()
	o := options{parallelism: 10, phases: phaseNames}
	m := machine{CPUs: 2, Memory: "7.8 GiB", OS: "linux", Arch: "amd64", Go: "go1.26.8", Terraform: "1.11.4", Load: "0.42", LoadAtEnd: "1.5",
		MeasuredAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	md := markdown(o, m, sampleResults())
	for _, want := range []string{
		"| 50×4 | 100ms | `apply` | 1.00 s | 2.00 s | 9.00 s | 312 (312) | 2 | 3.20 s | 1.73 **over** | 4.50 | 4.50 s (1.00 s) | 40 MB (40 MB) |",
		"| 50×4 | 100ms | `plan` | 0.30 s | 1.00 s | 1.50 s | 3 (30) | 2 | 0.20 s | 1.25 **over** |",
		"2 CPUs", "7.8 GiB", "Go 1.26.8", "Terraform 1.11.4", "load average 0.42 at the start and 1.5 at the end", "benchmarks.svg",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestConfigurationsHaveOneBlockPerResource(t *testing.T) {
	t.Parallel()
	s := size{3, 2}
	cfg := configuration(s)
	if got := strings.Count(cfg, `resource "dataverse_webhook" `); got != 3 {
		t.Errorf("webhooks = %d, want 3", got)
	}
	if got := strings.Count(cfg, `resource "dataverse_webhook_step" `); got != 6 {
		t.Errorf("steps = %d, want 6", got)
	}
	if !strings.Contains(cfg, `webhook_id = dataverse_webhook.w2.id`) || !strings.Contains(cfg, `name        = "bench-002"`) {
		t.Errorf("configuration:\n%s", cfg)
	}
	data := terraformDataConfiguration(s)
	if got := strings.Count(data, `resource "terraform_data" `); got != 9 {
		t.Errorf("terraform_data resources = %d, want 9", got)
	}
	if !strings.Contains(data, `webhook_id = terraform_data.w2.id`) {
		t.Errorf("terraform_data configuration:\n%s", data)
	}
}

func TestNiceCeiling(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]float64{0: 1, 0.03: 0.05, 0.7: 1, 1: 1, 1.2: 2, 3: 5, 7.5: 10, 11: 20, 45: 50, 230: 500} {
		if got := niceCeiling(v); got < v || got != want {
			t.Errorf("niceCeiling(%v) = %v, want %v", v, got, want)
		}
	}
}
