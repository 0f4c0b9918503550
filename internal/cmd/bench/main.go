// Command bench measures what Terraform costs against Dataverse at scale, and how much of it is
// the provider's own. For each size (N webhooks with M steps each) it times terraform apply, a
// no-change terraform plan and terraform destroy of three graphs of the same shape:
//
//   - terraform_data: Terraform's built-in resource, no provider process at all;
//   - floor: a no-op provider with this provider's schemas on the same framework
//     (internal/cmd/floor-provider), which pays for Terraform, gRPC and the framework only;
//   - provider: this provider against the emulator, at each configured latency per request.
//
// For the provider it reports the Web API and token requests the emulator saw, the least time
// those requests need at the configured parallelism, and the ratio of the wall time to the
// floor's plus that time. For both plug-ins it reports the peak memory of the provider process.
// It writes the table as text, markdown and an SVG chart.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/webhookfleet"
)

// providerConcurrency is the provider's default cap on Web API requests in flight per process.
const providerConcurrency = dataverse.DefaultMaxConcurrentRequests

// size is a configuration of webhooks, each with the same number of steps.
type size struct{ webhooks, steps int }

func (s size) String() string { return fmt.Sprintf("%d×%d", s.webhooks, s.steps) }
func (s size) resources() int { return s.webhooks * (1 + s.steps) }

// fleet is the graph of this size.
func (s size) fleet() webhookfleet.Fleet {
	return webhookfleet.Fleet{Webhooks: s.webhooks, StepsPerWebhook: s.steps}
}

// pairs counts the distinct (message, table) pairs the configuration names.
func (s size) pairs() int { return s.fleet().Pairs() }

type options struct {
	sizes       []size
	latencies   []time.Duration
	parallelism int
	outDir      string
	// graphs and phases choose what runs; a destroy needs the apply before it.
	graphs, phases []string
}

func (o options) runs(list []string, name string) bool {
	for _, v := range list {
		if v == name {
			return true
		}
	}
	return false
}

