package provider

import (
	"context"
	"fmt"
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

// Every HCL block a reader may copy from the README or from docs/ is validated against the
// provider as built, as TestExamplesValidate does for examples/. Blocks come in three kinds:
//
//   - complete: the README's, the provider page's and each resource and data source page's first
//     example. They must validate as pasted into an empty folder; the test adds only the
//     required_providers block when one is missing (the provider page shows it).
//   - parts of a guide: they may refer to resources, data sources and variables declared in an
//     earlier block of the guide, so the test declares those (exampleStubFile, docVariableStubs).
//   - Terraform CLI configuration (provider_installation): read by terraform version, which
//     reports a configuration it cannot use.
//   - attribute fragments (the body of a resource, shown to point at a few lines): wrapped in a
//     dataverse_webhook whose other required attributes the test fills in.
//
// Blocks that use another provider (azurerm) cannot be validated offline as they are: the test
// removes that provider's blocks and replaces references to them with variables, so the
// dataverse part is still validated, and terraform fmt still parses the whole block.

// docBlock is one fenced terraform or hcl block of a markdown page.
type docBlock struct {
	page string // relative to the repository root
	line int    // of the opening fence
	text string
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.page, b.line) }

var docFence = regexp.MustCompile("^(\\s*)```\\s*(terraform|hcl|tf)\\s*$")

// docBlocks returns the terraform/hcl blocks of a markdown text, with the fence's indentation
// removed.
func docBlocks(page, text string) ([]docBlock, error) {
	lines := strings.Split(text, "\n")
	var blocks []docBlock
	for i := 0; i < len(lines); i++ {
		m := docFence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		start := i
		var body []string
		for i++; ; i++ {
			if i == len(lines) {
				return nil, fmt.Errorf("%s:%d: the code block is never closed", page, start+1)
			}
			if strings.TrimSpace(lines[i]) == "```" {
				break
			}
			body = append(body, strings.TrimPrefix(lines[i], m[1]))
		}
		blocks = append(blocks, docBlock{page: page, line: start + 1, text: strings.Join(body, "\n") + "\n"})
	}
	return blocks, nil
}

// docMustStandAlone tells the blocks that must validate without any declaration added.
func docMustStandAlone(b docBlock, indexOnPage int) bool {
	if b.page == "README.md" {
		return true
	}
	dir := filepath.ToSlash(filepath.Dir(b.page))
	return indexOnPage == 0 && (b.page == "docs/index.md" || dir == "docs/resources" || dir == "docs/data-sources")
}

var (
	docVariableRef  = regexp.MustCompile(`\bvar\.([A-Za-z_][A-Za-z0-9_-]*)`)
	docVariableDecl = regexp.MustCompile(`(?m)^\s*variable\s+"([^"]+)"`)
	// A top-level block of a provider other than dataverse, e.g. ephemeral "azurerm_key_vault_secret" "x" {.
	docForeignBlock = regexp.MustCompile(`^(data|resource|ephemeral)\s+"([a-z0-9]+_[a-z0-9_]+)"\s+"([^"]+)"\s*\{\s*$`)
	// A reference to such a block's attribute: ephemeral.azurerm_key_vault_secret.x.value.
	docForeignRef = regexp.MustCompile(`\b(data|ephemeral)\.([a-z0-9]+_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)(\.[A-Za-z_][A-Za-z0-9_]*)?`)
	// The first line of an attribute fragment: name = value, not a block.
	docAttributeLine = regexp.MustCompile(`^\s*[a-z_][a-z0-9_]*\s*=`)
)

