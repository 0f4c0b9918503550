package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

const (
	webhookNameMax        = dataverse.MaxWebhookNameLength
	webhookURLMax         = dataverse.MaxWebhookURLLength
	webhookDescriptionMax = dataverse.MaxWebhookDescriptionLength
	defaultTimeout        = 10 * time.Minute
)

// The write-only attribute that carries the secret for each auth type.
var authAttributeByType = map[dataverse.AuthType]string{
	dataverse.AuthTypeWebhookKey:      "auth_key_wo",
	dataverse.AuthTypeHTTPHeader:      "auth_headers_wo",
	dataverse.AuthTypeHTTPQueryString: "auth_query_parameters_wo",
}

// NewWebhookResource returns the dataverse_webhook resource.
func NewWebhookResource() resource.Resource {
	return withRowIdentity{identifiableResource: &webhookResource{resourceBase{typeName: "_webhook"}}, schemaName: "webhook", importName: "webhook", column: "serviceendpointid"}
}

type webhookResource struct{ resourceBase }

var (
	_ resource.ResourceWithConfigure      = (*webhookResource)(nil)
	_ resource.ResourceWithImportState    = (*webhookResource)(nil)
	_ resource.ResourceWithValidateConfig = (*webhookResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*webhookResource)(nil)
)

type webhookModel struct {
	webhookAttributes
	AuthKeyWO             types.String   `tfsdk:"auth_key_wo"`
	AuthHeadersWO         types.Map      `tfsdk:"auth_headers_wo"`
	AuthQueryParametersWO types.Map      `tfsdk:"auth_query_parameters_wo"`
	AuthWOVersion         types.Int64    `tfsdk:"auth_wo_version"`
	SolutionUniqueName    types.String   `tfsdk:"solution_unique_name"`
	Timeouts              timeouts.Value `tfsdk:"timeouts"`
}

// webhookAttributes are what a webhook has both as a dataverse_webhook and as an element of
// the dataverse_webhooks data source; setWebhookAttributes fills them from a row.
type webhookAttributes struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	URL            types.String `tfsdk:"url"`
	Description    types.String `tfsdk:"description"`
	AuthType       types.String `tfsdk:"auth_type"`
	IsAuthValueSet types.Bool   `tfsdk:"is_auth_value_set"`
}