func main() {
	var o options
	sizes := flag.String("sizes", "50x4,1000x5", "comma-separated sizes, each <webhooks>x<steps per webhook>")
	latencies := flag.String("latencies", "0s,100ms", "comma-separated latencies the emulator adds to every Web API request")
	flag.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	graphs := flag.String("graphs", "provider,floor,terraform_data", "comma-separated graphs to run, of provider, floor and terraform_data")
	phases := flag.String("phases", "apply,plan,destroy", "comma-separated phases to run: apply, and then plan and/or destroy")
	flag.StringVar(&o.outDir, "out", "bench-results", "folder for benchmarks.md and benchmarks.svg (docs updates the published page)")
	flag.Parse()
	var err error
	if o.sizes, err = parseSizes(*sizes); err == nil {
		o.latencies, err = parseLatencies(*latencies)
	}
	if err == nil {
		o.graphs, err = parseChoice("-graphs", *graphs, []string{"provider", "floor", "terraform_data"})
	}
	if err == nil {
		o.phases, err = parseChoice("-phases", *phases, phaseNames)
	}
	if err == nil && !o.runs(o.phases, "apply") {
		err = errors.New("-phases must include apply: the plan and the destroy need what it creates")
	}
	if err == nil && o.parallelism < 1 {
		err = errors.New("-parallelism must be at least 1")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(s, ",") {
		w, st, ok := strings.Cut(strings.TrimSpace(f), "x")
		webhooks, err1 := strconv.Atoi(w)
		steps, err2 := strconv.Atoi(st)
		if !ok || err1 != nil || err2 != nil || webhooks < 1 || steps < 0 {
			return nil, fmt.Errorf("-sizes: %q is not <webhooks>x<steps> with at least one webhook", f)
		}
		out = append(out, size{webhooks, steps})
	}
	return out, nil
}

// parseChoice splits a comma-separated list of names from allowed, kept in allowed's order.
func parseChoice(flagName, s string, allowed []string) ([]string, error) {
	chosen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return nil, fmt.Errorf("%s: %q is none of %s", flagName, f, strings.Join(allowed, ", "))
		}
		chosen[f] = true
	}
	var out []string
	for _, a := range allowed {
		if chosen[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

func parseLatencies(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("-latencies: %q is not a duration of zero or more", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// phase names the three measured commands, in the order they run.
var phaseNames = []string{"apply", "plan", "destroy"}

// measurement is one Terraform command of one graph.
type measurement struct {
	Wall time.Duration
	// PeakKB is the largest peak resident set of the provider processes the command started
	// (0 for terraform_data, which starts none).
	PeakKB int64
	// CPU is the user and system time of Terraform and the plug-ins it started; PluginCPU
	// that of the provider processes alone. Unlike wall time, neither grows with other load.
	CPU, PluginCPU time.Duration
	Requests       int64
	TokenRequests  int64
}

// providerRun is the provider's three phases at one latency.
type providerRun struct {
	Latency time.Duration
	Phases  map[string]measurement
}

// sizeResult is everything measured at one size.
type sizeResult struct {
	Size          size
	TerraformData map[string]measurement
	Floor         map[string]measurement
	Provider      []providerRun
}

// Requests that must run one after another, whatever the parallelism:
//   - apply: the plan looks each (message, table) pair up; the apply checks a webhook's name,
//     creates it, looks up its steps' pair and creates the steps.
//   - plan: the refresh reads the webhooks, then their steps.
//   - destroy: the refresh, then a step's delete, then its webhook's.
var depths = map[string]int{"apply": 5, "plan": 2, "destroy": 4}

// requestTime is the least time requests can take: each costs latency, at most concurrency run
// at once, and depth of them must run one after another.
func requestTime(requests int64, depth, concurrency int, latency time.Duration) time.Duration {
	rounds := (requests + int64(concurrency) - 1) / int64(concurrency)
	return time.Duration(max(rounds, int64(depth))) * latency
}

// budget is the most Web API requests a phase may make at a size (0: no budget). An apply
// creates every row, checks each webhook's name and looks each (message, table) pair up once in
// each of its two provider processes (plan and apply); a no-change plan reads everything in at
// most 30 queries; a destroy deletes every row after such a refresh.
func budget(phase string, s size) int64 {
	switch phase {
	case "apply":
		return int64(s.resources() + s.webhooks + 2*s.pairs())
	case "plan":
		return 30
	case "destroy":
		return int64(s.resources() + 30)
	}
	return 0
}

// binaries are the built plug-ins, each behind the peak-memory wrapper.
type binaries struct{ providerDir, floorDir string }

func build(ctx context.Context, moduleDir, dir string) (binaries, error) {
	b := binaries{providerDir: filepath.Join(dir, "provider"), floorDir: filepath.Join(dir, "floor")}
	for _, t := range []struct{ pkg, dir string }{{".", b.providerDir}, {"./internal/cmd/floor-provider", b.floorDir}} {
		if err := goBuild(ctx, moduleDir, t.pkg, filepath.Join(t.dir, tfcli.BinaryName+".wrapped")); err != nil {
			return b, err
		}
		if err := goBuild(ctx, moduleDir, "./internal/cmd/bench/peakmem", filepath.Join(t.dir, tfcli.BinaryName)); err != nil {
			return b, err
		}
	}
	return b, nil
}

func goBuild(ctx context.Context, moduleDir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = moduleDir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	moduleDir, tmp, err := tfcli.Scratch("dataverse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(stdout, "building the provider and the floor…")
	bins, err := build(ctx, moduleDir, filepath.Join(tmp, "bin"))
	if err != nil {
		return err
	}
	m := describeMachine(ctx, tfcli.TerraformPath())
	var results []sizeResult
	// After each graph the pages are written again, so that a long run stopped early keeps
	// what it measured.
	write := func() error {
		m.LoadAtEnd = loadAverage()
		return writePages(o, m, results)
	}
	for _, s := range o.sizes {
		results = append(results, sizeResult{Size: s})
		r := &results[len(results)-1]
		fmt.Fprintf(stdout, "%s (%d resources), parallelism %d\n", s, s.resources(), o.parallelism)
		b := bench{o: o, s: s, tmp: tmp, out: stdout}
		if o.runs(o.graphs, "provider") {
			for _, latency := range o.latencies {
				phases, err := b.provider(ctx, bins.providerDir, latency)
				if err != nil {
					return err
				}
				r.Provider = append(r.Provider, providerRun{Latency: latency, Phases: phases})
				if err := write(); err != nil {
					return err
				}
			}
		}
		if o.runs(o.graphs, "floor") {
			if r.Floor, err = b.graph(ctx, "floor", bins.floorDir, configuration(s), nil); err != nil {
				return err
			}
			if err := write(); err != nil {
				return err
			}
		}
		if o.runs(o.graphs, "terraform_data") {
			if r.TerraformData, err = b.graph(ctx, "terraform_data", bins.floorDir, terraformDataConfiguration(s), nil); err != nil {
				return err
			}
			if err := write(); err != nil {
				return err
			}
		}
	}
	writeTable(stdout, o, results)
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", filepath.Join(o.outDir, "benchmarks.md"), filepath.Join(o.outDir, "benchmarks.svg"))
	return nil
}

// writePages writes benchmarks.md and benchmarks.svg, the names of docs/: make bench
// ARGS='-out docs' updates the published page.
func writePages(o options, m machine, results []sizeResult) error {
	if err := os.MkdirAll(o.outDir, 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.outDir, "benchmarks.md"), []byte(markdown(o, m, results)), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(o.outDir, "benchmarks.svg"), []byte(chart(o, results)), 0o600)
}

// bench runs the graphs of one size.
type bench struct {
	o   options
	s   size
	tmp string
	out io.Writer
}

// provider runs the provider's graph against a fresh emulator with the given latency and no
// service protection limits: throttling is make stress's subject, not this one's.
func (b bench) provider(ctx context.Context, providerDir string, latency time.Duration) (map[string]measurement, error) {
	e, err := emulator.Start(emulator.Options{Latency: latency, MaxConcurrent: -1, MaxRequestsPerWindow: -1})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var env []string
	for k, v := range e.Env() {
		env = append(env, k+"="+v)
	}
	phases, err := b.graph(ctx, "provider, "+latency.String(), providerDir, configuration(b.s), &emulatorStats{e: e, env: env})
	if err != nil {
		return nil, err
	}
	for _, set := range []string{"serviceendpoints", "sdkmessageprocessingsteps"} {
		if n := len(e.Rows(set)); n != 0 && b.o.runs(b.o.phases, "destroy") {
			return nil, fmt.Errorf("destroy left %d %s rows", n, set)
		}
	}
	return phases, nil
}

// emulatorStats gives a graph the emulator's environment and request counters.
type emulatorStats struct {
	e   *emulator.Emulator
	env []string
}

// graph runs apply, a no-change plan and destroy of one configuration in a fresh workspace
// whose CLI configuration points Terraform at pluginDir.
func (b bench) graph(ctx context.Context, label, pluginDir, config string, em *emulatorStats) (map[string]measurement, error) {
	dir, err := os.MkdirTemp(b.tmp, "work-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ws, err := tfcli.NewWorkspace(dir, pluginDir)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	peakDir := filepath.Join(dir, "peak")
	ws.Env = append(ws.Env, "PEAKMEM_DIR="+peakDir)
	if em != nil {
		ws.Env = append(ws.Env, em.env...)
	}
	if err := ws.WriteFile("main.tf", config); err != nil {
		return nil, err
	}
	parallelism := "-parallelism=" + strconv.Itoa(b.o.parallelism)
	args := map[string][]string{
		"apply": {"apply", "-auto-approve", "-input=false", "-no-color", parallelism},
		// -detailed-exitcode makes a plan with changes an error: the plan must be empty.
		"plan":    {"plan", "-detailed-exitcode", "-input=false", "-no-color", parallelism},
		"destroy": {"destroy", "-auto-approve", "-input=false", "-no-color", parallelism},
	}
	out := map[string]measurement{}
	for _, name := range b.o.phases {
		if err := os.RemoveAll(peakDir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(peakDir, 0o750); err != nil {
			return nil, err
		}
		if em != nil {
			em.e.ResetStats()
		}
		cmd := ws.Command(ctx, args[name]...)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s: terraform %s: %w\n%s", label, name, err, lastLines(output.String(), 40))
		}
		ms := measurement{Wall: time.Since(start), CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
		if ms.PeakKB, ms.PluginCPU, err = pluginUsage(peakDir); err != nil {
			return nil, err
		}
		if em != nil {
			st := em.e.Stats()
			ms.Requests, ms.TokenRequests = st.Requests.Total, st.TokenRequests
		}
		out[name] = ms
		fmt.Fprintf(b.out, "  %-20s %-8s %9s  CPU %9s, of which provider %9s, peak %s\n", label, name, seconds(ms.Wall), seconds(ms.CPU), seconds(ms.PluginCPU), memory(ms.PeakKB))
	}
	return out, nil
}

// pluginUsage reads what the wrapper recorded in dir, one file per provider process: the
// largest peak resident set and the CPU time of all of them.
func pluginUsage(dir string) (peakKB int64, cpu time.Duration, err error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name())) //nolint:gosec // the benchmark's own temporary folder
		if err != nil {
			return 0, 0, err
		}
		var kb, ms int64
		if _, err := fmt.Sscanf(string(b), "%d %d", &kb, &ms); err != nil {
			return 0, 0, fmt.Errorf("provider usage file %s: %w", f.Name(), err)
		}
		peakKB = max(peakKB, kb)
		cpu += time.Duration(ms) * time.Millisecond
	}
	return peakKB, cpu, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// configuration is N webhooks with M steps each; the provider is configured from the
// environment (the floor ignores its settings).
func configuration(s size) string {
	var b strings.Builder
	fmt.Fprintf(&b, `terraform {
  required_providers {
    dataverse = {
      source = %q
    }
  }
}

provider "dataverse" {}
`, registry.Source)
	b.WriteString(s.fleet().HCL("bench", "bench-key-"))
	return b.String()
}

// terraformDataConfiguration is the same graph of terraform_data resources: each step's input
// refers to its webhook's id, so the dependencies are those of the provider's graph.
func terraformDataConfiguration(s size) string {
	var b strings.Builder
	s.fleet().Write(&b, func(i int) string {
		return fmt.Sprintf(`
resource "terraform_data" "w%[1]d" {
  input = {
    name = "bench-%03[1]d"
    url  = "https://fn.example.net/api/bench/%[1]d"
  }
}
`, i)
	}, func(i, j int, message, table string) string {
		return fmt.Sprintf(`
resource "terraform_data" "w%[1]d_s%[2]d" {
  input = {
    webhook_id = terraform_data.w%[1]d.id
    message    = %[3]q
    table      = %[4]q
    rank       = %[5]d
  }
}
`, i, j, message, table, j+1)
	})
	return b.String()
}

// machine describes where the figures were measured.
type machine struct {
	CPUs          int
	Memory        string
	OS, Arch      string
	Go, Terraform string
	MeasuredAt    time.Time
	// Load is the 1-minute load average when the run began and ended: other work on the
	// machine slows every graph down, the floor as much as the provider.
	Load, LoadAtEnd string
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

// row is one line of the results: the provider's phase at one size and latency, beside the
// floor and terraform_data at that size.
type row struct {
	Size        size
	Latency     time.Duration
	Phase       string
	Data, Floor measurement
	Provider    measurement
	// HasData and HasFloor say whether those graphs ran.
	HasData, HasFloor bool
	// RequestTime is the least time the provider's requests need (see requestTime).
	RequestTime time.Duration
	Budget      int64
}

// Ratio is the provider's wall time over the floor's plus the time its requests need.
func (r row) Ratio() float64 {
	bound := r.Floor.Wall + r.RequestTime
	if !r.HasFloor || bound <= 0 {
		return 0
	}
	return float64(r.Provider.Wall) / float64(bound)
}

// WithinTarget says whether the provider stays within 1.2 times the floor plus its requests.
func (r row) WithinTarget() bool { return r.HasFloor && r.Ratio() <= 1.2 }

// ratio shows Ratio, or a dash without a floor to compare with.
func (r row) ratio() string {
	if !r.HasFloor {
		return "–"
	}
	return fmt.Sprintf("%.2f", r.Ratio())
}

// cpuRatio shows the CPU time of Terraform and the provider over that of Terraform and the
// floor: the provider's own work, which other load on the machine hardly changes.
func (r row) cpuRatio() string {
	if !r.HasFloor || r.Floor.CPU <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(r.Provider.CPU)/float64(r.Floor.CPU))
}

// measured shows a graph's wall time, or a dash when it did not run.
func measured(ok bool, d time.Duration) string {
	if !ok {
		return "–"
	}
	return seconds(d)
}

// WithinBudget says whether the provider's requests stay within the phase's budget.
func (r row) WithinBudget() bool { return r.Budget == 0 || r.Provider.Requests <= r.Budget }

func rows(o options, results []sizeResult) []row {
	var out []row
	for _, r := range results {
		for _, p := range r.Provider {
			for _, name := range o.phases {
				pm := p.Phases[name]
				data, hasData := r.TerraformData[name]
				floor, hasFloor := r.Floor[name]
				out = append(out, row{
					Size: r.Size, Latency: p.Latency, Phase: name,
					Data: data, Floor: floor, Provider: pm, HasData: hasData, HasFloor: hasFloor,
					RequestTime: requestTime(pm.Requests, depths[name], min(o.parallelism, providerConcurrency), p.Latency),
					Budget:      budget(name, r.Size),
				})
			}
		}
	}
	return out
}

func writeTable(w io.Writer, o options, results []sizeResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nsize\tlatency\tphase\tterraform_data\tfloor\tprovider\trequests (budget)\ttokens\trequest time\tprovider / (floor + requests)\tplug-in CPU (floor)\tpeak memory (floor)\t")
	for _, r := range rows(o, results) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d (%d)\t%d\t%s\t%s\t%s (%s)\t%s (%s)\t\n", r.Size, r.Latency, r.Phase,
			measured(r.HasData, r.Data.Wall), measured(r.HasFloor, r.Floor.Wall), seconds(r.Provider.Wall), r.Provider.Requests, r.Budget,
			r.Provider.TokenRequests, seconds(r.RequestTime), r.ratio(), seconds(r.Provider.PluginCPU), measured(r.HasFloor, r.Floor.PluginCPU),
			memory(r.Provider.PeakKB), memory(r.Floor.PeakKB))
	}
	_ = tw.Flush()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func memory(kb int64) string {
	if kb == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB", float64(kb)/1024)
}

func markdown(o options, m machine, results []sizeResult) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("`make bench` (`go run ./internal/cmd/bench`) times `terraform apply`, a no-change `terraform plan` and " +
		"`terraform destroy` of N webhooks with M steps each (each step depends on its own webhook), for three graphs of the same shape:\n\n" +
		"- **terraform_data**: Terraform's built-in resource, with no provider process;\n" +
		"- **floor**: a no-op provider with this provider's schemas, served by the same framework " +
		"(`internal/cmd/floor-provider`): what Terraform, gRPC and the framework cost, with no Web API;\n" +
		"- **provider**: this provider against the local Dataverse emulator, which adds the given latency to every " +
		"Web API request and has no service protection limits.\n\n")
	fmt.Fprintf(&b, "Terraform runs with `-parallelism=%d`. *Request time* is the least time the provider's requests need: "+
		"each takes the latency, at most %d run at once (the smaller of Terraform's parallelism and the provider's %d "+
		"requests in flight), and never fewer rounds than the requests that must follow one another (apply %d, plan %d, "+
		"destroy %d). The target is a wall time of at most 1.2 × (floor + request time). *Peak memory* is the largest "+
		"peak resident set of the provider processes Terraform started for the command; *plug-in CPU* their "+
		"user and system time, and *CPU: provider / floor* that of Terraform and the plug-ins together, provider graph over floor: "+
		"unlike wall time, other load on the machine hardly changes either.\n\n",
		o.parallelism, min(o.parallelism, providerConcurrency), providerConcurrency, depths["apply"], depths["plan"], depths["destroy"])
	b.WriteString("The request budget: an apply creates each row, checks each webhook's name, and looks each (message, table) " +
		"pair up once in each of its two provider processes (plan and apply); a no-change plan makes at most 30 requests; " +
		"a destroy deletes each row after such a refresh.\n\n")
	b.WriteString("| size | latency | phase | terraform_data | floor | provider | requests (budget) | token requests | request time | provider / (floor + request time) | CPU: provider / floor | plug-in CPU (floor) | peak memory (floor) |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows(o, results) {
		budgetNote := ""
		if !r.WithinBudget() {
			budgetNote = " **over**"
		}
		ratioNote := ""
		if r.HasFloor && !r.WithinTarget() {
			ratioNote = " **over**"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s | %d (%d)%s | %d | %s | %s%s | %s | %s (%s) | %s (%s) |\n",
			r.Size, r.Latency, r.Phase, measured(r.HasData, r.Data.Wall), measured(r.HasFloor, r.Floor.Wall), seconds(r.Provider.Wall),
			r.Provider.Requests, r.Budget, budgetNote, r.Provider.TokenRequests, seconds(r.RequestTime), r.ratio(), ratioNote, r.cpuRatio(),
			seconds(r.Provider.PluginCPU), measured(r.HasFloor, r.Floor.PluginCPU), memory(r.Provider.PeakKB), memory(r.Floor.PeakKB))
	}
	b.WriteString("\nA dash marks a graph this run did not measure.\n\n![Wall time per phase](benchmarks.svg)\n\n")
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs, %s of memory, load average %s at the start and %s at the end, Go %s, Terraform %s.\n",
		m.MeasuredAt.Format("2006-01-02"), m.OS, m.Arch, m.CPUs, m.Memory, m.Load, m.LoadAtEnd, strings.TrimPrefix(m.Go, "go"), m.Terraform)
	return b.String()
}
