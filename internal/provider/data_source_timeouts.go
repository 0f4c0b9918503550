package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// defaultDataSourceReadTimeout bounds a data source read that sets no timeouts block: a server
// that stalls or asks for ever longer waits cannot hold a plan longer than this.
const defaultDataSourceReadTimeout = 5 * time.Minute

// dataSourceTimeoutsBlock is the timeouts block every data source has.
func dataSourceTimeoutsBlock(ctx context.Context) schema.Block {
	block, _ := timeouts.BlockWithOpts(ctx, timeouts.Opts{
		ReadDescription: "How long the read may take, retries and waits for throttling included, as a Go duration " +
			"such as `30s` or `10m`. Default `5m`.",
	}).(schema.SingleNestedBlock) // the package's data source block is a single nested block
	block.MarkdownDescription = "Bounds the read; when it runs out, the read fails saying what it was waiting for."
	return block
}

// dataSourceBase holds what every data source shares: its type name and the provider's data.
type dataSourceBase struct {
	typeName string // after the provider's name, such as "_webhooks"
	data     *providerData
}

func (d *dataSourceBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + d.typeName
}

func (d *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// startRead reads the configuration into model, whose timeouts block t points to, and returns
// a context that masks secrets in logs and ends with the read timeout, its cancel, and the
// client; the client is nil when diags hold an error.
func (d *dataSourceBase) startRead(ctx context.Context, config tfsdk.Config, model any, t *timeouts.Value, diags *diag.Diagnostics) (context.Context, context.CancelFunc, *dataverse.Client) {
	diags.Append(config.Get(ctx, model)...)
	client := requireClient(d.data, diags)
	if diags.HasError() {
		return ctx, func() {}, nil
	}
	ctx = d.data.withMasks(ctx)
	timeout, td := t.Read(ctx, defaultDataSourceReadTimeout)
	if diags.Append(td...); diags.HasError() {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, client
}