func (r *webhookResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Dataverse webhook: a `serviceendpoint` row with contract `8` (Webhook) that Dataverse " +
			"posts the execution context of an event to. Steps (`dataverse_webhook_step`) decide which events fire it.\n\n" +
			"The secret Dataverse sends with each request is write-only: Terraform sends it to Dataverse and never " +
			"stores it in the plan or state (Terraform 1.11 or newer). Change `auth_wo_version` to send a new secret.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("The webhook's `serviceendpointid`."),
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: fmt.Sprintf("Name of the webhook, at most %d characters, unique among the webhooks of "+
					"the environment: the provider refuses to create a second webhook with a name already in use, apart from "+
					"one under the id the provider gives that name, which it takes over with a warning at plan (see the "+
					"crash-safe applies guide). Changing it updates the webhook in place.", webhookNameMax),
				Validators: []validator.String{validators.TextLength(webhookNameMax)},
			},
			"url": schema.StringAttribute{
				Required: true,
				MarkdownDescription: fmt.Sprintf("Absolute `http` or `https` URL Dataverse posts to, at most %d characters. "+
					"Dataverse delivers only to ports 80 and 443; another port is a plan-time warning. Changing it updates in place.", webhookURLMax),
				Validators: []validator.String{validators.WebhookURL()},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Description, at most %d characters. Updates in place.", webhookDescriptionMax),
				Validators:          []validator.String{validators.OptionalTextLength(webhookDescriptionMax, "no description")},
			},
			"auth_type": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "How Dataverse proves itself to the endpoint: " + quotedList(dataverse.AuthTypeNames()) + ". " +
					"`WebhookKey` sends `?code=<auth_key_wo>`; `HttpHeader` sends each pair of `auth_headers_wo` as a request header; " +
					"`HttpQueryString` sends each pair of `auth_query_parameters_wo` as a query parameter. The attribute of the type is " +
					"required to create the webhook and whenever `auth_type` or `auth_wo_version` changes, the plans that send the secret; " +
					"otherwise it may be left out, and Dataverse keeps the secret it holds. Changing it updates in place and sends the new secret.",
				Validators: []validator.String{validators.OneOf(dataverse.AuthTypeNames()...)},
			},
			"auth_key_wo": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
				MarkdownDescription: "The key sent as `?code=` when `auth_type` is `WebhookKey`; set it only with that type. " +
					"At most 2048 characters (Dataverse's `authvalue` column, counted in UTF-16 code units). " +
					"Write-only: never stored in plan or state.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"auth_headers_wo": schema.MapAttribute{
				Optional:    true,
				Sensitive:   true,
				WriteOnly:   true,
				ElementType: types.StringType,
				MarkdownDescription: "Header name → value pairs sent with every request when `auth_type` is `HttpHeader`; " +
					"set it only with that type. Names must be valid HTTP header names, distinct without regard to case, and not one " +
					"Dataverse's sender cannot set (" + strings.Join(dataverse.RestrictedHeaderNames(), ", ") + "). " +
					"Dataverse keeps the pairs as one XML value (`<settings><setting name=\"…\" value=\"…\" /></settings>`) of at most " +
					"2048 characters: the enclosing element takes 21, each pair 28 plus its name and value, and `&`, `<`, `>`, `\"`, tab, " +
					"CR and LF count 4 to 6 each once escaped; a single pair with a 9-character name leaves 1990 characters for its value. " +
					"Names and values must not be blank nor start or end with white space. Write-only: never stored in plan or state.",
			},
			"auth_query_parameters_wo": schema.MapAttribute{
				Optional:    true,
				Sensitive:   true,
				WriteOnly:   true,
				ElementType: types.StringType,
				MarkdownDescription: "Query parameter → value pairs added to every request when `auth_type` is `HttpQueryString`; " +
					"set it only with that type. " +
					"Dataverse keeps the pairs as one XML value (`<settings><setting name=\"…\" value=\"…\" /></settings>`) of at most " +
					"2048 characters: the enclosing element takes 21, each pair 28 plus its name and value, and `&`, `<`, `>`, `\"`, tab, " +
					"CR and LF count 4 to 6 each once escaped; a single pair with a 9-character name leaves 1990 characters for its value. " +
					"Names are letters, digits and `- . _ ~` only; names and values must not be blank nor start or end with white space. " +
					"Write-only: never stored in plan or state.",
			},
			"auth_wo_version": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Any number; change it to send the current secret again, for example after rotating it. " +
					"Terraform cannot see a change of a write-only value by itself. No default: while it is unset and unchanged, " +
					"the secret is sent only when the webhook is created, when `auth_type` changes, and when Dataverse reports none is set.",
			},
			"is_auth_value_set": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether Dataverse holds a secret for the webhook (`isauthvalueset`). When someone clears it " +
					"outside Terraform, the next plan shows it going back to `true` and apply sends the secret again; without a " +
					"secret attribute set, the webhook stays without one and every plan warns (`Webhook holds no secret`).",
			},
			"solution_unique_name": solutionAttribute("webhook"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
		},
	}
}

