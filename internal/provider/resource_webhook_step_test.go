package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

const stepAddr = "dataverse_webhook_step.test"

func sameStepID(id *string) resource.TestCheckFunc { return sameID(stepAddr, id) }

func TestAccWebhookStep_lifecycle(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var id string
	inPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)}}

	unitTest(t, b, []resource.TestStep{
		{
			Config: stepConfig(b, stepOn("Update", "account")),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("name"), knownvalue.StringExact(b.name("orders-sync")+": Update of account")),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("stage"), knownvalue.StringExact("PostOperation")),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("mode"), knownvalue.StringExact("Asynchronous")),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("rank"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("async_auto_delete"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(stepAddr, tfjsonpath.New("filtering_attributes"), knownvalue.Null()),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttrPair(stepAddr, "webhook_id", "dataverse_webhook.hook", "id"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if step.Mode != dataverse.StepModeAsynchronous || step.Stage != dataverse.StepStagePostOperation {
						return fmt.Errorf("unexpected step columns: mode=%v stage=%v", step.Mode, step.Stage)
					}
					return nil
				}),
			),
		},
		{
			Config: stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["telephone1", "name"]
  async_auto_delete    = true
  rank                 = 5
  name                 = "account changes"
  description          = "Sends account changes"
`),
			ConfigPlanChecks: inPlace,
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttr(stepAddr, "filtering_attributes.#", "2"),
				resource.TestCheckResourceAttr(stepAddr, "rank", "5"),
				resource.TestCheckResourceAttr(stepAddr, "name", "account changes"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if !step.AsyncAutoDelete {
						return fmt.Errorf("asyncautodelete = false")
					}
					return nil
				}),
			),
		},
		{
			// a synchronous step in PreOperation, disabled
			Config: stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
  mode                 = "Synchronous"
  stage                = "PreOperation"
  rank                 = 5
  name                 = "account changes"
  enabled              = false
`),
			ConfigPlanChecks: inPlace,
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttr(stepAddr, "enabled", "false"),
				resource.TestCheckResourceAttr(stepAddr, "stage", "PreOperation"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if step.Enabled {
						return fmt.Errorf("the step is enabled in Dataverse")
					}
					return nil
				}),
			),
		},
		{
			// message and table change in place; the default name follows them
			Config: stepConfig(b, `
  message = "Create"
  table   = "contact"
  enabled = true
`),
			ConfigPlanChecks: inPlace,
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttr(stepAddr, "name", b.name("orders-sync")+": Create of contact"),
				resource.TestCheckResourceAttr(stepAddr, "table", "contact"),
				resource.TestCheckResourceAttr(stepAddr, "message", "Create"),
			),
		},
		{
			ResourceName:      stepAddr,
			ImportState:       true,
			ImportStateVerify: true,
		},
	})
}

func TestAccWebhookStep_drift(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := stepConfig(b, `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
`)
	var id string
	unitTest(t, b, slices.Concat([]resource.TestStep{
		{Config: cfg, Check: sameStepID(&id)},
		{
			// the stored list in another order and case is no change
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return storeFilteringAttributes(ctx, c, id, "Telephone1", "NAME")
			}),
			Config:   cfg,
			PlanOnly: true,
		},
		{
			// a step disabled behind Terraform's back is planned back
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return c.SetStepEnabled(ctx, id, false)
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)},
			},
			Check: stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
				if !step.Enabled {
					return fmt.Errorf("step not re-enabled")
				}
				return nil
			}),
		},
	}, emulatorSteps(t, b, "stores the main-operation stage, which Dataverse keeps for its own steps and refuses to a registration",
		resource.TestStep{
			// a stage the provider has no name for is planned back to the configured one
			PreConfig: func() {
				if err := b.emulator().PatchRow("sdkmessageprocessingsteps", id, map[string]any{"stage": 30}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(stepAddr, tfjsonpath.New("stage"), knownvalue.StringExact("PostOperation")),
				},
			},
			Check: stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
				if step.Stage != dataverse.StepStagePostOperation {
					return fmt.Errorf("stage not restored: %v", step.Stage)
				}
				return nil
			}),
		},
	), []resource.TestStep{
		{
			// a step deleted behind Terraform's back is re-created
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return c.DeleteStep(ctx, id)
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionCreate)},
			},
		},
	}))
}

