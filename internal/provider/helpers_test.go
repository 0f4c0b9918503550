package provider

// General test helpers; backend ones are in backend_test.go, seeding ones in estate_helpers_test.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-version"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// testCA is shared by every emulator in this test binary: Go reads SSL_CERT_FILE once, so
// all emulators must present certificates from the one CA it names.
var testCA *emulator.CA

func TestMain(m *testing.M) {
	if os.Getenv(childWaitsVariable) != "" {
		// A child process whose command line a test reads: it runs no test, and waits until
		// its parent closes its input.
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(runTests(m))
}

// childWaitsVariable makes the test binary a child process that only waits.
const childWaitsVariable = "DATAVERSE_TEST_CHILD_WAITS"

func runTests(m *testing.M) int {
	if liveEnvironment() {
		return m.Run() // the environment's own certificates; no emulator is started
	}
	dir, err := os.MkdirTemp("", "dataverse-provider-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testCA, err = emulator.NewCA()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, testCA.CertPEM(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Set before any TLS connection: Go reads it once. Terraform passes it on to providers it starts.
	os.Setenv("SSL_CERT_FILE", caFile)
	os.Setenv("SSL_CERT_DIR", dir)
	return m.Run()
}

func protoV6Providers() map[string]func() (tfprotov6.ProviderServer, error) {
	return protoV6ProvidersReading(osGetenv)
}

// protoV6ProvidersReading serves a provider that reads its environment variables through getenv.
func protoV6ProvidersReading(getenv func(string) string) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"dataverse": providerserver.NewProtocol6WithError(&dataverseProvider{version: "test", getenv: getenv}),
	}
}

// unitTest runs steps with the provider under test against b, and checks after the last
// destroy that b keeps nothing the test created.
func unitTest(t *testing.T, b backend, steps []resource.TestStep) {
	t.Helper()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps:                    steps,
	})
}

// attrOf reads an attribute of a resource from the state.
func attrOf(s *terraform.State, address, key string) string {
	rs, ok := s.RootModule().Resources[address]
	if !ok {
		return ""
	}
	return rs.Primary.Attributes[key]
}

// sameID records the id of the resource at address on first use and fails when a later step
// replaced the resource.
func sameID(address string, id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got := attrOf(s, address, "id")
		if *id == "" {
			*id = got
			return nil
		}
		if got != *id {
			return fmt.Errorf("%s: id changed from %s to %s: an in-place update replaced it", address, *id, got)
		}
		return nil
	}
}

// stateHasNo fails when any attribute of any resource contains one of the strings.
func stateHasNo(needles ...string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				for _, n := range needles {
					if strings.Contains(v, n) {
						return fmt.Errorf("%s.%s holds a secret", addr, k)
					}
				}
			}
		}
		return nil
	}
}

// requireTerraformCLI skips a test that runs the Terraform CLI when there is none to run: the
// emulator-backed tests need no environment variable, only a terraform binary.
func requireTerraformCLI(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(tfcli.TerraformPath()); err != nil {
		t.Skipf("runs the Terraform CLI, and %q is not found: run make terraform-check, or set TF_ACC_TERRAFORM_PATH", tfcli.TerraformPath())
	}
}

var (
	buildOnce   sync.Once
	providerDir string
	buildErr    error
)

func builtProvider(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			buildErr = err
			return
		}
		mod, err := tfcli.ModuleDir(wd)
		if err != nil {
			buildErr = err
			return
		}
		// One build serves every test of the process, so it outlives any one test's TempDir.
		dir, err := os.MkdirTemp("", "dataverse-provider-bin-") //nolint:usetesting // shared by all tests
		if err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		providerDir, buildErr = tfcli.BuildProvider(ctx, mod, dir)
	})
	if buildErr != nil {
		t.Fatalf("building the provider: %v", buildErr)
	}
	return providerDir
}

// requiredProviders names the provider's source; the CLI tests need it, the in-process ones do not.
const requiredProviders = `
terraform {
  required_providers {
    dataverse = {
      source = "` + registry.Source + `"
    }
  }
}
`

