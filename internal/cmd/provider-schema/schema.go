package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"
)

// The conversion follows what Terraform does between a provider's GetProviderSchema response
// and `terraform providers schema -json` (its plugin6/convert and command/jsonprovider
// packages): every description carries its kind, "plain" unless the provider said markdown;
// nested attributes keep their nesting mode but not their (deprecated) item counts; nested
// blocks keep theirs; list resources are written as their config block alone.

// formatVersion is the format_version `terraform providers schema -json` writes.
const formatVersion = "1.0"

// schemaServer is the part of a protocol 6 server the schemas come from.
type schemaServer interface {
	GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error)
	GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error)
}

// providerSchemas asks the server for its schemas and returns them as
// `terraform providers schema -json` does, under address.
func providerSchemas(ctx context.Context, server schemaServer, address string) (*tfjson.ProviderSchemas, error) {
	resp, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetProviderSchema: %w", err)
	}
	if err := diagnosticsError("GetProviderSchema", resp.Diagnostics); err != nil {
		return nil, err
	}
	ids, err := server.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetResourceIdentitySchemas: %w", err)
	}
	if err := diagnosticsError("GetResourceIdentitySchemas", ids.Diagnostics); err != nil {
		return nil, err
	}
	ps, err := convertProviderSchema(resp, ids.IdentitySchemas)
	if err != nil {
		return nil, err
	}
	return &tfjson.ProviderSchemas{FormatVersion: formatVersion, Schemas: map[string]*tfjson.ProviderSchema{address: ps}}, nil
}

func diagnosticsError(call string, diags []*tfprotov6.Diagnostic) error {
	var msgs []string
	for _, d := range diags {
		if d != nil && d.Severity == tfprotov6.DiagnosticSeverityError {
			msgs = append(msgs, strings.TrimSpace(d.Summary+": "+d.Detail))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", call, strings.Join(msgs, "; "))
}

func convertProviderSchema(resp *tfprotov6.GetProviderSchemaResponse, ids map[string]*tfprotov6.ResourceIdentitySchema) (*tfjson.ProviderSchema, error) {
	var errs []error
	ps := &tfjson.ProviderSchema{
		ConfigSchema:             convertSchema(resp.Provider, &errs, "provider"),
		ResourceSchemas:          convertSchemas(resp.ResourceSchemas, &errs, "resource"),
		DataSourceSchemas:        convertSchemas(resp.DataSourceSchemas, &errs, "data source"),
		EphemeralResourceSchemas: convertSchemas(resp.EphemeralResourceSchemas, &errs, "ephemeral resource"),
		ListResourceSchemas:      convertSchemas(resp.ListResourceSchemas, &errs, "list resource"),
	}
	if len(resp.ActionSchemas) > 0 {
		ps.ActionSchemas = map[string]*tfjson.ActionSchema{}
		for name, a := range resp.ActionSchemas {
			var block *tfjson.SchemaBlock
			if a != nil && a.Schema != nil {
				block = convertBlock(a.Schema.Block, &errs, "action "+name)
			}
			ps.ActionSchemas[name] = &tfjson.ActionSchema{Block: block}
		}
	}
	if len(resp.Functions) > 0 {
		ps.Functions = map[string]*tfjson.FunctionSignature{}
		for name, f := range resp.Functions {
			ps.Functions[name] = convertFunction(f, &errs, "function "+name)
		}
	}
	if len(ids) > 0 {
		ps.ResourceIdentitySchemas = map[string]*tfjson.IdentitySchema{}
		for name, id := range ids {
			ps.ResourceIdentitySchemas[name] = convertIdentity(id, &errs, "identity of "+name)
		}
	}
	return ps, errors.Join(errs...)
}

func convertSchemas(in map[string]*tfprotov6.Schema, errs *[]error, kind string) map[string]*tfjson.Schema {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]*tfjson.Schema, len(in))
	for name, s := range in {
		out[name] = convertSchema(s, errs, kind+" "+name)
	}
	return out
}

func convertSchema(s *tfprotov6.Schema, errs *[]error, where string) *tfjson.Schema {
	if s == nil {
		return nil
	}
	// A schema version is never negative; Terraform reads it as unsigned.
	return &tfjson.Schema{Version: uint64(max(s.Version, 0)), Block: convertBlock(s.Block, errs, where)} //nolint:gosec // not negative
}

func convertBlock(b *tfprotov6.SchemaBlock, errs *[]error, where string) *tfjson.SchemaBlock {
	if b == nil {
		return &tfjson.SchemaBlock{DescriptionKind: tfjson.SchemaDescriptionKindPlain}
	}
	out := &tfjson.SchemaBlock{
		Description:     b.Description,
		DescriptionKind: descriptionKind(b.DescriptionKind),
		Deprecated:      b.Deprecated,
	}
	if len(b.Attributes) > 0 {
		out.Attributes = convertAttributes(b.Attributes, errs, where)
	}
	if len(b.BlockTypes) > 0 {
		out.NestedBlocks = make(map[string]*tfjson.SchemaBlockType, len(b.BlockTypes))
		for _, nb := range b.BlockTypes {
			out.NestedBlocks[nb.TypeName] = &tfjson.SchemaBlockType{
				NestingMode: nestingMode(nb.Nesting),
				Block:       convertBlock(nb.Block, errs, where+"."+nb.TypeName),
				MinItems:    uint64(max(nb.MinItems, 0)), //nolint:gosec // not negative
				MaxItems:    uint64(max(nb.MaxItems, 0)), //nolint:gosec // not negative
			}
		}
	}
	return out
}