// An image type and a mode Dataverse holds that have no name here, kept by ignore_changes, let
// another change of the step through and stay as they are.
func TestAccWebhookStep_valuesWithoutNamesKeptByIgnoreChanges(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "stores an image type and a mode that Dataverse does not offer")
	b := emulatorBackend(e)
	body := func(rank int, lifecycle string) string {
		return fmt.Sprintf(`
  message = "Update"
  table   = "account"
  rank    = %d
  images  = [{ alias = "after", type = "PostImage" }]
%s`, rank, lifecycle)
	}
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: stepConfig(b, body(1, "")), Check: sameStepID(&id)},
		{
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				images, err := c.ListStepImages(ctx, id)
				if err != nil || len(images) != 1 {
					return fmt.Errorf("the step's images: %d, %w", len(images), err)
				}
				return errors.Join(e.PatchRow(imageSet, images[0].ID, map[string]any{"imagetype": 3}),
					e.PatchRow("sdkmessageprocessingsteps", id, map[string]any{"mode": 2}))
			}),
			Config: stepConfig(b, body(7, "  lifecycle {\n    ignore_changes = [images, mode]\n  }\n")),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttr(stepAddr, "images.0.type", "ImageType(3)"),
				resource.TestCheckResourceAttr(stepAddr, "mode", "StepMode(2)"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if step.Rank != 7 || step.Mode != 2 {
						return fmt.Errorf("rank %d and mode %v stored, want 7 and the kept StepMode(2)", step.Rank, step.Mode)
					}
					return nil
				}),
				func(*terraform.State) error {
					images, err := b.client().ListStepImages(context.Background(), id)
					if err != nil || len(images) != 1 || images[0].ImageType != 3 {
						return fmt.Errorf("the step's images after the apply: %+v, %w; want the one kept with type 3", images, err)
					}
					return nil
				},
			),
		},
	})
}

