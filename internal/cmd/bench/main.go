// Command bench measures what Terraform costs against Dataverse at scale: it starts the emulator
// with a fixed latency on every Web API request, builds the provider, and times terraform apply,
// a no-change terraform plan and terraform destroy of N webhooks with M steps each. For each phase
// it reports the Web API and token requests the emulator saw, the wall time, and the least time
// those requests could take given the latency, Terraform's parallelism and the requests that
// must run one after another. It writes the table as text, markdown and an SVG chart.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// providerConcurrency is the provider's default cap on Web API requests in flight per process.
const providerConcurrency = 16

type options struct {
	webhooks, stepsPerWebhook int
	latency                   time.Duration
	parallelism               int
	outDir                    string
}

func main() {
	var o options
	flag.IntVar(&o.webhooks, "webhooks", 50, "number of webhooks")
	flag.IntVar(&o.stepsPerWebhook, "steps", 4, "steps per webhook")
	flag.DurationVar(&o.latency, "latency", 100*time.Millisecond, "latency the emulator adds to every Web API request")
	flag.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	flag.StringVar(&o.outDir, "out", "bench-results", "folder for results.md and results.svg")
	flag.Parse()
	if o.webhooks < 1 || o.stepsPerWebhook < 0 || o.parallelism < 1 || o.latency < 0 {
		fmt.Fprintln(os.Stderr, "bench: -webhooks and -parallelism must be at least 1; -steps and -latency must not be negative")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// phase is one measured Terraform command.
type phase struct {
	Name          string
	Args          []string
	Requests      int64
	TokenRequests int64
	Wall          time.Duration
	// Depth is how many Web API requests must run one after another (see depths).
	Depth int
	Bound time.Duration
}

func (p phase) ratio() float64 {
	if p.Bound <= 0 {
		return 0
	}
	return float64(p.Wall) / float64(p.Bound)
}

// Requests that must run one after another, whatever the parallelism:
//   - apply: the plan looks each (message, table) pair up; the apply checks a webhook's name,
//     creates it, looks up its steps' pair and creates the steps.
//   - plan: the refresh reads the webhooks, then their steps.
//   - destroy: the refresh, then a step's delete, then its webhook's.
var depths = map[string]int{"apply": 5, "plan": 2, "destroy": 4}

func run(ctx context.Context, o options, stdout io.Writer) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	moduleDir, err := tfcli.ModuleDir(wd)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dataverse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(stdout, "building the provider…")
	providerDir, err := tfcli.BuildProvider(ctx, moduleDir, filepath.Join(tmp, "bin"))
	if err != nil {
		return err
	}
	e, err := emulator.Start(emulator.Options{Latency: o.latency})
	if err != nil {
		return err
	}
	defer e.Close()

	ws, err := tfcli.NewWorkspace(filepath.Join(tmp, "work"), providerDir)
	if err != nil {
		return err
	}
	defer ws.Close()
	for k, v := range e.Env() {
		ws.Env = append(ws.Env, k+"="+v)
	}
	if err := ws.WriteFile("main.tf", configuration(o)); err != nil {
		return err
	}

	m := describeMachine(ctx, ws.Terraform)
	parallelism := "-parallelism=" + strconv.Itoa(o.parallelism)
	phases := []phase{
		{Name: "apply", Args: []string{"apply", "-auto-approve", "-input=false", "-no-color", parallelism}},
		// -detailed-exitcode makes a plan with changes an error: the plan must be empty.
		{Name: "plan", Args: []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", parallelism}},
		{Name: "destroy", Args: []string{"destroy", "-auto-approve", "-input=false", "-no-color", parallelism}},
	}
	fmt.Fprintf(stdout, "%d webhooks × %d steps, %s per request, parallelism %d\n", o.webhooks, o.stepsPerWebhook, o.latency, o.parallelism)
	for i := range phases {
		p := &phases[i]
		e.ResetStats()
		start := time.Now()
		if _, err := ws.Run(ctx, p.Args...); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		p.Wall = time.Since(start)
		st := e.Stats()
		p.Requests, p.TokenRequests = st.Requests.Total, st.TokenRequests
		p.Depth = depths[p.Name]
		p.Bound = lowerBound(p.Requests, p.Depth, min(o.parallelism, providerConcurrency), o.latency)
		fmt.Fprintf(stdout, "  %-8s %s\n", p.Name, p.Wall.Round(time.Millisecond))
	}
	for _, set := range []string{"serviceendpoints", "sdkmessageprocessingsteps"} {
		if n := len(e.Rows(set)); n != 0 {
			return fmt.Errorf("destroy left %d %s rows", n, set)
		}
	}

	writeTable(stdout, phases)
	if err := os.MkdirAll(o.outDir, 0o750); err != nil {
		return err
	}
	md := markdown(o, m, phases)
	if err := os.WriteFile(filepath.Join(o.outDir, "results.md"), []byte(md), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.outDir, "results.svg"), []byte(chart(phases)), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", filepath.Join(o.outDir, "results.md"), filepath.Join(o.outDir, "results.svg"))
	return nil
}

// lowerBound is the least time requests can take: each costs latency, at most concurrency run
// at once, and depth of them must run one after another.
func lowerBound(requests int64, depth, concurrency int, latency time.Duration) time.Duration {
	rounds := (requests + int64(concurrency) - 1) / int64(concurrency)
	return time.Duration(max(rounds, int64(depth))) * latency
}

// configuration is N webhooks with M steps each; the provider is configured from the
// environment. Steps cycle through three messages and two tables: six (message, table) pairs;
// from the fourth step of a webhook on, they fire at other stages (see stepVariant).
func configuration(o options) string {
	var b strings.Builder
	b.WriteString(`terraform {
  required_providers {
    dataverse = {
      source = "dataverse-terraform/dataverse"
    }
  }
}

provider "dataverse" {}
`)
	messages, tables := []string{"Create", "Update", "Delete"}, []string{"account", "contact"}
	for i := range o.webhooks {
		fmt.Fprintf(&b, `
resource "dataverse_webhook" "w%[1]d" {
  name        = "bench-%03[1]d"
  url         = "https://fn.example.net/api/bench/%[1]d"
  auth_type   = "WebhookKey"
  auth_key_wo = "bench-key-%[1]d"
}
`, i)
		for j := range o.stepsPerWebhook {
			fmt.Fprintf(&b, `
resource "dataverse_webhook_step" "w%[1]d_s%[2]d" {
  webhook_id = dataverse_webhook.w%[1]d.id
  message    = %[3]q
  table      = %[4]q
  rank       = %[5]d
%[6]s}
`, i, j, messages[j%len(messages)], tables[i%len(tables)], j+1, stepVariant(j/len(messages)))
		}
	}
	return b.String()
}

// machine describes where the figures were measured.
type machine struct {
	CPUs          int
	Memory        string
	OS, Arch      string
	Go, Terraform string
	MeasuredAt    time.Time
	// Load is the 1-minute load average when the run began: other work on the machine slows
	// Terraform down and shows as a higher wall / bound ratio.
	Load string
}

func describeMachine(ctx context.Context, terraform string) machine {
	m := machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(), MeasuredAt: time.Now().UTC()}
	m.Memory = memoryTotal()
	m.Load = loadAverage()
	m.Terraform = "unknown"
	out, err := exec.CommandContext(ctx, terraform, "version", "-json").Output()
	if err == nil {
		var v struct {
			Version string `json:"terraform_version"`
		}
		if json.Unmarshal(out, &v) == nil && v.Version != "" {
			m.Terraform = v.Version
		}
	}
	return m
}

// memoryTotal reads MemTotal from /proc/meminfo (Linux); elsewhere it says unknown.
func memoryTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if kb, err := strconv.ParseFloat(fields[0], 64); err == nil && len(fields) == 2 && fields[1] == "kB" {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

// loadAverage reads the 1-minute load average from /proc/loadavg (Linux); elsewhere it says unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(b)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

func writeTable(w io.Writer, phases []phase) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nphase\tWeb API requests\ttoken requests\twall time\tlower bound\twall / bound\t")
	for _, p := range phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.1f\t\n", p.Name, p.Requests, p.TokenRequests, seconds(p.Wall), seconds(p.Bound), p.ratio())
	}
	_ = tw.Flush()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func markdown(o options, m machine, phases []phase) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "`make bench` (`go run ./internal/cmd/bench`) runs the Terraform CLI with the provider against the local "+
		"Dataverse emulator, which adds %s to every Web API request. The configuration holds %d webhooks with %d steps each "+
		"(%d resources); Terraform runs with `-parallelism=%d`.\n\n",
		o.latency, o.webhooks, o.stepsPerWebhook, o.webhooks*(1+o.stepsPerWebhook), o.parallelism)
	b.WriteString("| phase | Web API requests | token requests | wall time | lower bound | wall / bound |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "| `terraform %s` | %d | %d | %s | %s | %.1f |\n", p.Name, p.Requests, p.TokenRequests, seconds(p.Wall), seconds(p.Bound), p.ratio())
	}
	fmt.Fprintf(&b, "\nThe lower bound is the least time the requests themselves need: %s each, at most %d in flight "+
		"(the smaller of Terraform's parallelism and the provider's %d requests in flight per process), and never fewer "+
		"rounds than the requests that must follow one another (apply %d, plan %d, destroy %d). What the wall time adds "+
		"is Terraform's own work: starting the provider (four times for an apply, three for a plan), building the graph, "+
		"writing state.\n\n",
		o.latency, min(o.parallelism, providerConcurrency), providerConcurrency, depths["apply"], depths["plan"], depths["destroy"])
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs, %s of memory, load average %s at the start, Go %s, Terraform %s.\n",
		m.MeasuredAt.Format("2006-01-02"), m.OS, m.Arch, m.CPUs, m.Memory, m.Load, strings.TrimPrefix(m.Go, "go"), m.Terraform)
	return b.String()
}

