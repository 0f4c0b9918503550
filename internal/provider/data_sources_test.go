package provider

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

func TestAccDataSourceWebhooks(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	hooks := b.providerBlock()
	for _, n := range []string{"ds-a-1", "ds-a-2", "ds-b-1"} {
		hooks += fmt.Sprintf(`
resource "dataverse_webhook" %[1]q {
  name        = %[2]q
  url         = "https://fn.example.net/%[1]s"
  description = "hook %[1]s"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
`, n, b.name(n))
	}
	deps := `depends_on = [dataverse_webhook.ds-a-1, dataverse_webhook.ds-a-2, dataverse_webhook.ds-b-1]`
	unitTest(t, b, []resource.TestStep{
		{Config: hooks},
		{
			Config: hooks + fmt.Sprintf(`
data "dataverse_webhooks" "all" {
  %[1]s
}
data "dataverse_webhooks" "prefix" {
  name_prefix = %[2]q
  %[1]s
}
data "dataverse_webhooks" "exact" {
  name = %[3]q
  %[1]s
}
`, deps, b.name("ds-a-"), b.name("ds-b-1")),
			Check: resource.ComposeAggregateTestCheckFunc(
				// Unfiltered, the list holds these three and whatever else the environment has.
				resource.TestCheckTypeSetElemAttrPair("data.dataverse_webhooks.all", "webhooks.*.id", "dataverse_webhook.ds-a-1", "id"),
				resource.TestCheckTypeSetElemAttrPair("data.dataverse_webhooks.all", "webhooks.*.id", "dataverse_webhook.ds-a-2", "id"),
				resource.TestCheckTypeSetElemAttrPair("data.dataverse_webhooks.all", "webhooks.*.id", "dataverse_webhook.ds-b-1", "id"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.prefix", "webhooks.#", "2"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.prefix", "webhooks.0.name", b.name("ds-a-1")),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.prefix", "webhooks.1.name", b.name("ds-a-2")),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.exact", "webhooks.#", "1"),
				resource.TestCheckResourceAttrPair("data.dataverse_webhooks.exact", "webhooks.0.id", "dataverse_webhook.ds-b-1", "id"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.exact", "webhooks.0.url", "https://fn.example.net/ds-b-1"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.exact", "webhooks.0.auth_type", "WebhookKey"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.exact", "webhooks.0.description", "hook ds-b-1"),
				resource.TestCheckResourceAttr("data.dataverse_webhooks.exact", "webhooks.0.is_auth_value_set", "true"),
				resource.TestMatchResourceAttr("data.dataverse_webhooks.exact", "webhooks.0.created_on", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)),
				resource.TestCheckResourceAttrSet("data.dataverse_webhooks.exact", "webhooks.0.modified_on"),
			),
		},
	})
}

// A webhook another tool registered with a key in its URL's query is read as Dataverse holds it,
// and the read warns once, naming the webhook and the parameter but never the key.
func TestBuiltProvider_webhooksDataSourceWarnsOfAKeyInAURL(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	const key = urlKey
	keyedWebhook(t, b, true)
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+fmt.Sprintf(`
data "dataverse_webhooks" "keyed" {
  name_prefix = %q
}

output "urls" {
  value = data.dataverse_webhooks.keyed.webhooks[*].url
}
`, b.name("keyed-"))); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	out := oneLine(res.Stdout + res.Stderr)
	if n := strings.Count(out, "Warning: Webhook URL carries a secret"); n != 1 {
		t.Fatalf("the warning appears %d times, want once:\n%s", n, out)
	}
	warning := out[strings.Index(out, "Warning: Webhook URL carries a secret"):]
	warning, _, _ = strings.Cut(warning, "Apply complete!")
	if !strings.Contains(warning, b.name("keyed-orders")) || !strings.Contains(warning, "`code`") || !strings.Contains(warning, "auth_key_wo") {
		t.Errorf("the warning does not name the webhook, the parameter and auth_key_wo:\n%s", warning)
	}
	if strings.Contains(warning, key) || strings.Contains(warning, b.name("keyed-plain")) {
		t.Errorf("the warning quotes the key or names the webhook without one:\n%s", warning)
	}
	// The data source reads what Dataverse holds; the output shows it is read whole.
	urls := mustRun(t, ws, "output", "-json", "urls")
	if !strings.Contains(urls.Stdout, "code="+key) || !strings.Contains(urls.Stdout, "/api/plain") {
		t.Errorf("urls read = %s, want both as Dataverse holds them", urls.Stdout)
	}
}

