package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// fakeServer answers the two schema calls with fixed responses.
type fakeServer struct {
	schema *tfprotov6.GetProviderSchemaResponse
	ids    *tfprotov6.GetResourceIdentitySchemasResponse
}

func (f fakeServer) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return f.schema, nil
}

func (f fakeServer) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return f.ids, nil
}

// The expected JSON is what Terraform 1.14 writes for such a schema, worked out from its
// conversion rules: description_kind on every block and attribute, "plain" unless markdown;
// write_only and sensitive as given; a nested attribute's item counts dropped, a nested
// block's kept; a function parameter's AllowNullValue as is_nullable.
func TestConvertProviderSchema(t *testing.T) {
	t.Parallel()
	str := tftypes.String
	server := fakeServer{
		schema: &tfprotov6.GetProviderSchemaResponse{
			Provider: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{
				Description: "The provider.",
				Attributes: []*tfprotov6.SchemaAttribute{
					{Name: "secret", Type: str, Optional: true, Sensitive: true, Description: "A *secret*.", DescriptionKind: tfprotov6.StringKindMarkdown},
				},
			}},
			ResourceSchemas: map[string]*tfprotov6.Schema{
				"x_thing": {Version: 2, Block: &tfprotov6.SchemaBlock{
					Description: "A `thing`.", DescriptionKind: tfprotov6.StringKindMarkdown, Deprecated: true,
					Attributes: []*tfprotov6.SchemaAttribute{
						{Name: "id", Type: str, Computed: true},
						{Name: "key_wo", Type: str, Optional: true, Sensitive: true, WriteOnly: true},
						{Name: "headers", Type: tftypes.Map{ElementType: str}, Optional: true, Deprecated: true},
						{Name: "opt", Type: tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": str, "b": tftypes.Number}, OptionalAttributes: map[string]struct{}{"b": {}}}, Required: true},
						{Name: "items", Optional: true, Computed: true, Description: "Items.", NestedType: &tfprotov6.SchemaObject{
							Nesting: tfprotov6.SchemaObjectNestingModeList,
							Attributes: []*tfprotov6.SchemaAttribute{
								{Name: "name", Type: str, Required: true, Description: "Its name.", DescriptionKind: tfprotov6.StringKindMarkdown},
								{Name: "tags", Type: tftypes.Set{ElementType: str}, Optional: true},
							},
						}},
					},
					BlockTypes: []*tfprotov6.SchemaNestedBlock{
						{TypeName: "timeouts", Nesting: tfprotov6.SchemaNestedBlockNestingModeSingle, Block: &tfprotov6.SchemaBlock{
							Attributes: []*tfprotov6.SchemaAttribute{{Name: "create", Type: str, Optional: true}},
						}},
						{TypeName: "rule", Nesting: tfprotov6.SchemaNestedBlockNestingModeSet, MinItems: 1, MaxItems: 3, Block: &tfprotov6.SchemaBlock{
							BlockTypes: []*tfprotov6.SchemaNestedBlock{{TypeName: "inner", Nesting: tfprotov6.SchemaNestedBlockNestingModeGroup, Block: &tfprotov6.SchemaBlock{}}},
						}},
					},
				}},
			},
			DataSourceSchemas: map[string]*tfprotov6.Schema{
				"x_things": {Block: &tfprotov6.SchemaBlock{Attributes: []*tfprotov6.SchemaAttribute{
					{Name: "all", Computed: true, NestedType: &tfprotov6.SchemaObject{Nesting: tfprotov6.SchemaObjectNestingModeMap, Attributes: []*tfprotov6.SchemaAttribute{{Name: "v", Type: tftypes.DynamicPseudoType, Computed: true}}}},
				}}},
			},
			ListResourceSchemas: map[string]*tfprotov6.Schema{
				"x_thing": {Block: &tfprotov6.SchemaBlock{Description: "Lists things.", DescriptionKind: tfprotov6.StringKindMarkdown, Attributes: []*tfprotov6.SchemaAttribute{
					{Name: "prefix", Type: str, Optional: true},
				}}},
			},
			ActionSchemas: map[string]*tfprotov6.ActionSchema{
				"x_clean": {Schema: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{Attributes: []*tfprotov6.SchemaAttribute{
					{Name: "max", Type: tftypes.Number, Optional: true, Description: "At most."},
				}}}},
			},
			Functions: map[string]*tfprotov6.Function{
				"join": {
					Summary: "Joins", Description: "Joins `parts`.", DescriptionKind: tfprotov6.StringKindMarkdown,
					Parameters:        []*tfprotov6.FunctionParameter{{Name: "sep", Type: str, AllowNullValue: true, Description: "Separator."}},
					VariadicParameter: &tfprotov6.FunctionParameter{Name: "parts", Type: tftypes.List{ElementType: str}},
					Return:            &tfprotov6.FunctionReturn{Type: str},
				},
			},
		},
		ids: &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{
			"x_thing": {Version: 1, IdentityAttributes: []*tfprotov6.ResourceIdentitySchemaAttribute{
				{Name: "id", Type: str, RequiredForImport: true, Description: "The id."},
				{Name: "region", Type: str, OptionalForImport: true},
			}},
		}},
	}
	got, err := providerSchemas(context.Background(), server, "registry.example.com/x/x")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format_version":"1.0","provider_schemas":{"registry.example.com/x/x":{
