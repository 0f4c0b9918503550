package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// apiErrorDetail writes a diagnostic detail that says what to do, then Dataverse's own words.
func apiErrorDetail(action string, err error) string {
	var apiErr *dataverse.Error
	if errors.As(err, &apiErr) {
		code := apiErr.Code
		if code == "" {
			code = "(none)"
		}
		detail := fmt.Sprintf("%s failed: Dataverse answered HTTP %d, error code %s: %s\n\nRequest: %s %s",
			action, apiErr.StatusCode, code, apiErr.Message, apiErr.Method, apiErr.Path)
		// The client adds why it stopped retrying ("gave up after 10 attempts", a Retry-After
		// past the deadline) after the answer's own text.
		if full, answer := err.Error(), apiErr.Error(); strings.HasPrefix(full, answer) && len(full) > len(answer) {
			detail += "\n\nRetries: " + strings.TrimSpace(full[len(answer):])
		}
		return detail
	}
	if certificateNotTrusted(err) {
		return fmt.Sprintf("%s failed: %v\n\n%s", action, err, untrustedCertificateFix("the environment (environment_url)"))
	}
	if unreachable(err.Error()) {
		return fmt.Sprintf("%s failed: %v\n\nThis machine could not reach the environment (environment_url): check its network, firewall and proxy "+
			"(HTTPS_PROXY, NO_PROXY). Once it can, run the same command again: the next apply finishes one cut short, without duplicates "+
			"(see the crash-safe applies guide).", action, err)
	}
	return fmt.Sprintf("%s failed: %v", action, err)
}

// warnSecretsInReadURLs warns about the webhooks read whose URLs carry what looks like a key in
// their query, which holder (what the read fills) now keeps in plain text. It names the
// parameters, never their values.
func warnSecretsInReadURLs(diags *diag.Diagnostics, holder string, hooks ...dataverse.Webhook) {
	var listed []string
	homes := map[string]bool{}
	for _, w := range hooks {
		names := validators.SecretQueryNames(w.URL)
		if len(names) == 0 {
			continue
		}
		homes[validators.SecretHome(names)] = true
		switch {
		case len(listed) < 10:
			listed = append(listed, fmt.Sprintf("%q (query parameter %s)", w.Name, quotedList(names)))
		case len(listed) == 10:
			listed = append(listed, "more")
		}
	}
	if len(listed) == 0 {
		return
	}
	subject := "The URL of webhook " + listed[0] + " carries"
	if len(listed) > 1 {
		subject = "The URLs of webhooks " + strings.Join(listed, ", ") + " carry"
	}
	home := "the write-only attribute for it: " + validators.SecretHome([]string{"code"}) + " for a lone code, " +
		validators.SecretHome(nil) + " for the others"
	if len(homes) == 1 {
		for h := range homes {
			home = h
		}
	}
	diags.AddWarning(validators.KeyInURLSummary, fmt.Sprintf(
		"%s what looks like a key in the query, and %s now holds it in plain text. To keep it out, manage "+
			"the webhook with Terraform, remove the key from its url and put it in %s; "+
			"provider::dataverse::split_function_url splits such a URL into the two.",
		subject, holder, home))
}

// quotedList renders names for descriptions and messages: `a`, `b` or `c`.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// reportDeleteError reports a failed delete. A row already gone counts as deleted: deletes
// cascade from webhooks to steps to images.
func reportDeleteError(err error, what, id string, diags *diag.Diagnostics) {
	if err != nil && !errors.Is(err, dataverse.ErrNotFound) {
		diags.AddError("Could not delete the "+what, apiErrorDetail(fmt.Sprintf("Deleting %s %s", what, id), err))
	}
}

// readFound settles the outcome err of reading the row id of a resource (noun, and reading
// as the detail's verb phrase): a missing row removes the resource from state (Terraform then plans
// to create it again) and is logged, another error is reported. It reports whether the row was read.
func readFound(ctx context.Context, err error, noun, reading, id string, resp *resource.ReadResponse) bool {
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		tflog.Warn(ctx, noun+" no longer exists; removing it from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return false
	case err != nil:
		resp.Diagnostics.AddError("Could not read the "+noun, apiErrorDetail(reading+" "+id, err))
		return false
	}
	return true
}

// addRuleError turns a *dataverse.RuleError into an error on the attribute its field maps to
// (at, or the resource as a whole when the field is not mapped), its detail prefixed with
// subject, such as `Step <id> ("name"): `. It reports whether err was a rule error; other
// errors are left to the caller.
func addRuleError(diags *diag.Diagnostics, err error, at map[dataverse.RuleField]path.Path, subject string) bool {
	var re *dataverse.RuleError
	if !errors.As(err, &re) {
		return false
	}
	summary, detail := re.Text(ruleAttributeName)
	detail = subject + detail
	if p, ok := at[re.Field]; ok {
		diags.AddAttributeError(p, summary, detail)
	} else {
		diags.AddError(summary, detail)
	}
	return true
}

// ruleAttributeName is the attribute that sets a column a rule's text names; the columns not
// listed have attributes of the same name (stage, mode, message).
func ruleAttributeName(column string) string {
	switch column {
	case "imagetype":
		return "type"
	case "filteringattributes":
		return "filtering_attributes"
	case "asyncautodelete":
		return "async_auto_delete"
	}
	return column
}

// readScope reads the step or webhook (noun) whose id the attribute holds; nil when it could not,
// with an error on the attribute when the row does not exist.
func readScope[T any](ctx context.Context, get func(context.Context, string) (*T, error), id, attribute, noun string, diags *diag.Diagnostics) *T {
	row, err := get(ctx, id)
	if errors.Is(err, dataverse.ErrNotFound) {
		diags.AddAttributeError(path.Root(attribute), "No such "+noun, noSuchRow(noun, id))
		return nil
	}
	if err != nil {
		diags.AddError("Could not read the "+noun, apiErrorDetail("Reading "+noun+" "+id, err))
		return nil
	}
	return row
}

// noSuchRow is the detail of an id that names no row of the kind (noun).
func noSuchRow(noun, id string) string {
	return fmt.Sprintf("No %[1]s has id %[2]s. Set it to the id of an existing %[1]s, such as dataverse_webhook%[3]s.<name>.id.",
		noun, id, map[string]string{"webhook": "", "step": "_step"}[noun])
}

// upperFirst starts s with a capital, for a phrase that opens a sentence.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