func TestAccDataSourceWebhookSteps(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t) // it expects no failed jobs, which another test's account updates would make
	b := newBackend(t)
	cfg := hookConfig(b, "steps-listed", "https://fn.example.net/steps") + `
resource "dataverse_webhook_step" "update_late" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  rank                 = 2
  filtering_attributes = ["name"]
}
resource "dataverse_webhook_step" "update_early" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
  rank       = 1
  enabled    = false
  name       = "` + b.name("steps-listed") + `: Update of account, disabled"
}
resource "dataverse_webhook_step" "create" {
  webhook_id  = dataverse_webhook.hook.id
  message     = "Create"
  table       = "contact"
  mode        = "Synchronous"
  stage       = "PreOperation"
  description = "sync create"
}
`
	list := `
data "dataverse_webhook_steps" "all" {
  webhook_id = dataverse_webhook.hook.id
  depends_on = [dataverse_webhook_step.update_late, dataverse_webhook_step.update_early, dataverse_webhook_step.create]
}
data "dataverse_webhook_failed_jobs" "none_yet" {
  webhook_id = dataverse_webhook.hook.id
  since      = timeadd(plantimestamp(), "-1h")
}
`
	ds := "data.dataverse_webhook_steps.all"
	unitTest(t, b, []resource.TestStep{
		{Config: cfg},
		{
			Config: cfg + list,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(ds, "steps.#", "3"),
				// nothing fired the steps
				resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.none_yet", "jobs.#", "0"),
				// ordered by message, table, stage, rank
				resource.TestCheckResourceAttr(ds, "steps.0.message", "Create"),
				resource.TestCheckResourceAttr(ds, "steps.0.table", "contact"),
				resource.TestCheckResourceAttr(ds, "steps.0.mode", "Synchronous"),
				resource.TestCheckResourceAttr(ds, "steps.0.stage", "PreOperation"),
				resource.TestCheckResourceAttr(ds, "steps.0.description", "sync create"),
				resource.TestCheckResourceAttrPair(ds, "steps.0.id", "dataverse_webhook_step.create", "id"),
				resource.TestCheckResourceAttrPair(ds, "steps.0.webhook_id", "dataverse_webhook.hook", "id"),
				resource.TestCheckResourceAttrPair(ds, "steps.1.id", "dataverse_webhook_step.update_early", "id"),
				resource.TestCheckResourceAttr(ds, "steps.1.enabled", "false"),
				resource.TestCheckResourceAttr(ds, "steps.1.rank", "1"),
				resource.TestCheckResourceAttrPair(ds, "steps.2.id", "dataverse_webhook_step.update_late", "id"),
				resource.TestCheckResourceAttr(ds, "steps.2.filtering_attributes.#", "1"),
				resource.TestCheckResourceAttr(ds, "steps.2.filtering_attributes.0", "name"),
				resource.TestCheckResourceAttr(ds, "steps.2.name", b.name("steps-listed")+": Update of account"),
				resource.TestCheckResourceAttr(ds, "steps.2.mode", "Asynchronous"),
			),
		},
	})
}

