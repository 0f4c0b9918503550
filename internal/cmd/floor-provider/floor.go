package main

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// floorProvider takes its metadata and schemas from the real provider and nothing else.
type floorProvider struct{ real provider.Provider }

func newFloor(newReal func() provider.Provider) func() provider.Provider {
	return func() provider.Provider { return floorProvider{real: newReal()} }
}

func (p floorProvider) Metadata(ctx context.Context, req provider.MetadataRequest, resp *provider.MetadataResponse) {
	p.real.Metadata(ctx, req, resp)
}

func (p floorProvider) Schema(ctx context.Context, req provider.SchemaRequest, resp *provider.SchemaResponse) {
	p.real.Schema(ctx, req, resp)
}

// Configure accepts any configuration: the floor calls no API.
func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p floorProvider) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, newReal := range p.real.Resources(ctx) {
		out = append(out, func() resource.Resource { return floorResource{real: newReal()} })
	}
	return out
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// floorResource has the real resource's type name and schema; Create and Update store the plan
// with its unknown values made known, Read keeps the state, Delete forgets it.
type floorResource struct{ real resource.Resource }

func (r floorResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.real.Metadata(ctx, req, resp)
}

func (r floorResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.real.Schema(ctx, req, resp)
}

func (floorResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = stored(req.Plan.Raw, &resp.Diagnostics)
}

// Read leaves resp.State as the framework filled it: the prior state.
func (floorResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (floorResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = stored(req.Plan.Raw, &resp.Diagnostics)
}

func (floorResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// stored is the state a planned object leaves: the plan with its unknown values made known.
func stored(plan tftypes.Value, diags *diag.Diagnostics) tftypes.Value {
	v, err := known(plan)
	if err != nil {
		diags.AddError("Floor provider", err.Error())
	}
	return v
}

// known replaces every unknown value of a planned object with a known one of its type: a fresh
// GUID for strings (ids are the only computed strings the benchmark leaves unknown), true, 0,
// or null for anything else.
func known(v tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(v, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		switch t := v.Type(); {
		case t.Is(tftypes.String):
			return tftypes.NewValue(t, newGUID()), nil
		case t.Is(tftypes.Bool):
			return tftypes.NewValue(t, true), nil
		case t.Is(tftypes.Number):
			return tftypes.NewValue(t, 0), nil
		default:
			return tftypes.NewValue(t, nil), nil
		}
	})
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
