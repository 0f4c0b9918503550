package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// Column names are checked against the table's columns at plan, with the nearest real column,
// from one metadata request per table however many steps and images name columns of it.
func TestAccWebhookStep_unknownColumnsRefusedAtPlan(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, step, rest, want string }{
		{"filtering attribute", `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "nmea"]
`, "", `(?s)Unknown column.*Table "account" has no column "nmea".*Did you mean "name"\?`},
		{"image of the step", `
  message = "Update"
  table   = "account"
  images  = [{ alias = "before", type = "PreImage", attributes = ["telephon1"] }]
`, "", `(?s)Unknown column.*\d+:\s+images\s+=\s+\[.*Image\s+"before"\s+\(images\[0\]\.attributes\):.*no\s+column\s+"telephon1".*Did\s+you\s+mean\s+"telephone1"\?`},
		{"contact column on an account step", `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["fullname"]
`, `
resource "dataverse_webhook_step" "other" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name"]
  images               = [{ alias = "before", type = "PreImage", attributes = ["accountnumber"] }]
}
`, `(?s)Unknown column.*no column "fullname"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			planRefused(t, b, imageConfig(b, tc.step, tc.rest), tc.want, func(st emulator.Stats) {
				if n := st.Requests.ByEntitySet["EntityDefinitions"]; n != 1 {
					t.Errorf("%d column metadata requests, want one for the one table", n)
				}
			})
		})
	}
}

// An image of a step managed elsewhere is checked against the step's table too.
func TestAccWebhookStepImage_unknownColumnRefusedAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	stepID := seededStep(t, b, "Update", dataverse.StepStagePostOperation, dataverse.StepModeAsynchronous)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{{
			Config: b.providerBlock() + `
resource "dataverse_webhook_step_image" "test" {
  step_id    = "` + stepID + `"
  type       = "PreImage"
  alias      = "before"
  attributes = ["acountnumber"]
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Unknown column.*no column "acountnumber".*Did you mean "accountnumber"\?`),
		}},
	})
}

// testSet is a set of strings for a test, or fails it.
func testSet(t *testing.T, cols ...string) types.Set {
	t.Helper()
	v, d := types.SetValueFrom(context.Background(), types.StringType, cols)
	if d.HasError() {
		t.Fatal(d)
	}
	return v
}

// A stored column list becomes a set that keeps the configured spelling when it names the same
// columns, and otherwise the stored columns in lower case without duplicates.
func TestColumnSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		prior  types.Set
		stored []string
		want   []string // nil: null set
	}{
		{"nothing stored", testSet(t, "name"), nil, nil},
		{"empty list stored", types.SetNull(types.StringType), []string{}, nil},
		{"only blanks stored", types.SetNull(types.StringType), []string{" ", ""}, nil},
		{"no prior", types.SetNull(types.StringType), []string{"name", "firstname"}, []string{"firstname", "name"}},
		{"unknown prior", types.SetUnknown(types.StringType), []string{"Name"}, []string{"name"}},
		{"case differs only", types.SetNull(types.StringType), []string{"Name", "name"}, []string{"name"}},
		{"blanks around names", types.SetNull(types.StringType), []string{" Name ", "telephone1 "}, []string{"name", "telephone1"}},
		{"prior spelling kept", testSet(t, "Name", "FirstName"), []string{"firstname", "name"}, []string{"FirstName", "Name"}},
		{"prior kept for stored repeats", testSet(t, "name"), []string{"Name", "name"}, []string{"name"}},
		{"prior naming a column twice kept", testSet(t, "Name", "name"), []string{"name"}, []string{"Name", "name"}},
		{"prior differs", testSet(t, "name"), []string{"Name", "Telephone1"}, []string{"name", "telephone1"}},
		{"prior names fewer", testSet(t, "name", "telephone1"), []string{"name"}, []string{"name"}},
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

// A configured set becomes the sorted list the client takes; null and unknown are no list.
func TestSetStrings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		set  types.Set
		want []string
	}{
		{"null", types.SetNull(types.StringType), nil},
		{"unknown", types.SetUnknown(types.StringType), nil},
		{"sorted", testSet(t, "telephone1", "Name", "accountnumber"), []string{"Name", "accountnumber", "telephone1"}},
		{"case kept", testSet(t, "Name", "name"), []string{"Name", "name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			if got := setStrings(context.Background(), c.set, &diags); !slices.Equal(got, c.want) || diags.HasError() {
				t.Fatalf("got %q (%v), want %q", got, diags, c.want)
			}
		})
	}
}

// A stored filtering list naming one column twice in different case ("Name,name") refreshes as
// that one column: Dataverse compares column names without case.
func TestAccWebhookStep_storedColumnsDifferingInCaseRefreshAsOne(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["telephone1"]
`), Check: sameStepID(&id)},
		{
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return storeFilteringAttributes(ctx, c, id, "Name", "name")
			}),
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
	})
}