// Stored column lists are listed as the resources read them: a column named twice in different
// case, with blanks around it ("Name, name ,Telephone1"), is that one column, in lower case.
func TestAccDataSourceWebhookSteps_storedColumnsDifferingInCase(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	est := seedColumnsDifferingInCase(t, b)
	ds := "data.dataverse_webhook_steps.orders"
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config: b.providerBlock() + fmt.Sprintf(`
data "dataverse_webhook_steps" "orders" {
  webhook_id = %q
}
`, est.Webhooks["crm-orders"]),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(ds, "steps.1.id", est.Steps["orders update"]),
				resource.TestCheckResourceAttr(ds, "steps.1.filtering_attributes.#", "2"),
				resource.TestCheckTypeSetElemAttr(ds, "steps.1.filtering_attributes.*", "name"),
				resource.TestCheckTypeSetElemAttr(ds, "steps.1.filtering_attributes.*", "telephone1"),
				resource.TestCheckResourceAttr(ds, "steps.1.images.0.id", est.Images["orders before"]),
				resource.TestCheckResourceAttr(ds, "steps.1.images.0.attributes.#", "1"),
				resource.TestCheckResourceAttr(ds, "steps.1.images.0.attributes.0", "name"),
				// An image of every column stores no list: null, not empty.
				resource.TestCheckNoResourceAttr(ds, "steps.1.images.1.attributes"),
				resource.TestCheckNoResourceAttr(ds, "steps.0.filtering_attributes"),
			),
		}},
	})
}

func failedJobsConfig(b backend, endpoint failingEndpoint) string {
	return hookConfig(b, "failing", endpoint.url) + `
resource "dataverse_webhook_step" "updated" {
  webhook_id        = dataverse_webhook.hook.id
  message           = "Update"
  table             = "account"
  async_auto_delete = true
}
resource "dataverse_webhook_step" "other" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Create"
  table      = "contact"
}
`
}

// failedAs checks that job index of the data source at address records the failure endpoint
// gives: its HTTP status, or none, and its error code.
func failedAs(address string, index int, endpoint failingEndpoint) resource.TestCheckFunc {
	prefix := fmt.Sprintf("jobs.%d.", index)
	status := resource.TestCheckNoResourceAttr(address, prefix+"http_status")
	if endpoint.httpStatus != "" {
		status = resource.TestCheckResourceAttr(address, prefix+"http_status", endpoint.httpStatus)
	}
	return resource.ComposeAggregateTestCheckFunc(status, resource.TestCheckResourceAttr(address, prefix+"error_code", endpoint.errorCode))
}

// delivered checks that the receiver of endpoint got at least n deliveries, where it is ours to see.
func delivered(t *testing.T, endpoint failingEndpoint, n int64) {
	t.Helper()
	if endpoint.deliveries != nil {
		if got := endpoint.deliveries.Load(); got < n {
			t.Fatalf("the receiver got %d deliveries, want at least %d", got, n)
		}
	}
}

func TestAccDataSourceFailedJobs(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	endpoint := b.failingEndpoint(t)
	cfg := failedJobsConfig(b, endpoint)
	queries := `
data "dataverse_webhook_failed_jobs" "by_step" {
  step_id = dataverse_webhook_step.updated.id
}
data "dataverse_webhook_failed_jobs" "by_webhook_top2" {
  webhook_id = dataverse_webhook.hook.id
  top        = 2
}
data "dataverse_webhook_failed_jobs" "future" {
  webhook_id = dataverse_webhook.hook.id
  since      = "2999-01-01T00:00:00Z"
}
data "dataverse_webhook_failed_jobs" "past" {
  webhook_id = dataverse_webhook.hook.id
  since      = "2000-01-01T00:00:00Z"
}
data "dataverse_webhook_failed_jobs" "quiet_step" {
  step_id = dataverse_webhook_step.other.id
}
`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					fireAccountUpdates(t, b, b.name("failing"), 3)
					delivered(t, endpoint, 3)
				},
				Config: cfg + queries,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.#", "3"),
					resource.TestCheckResourceAttrPair("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.step_id", "dataverse_webhook_step.updated", "id"),
					resource.TestCheckResourceAttrSet("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.friendly_message"),
					resource.TestCheckResourceAttrSet("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.message"),
					resource.TestCheckResourceAttrSet("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.completed_on"),
					resource.TestCheckResourceAttrSet("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.created_on"),
					// What the person on call acts on, by step and by webhook.
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.webhook_name", b.name("failing")),
					resource.TestCheckResourceAttrPair("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.webhook_id", "dataverse_webhook.hook", "id"),
					resource.TestCheckResourceAttrPair("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.step_name", "dataverse_webhook_step.updated", "name"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.message_name", "Update"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.record_table", "account"),
					resource.TestMatchResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.record_id", guidPattern),
					resource.TestMatchResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.correlation_id", guidPattern),
					failedAs("data.dataverse_webhook_failed_jobs.by_step", 0, endpoint),
					resource.TestCheckResourceAttrSet("data.dataverse_webhook_failed_jobs.by_step", "jobs.0.started_on"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_webhook_top2", "jobs.0.webhook_name", b.name("failing")),
					resource.TestCheckResourceAttrPair("data.dataverse_webhook_failed_jobs.by_webhook_top2", "jobs.1.step_name", "dataverse_webhook_step.updated", "name"),
					failedAs("data.dataverse_webhook_failed_jobs.by_webhook_top2", 1, endpoint),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_webhook_top2", "jobs.#", "2"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.future", "jobs.#", "0"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.past", "jobs.#", "3"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.quiet_step", "jobs.#", "0"),
					newestFirst("data.dataverse_webhook_failed_jobs.by_step", 3),
					topCutShortWarns(t, b, "data.dataverse_webhook_failed_jobs.by_webhook_top2", 3),
				),
			},
			{
				// Deleted jobs are gone from the list; a live environment keeps none of them.
				PreConfig: func() { deleteJobsOfWebhook(t, b, b.name("failing")) },
				Config:    cfg + queries,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.by_step", "jobs.#", "0"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_failed_jobs.past", "jobs.#", "0"),
				),
			},
		},
	})
}

