package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestImportTarget(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, id, name string }{
		{"6F1C0B1E-3A52-4E3B-9D6A-2F0E8F7C1A10", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", ""},
		{" {6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10} ", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", ""},
		{"orders-sync", "", "orders-sync"},
		{"  orders sync  ", "", "orders sync"},
		{"6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a1", "", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a1"},
		{"", "", ""},
	}
	for _, tc := range cases {
		id, name := importTarget(tc.in)
		if id != tc.id || name != tc.name {
			t.Errorf("importTarget(%q) = (%q, %q), want (%q, %q)", tc.in, id, name, tc.id, tc.name)
		}
	}
}

// FuzzImportTarget: any input yields either a GUID id or a trimmed name, never both.
func FuzzImportTarget(f *testing.F) {
	for _, s := range []string{"orders-sync", "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10", "{6F1C0B1E-3A52-4E3B-9D6A-2F0E8F7C1A10}", " ", "{}", "'; drop", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, name := importTarget(raw)
		if id != "" && name != "" {
			t.Fatalf("both id %q and name %q", id, name)
		}
		if id != "" && (!dataverse.IsGUID(id) || id != strings.ToLower(id)) {
			t.Fatalf("id %q is not a lower-case GUID", id)
		}
		if id == "" && name != strings.TrimSpace(raw) {
			t.Fatalf("name %q is not the trimmed input", name)
		}
	})
}

// An import block whose id is a row of another of the provider's resources says which resource
// to import it into; an id of no row says there is nothing to import. Terraform's own error says
// only that the object does not exist.
func TestAccImport_idOfAnotherKindOfRow(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	stepID := seededStep(t, b, "Update", dataverse.StepStagePostOperation, dataverse.StepModeAsynchronous)
	imageID := registerImage(t, b, dataverse.StepImageCreate{StepID: stepID, Name: "before", EntityAlias: "before",
		ImageType: dataverse.ImageTypePreImage, MessagePropertyName: "Target"})
	const unknownID = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
	// The id, and the error that names it (%[1]s), of each case; a plug-in step's id is found
	// in its subtest, which skips when a live environment has none.
	cases := []struct {
		name, block string
		id          func(t *testing.T) string
		want        string
	}{
		{"a step's id as a webhook", `resource "dataverse_webhook" "adopted" {
  name      = "adopted"
  url       = "https://fn.example.net/api/adopted"
  auth_type = "WebhookKey"
}`, fixed(stepID), `Import id of another kind of row.*No webhook has serviceendpointid %[1]s: it is the sdkmessageprocessingstepid of a webhook step\. Import it into a dataverse_webhook_step resource instead`},
		{"an image's id as a step", `resource "dataverse_webhook_step" "adopted" {
  webhook_id = "` + unknownID + `"
  message    = "Update"
  table      = "account"
}`, fixed(imageID), `Import id of another kind of row.*No webhook step has sdkmessageprocessingstepid %[1]s: it is the sdkmessageprocessingstepimageid of a step image\. Import it into a dataverse_webhook_step_image resource instead`},
		{"a plug-in's step id as a webhook", `resource "dataverse_webhook" "adopted" {
  name      = "adopted"
  url       = "https://fn.example.net/api/adopted"
  auth_type = "WebhookKey"
}`, b.pluginStep, `Import id of a row this provider does not manage.*No webhook has serviceendpointid %[1]s: it is the sdkmessageprocessingstepid of a row that does not belong to a webhook`},
		{"an id of nothing as an image", `resource "dataverse_webhook_step_image" "adopted" {
  step_id = "` + stepID + `"
  type    = "PreImage"
  alias   = "before"
}`, fixed(unknownID), `Nothing to import.*No step image has sdkmessageprocessingstepimageid %[1]s in this environment`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := tc.id(t)
			to := strings.Fields(tc.block)[1]
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6Providers(),
				Steps: []resource.TestStep{{
					Config: b.providerBlock() + tc.block + fmt.Sprintf(`
import {
  to = %s.adopted
  id = %q
}
`, strings.Trim(to, `"`), id),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile("(?s)" + strings.ReplaceAll(fmt.Sprintf(tc.want, id), " ", `\s+`)),
				}},
			})
		})
	}
}

// fixed is an id known before the subtests run.
func fixed(id string) func(*testing.T) string { return func(*testing.T) string { return id } }