// chart draws wall time and lower bound per phase as grouped bars.
func chart(phases []phase) string {
	const (
		width, height           = 640, 320
		left, right, top, under = 60, 20, 40, 60
		barWidth, gap           = 60, 8
	)
	var most time.Duration
	for _, p := range phases {
		most = max(most, p.Wall, p.Bound)
	}
	scale := niceCeiling(most.Seconds())
	plotH := float64(height - top - under)
	y := func(s float64) float64 { return float64(top) + plotH - s/scale*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">Wall time and lower bound per phase (seconds)</text>`+"\n", left)
	for i := 0; i <= 4; i++ {
		s := scale * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, width-right, y(s), y(s))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(s)+4, strconv.FormatFloat(s, 'g', 4, 64))
	}
	groupW := float64(width-left-right) / float64(max(len(phases), 1))
	for i, p := range phases {
		x0 := float64(left) + groupW*float64(i) + (groupW-2*barWidth-gap)/2
		for k, bar := range []struct {
			d     time.Duration
			color string
		}{{p.Wall, "#3b6ea8"}, {p.Bound, "#a9c4e4"}} {
			x := x0 + float64(k*(barWidth+gap))
			barTop := y(bar.d.Seconds())
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"/>`+"\n", x, barTop, barWidth, y(0)-barTop, bar.color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.2f</text>`+"\n", x+barWidth/2, barTop-4, bar.d.Seconds())
		}
		cx := x0 + barWidth + gap/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">terraform %s</text>`+"\n", cx, height-under+18, html.EscapeString(p.Name))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d requests, %.1f×</text>`+"\n", cx, height-under+34, p.Requests, p.ratio())
	}
	legendY := height - 12
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="#3b6ea8"/><text x="%d" y="%d">wall time</text>`+"\n", left, legendY-10, left+16, legendY)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="#a9c4e4"/><text x="%d" y="%d">lower bound from requests, parallelism and latency</text>`+"\n", left+100, legendY-10, left+116, legendY)
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

// stepVariant is the mode and stage of the round-th step of one message on a webhook: the
// provider refuses two steps of a webhook that fire identically, so each round fires at another
// stage.
func stepVariant(round int) string {
	stages := []string{"", "PostOperation", "PreOperation", "PreValidation"}
	if round == 0 || round >= len(stages) {
		return ""
	}
	return fmt.Sprintf("  mode       = \"Synchronous\"\n  stage      = %q\n", stages[round])
}