// topCutShortWarns reads the failed jobs of the webhook of the data source at address, which
// has failed jobs, as Terraform does: with a top below that, the read warns on top that the list
// is cut short; with top at that, it does not.
func topCutShortWarns(t *testing.T, b backend, address string, failed int64) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		s := protocolProvider(t, b)
		webhook := str(attrOf(st, address, "webhook_id"))
		for top, warns := range map[int64]bool{failed - 1: true, failed: false} {
			config := map[string]tftypes.Value{"webhook_id": webhook, "top": tftypes.NewValue(tftypes.Number, top)}
			jobs, diags := readDataSourceThrough(t, s, "dataverse_webhook_failed_jobs", config)
			var warnings []string
			for _, d := range diags {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					return fmt.Errorf("top = %d: %s: %s", top, d.Summary, d.Detail)
				}
				warnings = append(warnings, d.Summary)
			}
			var list []tftypes.Value
			if err := jobs["jobs"].As(&list); err != nil || int64(len(list)) != top {
				return fmt.Errorf("top = %d: %d jobs (%w)", top, len(list), err)
			}
			cutShort := slices.Contains(warnings, "More failed jobs than top")
			if cutShort != warns {
				return fmt.Errorf("top = %d with %d failed jobs: warnings %q, want the cut-short warning: %v", top, failed, warnings, warns)
			}
		}
		return nil
	}
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newestFirst(address string, n int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		prev := ""
		for i := 0; i < n; i++ {
			c := attrOf(s, address, fmt.Sprintf("jobs.%d.completed_on", i))
			if prev != "" && c > prev {
				return fmt.Errorf("job %d completed at %s, after job %d at %s: not newest first", i, c, i-1, prev)
			}
			prev = c
		}
		return nil
	}
}

