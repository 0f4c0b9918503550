package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// A rule error lands on the attribute its field maps to, with the problem and the fix.
func TestAddRuleError(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	err := dataverse.CheckImage("Create", dataverse.StepStagePostOperation, dataverse.ImageTypePreImage)
	if !addRuleError(&diags, err, imageRuleFields, "Step x: ") {
		t.Fatalf("%v is not a rule error", err)
	}
	if len(diags) != 1 {
		t.Fatalf("diagnostics = %v", diags)
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	if !ok || !d.Path().Equal(path.Root("type")) || d.Summary() != "No pre-image on Create" ||
		!strings.HasPrefix(d.Detail(), "Step x: ") || !strings.Contains(d.Detail(), `type = "PostImage"`) {
		t.Errorf("diagnostic = %#v", diags[0])
	}
	if addRuleError(&diags, nil, imageRuleFields, "") || len(diags) != 1 {
		t.Error("a nil error added a diagnostic")
	}
}
