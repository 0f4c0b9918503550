package main

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	dvprovider "github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
)

// The floor offers every resource of the provider with the provider's own schema.
func TestFloorHasTheProvidersSchemas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full := dvprovider.New("test")()
	floor := newFloor(dvprovider.New("test"))()
	realResources, floorResources := full.Resources(ctx), floor.Resources(ctx)
	if len(floorResources) == 0 || len(floorResources) != len(realResources) {
		t.Fatalf("floor has %d resources, the provider %d", len(floorResources), len(realResources))
	}
	for i := range realResources {
		r, f := realResources[i](), floorResources[i]()
		var rm, fm resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "dataverse"}, &rm)
		f.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "dataverse"}, &fm)
		var rs, fs resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &rs)
		f.Schema(ctx, resource.SchemaRequest{}, &fs)
		if rm.TypeName != fm.TypeName || !rs.Schema.Type().Equal(fs.Schema.Type()) || len(rs.Schema.Attributes) != len(fs.Schema.Attributes) {
			t.Errorf("%s: the floor's metadata or schema differ from the provider's (%s)", rm.TypeName, fm.TypeName)
		}
	}
	var rp, fp provider.SchemaResponse
	full.Schema(ctx, provider.SchemaRequest{}, &rp)
	floor.Schema(ctx, provider.SchemaRequest{}, &fp)
	if len(rp.Schema.Attributes) == 0 || len(rp.Schema.Attributes) != len(fp.Schema.Attributes) {
		t.Errorf("provider schema: floor has %d attributes, the provider %d", len(fp.Schema.Attributes), len(rp.Schema.Attributes))
	}
}

func TestKnownMakesEveryUnknownValueKnown(t *testing.T) {
	t.Parallel()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"id": tftypes.String, "name": tftypes.String, "set": tftypes.Bool, "n": tftypes.Number,
		"list": tftypes.List{ElementType: tftypes.String},
	}}
	in := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":   tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"name": tftypes.NewValue(tftypes.String, "kept"),
		"set":  tftypes.NewValue(tftypes.Bool, tftypes.UnknownValue),
		"n":    tftypes.NewValue(tftypes.Number, tftypes.UnknownValue),
		"list": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, tftypes.UnknownValue),
	})
	out, err := known(in)
	if err != nil {
		t.Fatal(err)
	}
	if !out.IsFullyKnown() {
		t.Fatalf("known left unknown values: %s", out)
	}
	var attrs map[string]tftypes.Value
	if err := out.As(&attrs); err != nil {
		t.Fatal(err)
	}
	var id, name string
	_ = attrs["id"].As(&id)
	_ = attrs["name"].As(&name)
	if len(id) != 36 || name != "kept" || !attrs["list"].IsNull() {
		t.Errorf("id %q, name %q, list %s", id, name, attrs["list"])
	}
}
