package provider

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// The pipelines of the authentication guide run examples/guides/pipelines: TestExamplesValidate
// validates its configuration, TestBuiltProvider_pipelineFailedJobsCheck applies it and runs its
// check-failed-jobs.sh against the emulator, and TestPipelineDefinitions checks that each
// pipeline does what the guide says it does.

var pipelineRequirements = map[string][]struct{ what, pattern string }{
	"github-actions.yml": {
		{"plans on pull requests", `(?m)^  pull_request:\n    branches: \[main\]`},
		{"applies on pushes to main", `(?m)^  push:\n    branches: \[main\]`},
		{"may ask GitHub for an OIDC token", `(?m)^  id-token: write`},
		{"signs in with OIDC", `(?m)^  ARM_USE_OIDC: "true"`},
		{"runs the plan job only on pull requests", `(?m)^  plan:\n    if: github\.event_name == 'pull_request'`},
		{"runs the apply job only on main", `(?m)^  apply:\n    if: github\.event_name == 'push' && github\.ref == 'refs/heads/main'`},
		{"installs what the lock file names", `terraform init -input=false -lockfile=readonly`},
		{"plans without a lock on pull requests", `(?m)^      - run: terraform plan -input=false -lock=false$`},
		{"applies the plan it made", `terraform plan -input=false -out=tfplan\n      - run: terraform apply -input=false tfplan`},
		{"checks the failed jobs after apply", `terraform apply -input=false tfplan\n      - name: Failed webhook deliveries\n        run: bash check-failed-jobs.sh`},
		{"keeps Terraform's output plain for jq", `terraform_wrapper: false`},
	},
	"azure-pipelines.yml": {
		{"runs on main", `(?m)^trigger:\n  branches:\n    include: \[main\]`},
		{"runs on pull requests", `(?m)^pr:\n  branches:\n    include: \[main\]`},
		{"signs in with OIDC through the service connection", `(?s)ARM_USE_OIDC: "true".*ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: `},
		{"plans only on pull requests", `(?m)^  - stage: plan\n    condition: eq\(variables\['Build\.Reason'\], 'PullRequest'\)`},
		{"applies only on main", `(?m)^  - stage: apply\n    condition: and\(succeeded\(\), eq\(variables\['Build\.SourceBranch'\], 'refs/heads/main'\), ne\(variables\['Build\.Reason'\], 'PullRequest'\)\)`},
		{"installs what the lock file names", `terraform init -input=false -lockfile=readonly`},
		{"applies the plan it made", `terraform plan -input=false -out=tfplan && terraform apply -input=false tfplan`},
		{"checks the failed jobs after apply", `terraform apply -input=false tfplan\n(?:.*\n){5}          - script: bash check-failed-jobs.sh`},
	},
}

func TestPipelineDefinitions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "examples", "guides", "authentication")
	for file, reqs := range pipelineRequirements {
		b, err := os.ReadFile(filepath.Join(dir, file)) //nolint:gosec // the repository's own examples
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if strings.Contains(text, "\t") {
			t.Errorf("%s has a tab: YAML does not allow them for indentation", file)
		}
		for _, r := range reqs {
			if !regexp.MustCompile(r.pattern).MatchString(text) {
				t.Errorf("%s no longer %s (/%s/)", file, r.what, r.pattern)
			}
		}
		// Every step that runs Terraform runs in the folder that holds the configuration.
		for _, m := range regexp.MustCompile(`(?m)working-?[dD]irectory: (\S+)`).FindAllStringSubmatch(text, -1) {
			if m[1] != "dataverse" {
				t.Errorf("%s runs in %s, not in dataverse/ as the guide says", file, m[1])
			}
		}
		// The secret reaches every Terraform command that needs the configuration's variables.
		if strings.Count(text, "TF_VAR_function_key:") == 0 {
			t.Errorf("%s passes no TF_VAR_function_key", file)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "examples", "guides", "pipelines", "check-failed-jobs.sh")); err != nil {
		t.Errorf("the pipelines' check script is missing: %v", err)
	}
}

// TestBuiltProvider_pipelineFailedJobsCheck applies the pipelines' configuration and runs their
// failed-jobs step: it passes while deliveries succeed and fails the run, with an
// annotation naming the webhook, once one fails.
func TestBuiltProvider_pipelineFailedJobsCheck(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("check-failed-jobs.sh needs jq, which is not on the PATH")
	}
	holdAccountUpdates(t)
	b := newBackend(t)
	endpoint := b.failingEndpoint(t)
	hookName := b.name("orders-sync")
	ws := newWorkspace(t)
	dir := filepath.Join("..", "..", "examples", "guides", "pipelines")
	for _, name := range []string{"main.tf", "check-failed-jobs.sh"} {
		src, err := os.ReadFile(filepath.Join(dir, name)) //nolint:gosec // the repository's own example
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		if name == "main.tf" {
			// A live backend's webhooks carry its prefix, so that runs never collide.
			named := fmt.Sprintf("name            = %q", hookName)
			if text = strings.Replace(text, `name            = "orders-sync"`, named, 1); !strings.Contains(text, named) {
				t.Fatal(`the pipelines' main.tf no longer names its webhook "orders-sync"`)
			}
		}
		if err := ws.WriteFile(name, text); err != nil {
			t.Fatal(err)
		}
	}
	if e := b.emulator(); e != nil {
		for k, v := range e.Env() {
			ws.Env = append(ws.Env, k+"="+v)
		}
	}
	ws.Env = append(ws.Env, "TF_VAR_orders_url="+endpoint.url, "TF_VAR_function_key=k")
	mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")

	check := func(env ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := ws.Command(ctx)
		script := exec.CommandContext(ctx, "bash", "check-failed-jobs.sh")
		script.Dir = ws.Dir
		script.Env = append(append(cmd.Env, "TERRAFORM="+tfcli.TerraformPath(), "GITHUB_ACTIONS=", "TF_BUILD="), env...)
		out, err := script.CombinedOutput()
		if err != nil && script.ProcessState == nil {
			t.Fatal(err)
		}
		return string(out), script.ProcessState.ExitCode()
	}
	if out, code := check(); code != 0 || !strings.Contains(out, "Every check passed.") {
		t.Fatalf("a healthy webhook failed the check (exit %d):\n%s", code, out)
	}

	fireAccountUpdates(t, b, hookName, 1)
	delivered(t, endpoint, 1)
	out, code := check("GITHUB_ACTIONS=true")
	annotation := regexp.MustCompile(`(?m)^::error title=Dataverse check failed::` + regexp.QuoteMeta(hookName) + `: delivery failed at \S+ \(step ` +
		regexp.QuoteMeta(hookName) + `: Update of account, account [0-9a-f-]{36}, HTTP ` + cmp.Or(endpoint.httpStatus, "none") + `, ` + endpoint.errorCode + `, correlation id [0-9a-f-]{36}\): `)
	if code != 1 || !annotation.MatchString(out) {
		t.Fatalf("a failing webhook: exit %d, want 1 with a GitHub annotation naming it:\n%s", code, out)
	}
	if out, code := check("TF_BUILD=True"); code != 1 || !strings.HasPrefix(out, "##vso[task.logissue type=error]"+hookName+": ") {
		t.Fatalf("on Azure DevOps: exit %d, want 1 with a logging command:\n%s", code, out)
	}
	deleteJobsOfWebhook(t, b, hookName)
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
}