// ValidateConfig checks that exactly the secret attribute matching auth_type is set.
func (r *webhookResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg webhookModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.AuthType.IsUnknown() || cfg.AuthType.IsNull() {
		return
	}
	t, err := dataverse.ParseAuthType(cfg.AuthType.ValueString())
	if err != nil {
		return // the OneOf validator reports it
	}
	want := authAttributeByType[t]
	present := map[string]attr.Value{
		"auth_key_wo":              cfg.AuthKeyWO,
		"auth_headers_wo":          cfg.AuthHeadersWO,
		"auth_query_parameters_wo": cfg.AuthQueryParametersWO,
	}
	if !cfg.URL.IsNull() && !cfg.URL.IsUnknown() {
		if w := validators.CleartextSecretWarning(cfg.URL.ValueString(), !present[want].IsNull()); w != "" {
			resp.Diagnostics.AddAttributeWarning(path.Root("url"), "Webhook secret travels in clear text", w)
		}
	}
	for name, v := range present {
		if name == want || v.IsNull() {
			continue
		}
		resp.Diagnostics.AddAttributeError(path.Root(name), "Secret attribute does not match auth_type",
			fmt.Sprintf("%s is set, but auth_type is %q, which takes its secret from %s. Remove %s, or set auth_type to %q.",
				name, t, want, name, authTypeForAttribute(name)))
	}
	if v := present[want]; v.IsNull() {
		return // ModifyPlan refuses it where the secret must be sent
	}
	if present[want].IsUnknown() {
		return
	}
	if t == dataverse.AuthTypeWebhookKey {
		// An empty key is the attribute's own validator's to refuse, once.
		if cfg.AuthKeyWO.ValueString() == "" {
			return
		}
		if _, err := dataverse.EncodeAuthValue(t, cfg.AuthKeyWO.ValueString(), nil); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(want), "Invalid webhook secret", authValueErrorText(want, err))
		}
	} else {
		configured, _ := present[want].(types.Map) // every secret attribute but the key is a map
		pairs, diags := pairsToCheck(ctx, configured)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() || pairs == nil {
			return
		}
		if len(pairs) == 0 {
			resp.Diagnostics.AddAttributeError(path.Root(want), "Empty webhook secret",
				fmt.Sprintf("%s needs at least one pair: %s.", want, secretHint(t)))
			return
		}
		if !checkEachPair(t, want, pairs, &resp.Diagnostics) {
			return
		}
		if _, err := dataverse.EncodeAuthValue(t, "", pairs); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(want), "Invalid webhook secret", authValueErrorText(want, err))
		}
	}
}

// checkEachPair reports every pair that is wrong on its own, not only the first, and an empty
// name with how to fix it. What needs all pairs at once (a name twice, the total length) is
// checked after.
func checkEachPair(t dataverse.AuthType, attribute string, pairs map[string]string, diags *diag.Diagnostics) bool {
	names := slices.Sorted(maps.Keys(pairs))
	ok := true
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			diags.AddAttributeError(path.Root(attribute), "Invalid webhook secret",
				fmt.Sprintf("%s has an entry whose name is empty. Give it the name the endpoint expects, or remove it: %s.", attribute, secretHint(t)))
			ok = false
			continue
		}
		if problem := validators.CheckQueryParameterNames(map[string]string{name: ""}); t == dataverse.AuthTypeHTTPQueryString && problem != "" {
			diags.AddAttributeError(path.Root(attribute), "Invalid query parameter name", attribute+": "+problem)
			ok = false
			continue
		}
		if _, err := dataverse.EncodeAuthValue(t, "", map[string]string{name: pairs[name]}); err != nil {
			diags.AddAttributeError(path.Root(attribute), "Invalid webhook secret", authValueErrorText(attribute, err))
			ok = false
		}
	}
	return ok
}

func authTypeForAttribute(attribute string) dataverse.AuthType {
	for t, a := range authAttributeByType {
		if a == attribute {
			return t
		}
	}
	return 0
}

func secretHint(t dataverse.AuthType) string {
	switch t {
	case dataverse.AuthTypeWebhookKey:
		return `the key the endpoint expects as ?code=, e.g. auth_key_wo = var.function_key`
	case dataverse.AuthTypeHTTPHeader:
		return `header name → value pairs, e.g. auth_headers_wo = { "x-api-key" = var.api_key }`
	default:
		return `parameter → value pairs, e.g. auth_query_parameters_wo = { "token" = var.token }`
	}
}

// authValueErrorText names the offending key and never the value.
func authValueErrorText(attribute string, err error) string {
	var ave *dataverse.AuthValueError
	if errors.As(err, &ave) {
		if ave.Key == "" {
			return fmt.Sprintf("%s: %s.", attribute, ave.Reason)
		}
		return fmt.Sprintf("%s: key %q: %s.", attribute, ave.Key, ave.Reason)
	}
	return fmt.Sprintf("%s could not be encoded: %v", attribute, err)
}