// An image registered elsewhere with a type that has no name here meets no pre- or post-image
// rule when its step moves to another stage.
func TestAccWebhookStep_otherImageOfTypeWithoutNameFollows(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "stores an image type that Dataverse does not offer")
	b := emulatorBackend(e)
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: stepConfig(b, stepOn("Update", "account")), Check: sameStepID(&id)},
		{
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				img, err := c.CreateStepImage(ctx, dataverse.StepImageCreate{StepID: id, Name: "kept", EntityAlias: "kept",
					ImageType: dataverse.ImageTypePostImage, MessagePropertyName: "Target"})
				if err != nil {
					return err
				}
				return e.PatchRow(imageSet, img.ID, map[string]any{"imagetype": 3})
			}),
			Config: stepConfig(b, stepOn("Update", "account")+`
  mode  = "Synchronous"
  stage = "PreOperation"
`),
			Check: stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
				if step.Stage != dataverse.StepStagePreOperation {
					return fmt.Errorf("stage %v stored, want PreOperation", step.Stage)
				}
				return nil
			}),
		},
		{
			// The message's property still applies: Create takes images on Id, not Target.
			Config: stepConfig(b, stepOn("Create", "account")+`
  mode  = "Synchronous"
  stage = "PreOperation"
`),
			ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*registered\s+on\s+the\s+message\s+property\s+"Target"`),
		},
	})
}

func TestAccWebhookStep_planTimeChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
		apiCheck         bool // the check needs the message catalog
	}{
		{"async in preoperation", `
  message = "Update"
  table   = "account"
  stage   = "PreOperation"
`, `(?s)Asynchronous steps must run in PostOperation.*mode\s+is\s+not\s+set,\s+so\s+it\s+is\s+"Asynchronous",\s+the\s+default.*mode = "Synchronous"`, false},
		{"auto delete on sync", `
  message           = "Update"
  table             = "account"
  mode              = "Synchronous"
  async_auto_delete = true
`, `(?s)async_auto_delete needs an asynchronous step`, false},
		{"filtering on delete", `
  message              = "Delete"
  table                = "account"
  filtering_attributes = ["name"]
`, `(?s)filtering_attributes do not apply to this message.*"Create",\s+"CreateMultiple",\s+"Update",\s+"UpdateMultiple"`, false},
		{"column listed twice", `
  message              = "Update"
  table                = "account"
  filtering_attributes = ["Name", "telephone1", "name"]
`, `(?s)Column listed twice.*as\s+"(Name|name)"\s+and\s+"(name|Name)".*in\s+lower\s+case\s+\("name"\)`, false},
		{"empty filtering set", `
  message              = "Update"
  table                = "account"
  filtering_attributes = []
`, `(?s)Empty filtering_attributes.*leave\s+filtering_attributes\s+out\s+to\s+fire\s+on\s+any\s+change`, false},
		// The form a refresh gives a stage without a name is not configuration, and no rule
		// reasons about it.
		{"stage in its stored form", `
  message = "Update"
  table   = "account"
  stage   = "StepStage(30)"
`, soleError(`stage value must be one of`), false},
		{"mode in its stored form", `
  message           = "Update"
  table             = "account"
  mode              = "StepMode(2)"
  async_auto_delete = true
`, soleError(`mode value must be one of`), false},
		{"stage in another case", `
  message = "Update"
  table   = "account"
  stage   = "postoperation"
`, soleError(`stage value must be one of.*got: "postoperation"\.\s+Did\s+you\s+mean\s+"PostOperation"\?`), false},
		{"image type in another case", `
  message = "Create"
  table   = "account"
  images  = [{ alias = "x", type = "preimage" }]
`, soleError(`type value must be one of.*Did\s+you\s+mean\s+"PreImage"\?`), false},
		{"misspelled table", stepOn("Update", "acount"), `(?s)Unknown table for this message.*Did you mean\s+"account"\?`, true},
		{"custom steps forbidden", stepOn("Create", "businessunit"), `(?s)Custom steps are not allowed here`, true},
		{"message without table", `
  message = "PublishAll"
`, `(?s)Custom steps are not allowed here`, true},
		{"table on a message that takes none", stepOn("WhoAmI", "account"), `(?s)Unknown table for this message.*Message "WhoAmI" cannot be registered for\s+table "account"\.\s+This\s+message\s+takes\s+no\s+table:\s+remove\s+table\.`, true},
		{"table left out", `
  message = "Create"
`, `(?s)Table missing for this message.*\d+:\s+message\s+=\s+"Create".*Message\s+"Create"\s+cannot\s+be\s+registered\s+without\s+a\s+table\.\s+Set\s+table\.\s+Tables\s+that\s+allow\s+it:\s+account,`, true},
		{"misspelled message", stepOn("Updte", "account"), `(?s)Unknown message.*Did you mean\s+"Update"\?`, true},
		{"webhook that does not exist", stepOn("Update", "account"), `(?s)No such webhook.*No webhook has id 6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10.*dataverse_webhook\.<name>\.id`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			cfg := b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook_step" "test" {
  webhook_id = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
%s
}
`, tc.body)
			planRefused(t, b, cfg, tc.want, func(st emulator.Stats) {
				if !tc.apiCheck && st.Requests.Total != 0 {
					t.Errorf("a configuration error reached the API: %d requests", st.Requests.Total)
				}
				if st.Requests.ByMethod["POST"]+st.Requests.ByMethod["PATCH"]+st.Requests.ByMethod["DELETE"] != 0 {
					t.Errorf("a rejected plan wrote to Dataverse: %+v", st.Requests.ByMethod)
				}
			})
		})
	}
}

// The Plug-in Registration Tool offers filtering attributes on Create steps too, and Dataverse
// stores them.
func TestAccWebhookStep_filteringOnCreate(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := stepConfig(b, `
  message              = "Create"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
`)
	unitTest(t, b, []resource.TestStep{
		{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("dataverse_webhook_step.test", "filtering_attributes.#", "2"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if got := sortedColumns(step.FilteringAttributes); got != "name,telephone1" {
						return fmt.Errorf("filteringattributes = %s", got)
					}
					return nil
				}),
			),
		},
		{Config: cfg, PlanOnly: true},
	})
}

// A message without a table resolves to its "none" filter, which the client picks from the
// message's filters itself rather than asking Dataverse to match 'none' as a table name.
func TestAccWebhookStep_messageWithoutTable(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := hookConfig(b, "audit", "https://fn.example.net/api/audit") + `

resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Associate"
}
`
	unitTest(t, b, []resource.TestStep{
		{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckNoResourceAttr("dataverse_webhook_step.test", "table"),
				resource.TestCheckResourceAttr("dataverse_webhook_step.test", "name", b.name("audit")+": Associate of any Entity"),
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if step.MessageFilterID == "" || step.Table != "" {
						return fmt.Errorf("filter %q of table %q, want the message's filter of no table", step.MessageFilterID, step.Table)
					}
					return nil
				}),
			),
		},
		{Config: cfg, PlanOnly: true},
	})
}

