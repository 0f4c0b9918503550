package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// The examples are what the registry pages and the quickstart show, so each folder must be a
// valid configuration for the provider as built. Resource and data source examples are written
// as fragments of a larger configuration: a step refers to dataverse_webhook.orders without
// declaring it, and most omit the required_providers block. terraform validate needs a complete
// module, so the test copies each folder's .tf files into a workspace and adds a stub file that
// declares what the example uses but does not declare.

// exampleStubs holds, for each type an example may refer to, a minimal valid declaration;
// %q is the name the example uses. Data sources are keyed as "data.<type>".
var exampleStubs = map[string]string{
	"dataverse_webhook": `resource "dataverse_webhook" %q {
  name        = "stub"
  url         = "https://stub.example.com/hook"
  auth_type   = "WebhookKey"
  auth_key_wo = "stub"
}
`,
	"dataverse_webhook_step": `resource "dataverse_webhook_step" %q {
  webhook_id = "00000000-0000-0000-0000-000000000001"
  message    = "Update"
  table      = "account"
}
`,
	"dataverse_webhook_step_image": `resource "dataverse_webhook_step_image" %q {
  step_id = "00000000-0000-0000-0000-000000000002"
  type    = "PreImage"
  alias   = "stub"
}
`,
	"data.dataverse_webhooks": `data "dataverse_webhooks" %q {
  name = "stub"
}
`,
	"data.dataverse_webhook_steps": `data "dataverse_webhook_steps" %q {
  webhook_id = "00000000-0000-0000-0000-000000000001"
}
`,
	"data.dataverse_webhook_failed_jobs": `data "dataverse_webhook_failed_jobs" %q {
  webhook_id = "00000000-0000-0000-0000-000000000001"
}
`,
}

var (
	// A reference such as dataverse_webhook.orders.id or data.dataverse_webhooks.all.webhooks.
	exampleReference = regexp.MustCompile(`(data\.)?\b(dataverse_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)`)
	// A declaration such as resource "dataverse_webhook" "orders" {.
	exampleDeclaration = regexp.MustCompile(`(?m)^\s*(resource|data)\s+"(dataverse_[a-z0-9_]+)"\s+"([^"]+)"`)
)

// exampleStubFile returns the HCL that completes an example's module: the required_providers
// block when the example has none, and a stub for every referenced but undeclared resource or
// data source. It fails for a referenced type that has no stub in exampleStubs.
func exampleStubFile(sources []string) (string, error) {
	all := strings.Join(sources, "\n")
	declared := map[string]bool{}
	for _, m := range exampleDeclaration.FindAllStringSubmatch(all, -1) {
		key := m[2]
		if m[1] == "data" {
			key = "data." + key
		}
		declared[key+"."+m[3]] = true
	}
	var stubs []string
	seen := map[string]bool{}
	for _, m := range exampleReference.FindAllStringSubmatch(all, -1) {
		key := m[1] + m[2]
		address := key + "." + m[3]
		if declared[address] || seen[address] {
			continue
		}
		seen[address] = true
		stub, ok := exampleStubs[key]
		if !ok {
			return "", fmt.Errorf("the example refers to %s, which it does not declare, and exampleStubs has no stub for %s: add one", address, key)
		}
		stubs = append(stubs, fmt.Sprintf(stub, m[3]))
	}
	sort.Strings(stubs)
	var b strings.Builder
	b.WriteString("# Declares what the example refers to without declaring it, so that it validates alone.\n")
	if !strings.Contains(all, "required_providers") {
		b.WriteString(requiredProviders)
	}
	for _, s := range stubs {
		b.WriteString("\n" + s)
	}
	return b.String(), nil
}

func TestExampleStubFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		sources  []string
		want     []string
		wantNot  []string
		wantFail string
	}{
		{
			name:    "declared resources get no stub",
			sources: []string{"resource \"dataverse_webhook\" \"orders\" {}\nimport {\n  to = dataverse_webhook.orders\n}\n"},
			want:    []string{"required_providers"},
			wantNot: []string{`resource "dataverse_webhook"`},
		},
		{
			name:    "a referenced resource is stubbed once",
			sources: []string{"x = dataverse_webhook.orders.id\n", "y = dataverse_webhook.orders.name\n"},
			want:    []string{`resource "dataverse_webhook" "orders"`},
		},
		{
			name:    "data source references are told apart from resources",
			sources: []string{"x = one(data.dataverse_webhooks.all.webhooks).id\n"},
			want:    []string{`data "dataverse_webhooks" "all"`},
			wantNot: []string{`resource "dataverse_webhooks"`},
		},
		{
			name:    "a module with its own required_providers keeps it alone",
			sources: []string{"terraform {\n  required_providers {}\n}\n"},
			wantNot: []string{"required_providers"},
		},
		{
			name:     "a type without a stub is reported",
			sources:  []string{"x = dataverse_unknown_thing.a.id\n"},
			wantFail: "dataverse_unknown_thing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := exampleStubFile(tc.sources)
			if tc.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantFail) {
					t.Fatalf("error = %v, want one naming %s", err, tc.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if strings.Count(got, w) != 1 {
					t.Errorf("stub file holds %q %d times, want once:\n%s", w, strings.Count(got, w), got)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("stub file holds %q:\n%s", w, got)
				}
			}
		})
	}
}

// exampleFiles returns the configuration files of an example folder: .tf files and query files.
func exampleFiles(folder string) ([]string, error) {
	tf, err := filepath.Glob(filepath.Join(folder, "*.tf"))
	if err != nil {
		return nil, err
	}
	query, err := filepath.Glob(filepath.Join(folder, "*.tfquery.hcl"))
	return append(tf, query...), err
}

// exampleFolders lists every folder under examples/ that holds .tf or query files: the registry
// pages, the guides and the quickstart read them, so each must validate on its own.
func exampleFolders(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..", "examples")
	var folders []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if files, _ := exampleFiles(path); len(files) > 0 {
				folders = append(folders, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Guard against a walk that silently finds nothing the documentation depends on.
	for _, want := range []string{"provider", "quickstart", filepath.Join("resources", "dataverse_webhook"), filepath.Join("data-sources", "dataverse_webhooks"),
		filepath.Join("list-resources", "dataverse_webhook"), filepath.Join("actions", "dataverse_delete_system_jobs")} {
		if !slices.Contains(folders, filepath.Join(root, want)) {
			t.Fatalf("examples/%s was not found among %v", filepath.ToSlash(want), folders)
		}
	}
	return folders
}

// validateResult is the part of `terraform validate -json` the test reads.
type validateResult struct {
	Valid        bool                 `json:"valid"`
	ErrorCount   int                  `json:"error_count"`
	WarningCount int                  `json:"warning_count"`
	Diagnostics  []validateDiagnostic `json:"diagnostics"`
}

type validateDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    struct {
		Start struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

// TestExamplesValidate runs terraform validate on every example folder against the provider
// as built: no init, no provider configuration and no network, since any request would go
// to a proxy that refuses connections. A file that needs a newer Terraform than 1.11 (an import
// by identity, an action, a query file) is validated alone, by a Terraform that reads it, and
// skipped with the reason under older ones; the folder's other files are validated together.
func TestExamplesValidate(t *testing.T) {
	requireTerraformCLI(t)
	t.Parallel()
	for _, folder := range exampleFolders(t) {
		name := filepath.ToSlash(strings.TrimPrefix(folder, filepath.Join("..", "..")+string(filepath.Separator)))
		files, err := exampleFiles(folder)
		if err != nil {
			t.Fatal(err)
		}
		common := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(f) //nolint:gosec // the repository's own examples
			if err != nil {
				t.Fatal(err)
			}
			src, base := string(b), filepath.Base(f)
			if minimum, _ := docBlockNeedsTerraform(src); minimum == "" && !strings.HasSuffix(base, ".tfquery.hcl") {
				common[base] = src
				continue
			}
			t.Run(name+"/"+base, func(t *testing.T) {
				t.Parallel()
				requireTerraformFor(t, src)
				checkExampleValid(t, name+"/"+base, map[string]string{base: src})
			})
		}
		if len(common) > 0 {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				checkExampleValid(t, name, common)
			})
		}
	}

	// The control: validate must see the provider's schema, or the checks above prove nothing.
	t.Run("invalid configuration is caught", func(t *testing.T) {
		t.Parallel()
		got, _ := validateExample(t, map[string]string{"main.tf": `
resource "dataverse_webhook" "broken" {
  name      = "broken"
  url       = "https://example.com/hook"
  auth_type = "WebhookKey"
  no_such   = true
}
`})
		if got.Valid || got.ErrorCount == 0 {
			t.Fatalf("terraform validate accepted an unknown attribute: %+v", got)
		}
	})
	// The same for query files, which Terraform 1.14 checks only when told to.
	t.Run("invalid list block is caught", func(t *testing.T) {
		t.Parallel()
		requireHashiCorpTerraform(t, "1.14.0")
		got, _ := validateExample(t, map[string]string{"main.tfquery.hcl": `
list "dataverse_webhook" "broken" {
  provider = dataverse
  config {
    no_such = "x"
  }
}
`})
		if got.Valid || got.ErrorCount == 0 {
			t.Fatalf("terraform validate accepted an unknown list block argument: %+v", got)
		}
	})
}