// Removing a column list from the configuration clears it in Dataverse: the step then fires on
// any change, and the image carries every column.
func TestAccStoredColumns_removedListIsCleared(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	withColumns := imageConfig(b, accountUpdated+`
  filtering_attributes = ["name"]
  images               = [{ alias = "managed", type = "PreImage", attributes = ["name"] }]
`, imageResource(`
  type       = "PreImage"
  alias      = "before"
  attributes = ["telephone1"]
`))
	without := imageConfig(b, accountUpdated+`
  images = [{ alias = "managed", type = "PreImage" }]
`, imageResource(`
  type  = "PreImage"
  alias = "before"
`))
	columnsOf := func(want string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			step, err := b.client().GetStep(ctx, attrOf(s, stepAddr, "id"))
			if err != nil {
				return fmt.Errorf("reading the step: %w", err)
			}
			image, err := b.client().GetStepImage(ctx, attrOf(s, imageAddr, "id"))
			if err != nil {
				return fmt.Errorf("reading the image: %w", err)
			}
			managed, err := b.client().GetStepImage(ctx, attrOf(s, stepAddr, "images.0.id"))
			if err != nil {
				return fmt.Errorf("reading the managed image: %w", err)
			}
			got := fmt.Sprintf("%s %s %s", sortedColumns(step.FilteringAttributes), sortedColumns(managed.Attributes), sortedColumns(image.Attributes))
			if got != want {
				return fmt.Errorf("step, managed image and image columns = %q, want %q", got, want)
			}
			return nil
		}
	}
	unitTest(t, b, []resource.TestStep{
		{Config: withColumns, Check: columnsOf("name name telephone1")},
		{Config: without, Check: resource.ComposeTestCheckFunc(
			columnsOf("(all) (all) (all)"),
			resource.TestCheckNoResourceAttr(stepAddr, "filtering_attributes"),
			resource.TestCheckNoResourceAttr(imageAddr, "attributes"),
		)},
		{Config: without, PlanOnly: true},
	})
}

// seedColumnsDifferingInCase is the hand-built estate with the filtering columns of "orders
// update" stored as "Name, name ,Telephone1" and the columns of its image "orders before" as
// "Name,name", as another tool may write them.
func seedColumnsDifferingInCase(t *testing.T, b backend) handBuiltEstate {
	t.Helper()
	est := seedHandBuiltEstate(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.client().UpdateStepImage(ctx, est.Images["orders before"], dataverse.StepImageUpdate{Attributes: &[]string{"Name", "name"}}); err != nil {
		t.Fatal(err)
	}
	// The client trims blanks before it writes; another tool writes the column as it is.
	if err := b.user(t).Update(ctx, "sdkmessageprocessingsteps", est.Steps["orders update"], map[string]any{"filteringattributes": "Name, name ,Telephone1"}); err != nil {
		t.Fatal(err)
	}
	return est
}