// A step that runs a plug-in, not a webhook, is refused on import with a clear reason.
func TestAccWebhookStep_importOfPluginStepRefused(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	stepID := b.pluginStep(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{
			// A plan-only step first: the import step then reuses its configuration, which
			// OpenTofu needs for an import into a fresh working directory.
			{
				Config: b.providerBlock() + webhookBlock("hook", b.name("plugin-import"), "") + `
resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
}
`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				ResourceName:  stepAddr,
				ImportState:   true,
				ImportStateId: stepID,
				ExpectError:   regexp.MustCompile(`(?s)Not a webhook step`),
			},
		},
	})
}

// Moving a step to another webhook updates it in place, and its default name follows.
func TestAccWebhookStep_moveToAnotherWebhook(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(target string) string {
		return b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook" "a" {
  name        = %[2]q
  url         = "https://fn.example.net/a"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
resource "dataverse_webhook" "b" {
  name        = %[3]q
  url         = "https://fn.example.net/b"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.%[1]s.id
  message    = "Update"
  table      = "account"
}
`, target, b.name("hook-a"), b.name("hook-b"))
	}
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("a"), Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id), resource.TestCheckResourceAttr(stepAddr, "name", b.name("hook-a")+": Update of account"))},
		{
			Config: cfg("b"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameStepID(&id),
				resource.TestCheckResourceAttrPair(stepAddr, "webhook_id", "dataverse_webhook.b", "id"),
				resource.TestCheckResourceAttr(stepAddr, "name", b.name("hook-b")+": Update of account"),
				func(s *terraform.State) error {
					return stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
						if !strings.EqualFold(step.EventHandlerID, attrOf(s, "dataverse_webhook.b", "id")) {
							return fmt.Errorf("the step's event handler is %s, want webhook b", step.EventHandlerID)
						}
						return nil
					})(s)
				},
			),
		},
	})
}

// What Dataverse compares without case (ids, message and table names) may be written in any
// case without a diff, and a message so written meets its rules (columns and images on update).
func TestAccWebhookStep_caseOfIdsAndNames(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := hookConfig(b, "cased", "https://fn.example.net/cased") + `
resource "dataverse_webhook_step" "test" {
  webhook_id           = upper(dataverse_webhook.hook.id)
  message              = "update"
  table                = "Account"
  filtering_attributes = ["name"]
  images               = [{ alias = "before", type = "PreImage" }]
}
`
	unitTest(t, b, []resource.TestStep{
		{Config: cfg, Check: resource.TestCheckResourceAttr(stepAddr, "message", "update")},
		{Config: cfg, PlanOnly: true},
	})
}

// Removing a hand-set name brings the default name back.
func TestAccWebhookStep_removingTheNameRestoresTheDefault(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: stepConfig(b, `
  message = "Update"
  table   = "account"
  name    = "custom-name"
`), Check: sameStepID(&id)},
		{
			Config: stepConfig(b, stepOn("Update", "account")),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionUpdate)},
			},
			Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id),
				resource.TestCheckResourceAttr(stepAddr, "name", b.name("orders-sync")+": Update of account")),
		},
		{Config: stepConfig(b, stepOn("Update", "account")), PlanOnly: true},
	})
}

// A step whose images cannot follow a new message or stage is refused at plan time, and the
// fix the refusal gives works: the image changes in an apply of its own, then the step.
func TestAccWebhookStep_changeThatStrandsItsImages(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(message, stage string) string {
		return stepConfig(b, fmt.Sprintf(`
  message = %q
  table   = "account"
  stage   = %q
  mode    = "Synchronous"
`, message, stage)) + hclImage("both", "test", "Both", "row")
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("Update", "PostOperation")},
		// Create takes images on another message property than Update: the image must go first.
		{Config: cfg("Create", "PostOperation"), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*No pre-image on Create.*Remove\s+the\s+image\s+first:\s+remove\s+its\s+block\s+and\s+run\s+terraform\s+apply\s+-target=<image\s+address>`)},
		// Changing the image's type with the step cannot work, as the step changes first; the
		// refusal says so rather than advising that very change.
		{Config: strings.Replace(cfg("Create", "PostOperation"), `"Both"`, `"PostImage"`, 1), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*changing\s+the\s+image\s+in\s+this\s+same\s+apply\s+cannot\s+help`)},
		// Only the stage changed: the error points at it.
		{Config: cfg("Update", "PreOperation"), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*\d+:\s+stage\s+=\s+"PreOperation".*PostOperation`)},
		// On one message property, a change of the image in an apply of its own lets the step follow.
		{Config: cfg("Update", "PreOperation"), ExpectError: regexp.MustCompile(`(?s)Change\s+the\s+image\s+first,\s+with\s+the\s+step's\s+message,\s+table\s+and\s+stage\s+as\s+they\s+are\s+now.*-target=<image\s+address>\s+works\s+only\s+for\s+removing`)},
		{Config: strings.Replace(cfg("Update", "PostOperation"), `"Both"`, `"PreImage"`, 1)},
		{Config: strings.Replace(cfg("Update", "PreOperation"), `"Both"`, `"PreImage"`, 1)},
		// An image may follow its step in one apply: it is planned against the step's plan.
		{Config: cfg("Update", "PostOperation")},
		{Config: cfg("Assign", "PostOperation")},
		{Config: strings.Replace(cfg("Assign", "PostOperation"), `"Both"`, `"PostImage"`, 1)},
		// Across message properties, the fix given: remove the image in an apply of its own, then
		// change the step and add the image again.
		{Config: strings.Replace(cfg("Create", "PostOperation"), `"Both"`, `"PostImage"`, 1), ExpectError: regexp.MustCompile(`(?s)registered\s+on\s+the\s+message\s+property\s+"Target".*Remove\s+the\s+image\s+first`)},
		{Config: strings.SplitN(cfg("Assign", "PostOperation"), "\nresource \"dataverse_webhook_step_image\"", 2)[0]},
		{Config: strings.Replace(cfg("Create", "PostOperation"), `"Both"`, `"PostImage"`, 1)},
	})
}