// secretStandIn stands, in the checks, for a secret value not known until apply: every value
// check passes it, and it lengthens the encoded secret by no more than any real value would.
const secretStandIn = "x"

// pairsToCheck is the configured pairs with each value not known yet replaced by secretStandIn,
// so that the names, which are known, are checked at plan all the same; nil when the map is
// null or unknown.
func pairsToCheck(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	for name, e := range m.Elements() {
		v, ok := e.(types.String)
		switch {
		case !ok || v.IsNull():
			return mapValue(ctx, m) // which reports it
		case v.IsUnknown():
			out[name] = secretStandIn
		default:
			out[name] = v.ValueString()
		}
	}
	return out, nil
}

// mapValue returns nil when the map or any element is unknown.
func mapValue(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	for _, e := range m.Elements() {
		if e.IsUnknown() {
			return nil, nil
		}
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	return out, diags
}

// ModifyPlan plans is_auth_value_set true whenever the webhook will hold a secret (the
// configuration's, sent, or the one Dataverse holds, kept), so a secret cleared outside
// Terraform shows up as a change and apply sends it again; false only when Dataverse holds
// none and the configuration gives none. It also refuses a name that another webhook of the
// configuration or of the environment has.
func (r *webhookResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data.plansForDestroy(ctx, "dataverse_webhook") {
		return
	}
	if name, id, ok := unchangedWebhook(req); ok {
		// Still claimed: another webhook of the configuration may be renamed to this name.
		if r.data != nil {
			checkPlannedName(ctx, r.data, req.Config.Raw, name, id, false, nil, &resp.Diagnostics)
		}
		return
	}
	r.modifyPlanFully(ctx, req, resp)
}

func (r *webhookResource) modifyPlanFully(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	held := requireSecretWhenSent(ctx, req, &resp.Diagnostics)
	warnPort(ctx, req, resp)
	checkChangedSolution(ctx, r.data, req, "webhook", &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("is_auth_value_set"), held)...)
	var name types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	if r.data == nil || name.IsUnknown() || name.IsNull() || resp.Diagnostics.HasError() {
		return
	}
	selfID, nameChanged := "", true
	if !req.State.Raw.IsNull() {
		var id, prior types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &prior)...)
		selfID, nameChanged = id.ValueString(), !strings.EqualFold(prior.ValueString(), name.ValueString())
		if prior.ValueString() != name.ValueString() {
			r.data.webhookRenames.record(selfID, prior.ValueString(), name.ValueString())
		}
	}
	var planned *dataverse.WebhookCreate
	if selfID == "" {
		planned = plannedWebhookCreate(ctx, req.Plan)
	}
	checkPlannedName(r.data.withMasks(ctx), r.data, req.Config.Raw, name.ValueString(), selfID, nameChanged, planned, &resp.Diagnostics)
}

// plannedWebhookCreate is the webhook a plan creates, as adoptWebhook compares it with a row
// found under its id; nil while a compared column is unknown.
func plannedWebhookCreate(ctx context.Context, plan tfsdk.Plan) *dataverse.WebhookCreate {
	var m webhookAttributes
	for _, p := range []struct {
		name string
		to   *types.String
	}{{"name", &m.Name}, {"url", &m.URL}, {"description", &m.Description}, {"auth_type", &m.AuthType}} {
		if plan.GetAttribute(ctx, path.Root(p.name), p.to).HasError() || p.to.IsUnknown() {
			return nil
		}
	}
	authType, err := dataverse.ParseAuthType(m.AuthType.ValueString())
	if err != nil {
		return nil
	}
	return &dataverse.WebhookCreate{Name: m.Name.ValueString(), URL: m.URL.ValueString(), Description: m.Description.ValueString(), AuthType: authType}
}