"provider":{"version":0,"block":{"attributes":{
  "secret":{"type":"string","description":"A *secret*.","description_kind":"markdown","optional":true,"sensitive":true}},
  "description":"The provider.","description_kind":"plain"}},
"resource_schemas":{"x_thing":{"version":2,"block":{
  "attributes":{
    "headers":{"type":["map","string"],"description_kind":"plain","deprecated":true,"optional":true},
    "id":{"type":"string","description_kind":"plain","computed":true},
    "items":{"nested_type":{"attributes":{
        "name":{"type":"string","description":"Its name.","description_kind":"markdown","required":true},
        "tags":{"type":["set","string"],"description_kind":"plain","optional":true}},
      "nesting_mode":"list"},"description":"Items.","description_kind":"plain","optional":true,"computed":true},
    "key_wo":{"type":"string","description_kind":"plain","optional":true,"sensitive":true,"write_only":true},
    "opt":{"type":["object",{"a":"string","b":"number"},["b"]],"description_kind":"plain","required":true}},
  "block_types":{
    "rule":{"nesting_mode":"set","block":{"block_types":{"inner":{"nesting_mode":"group","block":{"description_kind":"plain"}}},"description_kind":"plain"},"min_items":1,"max_items":3},
    "timeouts":{"nesting_mode":"single","block":{"attributes":{"create":{"type":"string","description_kind":"plain","optional":true}},"description_kind":"plain"}}},
  "description":"A ` + "`thing`" + `.","description_kind":"markdown","deprecated":true}}},
"data_source_schemas":{"x_things":{"version":0,"block":{"attributes":{
  "all":{"nested_type":{"attributes":{"v":{"type":"dynamic","description_kind":"plain","computed":true}},"nesting_mode":"map"},"description_kind":"plain","computed":true}},
  "description_kind":"plain"}}},
"action_schemas":{"x_clean":{"block":{"attributes":{"max":{"type":"number","description":"At most.","description_kind":"plain","optional":true}},"description_kind":"plain"}}},
"functions":{"join":{"description":"Joins ` + "`parts`" + `.","summary":"Joins","return_type":"string",
  "parameters":[{"name":"sep","description":"Separator.","is_nullable":true,"type":"string"}],
  "variadic_parameter":{"name":"parts","type":["list","string"]}}},
"resource_identity_schemas":{"x_thing":{"version":1,"attributes":{
  "id":{"type":"string","description":"The id.","required_for_import":true},
  "region":{"type":"string","optional_for_import":true}}}},