// A step planned for replacement (tainted, or its webhook replaced, whose delete takes the
// webhook's steps with it) is planned and applied, and ends with its row and image in Dataverse;
// with create_before_destroy too, where the new step takes its predecessor's derived id.
func TestAccWebhookStep_replacedAloneOrWithItsWebhook(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(lifecycle string) string {
		return updateOfAccountStep(b, "replaced", `images = [{ alias = "before", type = "PreImage", attributes = ["name"] }]`+"\n  "+lifecycle)
	}
	const hookAddr = "dataverse_webhook.hook"
	stored := resource.ComposeAggregateTestCheckFunc(stepsOnWebhook(b, 1), func(s *terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		images, err := b.client().ListStepImages(ctx, attrOf(s, stepAddr, "id"))
		if err != nil {
			return err
		}
		if len(images) != 1 || images[0].EntityAlias != "before" {
			return fmt.Errorf("the step has images %+v in Dataverse, want the one aliased before", images)
		}
		return nil
	})
	replaced := func(action plancheck.ResourceActionType) resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(stepAddr, action)}}
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg(""), Check: stored},
		{Config: cfg(""), Taint: []string{stepAddr}, ConfigPlanChecks: replaced(plancheck.ResourceActionDestroyBeforeCreate), Check: stored},
		{Config: cfg(""), Taint: []string{hookAddr}, ConfigPlanChecks: replaced(plancheck.ResourceActionDestroyBeforeCreate), Check: stored},
		{Config: cfg(""), PlanOnly: true},
		{
			Config: cfg("lifecycle {\n    create_before_destroy = true\n  }"), Taint: []string{stepAddr},
			ConfigPlanChecks: replaced(plancheck.ResourceActionCreateBeforeDestroy), Check: stored,
		},
	})
}