// unchangedWebhook reports a webhook whose plan is its state, as every webhook of a no-change
// plan is, with its secret set, and returns its name and id. Then the full ModifyPlan would
// change nothing (no secret is sent, the URL and name are the stored ones) and only the name's
// claim is left to do; this reads three values where the full one decodes plan, configuration
// and state into models.
func unchangedWebhook(req resource.ModifyPlanRequest) (name, id string, ok bool) {
	if req.State.Raw.IsNull() || !req.Plan.Raw.Equal(req.State.Raw) {
		return "", "", false
	}
	var state map[string]tftypes.Value
	if req.State.Raw.As(&state) != nil {
		return "", "", false
	}
	var set bool
	if v := state["is_auth_value_set"]; !v.IsKnown() || v.IsNull() || v.As(&set) != nil || !set {
		return "", "", false
	}
	n, i := rawString(state["name"]), rawString(state["id"])
	if n == nil || i == nil || *n == "" || *i == "" {
		return "", "", false
	}
	return *n, *i, true
}

// warnPort warns of a port Dataverse does not deliver to, once, when the URL is set or changed.
func warnPort(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var planned, prior types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("url"), &planned)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("url"), &prior)...)
	}
	if planned.IsUnknown() || planned.IsNull() || planned.Equal(prior) {
		return
	}
	if w := validators.PortWarning(planned.ValueString()); w != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("url"), validators.PortWarningSummary, w)
	}
}

// encodedSecret reads the write-only secret from the configuration and encodes it. The
// returned ctx masks in every log line both the encoded value and each value it was made of,
// which a log line could hold without the XML around it.
func encodedSecret(ctx context.Context, cfg webhookModel) (context.Context, dataverse.AuthType, string, diag.Diagnostics) {
	t, value, parts, diags := encodeSecret(ctx, cfg)
	if diags.HasError() {
		return ctx, t, value, diags
	}
	masked := append([]string{value}, parts...)
	ctx = tflog.MaskAllFieldValuesStrings(ctx, masked...)
	return tflog.MaskMessageStrings(ctx, masked...), t, value, diags
}

func encodeSecret(ctx context.Context, cfg webhookModel) (dataverse.AuthType, string, []string, diag.Diagnostics) {
	var diags diag.Diagnostics
	t, err := dataverse.ParseAuthType(cfg.AuthType.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("auth_type"), "Invalid auth_type", err.Error())
		return 0, "", nil, diags
	}
	attribute := authAttributeByType[t]
	var value string
	var parts []string
	switch t {
	case dataverse.AuthTypeWebhookKey:
		if cfg.AuthKeyWO.IsNull() || cfg.AuthKeyWO.IsUnknown() {
			diags.AddAttributeError(path.Root("auth_type"), "Missing webhook secret", fmt.Sprintf("auth_type %q needs %s: %s.", t, attribute, secretHint(t)))
			return 0, "", nil, diags
		}
		parts = []string{cfg.AuthKeyWO.ValueString()}
		value, err = dataverse.EncodeAuthValue(t, cfg.AuthKeyWO.ValueString(), nil)
	default:
		m := cfg.AuthHeadersWO
		if t == dataverse.AuthTypeHTTPQueryString {
			m = cfg.AuthQueryParametersWO
		}
		pairs, d := mapValue(ctx, m)
		diags.Append(d...)
		if pairs == nil {
			diags.AddAttributeError(path.Root("auth_type"), "Missing webhook secret", fmt.Sprintf("auth_type %q needs %s: %s.", t, attribute, secretHint(t)))
			return 0, "", nil, diags
		}
		for _, v := range pairs {
			parts = append(parts, v)
		}
		value, err = dataverse.EncodeAuthValue(t, "", pairs)
	}
	if err != nil {
		diags.AddAttributeError(path.Root(attribute), "Invalid webhook secret", authValueErrorText(attribute, err))
		return 0, "", nil, diags
	}
	return t, value, parts, diags
}