// checkExampleValid fails an example that terraform validate rejects or warns about.
func checkExampleValid(t *testing.T, name string, sources map[string]string) {
	t.Helper()
	got, stub := validateExample(t, sources)
	if !got.Valid || got.ErrorCount > 0 {
		t.Fatalf("%s is not valid (%d errors); stub file:\n%s", name, got.ErrorCount, stub)
	}
	// A warning on a registry page teaches a bad habit.
	if n := exampleWarnings(got); n > 0 {
		t.Errorf("%s validates with %d warnings", name, n)
	}
}

// validateExample writes the sources and their stub file into a new workspace and runs
// terraform validate -json there.
func validateExample(t *testing.T, sources map[string]string) (validateResult, string) {
	t.Helper()
	ws := newWorkspace(t)
	ws.Env = append(ws.Env, offlineEnv()...)
	var texts []string
	for name, text := range sources {
		if err := ws.WriteFile(name, text); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, text)
	}
	stub, err := exampleStubFile(texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFile("zz_example_stubs.tf", stub); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"validate", "-json", "-no-color"}
	for name := range sources {
		if strings.HasSuffix(name, ".tfquery.hcl") {
			// Without -query, Terraform 1.14 reads query files but checks no list block's config.
			args = append(args, "-query")
			break
		}
	}
	// validate exits non-zero when the configuration is invalid; the JSON says why.
	res, runErr := ws.Run(ctx, args...)
	var got validateResult
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("terraform validate printed no JSON (%v): %v\n%s", err, runErr, res.Stdout+res.Stderr)
	}
	for _, d := range got.Diagnostics {
		t.Logf("%s: %s: %s", d.Severity, d.Summary, d.Detail)
	}
	if runErr != nil && got.Valid {
		t.Fatalf("terraform validate failed on a valid configuration: %v", runErr)
	}
	return got, stub
}

// exampleWarnings counts the warnings other than the one every dev_overrides run prints.
func exampleWarnings(r validateResult) int {
	n := 0
	for _, d := range r.Diagnostics {
		if d.Severity == "warning" && !strings.Contains(d.Summary, "Provider development overrides are in effect") {
			n++
		}
	}
	return n
}

// TestExamplesFormatted keeps every example as terraform fmt writes it.
func TestExamplesFormatted(t *testing.T) {
	requireTerraformCLI(t)
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tfcli.TerraformPath(), "fmt", "-check", "-recursive", root).CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt would change these examples (run make fmt): %v\n%s", err, out)
	}
}

// offlineEnv sends any HTTP request the CLI or the provider might make to a closed port.
func offlineEnv() []string {
	const nowhere = "http://127.0.0.1:1"
	env := []string{"HTTPS_PROXY=" + nowhere, "HTTP_PROXY=" + nowhere, "NO_PROXY=", "CHECKPOINT_DISABLE=1"}
	// Unset anything that would configure the provider from the environment of the test run.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if slices.ContainsFunc([]string{"DATAVERSE_", "ARM_", "AZURE_"}, func(p string) bool { return strings.HasPrefix(name, p) }) {
			env = append(env, name+"=")
		}
	}
	return env
}
