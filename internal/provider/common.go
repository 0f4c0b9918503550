package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// providerDataFrom unpacks what Configure handed to a resource or data source. It returns nil
// when the provider is not configured yet (Terraform validates before it configures).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider", data))
		return nil
	}
	return pd
}

// requireClient reports a clear error when an operation needs the API but the provider
// block could not be configured (for example its URL is unknown until apply).
func requireClient(pd *providerData, diags *diag.Diagnostics) *dataverse.Client {
	if pd == nil || pd.client == nil {
		diags.AddError("Provider not configured",
			"The dataverse provider has no client: its configuration was incomplete or unknown. Check the provider block and its environment variables.")
		return nil
	}
	return pd.client
}

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
	return fmt.Sprintf("%s failed: %v", action, err)
}

// stringOrNull maps Dataverse's empty strings to null, so an omitted optional attribute
// never shows a diff against "".
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
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

// closest returns the candidate nearest to s by edit distance (case-insensitive), for
// "did you mean" hints; "" when nothing is reasonably close.
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := editDistance(ls, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := len(s)/2 + 1
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// importTarget reads an import id: a GUID (any case, optionally in braces) is a row id;
// anything else is a name to look up, with surrounding spaces removed.
func importTarget(raw string) (id, name string) {
	s := strings.TrimSpace(raw)
	g := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if dataverse.IsGUID(g) {
		return strings.ToLower(g), ""
	}
	return "", s
}

// idAttribute is a resource's computed primary key, stable across updates.
func idAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: description,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// timeoutsBlock is the timeouts block every resource has; defaultTimeout applies to each
// operation not given.
func timeoutsBlock(ctx context.Context) schema.Block {
	how := "as a duration such as `30s`, `5m` or `1h30m` (units `s`, `m`, `h`), including the waits " +
		"of retries after throttling and transient errors. Defaults to `" + strings.TrimSuffix(defaultTimeout.String(), "0s") + "`."
	return timeouts.Block(ctx, timeouts.Opts{
		Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: "How long a create may take, " + how,
		ReadDescription:   "How long a read (each refresh and plan) may take, " + how,
		UpdateDescription: "How long an update may take, " + how,
		DeleteDescription: "How long a delete may take, " + how,
	})
}

// lockKey locks the mutex of key (compared without case) in m and returns its unlock.
func lockKey(m *sync.Map, key string) func() {
	v, _ := m.LoadOrStore(strings.ToLower(key), &sync.Mutex{})
	mu, _ := v.(*sync.Mutex) // the map holds only mutexes
	mu.Lock()
	return mu.Unlock
}

// solutionRequiresReplace replaces a row whose solution changes, since a component joins its
// solution when it is created. A row that has no recorded solution (imported, or created
// without one) only records the configured value: replacing it would delete the row and its
// children for no gain.
func solutionRequiresReplace() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull()
	}, "Changing the solution replaces the resource, unless it had none recorded (for example after an import).",
		"Changing the solution replaces the resource, unless it had none recorded (for example after an import).")
}

// solutionAttribute is the solution_unique_name attribute of a resource that can join a solution.
func solutionAttribute(what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Unique name of an unmanaged solution to add the " + what + " to when it is created " +
			"(`MSCRM.SolutionUniqueName`). Changing it replaces the " + what + "; setting it where none was recorded " +
			"(as after an import) only records it.",
		PlanModifiers: []planmodifier.String{solutionRequiresReplace()},
		Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// computedString is a read-only string attribute of a data source's nested objects.
func computedString(description string) dsschema.StringAttribute {
	return dsschema.StringAttribute{Computed: true, MarkdownDescription: description}
}

// reportDeleteError reports a failed delete. A row already gone counts as deleted: deletes
// cascade from webhooks to steps to images.
func reportDeleteError(err error, what, id string, diags *diag.Diagnostics) {
	if err != nil && !errors.Is(err, dataverse.ErrNotFound) {
		diags.AddError("Could not delete the "+what, apiErrorDetail(fmt.Sprintf("Deleting %s %s", what, id), err))
	}
}

// setReadState stores the model a Read made, unless it equals prior, the model of the state the
// framework already put in the response: a refresh of a thousand unchanged rows then encodes
// nothing, and encoding a model costs the framework twice what decoding it does. Both are
// pointers to the same struct of attr.Value fields.
func setReadState(ctx context.Context, state *tfsdk.State, prior, current any) diag.Diagnostics {
	if sameModel(prior, current) {
		return nil
	}
	return state.Set(ctx, current)
}

// sameModel reports whether two pointers to the same struct of attr.Value fields hold equal values.
func sameModel(a, b any) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		return false
	}
	for i := range va.NumField() {
		x, okX := va.Field(i).Interface().(attr.Value)
		y, okY := vb.Field(i).Interface().(attr.Value)
		if !okX || !okY || !x.Equal(y) {
			return false
		}
	}
	return true
}

// importByID imports a resource by its row id (a GUID); what names the resource and column
// its key for the error, which hint completes.
func importByID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, what, column, hint string) {
	id, _ := importTarget(req.ID)
	if id == "" {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("Import a %s by its %s, a GUID such as 00000000-0000-0000-0000-000000000001; got %q. %s", what, column, req.ID, hint))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