func (r *webhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, cfg webhookModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	ctx, authType, secret, d := encodedSecret(ctx, cfg)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}

	name := plan.Name.ValueString()
	// Held from the check to the create, so two webhooks of one apply cannot both take a name.
	defer lockKey(&r.data.webhookNameLocks, name)()
	idFor := func(n int) string { return dataverse.WebhookIDFor(name, n) }
	own, free := r.checkNameFree(ctx, client, name, "", idFor, &resp.Diagnostics)
	if !free {
		return
	}
	want := dataverse.WebhookCreate{
		Name:               name,
		URL:                plan.URL.ValueString(),
		Description:        plan.Description.ValueString(),
		AuthType:           authType,
		AuthValue:          secret,
		SolutionUniqueName: plan.SolutionUniqueName.ValueString(),
	}
	created, adopted := own, own != nil
	if own == nil {
		var err error
		created, adopted, err = createDerived(ctx, &r.data.claims, idFor, func(id string) (*dataverse.Webhook, error) {
			in := want
			in.ID = id
			return client.CreateWebhook(ctx, in)
		}, func(id string) (*dataverse.Webhook, bool, error) {
			w, err := client.GetWebhook(ctx, id)
			if errors.Is(err, dataverse.ErrNotWebhook) {
				return nil, false, nil
			}
			return w, err == nil && strings.EqualFold(w.Name, name), err
		})
		if err != nil {
			resp.Diagnostics.AddError("Could not create the webhook", apiErrorDetail(fmt.Sprintf("Creating webhook %q", name), err))
			return
		}
	}
	if !adopted {
		noteNewWebhook(r.data, created.ID)
	} else {
		if created = adoptWebhook(ctx, client, created, want, &resp.Diagnostics); created == nil {
			return
		}
	}
	keepPlannedWhereEchoed(client, created, plan.webhookAttributes, &resp.Diagnostics)
	setWebhookState(&plan, created)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// adoptWebhook takes over the webhook found under the configured webhook's own id when it holds
// the configured settings. Its secret cannot be read back, so the configured one is sent again.
func adoptWebhook(ctx context.Context, client *dataverse.Client, found *dataverse.Webhook, want dataverse.WebhookCreate, diags *diag.Diagnostics) *dataverse.Webhook {
	if diff := webhookDifferences(*found, want); len(diff) > 0 {
		refuseAdoption(diags, client, "webhook", found.ID, diff, dataverse.AuthValueSecrets(want.AuthType, want.AuthValue)...)
		return nil
	}
	if refuseOutsideSolution(ctx, client, want.SolutionUniqueName, found.ID, "webhook", diags) {
		return nil
	}
	if want.AuthValue == "" {
		return found
	}
	updated, err := client.UpdateWebhook(ctx, found.ID, dataverse.WebhookUpdate{AuthType: &want.AuthType, AuthValue: &want.AuthValue})
	if err != nil {
		diags.AddError("Could not take over the webhook", apiErrorDetail(fmt.Sprintf("Setting the secret of webhook %s", found.ID), err))
		return nil
	}
	return updated
}

// webhookDifferences lists the columns where a webhook found under a derived id differs from
// the one to create.
func webhookDifferences(found dataverse.Webhook, want dataverse.WebhookCreate) differences {
	var diff differences
	diff.compare("name", found.Name, want.Name)
	if found.URL != want.URL {
		// A URL's query may hold a function key: the message names its parameters only.
		diff = append(diff, fmt.Sprintf("url (stored %q, configured %q; query values not shown)", urlWithoutQueryValues(found.URL), urlWithoutQueryValues(want.URL)))
	}
	diff.compare("description", found.Description, want.Description)
	diff.compare("auth_type", found.AuthType, want.AuthType)
	return diff
}