// TestBuiltProvider_checkBlockWarnsOnFailedJobs runs the documented check block: a plan warns, and does
// not fail, when the webhook has failed deliveries.
func TestBuiltProvider_checkBlockWarnsOnFailedJobs(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	endpoint := b.failingEndpoint(t)
	ws := newWorkspace(t)
	cfg := requiredProviders + failedJobsConfig(b, endpoint) + `
check "webhook_healthy" {
  data "dataverse_webhook_failed_jobs" "recent" {
    webhook_id = dataverse_webhook.hook.id
    since      = timeadd(plantimestamp(), "-24h")
  }
  assert {
    condition = length(data.dataverse_webhook_failed_jobs.recent.jobs) == 0
    error_message = join("\n", concat(
      ["Webhook ${try(data.dataverse_webhook_failed_jobs.recent.jobs[0].webhook_name, "")} had ${length(data.dataverse_webhook_failed_jobs.recent.jobs)} failed deliveries in the last 24 hours:"],
      [for j in data.dataverse_webhook_failed_jobs.recent.jobs :
        "${j.completed_on} ${j.step_name}: ${coalesce(j.record_table, "no row")} ${coalesce(j.record_id, "-")}, HTTP ${coalesce(j.http_status, "none")}, ${coalesce(j.error_code, "no code")}, correlation id ${j.correlation_id}: ${j.friendly_message}"
      ]
    ))
  }
}
`
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
	res := mustRun(t, ws, "plan", "-input=false", "-no-color")
	if strings.Contains(res.Stdout+res.Stderr, "Check block assertion failed") {
		t.Fatalf("a healthy webhook warned:\n%s", res.Stdout)
	}
	fireAccountUpdates(t, b, b.name("failing"), 2)
	res = mustRun(t, ws, "plan", "-input=false", "-no-color")
	out := res.Stdout + res.Stderr
	// The webhook's name comes from the data source, not from the check block. Terraform wraps
	// long messages, so compare with the white space collapsed.
	out = oneLine(out)
	status := cmp.Or(endpoint.httpStatus, "none")
	if !strings.Contains(out, "Check block assertion failed") || !strings.Contains(out, "Webhook "+b.name("failing")+" had 2 failed deliveries") ||
		!strings.Contains(out, ": account ") || !strings.Contains(out, "HTTP "+status+", "+endpoint.errorCode+", correlation id ") {
		t.Fatalf("no warning for a failing webhook:\n%s", out)
	}
	deleteJobsOfWebhook(t, b, b.name("failing"))
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
}

func TestAccDataSources_invalidArguments(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cases := map[string]struct{ cfg, want string }{
		"name and prefix": {`
data "dataverse_webhooks" "both" {
  name        = "a"
  name_prefix = "b"
}
`, `Invalid Attribute Combination`},
		"step and webhook": {`
data "dataverse_webhook_failed_jobs" "both" {
  step_id    = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a11"
}
`, `Invalid Attribute Combination`},
		"neither step nor webhook": {`
data "dataverse_webhook_failed_jobs" "none" {
  top = 5
}
`, `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured`},
		"bad since": {`
data "dataverse_webhook_failed_jobs" "since" {
  step_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  since   = "yesterday"
}
`, `(?s)Invalid timestamp.*must be an RFC 3339 timestamp`},
		"unknown step": {`
data "dataverse_webhook_failed_jobs" "typo" {
  step_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
}
`, `(?s)No such step.*No step has id 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10.*holds none`},
		"unknown webhook of failed jobs": {`
data "dataverse_webhook_failed_jobs" "typo" {
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a12"
}
`, `(?s)No such webhook.*No webhook has id 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a12.*dataverse_webhook\.<name>\.id`},
		"unknown webhook of steps": {`
data "dataverse_webhook_steps" "typo" {
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a13"
}
`, `(?s)No such webhook.*No webhook has id 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a13`},
		"top too large": {`
data "dataverse_webhook_failed_jobs" "top" {
  step_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
  top     = 6000
}
`, `must be between 1 and 5000, got: 6000`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers(),
				Steps:                    []resource.TestStep{{Config: b.providerBlock() + tc.cfg, ExpectError: regexp.MustCompile(tc.want)}},
			})
		})
	}
	t.Cleanup(func() {
		// Only the unknown ids are looked up: the step and a query of its jobs, and the steps of
		// each unknown webhook; only the emulator counts.
		if e := b.emulator(); e != nil {
			if n := e.Stats().Requests.Total; n != 4 {
				t.Errorf("invalid arguments made %d requests, want 4: the unknown ids' reads", n)
			}
		}
	})
}