// A replacement that also changes the step's name, and so its derived id, still takes the row it
// replaces for its own at plan, not for another step firing identically.
func TestAccWebhookStep_replacedUnderANewName(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	solution := b.unmanagedSolution(t)
	cfg := func(extra string) string { return updateOfAccountStep(b, "renamed-step", extra) }
	unitTest(t, b, []resource.TestStep{
		{Config: cfg(fmt.Sprintf("solution_unique_name = %q", solution))},
		{
			Config: cfg("solution_unique_name = \"Default\"\n  name = \"renamed while replaced\""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(stepAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(stepsOnWebhook(b, 1), resource.TestCheckResourceAttr(stepAddr, "name", "renamed while replaced")),
		},
	})
}

// updateOfAccountStep is webhook "hook", named webhook with b's prefix, and its Update of account
// step "test" with the arguments extra.
func updateOfAccountStep(b backend, webhook, extra string) string {
	return b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name        = %q
  url         = "https://fn.example.net/%s"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}
resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
  %s
}
`, b.name(webhook), webhook, extra)
}

// A step runs as the user run_as_user_id names, changed and removed in place; an id that names
// no user of the environment is refused at plan, on the attribute, with the fix.
func TestAccWebhookStep_runAsUser(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	users, err := b.user(t).Rows(ctx, "systemusers?$select=systemuserid&$filter="+url.PathEscape("isdisabled eq false")+"&$top=2", "")
	if err != nil || len(users) < 2 {
		t.Fatalf("listing two users of the environment: %d, %v", len(users), err)
	}
	first, second := users[0]["systemuserid"].(string), users[1]["systemuserid"].(string)
	cfg := func(user string) string {
		body := stepOn("Update", "account")
		if user != "" {
			body += fmt.Sprintf("  run_as_user_id = %q\n", user)
		}
		return stepConfig(b, body)
	}
	runsAs := func(want string) resource.TestCheckFunc {
		return stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
			if !strings.EqualFold(step.ImpersonatingUserID, want) {
				return fmt.Errorf("impersonatinguserid = %q, want %q", step.ImpersonatingUserID, want)
			}
			return nil
		})
	}
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: cfg(first), Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id), runsAs(first))},
		{Config: cfg(second), ConfigPlanChecks: inPlace(stepAddr), Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id), runsAs(second))},
		{
			Config:      cfg("6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a19"),
			ExpectError: regexp.MustCompile(`(?s)No such user.*run_as_user_id.*No\s+user\s+\(systemuser\)\s+of\s+the\s+environment\s+has\s+id\s+6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a19.*leave\s+it\s+out`),
		},
		{Config: cfg(""), ConfigPlanChecks: inPlace(stepAddr), Check: resource.ComposeAggregateTestCheckFunc(sameStepID(&id), runsAs(""))},
	})
}

// A column name that another resource decides is unknown at plan: the plan-time checks of the
// columns wait for apply instead of failing to read the set.
func TestAccWebhookStep_columnNamesUnknownAtPlan(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	body := func(columns string) string {
		return fmt.Sprintf(`
  message              = "Update"
  table                = "account"
  filtering_attributes = %[1]s
  images = [{ alias = "pre", type = "PreImage", attributes = %[1]s }]
`, columns)
	}
	later := `
resource "terraform_data" "col" { input = "telephone1" }
`
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, body(`["name"]`), hclImage("own", "test", "PostImage", "post", "name"))},
		{
			Config: imageConfig(b, body(`[terraform_data.col.output, "name"]`), later+`
resource "dataverse_webhook_step_image" "own" {
  step_id    = dataverse_webhook_step.test.id
  type       = "PostImage"
  alias      = "post"
  attributes = [terraform_data.col.output]
}
`),
			Check: resource.ComposeAggregateTestCheckFunc(
				stored(b.client().GetStep, stepAddr, func(step *dataverse.Step) error {
					if got := sortedColumns(step.FilteringAttributes); got != "name,telephone1" {
						return fmt.Errorf("filteringattributes = %s", got)
					}
					return nil
				}),
				resource.TestCheckResourceAttr("dataverse_webhook_step_image.own", "attributes.0", "telephone1"),
			),
		},
	})
}

// A new table that lacks a column an image of the step carries is refused, as the step's own
// images are: the image would stay registered on a column that never fills.
func TestAccWebhookStep_tableChangeThatStrandsItsImageColumns(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(table string, columns ...string) string {
		return stepConfig(b, fmt.Sprintf(`
  message = "Update"
  table   = %q
`, table)) + hclImage("pre", "test", "PreImage", "row", columns...)
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("account", "name", "telephone1")},
		{Config: cfg("contact", "name", "telephone1"), ExpectError: regexp.MustCompile(`(?s)The step's images would no longer fit.*carries\s+"name",\s+which\s+table\s+"contact"\s+has\s+no\s+column.*Change\s+the\s+image\s+first`)},
		{Config: cfg("account")},
		{Config: cfg("contact")},
	})
}

// A step renamed to the name another step of its webhook has is refused at plan, as a new step
// of that name is.
func TestAccWebhookStep_renameToANameInUseIsRefused(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := func(name string) string {
		return stepConfig(b, stepOn("Update", "account")+"  name = \"orders: account changes\"\n") +
			stepBlock("other", "hook", stepOn("Assign", "account")+fmt.Sprintf("  name = %q\n", name))
	}
	unitTest(t, b, []resource.TestStep{
		{Config: cfg("orders: account assigned")},
		{Config: cfg("ORDERS: account changes"), PlanOnly: true, ExpectError: regexp.MustCompile(`(?is)Step name (already in use|used twice).*name\s+"orders:\s+account\s+changes"`)},
		{Config: cfg("orders: account handed over")},
	})
}
