package provider

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A stored column list becomes a set that keeps the configured spelling when it names the same
// columns, and otherwise the stored columns in lower case without duplicates.
func TestColumnSet(t *testing.T) {
	t.Parallel()
	set := func(cols ...string) types.Set {
		v, d := types.SetValueFrom(context.Background(), types.StringType, cols)
		if d.HasError() {
			t.Fatal(d)
		}
		return v
	}
	cases := []struct {
		name   string
		prior  types.Set
		stored []string
		want   []string // nil: null set
	}{
		{"nothing stored", set("name"), nil, nil},
		{"no prior", types.SetNull(types.StringType), []string{"name", "firstname"}, []string{"firstname", "name"}},
		{"case differs only", types.SetNull(types.StringType), []string{"Name", "name"}, []string{"name"}},
		{"prior spelling kept", set("Name", "FirstName"), []string{"firstname", "name"}, []string{"FirstName", "Name"}},
		{"prior differs", set("name"), []string{"Name", "Telephone1"}, []string{"name", "telephone1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			got := columnSet(context.Background(), c.prior, c.stored, &diags)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if c.want == nil {
				if !got.IsNull() {
					t.Fatalf("got %v, want null", got)
				}
				return
			}
			if cols := setStrings(context.Background(), got, &diags); !slices.Equal(cols, c.want) {
				t.Fatalf("got %v, want %v", cols, c.want)
			}
		})
	}
}

// A stored filtering list naming one column twice in different case ("Name,name") refreshes as
// that one column: Dataverse compares column names without case.
func TestAccWebhookStep_storedColumnsDifferingInCaseRefreshAsOne(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "changes a stored row behind Terraform")
	b := emulatorBackend(e)
	var id string
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["telephone1"]
`), Check: sameStepID(&id)},
			{
				PreConfig: func() {
					if err := e.PatchRow("sdkmessageprocessingsteps", id, map[string]any{"filteringattributes": "Name,name"}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // the configuration still says telephone1
			},
			{
				Config: stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name"]
`),
				PlanOnly: true,
			},
		},
	})
}