func newWorkspace(t *testing.T) *tfcli.Workspace {
	t.Helper()
	ws, err := tfcli.NewWorkspace(t.TempDir(), builtProvider(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// stateIDs reads the ids of the resources of a type from `terraform show -json`.
func stateIDs(t *testing.T, ws *tfcli.Workspace, resourceType string) []string {
	t.Helper()
	res := mustRun(t, ws, "show", "-json")
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Type   string         `json:"type"`
					Values map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		t.Fatalf("terraform show -json: %v", err)
	}
	var ids []string
	for _, r := range doc.Values.RootModule.Resources {
		if r.Type == resourceType {
			ids = append(ids, strings.ToLower(fmt.Sprint(r.Values["id"])))
		}
	}
	slices.Sort(ids)
	return ids
}

// mustRun runs a Terraform command and fails the test with its diagnostics when it fails.
// (run shows only the last lines of the output, where the diagnostics of a large apply are lost.)
func mustRun(t *testing.T, ws *tfcli.Workspace, args ...string) tfcli.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	res, err := ws.Run(ctx, args...)
	if err != nil {
		t.Fatalf("terraform %s: exit %d\n%s\n%s", strings.Join(args, " "), res.ExitCode, tail(res.Stderr, 60), tail(res.Stdout, 10))
	}
	return res
}

// planNoChanges runs terraform plan and fails the test, showing the plan, when it plans any change;
// when says at which point of the test, as in "after the second apply".
func planNoChanges(t *testing.T, ws *tfcli.Workspace, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	res, err := ws.Run(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if err != nil || !strings.Contains(res.Stdout, "No changes") {
		t.Fatalf("the plan %s is not empty (exit %d):\n%s\n%s", when, res.ExitCode, tail(res.Stdout, 30), tail(res.Stderr, 30))
	}
}

// planSays runs terraform plan and fails the test when its summary line is not want.
func planSays(t *testing.T, ws *tfcli.Workspace, want string) {
	t.Helper()
	if plan := mustRun(t, ws, "plan", "-input=false", "-no-color"); !strings.Contains(plan.Stdout, want) {
		t.Fatalf("the plan does not say %q:\n%s", want, plan.Stdout)
	}
}

func applyArgs(extra ...string) []string {
	return append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, extra...)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// oneLine joins Terraform's wrapped diagnostic text so that a message can be searched whole.
func oneLine(s string) string {
	s = strings.NewReplacer("│", " ", "\n", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

var (
	terraformVersionOnce sync.Once
	terraformVersion     *version.Version
	terraformVersionErr  error
)

// requireTerraform skips a test when the Terraform the tests run (TF_ACC_TERRAFORM_PATH, or the
// one on the PATH) is older than min; make test-terraform-next runs them with 1.14.
func requireTerraform(t *testing.T, minimum string) {
	t.Helper()
	requireTerraformCLI(t)
	terraformVersionOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, tfcli.TerraformPath(), "version", "-json").Output()
		if err != nil {
			terraformVersionErr = err
			return
		}
		var v struct {
			Version string `json:"terraform_version"`
		}
		if terraformVersionErr = json.Unmarshal(out, &v); terraformVersionErr == nil {
			terraformVersion, terraformVersionErr = version.NewVersion(v.Version)
		}
	})
	if terraformVersionErr != nil {
		t.Fatalf("reading the Terraform version: %v", terraformVersionErr)
	}
	if terraformVersion.Core().LessThan(version.Must(version.NewVersion(minimum))) {
		t.Skipf("needs Terraform %s or newer, found %s: run make test-terraform-next", minimum, terraformVersion)
	}
}

// requireHashiCorpTerraform is requireTerraform for what only Terraform has (terraform query,
// actions): OpenTofu, chosen by TF_ACC_PROVIDER_HOST, numbers its versions alike.
func requireHashiCorpTerraform(t *testing.T, minimum string) {
	t.Helper()
	if os.Getenv("TF_ACC_PROVIDER_HOST") == "registry.opentofu.org" {
		t.Skip("OpenTofu has no terraform query or actions")
	}
	requireTerraform(t, minimum)
}

// hookConfig is the provider block and the webhook "hook", named base with the backend's prefix,
// at url with a webhook key: what step and image scenarios register their steps on.
func hookConfig(b backend, base, url string) string {
	return b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name        = %q
  url         = %q
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`, b.name(base), url)
}

// webhookBlock is a webhook resource at address named name (as given), posting to a URL of its
// own, with extra arguments.
func webhookBlock(address, name, extra string) string {
	return fmt.Sprintf(`
resource "dataverse_webhook" %q {
  name        = %q
  url         = "https://fn.example.net/%s"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
  %s
}
`, address, name, address, extra)
}

// stepBlock is a dataverse_webhook_step at address firing the webhook at webhookAddress, with
// body (such as stepOn's) inside.
func stepBlock(address, webhookAddress, body string) string {
	return fmt.Sprintf("\nresource \"dataverse_webhook_step\" %q {\n  webhook_id = dataverse_webhook.%s.id%s}\n", address, webhookAddress, body)
}

// stepOn is the body of a step on message and table, with every other attribute at its default.
func stepOn(message, table string) string {
	return fmt.Sprintf("\n  message = %q\n  table   = %q\n", message, table)
}

func stepConfig(b backend, body string) string {
	return hookConfig(b, "orders-sync", "https://fn.example.net/api/orders") + fmt.Sprintf("resource \"dataverse_webhook_step\" \"test\" {\n  webhook_id = dataverse_webhook.hook.id\n%s\n}\n", body)
}

// imageConfig is a webhook, a step on it named "test" (stepBody sets message, table, …) and
// whatever else the test adds.
func imageConfig(b backend, stepBody, rest string) string { return stepConfig(b, stepBody) + rest }

// hclImage is a dataverse_webhook_step_image block on dataverse_webhook_step.<step>; with no
// columns the image carries every column.
func hclImage(name, step, imageType, alias string, columns ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nresource \"dataverse_webhook_step_image\" %q {\n  step_id = dataverse_webhook_step.%s.id\n  type    = %q\n  alias   = %q\n", name, step, imageType, alias)
	if len(columns) > 0 {
		quoted := make([]string, len(columns))
		for i, c := range columns {
			quoted[i] = fmt.Sprintf("%q", c)
		}
		fmt.Fprintf(&b, "  attributes = [%s]\n", strings.Join(quoted, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

func stressMode() bool { return os.Getenv("DATAVERSE_STRESS") == "1" }

// writeFleetFor writes the configuration of a fleet against a backend.
func writeFleetFor(t *testing.T, ws *tfcli.Workspace, b backend, f fleet, prefix string) {
	t.Helper()
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+f.hcl(prefix)); err != nil {
		t.Fatal(err)
	}
}