// docVariableStubs declares the variables a block uses but does not declare.
func docVariableStubs(text string) string {
	declared := map[string]bool{}
	for _, m := range docVariableDecl.FindAllStringSubmatch(text, -1) {
		declared[m[1]] = true
	}
	var names []string
	for _, m := range docVariableRef.FindAllStringSubmatch(text, -1) {
		if !declared[m[1]] {
			declared[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "\nvariable %q {}\n", n)
	}
	return b.String()
}

// docWithoutForeignProviders removes the top-level blocks of other providers and replaces the
// references to them with variables, returning the rewritten text and the removed types.
func docWithoutForeignProviders(text string) (string, []string) {
	lines := strings.Split(text, "\n")
	var kept, removed []string
	for i := 0; i < len(lines); i++ {
		m := docForeignBlock.FindStringSubmatch(lines[i])
		if m == nil || strings.HasPrefix(m[2], "dataverse_") {
			kept = append(kept, lines[i])
			continue
		}
		removed = append(removed, m[2])
		for i < len(lines) && lines[i] != "}" { // terraform fmt closes a top-level block in column 0
			i++
		}
	}
	out := docForeignRef.ReplaceAllStringFunc(strings.Join(kept, "\n"), func(ref string) string {
		m := docForeignRef.FindStringSubmatch(ref)
		if strings.HasPrefix(m[2], "dataverse_") {
			return ref
		}
		if !slices.Contains(removed, m[2]) {
			removed = append(removed, m[2])
		}
		return "var." + strings.Join([]string{m[1], m[2], m[3], strings.TrimPrefix(m[4], ".")}, "_")
	})
	return out, removed
}

// docWrapFragment places an attribute fragment in a dataverse_webhook, adding the required
// attributes the fragment does not set. Every fragment in the guides is part of a webhook.
func docWrapFragment(text string) string {
	var b strings.Builder
	b.WriteString("resource \"dataverse_webhook\" \"fragment\" {\n")
	for _, req := range []struct{ name, value string }{
		{"name", `"fragment"`}, {"url", `"https://fragment.example.com/hook"`}, {"auth_type", `"WebhookKey"`},
	} {
		if !regexp.MustCompile(`(?m)^\s*` + req.name + `\s*=`).MatchString(text) {
			fmt.Fprintf(&b, "  %s = %s\n", req.name, req.value)
		}
	}
	b.WriteString(text)
	b.WriteString("}\n")
	return b.String()
}

// docCLIBlock is the first line of a block of Terraform's CLI configuration (terraform.rc).
var docCLIBlock = regexp.MustCompile(`(?m)^(provider_installation|plugin_cache_dir|credentials|host)\b`)

func isCLIConfiguration(text string) bool { return docCLIBlock.MatchString(text) }

// checkCLIConfiguration has Terraform read a CLI configuration block: it reports the problems of
// one it cannot use on every command.
func checkCLIConfiguration(t *testing.T, b docBlock) {
	t.Helper()
	file := writeBlock(t, b, "terraform.rc")
	out, err := runTerraform([]string{"TF_CLI_CONFIG_FILE=" + file}, "version")
	if err != nil || strings.Contains(string(out), "problems with the CLI configuration") {
		t.Fatalf("%s: Terraform does not accept this CLI configuration: %v\n%s", b, err, out)
	}
}

// checkFormatted fails a block that terraform fmt would change: readers copy it as it is.
func checkFormatted(t *testing.T, b docBlock) {
	t.Helper()
	file := writeBlock(t, b, "block.tf")
	if out, err := runTerraform(nil, "fmt", "-check", "-diff", "-no-color", file); err != nil {
		t.Errorf("%s is not as terraform fmt writes it: %v\n%s", b, err, out)
	}
}

// writeBlock writes the block's text to a file of that name in a directory of its own.
func writeBlock(t *testing.T, b docBlock, name string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(b.text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// runTerraform runs Terraform for at most a minute with env added to the test's environment,
// returning what it printed on both streams.
func runTerraform(env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tfcli.TerraformPath(), args...)
	cmd.Env = append(append(os.Environ(), "CHECKPOINT_DISABLE=1"), env...)
	return cmd.CombinedOutput()
}

func isAttributeFragment(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		return docAttributeLine.MatchString(line)
	}
	return false
}

// docPages lists the README and every page under docs/.
func docPages(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	pages := map[string]string{}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "docs", "index.md"))
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // the repository's own pages
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		pages[filepath.ToSlash(rel)] = string(b)
	}
	return pages
}

func TestDocBlockHelpers(t *testing.T) {
	t.Parallel()
	blocks, err := docBlocks("p.md", "text\n\n1. a step:\n\n   ```terraform\n   x = 1\n   ```\n\n```shell\nls\n```\n```hcl\ny = 2\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].text != "x = 1\n" || blocks[0].line != 5 || blocks[1].text != "y = 2\n" {
		t.Fatalf("blocks = %+v", blocks)
	}
	if _, err := docBlocks("p.md", "```terraform\nx = 1\n"); err == nil {
		t.Error("an unclosed block was not reported")
	}

	stubs := docVariableStubs("variable \"a\" {}\nx = var.a\ny = var.b\nz = var.b\n")
	if strings.Count(stubs, `variable "b"`) != 1 || strings.Contains(stubs, `variable "a"`) {
		t.Errorf("variable stubs = %q", stubs)
	}

	text, removed := docWithoutForeignProviders("data \"azurerm_key_vault\" \"kv\" {\n  name = \"x\"\n}\n\nresource \"dataverse_webhook\" \"w\" {\n  auth_key_wo = ephemeral.azurerm_key_vault_secret.k.value\n  other = dataverse_webhook.w.id\n}\n")
	if strings.Contains(text, `"azurerm_`) || strings.Contains(text, "ephemeral.azurerm") || !strings.Contains(text, "var.ephemeral_azurerm_key_vault_secret_k_value") ||
		!strings.Contains(text, "dataverse_webhook.w.id") || len(removed) != 2 {
		t.Errorf("without foreign providers = %q, removed %v", text, removed)
	}

	if !isCLIConfiguration("provider_installation {\n  direct {}\n}\n") || isCLIConfiguration("provider \"dataverse\" {}\n") {
		t.Error("isCLIConfiguration misjudges")
	}
	if !isAttributeFragment("  # comment\n  auth_type = \"HttpHeader\"\n") || isAttributeFragment("resource \"a\" \"b\" {\n}\n") {
		t.Error("isAttributeFragment misjudges")
	}
	wrapped := docWrapFragment("  auth_type = \"HttpHeader\"\n")
	if strings.Count(wrapped, "auth_type") != 1 || !strings.Contains(wrapped, "name = ") {
		t.Errorf("wrapped fragment = %q", wrapped)
	}
}