// checkNameFree refuses a name another webhook already has: registration tools treat webhook
// names as unique and pipelines look webhooks up by name.
//
// On create (selfID empty), a webhook of that name under one of the name's own derived ids is no
// other webhook: it is this one, made by an apply that did not live to record it. It is returned
// for adoption.
func (r *webhookResource) checkNameFree(ctx context.Context, client *dataverse.Client, name, selfID string, idFor func(int) string, diags *diag.Diagnostics) (*dataverse.Webhook, bool) {
	// The listing the plan made in this process serves every webhook of the apply.
	existing, err := client.WebhooksNamedFromSnapshot(ctx, name)
	if err != nil {
		diags.AddError("Could not check the webhook name", apiErrorDetail(fmt.Sprintf("Looking up webhooks named %q", name), err))
		return nil, false
	}
	for _, w := range existing {
		if strings.EqualFold(w.ID, selfID) {
			continue
		}
		if selfID == "" && idFor != nil && isDerivedID(w.ID, idFor) && r.data.claims.claim(w.ID) {
			return &w, true
		}
		addNameInUse(diags, w)
		return nil, false
	}
	return nil, true
}

func (r *webhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state webhookModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	// A refresh reads every webhook; the snapshot read serves them all from one query.
	w, err := client.WebhookFromSnapshot(ctx, state.ID.ValueString())
	switch {
	case errors.Is(err, dataverse.ErrNotWebhook) && state.Name.IsNull(): // an import
		resp.Diagnostics.AddError("Not a webhook",
			fmt.Sprintf("Service endpoint %s is not a webhook (its contract is not 8), so dataverse_webhook cannot manage it.", state.ID.ValueString()))
		return
	case errors.Is(err, dataverse.ErrNotWebhook):
		// A refresh refuses nothing, so that what exists can always be destroyed.
		resp.Diagnostics.AddWarning("No longer a webhook",
			fmt.Sprintf("Service endpoint %s was changed outside Terraform and is no longer a webhook (its contract is not 8). "+
				"Terraform keeps it as last read. Set its contract back to 8 (Webhook), or stop managing it with "+
				"terraform state rm; terraform destroy deletes it.", state.ID.ValueString()))
		return
	case errors.Is(err, dataverse.ErrNotFound) && state.Name.IsNull(): // an import
		importedIDNotFound(ctx, client, "dataverse_webhook", state.ID.ValueString(), &resp.Diagnostics)
		return
	case !readFound(ctx, err, "webhook", "Reading webhook", state.ID.ValueString(), resp):
		return
	}
	r.data.refreshedWebhooks.Store(strings.ToLower(w.ID), true)
	prior := state
	setWebhookState(&state, w)
	resp.Diagnostics.Append(setReadState(ctx, &resp.State, &prior, &state)...)
}

