package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// NewWebhooksDataSource returns the dataverse_webhooks data source.
func NewWebhooksDataSource() datasource.DataSource {
	return &webhooksDataSource{dataSourceBase{typeName: "_webhooks"}}
}

type webhooksDataSource struct{ dataSourceBase }

var (
	_ datasource.DataSourceWithConfigure        = (*webhooksDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*webhooksDataSource)(nil)
)

// webhookSummaryModel is one element of the webhooks list; its tags name the nested attributes.
type webhookSummaryModel struct {
	webhookAttributes
	CreatedOn  types.String `tfsdk:"created_on"`
	ModifiedOn types.String `tfsdk:"modified_on"`
}

type webhooksModel struct {
	Name       types.String          `tfsdk:"name"`
	NamePrefix types.String          `tfsdk:"name_prefix"`
	Webhooks   []webhookSummaryModel `tfsdk:"webhooks"`
	Timeouts   timeouts.Value        `tfsdk:"timeouts"`
}

func (d *webhooksDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the webhook registrations of the environment (service endpoints with contract `8`), " +
			"optionally only those with a name or a name prefix. Secrets are never readable; `is_auth_value_set` says whether one is set. " +
			"A URL is read as Dataverse holds it: when its query carries what looks like a key (such as an Azure Functions `code`), " +
			"the read warns, naming the webhook, since the key is then in this data source's state.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the webhooks with this name, compared without case as Dataverse compares names. Conflicts with `name_prefix`.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"name_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the webhooks whose name starts with this prefix, compared without case. Conflicts with `name`.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"webhooks": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The webhooks, ordered by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":                schema.StringAttribute{Computed: true, MarkdownDescription: "The `serviceendpointid`."},
					"name":              schema.StringAttribute{Computed: true, MarkdownDescription: "Name."},
					"url":               schema.StringAttribute{Computed: true, MarkdownDescription: "Endpoint URL."},
					"auth_type":         schema.StringAttribute{Computed: true, MarkdownDescription: "`WebhookKey`, `HttpHeader` or `HttpQueryString`."},
					"description":       schema.StringAttribute{Computed: true, MarkdownDescription: "Description; null when empty."},
					"is_auth_value_set": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether a secret is set."},
					"created_on":        schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time, RFC 3339."},
					"modified_on":       schema.StringAttribute{Computed: true, MarkdownDescription: "Last modification time, RFC 3339."},
				}},
			},
		},
		Blocks: map[string]schema.Block{"timeouts": dataSourceTimeoutsBlock(ctx)},
	}
}

func (d *webhooksDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.Conflicting(path.MatchRoot("name"), path.MatchRoot("name_prefix")),
	}
}

func (d *webhooksDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m webhooksModel
	ctx, cancel, client := d.startRead(ctx, req.Config, &m, &m.Timeouts, &resp.Diagnostics)
	defer cancel()
	if client == nil {
		return
	}
	hooks, err := client.ListWebhooks(ctx, dataverse.WebhookFilter{Name: m.Name.ValueString(), NamePrefix: m.NamePrefix.ValueString()})
	if err != nil {
		resp.Diagnostics.AddError("Could not list webhooks", apiErrorDetail("Listing webhooks", err))
		return
	}
	m.Webhooks = make([]webhookSummaryModel, 0, len(hooks))
	for i := range hooks {
		summary := webhookSummaryModel{CreatedOn: timeValue(hooks[i].CreatedOn), ModifiedOn: timeValue(hooks[i].ModifiedOn)}
		setWebhookAttributes(&summary.webhookAttributes, &hooks[i])
		m.Webhooks = append(m.Webhooks, summary)
	}
	warnSecretsInReadURLs(&resp.Diagnostics, "this data source's state", hooks...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// timeValue renders a Dataverse timestamp as RFC 3339 in UTC, or null when absent.
func timeValue(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}