// TestDocsBlocksValidate validates every terraform/hcl block of the README and docs/.
func TestDocsBlocksValidate(t *testing.T) {
	requireTerraformCLI(t)
	t.Parallel()
	pages := docPages(t)
	total := 0
	for page, text := range pages {
		blocks, err := docBlocks(page, text)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range blocks {
			total++
			alone := docMustStandAlone(b, i)
			t.Run(b.String(), func(t *testing.T) {
				t.Parallel()
				src := b.text
				if !isAttributeFragment(src) { // fragments keep the indentation of the block they belong in
					checkFormatted(t, b)
				}
				if isCLIConfiguration(src) {
					checkCLIConfiguration(t, b)
					return
				}
				if isAttributeFragment(src) {
					src = docWrapFragment(src)
				}
				src, foreign := docWithoutForeignProviders(src)
				if len(foreign) > 0 {
					t.Logf("validated without the blocks of another provider, replaced by variables: %v", foreign)
				}
				if alone {
					// Everything but required_providers must be in the block itself.
					stub, err := exampleStubFile([]string{src})
					if err != nil {
						t.Fatal(err)
					}
					if extra := strings.TrimSpace(strings.Replace(strings.Replace(stub, requiredProviders, "", 1),
						"# Declares what the example refers to without declaring it, so that it validates alone.", "", 1)); extra != "" {
						t.Errorf("%s must stand alone, but refers to what it does not declare:\n%s", b, extra)
					}
					if v := docVariableStubs(src); v != "" {
						t.Errorf("%s must stand alone, but uses variables it does not declare:%s", b, v)
					}
				} else {
					src += docVariableStubs(src)
				}
				file := "main.tf"
				if requireTerraformFor(t, src) {
					file = "main.tfquery.hcl"
				}
				got, stub := validateExample(t, map[string]string{file: src})
				if !got.Valid || got.ErrorCount > 0 {
					t.Fatalf("%s is not valid (%d errors):\n%s\nstub file:\n%s", b, got.ErrorCount, src, stub)
				}
				if strings.Contains(src, "= null # sensitive") {
					// Configuration as terraform query writes it: an adopted webhook's secret is unset on
					// purpose, and validation says so.
					got.Diagnostics = slices.DeleteFunc(got.Diagnostics, func(d validateDiagnostic) bool {
						return d.Severity == "warning" && d.Summary == "Webhook secret not set"
					})
				}
				if n := exampleWarnings(got); n > 0 {
					t.Errorf("%s validates with %d warnings", b, n)
				}
			})
		}
	}
	// Guard against an extraction that silently finds nothing.
	if total < 20 {
		t.Fatalf("found only %d terraform blocks in the README and docs/", total)
	}
}

var (
	docListBlock      = regexp.MustCompile(`(?m)^list "`)
	docActionBlock    = regexp.MustCompile(`(?m)^action "`)
	docIdentityImport = regexp.MustCompile(`(?m)^\s*identity\s*=`)
)

// docBlockNeedsTerraform returns the oldest Terraform that can validate a block ("" for any the
// tests support), and whether the block belongs in a query file: list blocks and actions came
// with 1.14, import blocks by identity with 1.12.
func docBlockNeedsTerraform(src string) (minimum string, query bool) {
	switch {
	case docListBlock.MatchString(src):
		return "1.14.0", true
	case docActionBlock.MatchString(src):
		return "1.14.0", false
	case docIdentityImport.MatchString(src):
		return "1.12.0", false
	}
	return "", false
}

// requireTerraformFor skips t when the Terraform the tests run cannot validate src, and tells
// whether src belongs in a query file.
func requireTerraformFor(t *testing.T, src string) (query bool) {
	t.Helper()
	minimum, query := docBlockNeedsTerraform(src)
	switch {
	case minimum == "":
	case query || docActionBlock.MatchString(src):
		// List blocks, which live in query files, and actions: only Terraform reads them.
		requireHashiCorpTerraform(t, minimum)
	default:
		requireTerraform(t, minimum)
	}
	return query
}