func TestAccWebhookStepsDataSource_images(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := imageConfig(b, accountUpdated, `
resource "dataverse_webhook_step" "created" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Create"
  table      = "contact"
}
`+hclImage("before", "test", "PreImage", "before", "telephone1", "name")+hclImage("after", "test", "PostImage", "after")+`
data "dataverse_webhook_steps" "all" {
  webhook_id = dataverse_webhook.hook.id
  depends_on = [
    dataverse_webhook_step.created,
    dataverse_webhook_step_image.before,
    dataverse_webhook_step_image.after,
  ]
}
`)
	const ds = "data.dataverse_webhook_steps.all"
	unitTest(t, b, []resource.TestStep{{
		Config: cfg,
		// Steps are ordered by message: Create of contact, then Update of account; images by name.
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(ds, "steps.#", "2"),
			resource.TestCheckResourceAttr(ds, "steps.0.message", "Create"),
			resource.TestCheckResourceAttr(ds, "steps.0.images.#", "0"),
			resource.TestCheckResourceAttr(ds, "steps.1.message", "Update"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.#", "2"),
			resource.TestCheckResourceAttrPair(ds, "steps.1.images.0.id", "dataverse_webhook_step_image.after", "id"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.0.alias", "after"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.0.type", "PostImage"),
			resource.TestCheckNoResourceAttr(ds, "steps.1.images.0.attributes.#"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.0.message_property_name", "Target"),
			resource.TestCheckResourceAttrPair(ds, "steps.1.images.1.id", "dataverse_webhook_step_image.before", "id"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.1.name", "before"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.1.type", "PreImage"),
			resource.TestCheckResourceAttr(ds, "steps.1.images.1.attributes.#", "2"),
			resource.TestCheckTypeSetElemAttr(ds, "steps.1.images.1.attributes.*", "name"),
			resource.TestCheckTypeSetElemAttr(ds, "steps.1.images.1.attributes.*", "telephone1"),
		),
	}})
}

// A read that outlasts its timeout says which timeout ran out and how to raise it. The emulator
// is made slower than the timeout; a live environment is given a timeout no network can meet.
func TestAccDataSourceWebhooks_timeoutNamesItself(t *testing.T) {
	t.Parallel()
	b, timeout := newBackend(t), "1ms"
	if !liveEnvironment() {
		b, timeout = emulatorBackend(launchEmulator(t, func(o *emulator.Options) { o.Latency = 3 * time.Second })), "500ms"
	}
	unitTest(t, b, []resource.TestStep{{
		Config: b.providerBlock() + fmt.Sprintf(`
data "dataverse_webhooks" "slow" {
  timeouts {
    read = %q
  }
}
`, timeout),
		ExpectError: regexp.MustCompile(`(?s)Listing webhooks failed.*the\s+read\s+timeout\s+of\s+` + timeout + `\s+ran\s+out;\s+raise\s+timeouts\.read\s+if\s+Dataverse\s+needs\s+longer`),
	}})
}

// A synchronous step records no system job when its webhook fails, so asking for its failed jobs
// warns, naming the step, rather than reading as an all-clear; a webhook warns only when none of
// its steps is asynchronous.
func TestBuiltProvider_failedJobsOfSynchronousStepsWarn(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	steps := func(withAsync bool) string {
		cfg := requiredProviders + hookConfig(b, "sync-watch", "https://fn.example.net/api/sync") + `
resource "dataverse_webhook_step" "sync" {
  webhook_id = dataverse_webhook.hook.id
  name       = "sync watch"
  message    = "Create"
  table      = "contact"
  mode       = "Synchronous"
}
data "dataverse_webhook_failed_jobs" "sync_step" {
  step_id = dataverse_webhook_step.sync.id
}
data "dataverse_webhook_failed_jobs" "webhook" {
  webhook_id = dataverse_webhook.hook.id
  depends_on = [dataverse_webhook_step.sync]
}
`
		if withAsync {
			cfg += `
resource "dataverse_webhook_step" "async" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "contact"
}
data "dataverse_webhook_failed_jobs" "async_step" {
  step_id = dataverse_webhook_step.async.id
}
`
			cfg = strings.Replace(cfg, "depends_on = [dataverse_webhook_step.sync]", "depends_on = [dataverse_webhook_step.sync, dataverse_webhook_step.async]", 1)
		}
		return cfg
	}
	const stepWarning, webhookWarning = "Warning: Synchronous step records no failed jobs", "Warning: No asynchronous step records failed jobs"
	apply := func(cfg string) string {
		t.Helper()
		if err := ws.WriteFile("main.tf", cfg); err != nil {
			t.Fatal(err)
		}
		res := mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color")
		return oneLine(res.Stdout + res.Stderr)
	}

	out := apply(steps(true))
	if n := strings.Count(out, stepWarning); n != 1 {
		t.Fatalf("the synchronous step's warning appears %d times, want once (for sync_step alone):\n%s", n, out)
	}
	if !strings.Contains(out, `Step "sync watch"`) || !strings.Contains(out, "data.dataverse_webhook_failed_jobs.sync_step") {
		t.Errorf("the warning does not name the step and the data source:\n%s", out)
	}
	if strings.Contains(out, webhookWarning) {
		t.Errorf("a webhook with an asynchronous step is warned of:\n%s", out)
	}

	// The webhook's data source was read before the asynchronous step went; the next plan reads
	// it again.
	apply(steps(false))
	res := mustRun(t, ws, "plan", "-input=false", "-no-color")
	out = oneLine(res.Stdout + res.Stderr)
	if n := strings.Count(out, webhookWarning); n != 1 {
		t.Fatalf("the webhook's warning appears %d times, want once:\n%s", n, out)
	}
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
}

// The failed-jobs example when its webhook is missing (renamed, not created yet): its check block
// warns by name, and the step look-up outside it fails with its precondition's message alone,
// not with "Attempt to get attribute from null value".
func TestBuiltProvider_failedJobsExampleWithAMissingWebhook(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "data-sources", "dataverse_webhook_failed_jobs", "data-source.tf"))
	if err != nil {
		t.Fatal(err)
	}
	const name = `"orders-sync"`
	if !strings.Contains(string(example), name) {
		t.Fatalf("the example no longer looks up %s", name)
	}
	missing := b.name("no-such-webhook")
	checkPart, lookUpPart, ok := strings.Cut(strings.ReplaceAll(string(example), name, strconv.Quote(missing)), "# Outside a check block")
	if !ok {
		t.Fatal("the example has no part outside its check block")
	}
	plan := func(cfg string) (tfcli.Result, string) {
		t.Helper()
		ws := newWorkspace(t)
		if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()+cfg); err != nil {
			t.Fatal(err)
		}
		res, err := ws.Run(context.Background(), "plan", "-input=false", "-no-color")
		if err != nil && res.ExitCode == 0 {
			t.Fatal(err)
		}
		return res, oneLine(res.Stdout + res.Stderr)
	}

	// The check block alone, as a scheduled plan runs it: a warning, by name.
	res, out := plan(checkPart)
	if res.ExitCode != 0 {
		t.Fatalf("the check block failed the plan:\n%s", out)
	}
	if !strings.Contains(out, "Warning: Check block assertion failed") || !strings.Contains(out, "No webhook named "+missing+": its failed deliveries cannot be checked.") {
		t.Errorf("the check block does not warn of the missing webhook by name:\n%s", out)
	}

	// The whole example: the look-up outside the check fails with its precondition alone.
	res, out = plan(checkPart + "# Outside a check block" + lookUpPart)
	if res.ExitCode == 0 {
		t.Fatalf("the plan succeeded without the step look-up's webhook:\n%s", out)
	}
	if n := strings.Count(out, "Error: "); n != 1 || !strings.Contains(out, "Error: Resource precondition failed") || !strings.Contains(out, "No webhook named "+missing+".") {
		t.Errorf("the plan does not fail with the precondition's message alone:\n%s", out)
	}
}

// A list cut short says more jobs match, with the top to raise; a full list at the most top may
// be says more may.
func TestFailedJobsCutShortWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		beyond dataverse.JobsBeyond
		top    int
		warns  string
	}{
		{dataverse.NoJobsBeyond, 50, ""},
		{dataverse.JobsBeyondTop, 50, "More than 50 failed jobs match"},
		{dataverse.JobsBeyondTop, 4999, "More than 4999 failed jobs match"},
		{dataverse.MaybeJobsBeyond, 5000, "newest 5000 failed jobs, the most one read lists, and more may match"},
	} {
		if got := cutShortWarning(tc.beyond, tc.top); (tc.warns == "") != (got == "") || !strings.Contains(got, tc.warns) {
			t.Errorf("%v at top %d: warning %q, want one saying %q", tc.beyond, tc.top, got, tc.warns)
		}
	}
}