func convertAttributes(attrs []*tfprotov6.SchemaAttribute, errs *[]error, where string) map[string]*tfjson.SchemaAttribute {
	out := make(map[string]*tfjson.SchemaAttribute, len(attrs))
	for _, a := range attrs {
		at := &tfjson.SchemaAttribute{
			Description:     a.Description,
			DescriptionKind: descriptionKind(a.DescriptionKind),
			Deprecated:      a.Deprecated,
			Required:        a.Required,
			Optional:        a.Optional,
			Computed:        a.Computed,
			Sensitive:       a.Sensitive,
			WriteOnly:       a.WriteOnly,
		}
		if a.Type != nil {
			at.AttributeType = convertType(a.Type, errs, where+"."+a.Name)
		}
		if a.NestedType != nil {
			at.AttributeNestedType = &tfjson.SchemaNestedAttributeType{
				NestingMode: nestingMode(a.NestedType.Nesting),
			}
			if len(a.NestedType.Attributes) > 0 {
				at.AttributeNestedType.Attributes = convertAttributes(a.NestedType.Attributes, errs, where+"."+a.Name)
			}
		}
		out[a.Name] = at
	}
	return out
}

func convertFunction(f *tfprotov6.Function, errs *[]error, where string) *tfjson.FunctionSignature {
	out := &tfjson.FunctionSignature{
		Description:        f.Description,
		Summary:            f.Summary,
		DeprecationMessage: f.DeprecationMessage,
		ReturnType:         cty.DynamicPseudoType,
	}
	if f.Return != nil && f.Return.Type != nil {
		out.ReturnType = convertType(f.Return.Type, errs, where+" return")
	}
	for _, p := range f.Parameters {
		out.Parameters = append(out.Parameters, convertParameter(p, errs, where))
	}
	if f.VariadicParameter != nil {
		out.VariadicParameter = convertParameter(f.VariadicParameter, errs, where)
	}
	return out
}

func convertParameter(p *tfprotov6.FunctionParameter, errs *[]error, where string) *tfjson.FunctionParameter {
	return &tfjson.FunctionParameter{
		Name:        p.Name,
		Description: p.Description,
		IsNullable:  p.AllowNullValue,
		Type:        convertType(p.Type, errs, where+" parameter "+p.Name),
	}
}

func convertIdentity(id *tfprotov6.ResourceIdentitySchema, errs *[]error, where string) *tfjson.IdentitySchema {
	out := &tfjson.IdentitySchema{Version: uint64(max(id.Version, 0)), Attributes: map[string]*tfjson.IdentityAttribute{}} //nolint:gosec // not negative
	for _, a := range id.IdentityAttributes {
		out.Attributes[a.Name] = &tfjson.IdentityAttribute{
			IdentityType:      convertType(a.Type, errs, where+"."+a.Name),
			Description:       a.Description,
			RequiredForImport: a.RequiredForImport,
			OptionalForImport: a.OptionalForImport,
		}
	}
	return out
}

// convertType goes through the JSON type syntax both libraries share: the bytes a provider
// sends as an attribute's type on the wire, which Terraform reads into a cty.Type.
func convertType(t tftypes.Type, errs *[]error, where string) cty.Type {
	if t == nil {
		return cty.NilType
	}
	raw, err := t.MarshalJSON() //nolint:staticcheck // the wire encoding, which plugin-go has no other way to give
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: type %s: %w", where, t, err))
		return cty.NilType
	}
	var ct cty.Type
	if err := json.Unmarshal(raw, &ct); err != nil {
		*errs = append(*errs, fmt.Errorf("%s: type %s: %w", where, raw, err))
		return cty.NilType
	}
	return ct
}

func descriptionKind(k tfprotov6.StringKind) tfjson.SchemaDescriptionKind {
	if k == tfprotov6.StringKindMarkdown {
		return tfjson.SchemaDescriptionKindMarkdown
	}
	return tfjson.SchemaDescriptionKindPlain
}

// nestingMode names a nested block's or a nested attribute's mode as Terraform does; the
// protocol's two mode types spell the names alike, in capitals.
func nestingMode(m fmt.Stringer) tfjson.SchemaNestingMode {
	switch name := tfjson.SchemaNestingMode(strings.ToLower(m.String())); name {
	case tfjson.SchemaNestingModeSingle, tfjson.SchemaNestingModeGroup, tfjson.SchemaNestingModeList,
		tfjson.SchemaNestingModeSet, tfjson.SchemaNestingModeMap:
		return name
	}
	return "invalid"
}
