package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// defaultDataSourceReadTimeout bounds a data source read that sets no timeouts block: a server
// that stalls or asks for ever longer waits cannot hold a plan longer than this.
const defaultDataSourceReadTimeout = 5 * time.Minute

// dataSourceTimeoutsBlock is the timeouts block every data source has.
func dataSourceTimeoutsBlock(ctx context.Context) schema.Block {
	block, _ := timeouts.BlockWithOpts(ctx, timeouts.Opts{
		ReadDescription: "How long the read may take, retries and waits for throttling included, as a Go duration " +
			"such as `30s` or `10m`. Default `" + shortDuration(defaultDataSourceReadTimeout) + "`.",
	}).(schema.SingleNestedBlock) // the package's data source block is a single nested block
	block.MarkdownDescription = "Bounds the read; when it runs out, the read fails saying what it was waiting for."
	if read, ok := block.Attributes["read"].(schema.StringAttribute); ok {
		read.Validators = append(read.Validators, validators.PositiveDuration())
		block.Attributes["read"] = read
	}
	return block
}