"list_resource_schemas":{"x_thing":{"version":0,"block":{"attributes":{"prefix":{"type":"string","description_kind":"plain","optional":true}},"description":"Lists things.","description_kind":"markdown"}}}
}}}`
	gotJSON, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatal(err)
	}
	if string(gotJSON) != compact.String() {
		t.Errorf("converted schema differs\n got: %s\nwant: %s", gotJSON, compact.String())
	}
}

func TestProviderSchemasReportsErrorDiagnostics(t *testing.T) {
	t.Parallel()
	server := fakeServer{
		schema: &tfprotov6.GetProviderSchemaResponse{Diagnostics: []*tfprotov6.Diagnostic{
			{Severity: tfprotov6.DiagnosticSeverityWarning, Summary: "just a warning"},
			{Severity: tfprotov6.DiagnosticSeverityError, Summary: "Duplicate resource type", Detail: "x_thing twice"},
		}},
		ids: &tfprotov6.GetResourceIdentitySchemasResponse{},
	}
	_, err := providerSchemas(context.Background(), server, "x")
	if err == nil || !strings.Contains(err.Error(), "x_thing twice") || strings.Contains(err.Error(), "just a warning") {
		t.Fatalf("error = %v, want the error diagnostic alone", err)
	}
}

// TestProviderSchemasMatchTerraform compares the schemas written for this provider with what
// `terraform providers schema -json` writes for it, part by part: the parts that Terraform writes
// must be equal, and the Terraform the tests run decides which those are (1.11 writes no list
// resources, actions or identities; make test-terraform-next runs 1.14, which writes them all).
func TestProviderSchemasMatchTerraform(t *testing.T) {
	if _, err := exec.LookPath(tfcli.TerraformPath()); err != nil {
		t.Skipf("runs the Terraform CLI, and %q is not found: run make terraform-check, or set TF_ACC_TERRAFORM_PATH", tfcli.TerraformPath())
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	module, err := tfcli.ModuleDir(wd)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := tfcli.BuildProvider(ctx, module, filepath.Join(t.TempDir(), "bin"))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tfcli.NewWorkspace(t.TempDir(), bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	if err := ws.WriteFile("main.tf", "terraform {\n  required_providers {\n    dataverse = {\n      source = \""+registry.Source+"\"\n    }\n  }\n}\n"); err != nil {
		t.Fatal(err)
	}
	res, err := ws.Run(ctx, "providers", "schema", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var fromTerraform tfjson.ProviderSchemas
	if err := json.Unmarshal([]byte(res.Stdout), &fromTerraform); err != nil {
		t.Fatalf("reading Terraform's output: %v\n%s", err, res.Stdout)
	}
	address := tfcli.OverriddenSource()
	want := fromTerraform.Schemas[address]
	if want == nil {
		t.Fatalf("Terraform wrote no schema for %s", address)
	}

	mine, err := providerSchemas(ctx, providerserver.NewProtocol6(provider.New("dev")())(), address)
	if err != nil {
		t.Fatal(err)
	}
	if mine.FormatVersion != fromTerraform.FormatVersion {
		t.Errorf("format_version = %q, Terraform writes %q", mine.FormatVersion, fromTerraform.FormatVersion)
	}
	got := mine.Schemas[address]
	parts := []struct {
		name           string
		terraform, own any
		terraformHasIt bool
	}{
		{"provider", want.ConfigSchema, got.ConfigSchema, want.ConfigSchema != nil},
		{"resource_schemas", want.ResourceSchemas, got.ResourceSchemas, want.ResourceSchemas != nil},
		{"data_source_schemas", want.DataSourceSchemas, got.DataSourceSchemas, want.DataSourceSchemas != nil},
		{"functions", want.Functions, got.Functions, want.Functions != nil},
		{"ephemeral_resource_schemas", want.EphemeralResourceSchemas, got.EphemeralResourceSchemas, true},
		{"list_resource_schemas", want.ListResourceSchemas, got.ListResourceSchemas, want.ListResourceSchemas != nil},
		{"action_schemas", want.ActionSchemas, got.ActionSchemas, want.ActionSchemas != nil},
		{"resource_identity_schemas", want.ResourceIdentitySchemas, got.ResourceIdentitySchemas, want.ResourceIdentitySchemas != nil},
	}
	compared := 0
	for _, p := range parts {
		if !p.terraformHasIt {
			t.Logf("%s: not written by this Terraform, not compared", p.name)
			continue
		}
		compared++
		w, err := json.MarshalIndent(p.terraform, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		g, err := json.MarshalIndent(p.own, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w, g) {
			t.Errorf("%s differs from Terraform's\nTerraform: %s\n     ours: %s", p.name, w, g)
		}
	}
	// Guard against a comparison of nothing: every Terraform the tests support writes these.
	for _, name := range []string{"provider", "resource_schemas", "data_source_schemas"} {
		for _, p := range parts {
			if p.name == name && !p.terraformHasIt {
				t.Errorf("Terraform wrote no %s", name)
			}
		}
	}
	t.Logf("compared %d parts with %s", compared, tfcli.TerraformPath())
}
