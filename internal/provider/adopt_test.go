package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// adoptWorkspace is a workspace configured for b with the guide's query file. The file lists
// every webhook of the environment; on a live environment each list block gains a filter by the
// run's prefix, which is how the guide adopts one team's webhooks, so that the run adopts its own
// alone.
func adoptWorkspace(t *testing.T, b backend) *tfcli.Workspace {
	t.Helper()
	ws := newWorkspace(t)
	guide, err := os.ReadFile(filepath.Join("..", "..", "examples", "guides", "migrating", "adopt", "adopt.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	query := string(guide)
	if prefix := b.name(""); prefix != "" {
		for typ, filter := range map[string]string{"dataverse_webhook": "name_prefix", "dataverse_webhook_step": "webhook_name_prefix", "dataverse_webhook_step_image": "webhook_name_prefix"} {
			block := regexp.MustCompile(`(?m)^list "` + typ + `" "\w+" \{\n`)
			if block.FindStringIndex(query) == nil {
				t.Fatalf("the guide's query file has no list block of %s:\n%s", typ, query)
			}
			query = block.ReplaceAllStringFunc(query, func(open string) string {
				return open + fmt.Sprintf("  config {\n    %s = %q\n  }\n", filter, prefix)
			})
		}
	}
	if err := ws.WriteFile("adopt.tfquery.hcl", query); err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()); err != nil {
		t.Fatal(err)
	}
	return ws
}

// terraform query lists a webhook another tool registered with its key in the URL, writes it
// into the generated configuration as Dataverse holds it, and warns once, naming the webhook and
// never quoting the key.
func TestAdopt_queryWarnsOfAKeyInAURL(t *testing.T) {
	requireHashiCorpTerraform(t, "1.14.0")
	t.Parallel()
	b := newBackend(t)
	const key = urlKey
	keyedWebhook(t, b, false)
	ws := adoptWorkspace(t, b)
	res := mustRun(t, ws, "query", "-generate-config-out=generated.tf", "-no-color")
	out := oneLine(res.Stdout + res.Stderr)
	if n := strings.Count(out, "Warning: Webhook URL carries a secret"); n != 1 {
		t.Fatalf("the warning appears %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, b.name("keyed-orders")) || !strings.Contains(out, "auth_key_wo") {
		t.Errorf("the warning does not name the webhook and auth_key_wo:\n%s", out)
	}
	if strings.Contains(out, key) {
		t.Errorf("terraform query's output quotes the key:\n%s", out)
	}
	generated, err := os.ReadFile(filepath.Join(ws.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(generated), `"https://fn.example.net/api/orders?code=`+key+`"`) {
		t.Errorf("generated.tf does not hold the URL as Dataverse does:\n%s", generated)
	}
}

// A list block whose limit leaves webhooks out returns the first ones and warns with the count,
// so that a whole environment is not adopted short without a word.
func TestAdopt_queryWarnsWhenTheLimitLeavesSomeOut(t *testing.T) {
	requireHashiCorpTerraform(t, "1.14.0")
	t.Parallel()
	b, est, ws := estateWorkspace(t)
	query := fmt.Sprintf(`list "dataverse_webhook" "first_two" {
  provider = dataverse
  limit    = 2
  config {
    name_prefix = %q
  }
}
`, b.name(""))
	if err := ws.WriteFile("some.tfquery.hcl", query); err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFile("main.tf", requiredProviders+b.providerBlock()); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, ws, "query", "-no-color")
	out := oneLine(res.Stdout + res.Stderr)
	if n := strings.Count(out, "Warning: More webhooks than the limit"); n != 1 {
		t.Fatalf("the warning appears %d times, want once:\n%s", n, out)
	}
	if want := fmt.Sprintf("found %d webhooks and returns the first 2", len(est.Webhooks)); !strings.Contains(out, want) {
		t.Errorf("the warning does not say %q:\n%s", want, out)
	}
	if n := strings.Count(out, "list.dataverse_webhook.first_two "); n != 2 {
		t.Errorf("%d webhooks listed, want 2:\n%s", n, out)
	}
}

// The one-command adoption of a hand-built environment: terraform query writes an import block
// by identity and a resource block for each webhook, step and image; the result validates as
// written, and plans to imports only.
func TestAdopt_queryGeneratesConfiguration(t *testing.T) {
	requireHashiCorpTerraform(t, "1.14.0")
	t.Parallel()
	b := newBackend(t)
	est := seedHandBuiltEstate(t, b)
	ws := adoptWorkspace(t, b)

	mustRun(t, ws, "query", "-generate-config-out=generated.tf", "-no-color")
	out, err := os.ReadFile(filepath.Join(ws.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	generated := string(out)
	t.Logf("generated.tf:\n%s", generated)
	for kind, ids := range map[string]map[string]string{"dataverse_webhook": est.Webhooks, "dataverse_webhook_step": est.Steps, "dataverse_webhook_step_image": est.Images} {
		if n := len(regexp.MustCompile(`(?m)^resource "`+kind+`" `).FindAllString(generated, -1)); n != len(ids) {
			t.Errorf("%d %s blocks, want %d", n, kind, len(ids))
		}
		for label, id := range ids {
			if !strings.Contains(generated, `id = "`+id+`"`) {
				t.Errorf("no import block with the identity of %s %q", kind, label)
			}
		}
	}

	// Attributes at their defaults are not written: a step at every default but its filter, and
	// an image named as its alias.
	for _, c := range []struct{ label, block, want string }{
		{"orders update", generatedBlock(t, generated, est.Steps["orders update"]), `filtering_attributes = ["name", "telephone1"]`},
		{"orders before", generatedBlock(t, generated, est.Images["orders before"]), `alias      = "before"`},
	} {
		if !strings.Contains(c.block, c.want) {
			t.Errorf("the block of %q lacks %s:\n%s", c.label, c.want, c.block)
		}
		for _, attr := range []string{"stage", "mode", "rank", "enabled", "async_auto_delete", "name"} {
			if regexp.MustCompile(`(?m)^\s*` + attr + `\s*=`).MatchString(c.block) {
				t.Errorf("the block of %q writes %s, which is at its default:\n%s", c.label, attr, c.block)
			}
		}
	}
	// Values away from their defaults are.
	sync := generatedBlock(t, generated, est.Steps["orders create"])
	for _, want := range []string{`mode                 = "Synchronous"`, `stage                = "PreOperation"`, `rank                 = 2`, `name                 = "Contact created (sync)"`} {
		if !strings.Contains(sync, want) {
			t.Errorf("the synchronous step's block lacks %s:\n%s", want, sync)
		}
	}
	if disabled := generatedBlock(t, generated, est.Steps["feed update"]); !strings.Contains(disabled, "enabled              = false") {
		t.Errorf("the disabled step's block does not say so:\n%s", disabled)
	}

	// terraform validate accepts it as written, without a word on the secrets it leaves unset.
	res, err := ws.Run(context.Background(), "validate", "-json", "-no-color")
	var got validateResult
	if jerr := json.Unmarshal([]byte(res.Stdout), &got); jerr != nil {
		t.Fatalf("terraform validate printed no JSON (%v): %v", jerr, err)
	}
	if !got.Valid || got.ErrorCount > 0 {
		t.Fatalf("the generated configuration is not valid: %+v", got.Diagnostics)
	}
	unset := 0
	for _, d := range got.Diagnostics {
		if d.Summary == "Webhook secret not set" {
			unset++
		}
	}
	if unset != 0 {
		t.Errorf("%d warnings of an unset secret from validation, want none: %+v", unset, got.Diagnostics)
	}

	// It plans to imports only, applies, and then plans nothing; Dataverse keeps its secrets.
	total := len(est.Webhooks) + len(est.Steps) + len(est.Images)
	planSays(t, ws, fmt.Sprintf("Plan: %d to import, 0 to add, 0 to change, 0 to destroy.", total))
	mustRun(t, ws, applyArgs()...)
	planNoChanges(t, ws, "after the imports")
	// Dataverse never returns the secret; only the emulator shows what it holds.
	if e := b.emulator(); e != nil {
		if v, _ := e.AuthValue(est.Webhooks["crm-orders"]); v != "orders-key" {
			t.Errorf("adoption changed the secret Dataverse holds")
		}
	}
}

// generatedBlock returns the resource block whose import block carries identity id.
func generatedBlock(t *testing.T, generated, id string) string {
	t.Helper()
	m := regexp.MustCompile(`to\s*=\s*(\S+)\s+provider\s*=\s*dataverse\s+identity\s*=\s*\{\s*id\s*=\s*"` + regexp.QuoteMeta(id) + `"`).FindStringSubmatch(generated)
	if m == nil {
		t.Fatalf("no import block with identity %s", id)
	}
	typ, name, _ := strings.Cut(m[1], ".")
	block := regexp.MustCompile(`(?s)resource "` + regexp.QuoteMeta(typ) + `" "` + regexp.QuoteMeta(name) + `" \{.*?\n\}`).FindString(generated)
	if block == "" {
		t.Fatalf("no resource block for %s", m[1])
	}
	return block
}

// An adopted webhook keeps the secret Dataverse holds: its configuration may leave the secret
// out, which only an update mentions, until the plan would send it. Terraform 1.11 and
// newer, with an import block by id.
func TestAdopt_importedWebhookNeedsNoSecretUntilSent(t *testing.T) {
	requireTerraform(t, "1.11.0")
	t.Parallel()
	b, est, ws := estateWorkspace(t)
	webhook := func(extra string) string {
		return requiredProviders + b.providerBlock() + fmt.Sprintf(`
import {
  to = dataverse_webhook.orders
  id = %q
}

resource "dataverse_webhook" "orders" {
  name        = %q
  url         = "https://fn.example.net/api/crm-orders"
  description = "Order changes to the integration"
  auth_type   = "WebhookKey"
  %s
}
`, est.Webhooks["crm-orders"], b.name("crm-orders"), extra)
	}
	if err := ws.WriteFile("main.tf", webhook("")); err != nil {
		t.Fatal(err)
	}
	const unset = "Webhook secret not set"
	if res := mustRun(t, ws, "validate", "-no-color"); strings.Contains(res.Stdout+res.Stderr, unset) {
		t.Errorf("validate warns of the unset secret, which nothing sends:\n%s", res.Stdout+res.Stderr)
	}
	planSays(t, ws, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.")
	mustRun(t, ws, applyArgs()...)
	if res := mustRun(t, ws, "plan", "-input=false", "-no-color"); strings.Contains(res.Stdout+res.Stderr, unset) {
		t.Errorf("a plan without changes warns of the unset secret:\n%s", res.Stdout+res.Stderr)
	}

	// An update that sends no secret says, once, that Dataverse keeps the one it holds.
	if err := ws.WriteFile("main.tf", strings.Replace(webhook(""), "Order changes to the integration", "Orders to the integration", 1)); err != nil {
		t.Fatal(err)
	}
	if res := mustRun(t, ws, "apply", "-auto-approve", "-input=false", "-no-color"); strings.Count(res.Stdout+res.Stderr, unset) != 1 {
		t.Errorf("an update without the secret warns %d times of it, want once:\n%s", strings.Count(res.Stdout+res.Stderr, unset), res.Stdout+res.Stderr)
	}

	// Sending the secret needs it.
	if err := ws.WriteFile("main.tf", webhook("auth_wo_version = 1")); err != nil {
		t.Fatal(err)
	}
	res, err := ws.Run(context.Background(), "plan", "-input=false", "-no-color")
	if err == nil || !strings.Contains(res.Stderr, "Missing webhook secret") {
		t.Fatalf("a plan that would send a secret the configuration lacks was accepted (%v):\n%s", err, res.Stdout+res.Stderr)
	}
	// Dataverse never returns the secret; only the emulator shows what it holds.
	if e := b.emulator(); e != nil {
		if v, _ := e.AuthValue(est.Webhooks["crm-orders"]); v != "orders-key" {
			t.Errorf("the secret Dataverse holds changed")
		}
	}
}

// The path for Terraform 1.11 to 1.13 and OpenTofu: the guide's finder prints an import block
// for every webhook, step and image; plan -generate-config-out writes their configuration, which
// plans to imports only.
func TestAdopt_finderAndImportBlocks(t *testing.T) {
	requireTerraform(t, "1.11.0")
	t.Parallel()
	b := newBackend(t)
	est := seedHandBuiltEstate(t, b)
	// Names an address cannot be made of as they are: one two webhooks share, one that starts with
	// a digit (on a live environment the run's prefix comes first).
	for label, name := range map[string]string{"second crm-audit": "crm-audit", "2024-feed": "2024-feed"} {
		est.Webhooks[label] = registerWebhook(t, b, dataverse.WebhookCreate{Name: b.name(name), URL: "https://fn.example.net/api/" + name,
			AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "key"})
	}
	// The finder's address of a webhook: its name in lower case, with _ for what an address
	// cannot hold.
	address := func(name string) string { return strings.ReplaceAll(b.name(name), "-", "_") }
	finder, err := os.ReadFile(filepath.Join("..", "..", "examples", "guides", "migrating", "find", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var env []string // a live environment's come from the process
	if e := b.emulator(); e != nil {
		env = append(env, "SSL_CERT_FILE="+os.Getenv("SSL_CERT_FILE"))
		for k, v := range e.Env() {
			if k != "SSL_CERT_FILE" {
				env = append(env, k+"="+v)
			}
		}
	}
	find := newWorkspace(t)
	find.Env = append(find.Env, env...)
	if prefix := b.name(""); prefix != "" {
		// The webhooks of this run only, which is how the guide adopts one team's.
		find.Env = append(find.Env, "TF_VAR_name_prefix="+prefix)
	}
	if err := find.WriteFile("main.tf", string(finder)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, find, applyArgs()...)
	imports := mustRun(t, find, "output", "-raw", "import_blocks").Stdout
	total := len(est.Webhooks) + len(est.Steps) + len(est.Images)
	if n := strings.Count(imports, "import {"); n != total {
		t.Fatalf("the finder printed %d import blocks, want %d:\n%s", n, total, imports)
	}
	for _, id := range est.Images {
		if !strings.Contains(imports, id) {
			t.Errorf("the finder skipped image %s:\n%s", id, imports)
		}
	}
	for _, label := range []string{"crm-audit", "second crm-audit"} {
		id := est.Webhooks[label]
		if want := fmt.Sprintf("dataverse_webhook.%s_%s # %s\n  id = %q", address("crm-audit"), id[:8], b.name("crm-audit"), id); !strings.Contains(imports, want) {
			t.Errorf("the finder does not tell the webhooks named crm-audit apart by id (want %q):\n%s", want, imports)
		}
	}
	if b.emulator() != nil && !strings.Contains(imports, "dataverse_webhook.webhook_2024_feed # 2024-feed") {
		t.Errorf("the finder does not prefix an address that would start with a digit:\n%s", imports)
	}

	infra := newWorkspace(t)
	infra.Env = append(infra.Env, env...)
	if err := infra.WriteFile("main.tf", requiredProviders+"provider \"dataverse\" {}\n"); err != nil {
		t.Fatal(err)
	}
	if err := infra.WriteFile("imports.tf", imports); err != nil {
		t.Fatal(err)
	}
	// Two webhooks of one name cannot both be managed: the plan that generates their configuration
	// says so, and writes it all the same, so that one can be renamed there, as the guide says.
	shared, err := infra.Run(t.Context(), "plan", "-generate-config-out=generated.tf", "-input=false", "-no-color")
	if err == nil || !strings.Contains(shared.Stderr, "Webhook name used twice") {
		t.Fatalf("the plan of two webhooks named crm-audit did not fail with \"Webhook name used twice\" (%v):\n%s\n%s", err, shared.Stderr, shared.Stdout)
	}
	generated, err := os.ReadFile(filepath.Join(infra.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^(\s*name\s*=\s*)"`+regexp.QuoteMeta(b.name("crm-audit"))+`"$`).FindAllIndex(generated, -1)
	if len(names) != 2 {
		t.Fatalf("generated.tf names crm-audit %d times, want 2:\n%s", len(names), generated)
	}
	last := names[1]
	renamed := string(generated[:last[0]]) + strings.Replace(string(generated[last[0]:last[1]]), `"`+b.name("crm-audit")+`"`, `"`+b.name("crm-audit-2")+`"`, 1) + string(generated[last[1]:])
	if err := infra.WriteFile("generated.tf", renamed); err != nil {
		t.Fatal(err)
	}
	planSays(t, infra, fmt.Sprintf("Plan: %d to import, 0 to add, 1 to change, 0 to destroy.", total))
	mustRun(t, infra, applyArgs()...)
	planNoChanges(t, infra, "after the imports")
}

// Two webhooks of one name, imported with identical blocks (as generated configuration writes
// them), are refused at plan: the provider lets no two resources share a name.
func TestAdopt_twoWebhooksOfOneNameImportedAlikeAreRefused(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	name := b.name("dup-hook")
	in := dataverse.WebhookCreate{Name: name, URL: "https://fn.example.net/api/dup", AuthType: dataverse.AuthTypeWebhookKey, AuthValue: "k"}
	ids := []string{registerWebhook(t, b, in), registerWebhook(t, b, in)}
	ws := newWorkspace(t)
	cfg := requiredProviders + b.providerBlock()
	for i, id := range ids {
		cfg += fmt.Sprintf(`
import {
  to = dataverse_webhook.d_%[1]d
  id = %[2]q
}

resource "dataverse_webhook" "d_%[1]d" {
  name      = %[3]q
  url       = "https://fn.example.net/api/dup"
  auth_type = "WebhookKey"
}
`, i, id, name)
	}
	if err := ws.WriteFile("main.tf", cfg); err != nil {
		t.Fatal(err)
	}
	res, err := ws.Run(context.Background(), "plan", "-input=false", "-no-color")
	if err == nil || !strings.Contains(oneLine(res.Stdout+res.Stderr), "Webhook name used twice") {
		t.Fatalf("the plan of two imports of one name did not stop with Webhook name used twice (%v):\n%s%s", err, res.Stdout, res.Stderr)
	}
}
