package main

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLowerBound(t *testing.T) {
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
			if got := lowerBound(tc.requests, tc.depth, tc.conc, 100*time.Millisecond); got != tc.want {
				t.Errorf("lowerBound = %s, want %s", got, tc.want)
			}
		})
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

func TestChartIsWellFormedSVG(t *testing.T) {
	t.Parallel()
	phases := []phase{
		{Name: "apply", Requests: 312, Wall: 9 * time.Second, Bound: 3200 * time.Millisecond},
		{Name: "plan", Requests: 3, Wall: 2 * time.Second, Bound: 200 * time.Millisecond},
		{Name: "destroy", Requests: 253, Wall: 7 * time.Second, Bound: 2600 * time.Millisecond},
	}
	svg := chart(phases)
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
	// A background, two bars per phase and two legend swatches.
	if want := 1 + 2*len(phases) + 2; rects != want {
		t.Errorf("rects = %d, want %d", rects, want)
	}
	for _, want := range []string{"terraform apply", "312 requests, 2.8×", "9.00"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
}

func TestMarkdownNamesTheMachineAndEveryPhase(t *testing.T) {
	t.Parallel()
	o := options{webhooks: 50, stepsPerWebhook: 4, latency: 100 * time.Millisecond, parallelism: 10}
	m := machine{CPUs: 2, Memory: "7.8 GiB", OS: "linux", Arch: "amd64", Go: "go1.26.8", Terraform: "1.11.4", Load: "0.42", MeasuredAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	md := markdown(o, m, []phase{{Name: "apply", Requests: 312, TokenRequests: 2, Wall: 9 * time.Second, Bound: 3200 * time.Millisecond}})
	for _, want := range []string{"| `terraform apply` | 312 | 2 | 9.00 s | 3.20 s | 2.8 |", "250 resources", "2 CPUs", "7.8 GiB", "Go 1.26.8", "Terraform 1.11.4", "load average 0.42", "100ms"} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestConfigurationHasOneBlockPerResource(t *testing.T) {
	t.Parallel()
	cfg := configuration(options{webhooks: 3, stepsPerWebhook: 2})
	if got := strings.Count(cfg, `resource "dataverse_webhook" `); got != 3 {
		t.Errorf("webhooks = %d, want 3", got)
	}
	if got := strings.Count(cfg, `resource "dataverse_webhook_step" `); got != 6 {
		t.Errorf("steps = %d, want 6", got)
	}
	if !strings.Contains(cfg, `webhook_id = dataverse_webhook.w2.id`) || !strings.Contains(cfg, `name        = "bench-002"`) {
		t.Errorf("configuration:\n%s", cfg)
	}
}