func (r *webhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, cfg webhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	ctx, cancel, client := r.startOperation(ctx, req.Plan, &plan, &plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	var in dataverse.WebhookUpdate
	if !plan.Name.Equal(state.Name) {
		defer lockKey(&r.data.webhookNameLocks, plan.Name.ValueString())()
		if _, free := r.checkNameFree(ctx, client, plan.Name.ValueString(), state.ID.ValueString(), nil, &resp.Diagnostics); !free {
			return
		}
		in.Name = plan.Name.ValueStringPointer()
	}
	if !plan.URL.Equal(state.URL) {
		in.URL = plan.URL.ValueStringPointer()
	}
	if !plan.Description.Equal(state.Description) {
		desc := plan.Description.ValueString()
		in.Description = &desc
	}
	// What the plan decided; a secret it refused as missing fails here too, in encodedSecret.
	t, err := dataverse.ParseAuthType(cfg.AuthType.ValueString())
	if a := planSecret(t, cfg, &state); err != nil || a == secretSent || a == secretMissing {
		masked, authType, secret, d := encodedSecret(ctx, cfg)
		resp.Diagnostics.Append(d...)
		if resp.Diagnostics.HasError() {
			return
		}
		ctx = masked
		in.AuthType = &authType
		in.AuthValue = &secret
	}

	w, err := client.UpdateWebhook(ctx, state.ID.ValueString(), in)
	if err != nil {
		resp.Diagnostics.AddError("Could not update the webhook", apiErrorDetail(fmt.Sprintf("Updating webhook %s", state.ID.ValueString()), err))
		return
	}
	plan.ID = state.ID
	keepPlannedWhereEchoed(client, w, plan.webhookAttributes, &resp.Diagnostics)
	setWebhookState(&plan, w)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state webhookModel
	ctx, cancel, client := r.startOperation(ctx, req.State, &state, &state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}

	deleteUnlessTaken(ctx, &r.data.claims, client.DeleteWebhook, "webhook", state.ID.ValueString(), &resp.Diagnostics)
}

// ImportState accepts a serviceendpointid, or a webhook name to look up.
func (r *webhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, name := importTarget(req.ID)
	if name == "" && id == "" {
		resp.Diagnostics.AddError("Empty import id", "Import a webhook by its serviceendpointid or by its name.")
		return
	}
	if id == "" {
		client := requireClient(r.data, &resp.Diagnostics)
		if client == nil {
			return
		}
		found, err := client.ListWebhooks(ctx, dataverse.WebhookFilter{Name: name})
		if err != nil {
			resp.Diagnostics.AddError("Could not look up the webhook by name", apiErrorDetail(fmt.Sprintf("Looking up webhooks named %q", name), err))
			return
		}
		switch len(found) {
		case 0:
			resp.Diagnostics.AddError("No webhook with that name",
				fmt.Sprintf("The import id %q is not a GUID, so it was taken as a webhook name, but no webhook has that name.%s "+
					"Use the webhook's serviceendpointid, or its name (compared without case).", name, nearestWebhookName(ctx, client, name)))
			return
		case 1:
			id = found[0].ID
		default:
			ids := make([]string, len(found))
			for i, w := range found {
				ids[i] = w.ID
			}
			resp.Diagnostics.AddError("Several webhooks have that name",
				fmt.Sprintf("%d webhooks are named %q (%s). Import one of them by its id.", len(found), name, strings.Join(ids, ", ")))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

func setWebhookAttributes(m *webhookAttributes, w *dataverse.Webhook) {
	m.ID = types.StringValue(w.ID)
	m.Name = types.StringValue(w.Name)
	m.URL = types.StringValue(w.URL)
	m.Description = stringOrNull(w.Description)
	m.AuthType = types.StringValue(w.AuthType.String())
	m.IsAuthValueSet = types.BoolValue(w.IsAuthValueSet)
}

// keepPlannedWhereEchoed keeps the planned name, URL and description where the row a write
// answered with differs from them and holds a secret the write sent: Terraform would print the
// value as an inconsistent result and save it in state.
func keepPlannedWhereEchoed(client *dataverse.Client, w *dataverse.Webhook, planned webhookAttributes, diags *diag.Diagnostics) {
	for _, c := range []struct {
		column string
		stored *string
		plan   types.String
	}{{"name", &w.Name, planned.Name}, {"url", &w.URL, planned.URL}, {"description", &w.Description, planned.Description}} {
		if *c.stored == c.plan.ValueString() || c.plan.IsUnknown() || !client.EchoesSecret(*c.stored) {
			continue
		}
		*c.stored = c.plan.ValueString()
		diags.AddAttributeWarning(path.Root(c.column), "Dataverse answered with the webhook's secret",
			fmt.Sprintf("Dataverse answered the write with a %s that differs from the configuration and holds part of the secret "+
				"just sent. The configured value is kept in state instead; check the webhook in Dataverse.", c.column))
	}
}

func setWebhookState(m *webhookModel, w *dataverse.Webhook) {
	setWebhookAttributes(&m.webhookAttributes, w)
	// Write-only values are never stored.
	m.AuthKeyWO = types.StringNull()
	m.AuthHeadersWO = types.MapNull(types.StringType)
	m.AuthQueryParametersWO = types.MapNull(types.StringType)
}

// urlWithoutQueryValues is raw with each query value replaced by "…", for messages.
func urlWithoutQueryValues(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	if u.RawQuery == "" {
		return u.Redacted()
	}
	var names []string
	for _, pair := range strings.Split(u.RawQuery, "&") {
		name, _, named := strings.Cut(pair, "=")
		if !named {
			name = "…" // a bare value, which may be a key itself
		}
		names = append(names, name+"=…")
	}
	u.RawQuery = ""
	return u.Redacted() + "?" + strings.Join(names, "&")
}
