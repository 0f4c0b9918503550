package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

const (
	imageAddr    = "dataverse_webhook_step_image.test"
	imageSet     = "sdkmessageprocessingstepimages"
	imageStepSet = "sdkmessageprocessingsteps"
)

var accountUpdated = stepOn("Update", "account")

// imageResource renders the dataverse_webhook_step_image "test" on the step "test".
func imageResource(body string) string {
	return fmt.Sprintf("resource \"dataverse_webhook_step_image\" \"test\" {\n  step_id = dataverse_webhook_step.test.id\n%s\n}\n", body)
}

func sameImageID(id *string) resource.TestCheckFunc { return sameID(imageAddr, id) }

// wantImage compares the columns a test cares about; attributes as a sorted list.
func wantImage(imageType int, alias, name, attributes, property string) func(*dataverse.StepImage) error {
	return func(img *dataverse.StepImage) error {
		got := fmt.Sprintf("imagetype=%d alias=%s name=%s attributes=%s property=%s",
			int(img.ImageType), img.EntityAlias, img.Name, sortedColumns(img.Attributes), img.MessagePropertyName)
		want := fmt.Sprintf("imagetype=%d alias=%s name=%s attributes=%s property=%s", imageType, alias, name, attributes, property)
		if got != want {
			return fmt.Errorf("image row:\n got %s\nwant %s", got, want)
		}
		return nil
	}
}

func sortedColumns(columns []string) string {
	if len(columns) == 0 {
		return "(all)"
	}
	cols := slices.Sorted(slices.Values(columns))
	return strings.Join(cols, ",")
}

func inPlace(addr string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}}
}

func TestAccWebhookStepImage_lifecycle(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var id, firstStep string
	otherStep := `
resource "dataverse_webhook_step" "other" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "contact"
}
`
	// changedInPlace applies the image block, on the account step: an update in place, after
	// which checks run.
	changedInPlace := func(image string, checks ...resource.TestCheckFunc) resource.TestStep {
		return resource.TestStep{
			Config:           imageConfig(b, accountUpdated, image),
			ConfigPlanChecks: inPlace(imageAddr),
			Check:            resource.ComposeAggregateTestCheckFunc(append([]resource.TestCheckFunc{sameImageID(&id)}, checks...)...),
		}
	}
	unitTest(t, b, []resource.TestStep{
		{
			Config: imageConfig(b, accountUpdated, imageResource(`
  type       = "PreImage"
  alias      = "before"
  attributes = ["name", "telephone1"]
`)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(imageAddr, tfjsonpath.New("name"), knownvalue.StringExact("before")),
				statecheck.ExpectKnownValue(imageAddr, tfjsonpath.New("message_property_name"), knownvalue.StringExact("Target")),
				statecheck.ExpectKnownValue(imageAddr, tfjsonpath.New("attributes"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("name"), knownvalue.StringExact("telephone1")})),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameImageID(&id),
				resource.TestCheckResourceAttrPair(imageAddr, "step_id", "dataverse_webhook_step.test", "id"),
				stored(b.client().GetStepImage, imageAddr, wantImage(0, "before", "before", "name,telephone1", "Target")),
				stored(b.client().GetStepImage, imageAddr, func(img *dataverse.StepImage) error {
					firstStep = img.StepID
					return nil
				}),
			),
		},
		changedInPlace(hclImage("test", "test", "Both", "before", "name", "telephone1"),
			resource.TestCheckResourceAttr(imageAddr, "type", "Both"),
			stored(b.client().GetStepImage, imageAddr, wantImage(2, "before", "before", "name,telephone1", "Target")),
		),
		// the default name follows the alias
		changedInPlace(hclImage("test", "test", "Both", "snapshot", "name", "telephone1"),
			resource.TestCheckResourceAttr(imageAddr, "name", "snapshot"),
			stored(b.client().GetStepImage, imageAddr, wantImage(2, "snapshot", "snapshot", "name,telephone1", "Target")),
		),
		changedInPlace(hclImage("test", "test", "Both", "snapshot", "accountnumber", "name", "emailaddress1"),
			resource.TestCheckResourceAttr(imageAddr, "attributes.#", "3"),
			stored(b.client().GetStepImage, imageAddr, wantImage(2, "snapshot", "snapshot", "accountnumber,emailaddress1,name", "Target")),
		),
		changedInPlace(imageResource(`
  type       = "Both"
  alias      = "snapshot"
  attributes = ["accountnumber", "name", "emailaddress1"]
  name       = "account snapshot"
`),
			stored(b.client().GetStepImage, imageAddr, wantImage(2, "snapshot", "account snapshot", "accountnumber,emailaddress1,name", "Target")),
		),
		{
			// without attributes the image carries every column
			Config: imageConfig(b, accountUpdated, imageResource(`
  type  = "PostImage"
  alias = "snapshot"
  name  = "account snapshot"
`)),
			ConfigPlanChecks: inPlace(imageAddr),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(imageAddr, tfjsonpath.New("attributes"), knownvalue.Null()),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameImageID(&id),
				stored(b.client().GetStepImage, imageAddr, wantImage(1, "snapshot", "account snapshot", "(all)", "Target")),
			),
		},
		{
			ResourceName:      imageAddr,
			ImportState:       true,
			ImportStateVerify: true,
		},
		{
			// another step replaces the image
			Config: imageConfig(b, accountUpdated, otherStep+`
resource "dataverse_webhook_step_image" "test" {
  step_id = dataverse_webhook_step.other.id
  type    = "PostImage"
  alias   = "snapshot"
  name    = "account snapshot"
}
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(imageAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair(imageAddr, "step_id", "dataverse_webhook_step.other", "id"),
				func(s *terraform.State) error {
					if got := attrOf(s, imageAddr, "id"); got == id {
						return fmt.Errorf("image %s was not replaced", id)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					switch _, err := b.client().GetStepImage(ctx, id); {
					case err == nil:
						return fmt.Errorf("the old image %s is still there", id)
					case !errors.Is(err, dataverse.ErrNotFound):
						return fmt.Errorf("reading the old image: %w", err)
					}
					images, err := b.client().ListImagesOfSteps(ctx, []string{firstStep, attrOf(s, "dataverse_webhook_step.other", "id")})
					if err != nil {
						return err
					}
					n := 0
					for _, list := range images {
						n += len(list)
					}
					if n != 1 {
						return fmt.Errorf("%d images on the two steps, want 1", n)
					}
					return nil
				},
				stored(b.client().GetStepImage, imageAddr, func(img *dataverse.StepImage) error {
					if strings.EqualFold(img.StepID, firstStep) {
						return fmt.Errorf("the new image is still bound to the first step %s", img.StepID)
					}
					return nil
				}),
			),
		},
	})
}

func TestAccWebhookStepImage_messageProperty(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, step, imageType, want string
	}{
		// Live Dataverse refuses Target on Create (0x8004416b) and takes Id; Delete takes Target.
		{"Create", stepOn("Create", "contact"), "PostImage", "Id"},
		{"Delete", stepOn("Delete", "account"), "PreImage", "Target"},
		{"Assign", stepOn("Assign", "account"), "Both", "Target"},
		{"SetState", stepOn("SetState", "account"), "PreImage", "EntityMoniker"},
		{"Merge", stepOn("Merge", "account"), "PreImage", "Target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			unitTest(t, b, []resource.TestStep{{
				Config: imageConfig(b, tc.step, imageResource(fmt.Sprintf(`
  type  = %q
  alias = "img"
`, tc.imageType))),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(imageAddr, "message_property_name", tc.want),
					stored(b.client().GetStepImage, imageAddr, func(img *dataverse.StepImage) error {
						if img.MessagePropertyName != tc.want {
							return fmt.Errorf("messagepropertyname = %s, want %s", img.MessagePropertyName, tc.want)
						}
						return nil
					}),
				),
			}})
		})
	}
}

// An image registered by another tool keeps its message property when imported and when its
// type or its step's stage and table change: Merge takes SubordinateId as well as Target.
func TestAccWebhookStepImage_importedPropertyKept(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	stepID := seededStep(t, b, "Merge", dataverse.StepStagePostOperation, dataverse.StepModeSynchronous)
	imageID := registerImage(t, b, dataverse.StepImageCreate{StepID: stepID, Name: "subordinate", EntityAlias: "subordinate",
		ImageType: dataverse.ImageTypePreImage, MessagePropertyName: "SubordinateId"})
	cfg := func(imageType string) string {
		return b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook_step_image" "test" {
  step_id = %q
  type    = %q
  alias   = "subordinate"
}
`, stepID, imageType)
	}
	property := stored(b.client().GetStepImage, imageAddr, func(img *dataverse.StepImage) error {
		if img.MessagePropertyName != "SubordinateId" {
			return fmt.Errorf("messagepropertyname = %s, want SubordinateId", img.MessagePropertyName)
		}
		return nil
	})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		Steps: []resource.TestStep{
			{Config: cfg("PreImage"), ResourceName: imageAddr, ImportState: true, ImportStateId: imageID, ImportStatePersist: true},
			{
				Config:           cfg("Both"),
				ConfigPlanChecks: inPlace(imageAddr),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(imageAddr, "message_property_name", "SubordinateId"),
					resource.TestCheckResourceAttr(imageAddr, "type", "Both"),
					property,
				),
			},
			{Config: cfg("Both"), PlanOnly: true},
		},
	})
}

// An image of a Create step that XrmTools registered on "id" keeps that spelling when its
// step's table changes, and the step's check of its images does not refuse it: Dataverse takes
// the message property without regard to case.
func TestAccWebhookStepImage_propertyKeptAsSpelled(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	step := func(table string) string {
		return fmt.Sprintf("  message = \"Create\"\n  table   = %q\n", table)
	}
	var imageID string
	unitTest(t, b, []resource.TestStep{
		{Config: stepConfig(b, step("account"))},
		{
			// Another tool adds an image to the step, spelling the property its own way.
			PreConfig: func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				steps := stepIDsOfWebhookNamed(ctx, t, b.client(), b.name("orders-sync"))
				imageID = registerImage(t, b, dataverse.StepImageCreate{StepID: steps[0], Name: "created", EntityAlias: "created",
					ImageType: dataverse.ImageTypePostImage, MessagePropertyName: "id"})
			},
			Config:           stepConfig(b, step("contact")),
			ConfigPlanChecks: inPlace("dataverse_webhook_step.test"),
			Check: func(*terraform.State) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				img, err := b.client().GetStepImage(ctx, imageID)
				if err != nil {
					return err
				}
				if img.MessagePropertyName != "id" {
					return fmt.Errorf("messagepropertyname = %s, want id", img.MessagePropertyName)
				}
				return nil
			},
		},
	})
}

// An image this provider registered before the property table was corrected (Id on a Delete
// step) reads back into the state it wrote without a change planned, so an upgrade of the
// provider replaces neither the image nor its step.
func TestAccWebhookStepImage_earlierPropertyKept(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "stores a message property that the Web API refuses")
	b := emulatorBackend(e)
	cfg := imageConfig(b, stepOn("Delete", "account"), imageResource(`
  type  = "PreImage"
  alias = "gone"
`))
	var id string
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             checkNoRowsLeft(e),
		Steps: []resource.TestStep{
			{Config: cfg, Check: sameImageID(&id)},
			{
				// What the earlier table wrote for Delete, set straight on the row: the emulator
				// refuses it through the Web API now.
				PreConfig: func() {
					if err := e.PatchRow(imageSet, id, map[string]any{"messagepropertyname": "Id"}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState: true,
				Check: resource.ComposeAggregateTestCheckFunc(sameImageID(&id),
					resource.TestCheckResourceAttr(imageAddr, "message_property_name", "Id")),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// A Create step's image (on Id) follows a change of the step's table.
func TestAccWebhookStepImage_createStepTableChange(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	step := func(table string) string {
		return fmt.Sprintf("  message = \"Create\"\n  table   = %q\n", table)
	}
	img := imageResource(`
  type  = "PostImage"
  alias = "created"
`)
	var id string
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, step("account"), img), Check: resource.ComposeAggregateTestCheckFunc(sameImageID(&id),
			stored(b.client().GetStepImage, imageAddr, wantImage(1, "created", "created", "(all)", "Id")))},
		{
			Config:           imageConfig(b, step("contact"), img),
			ConfigPlanChecks: inPlace("dataverse_webhook_step.test"),
			Check: resource.ComposeAggregateTestCheckFunc(sameImageID(&id),
				stored(b.client().GetStepImage, imageAddr, wantImage(1, "created", "created", "(all)", "Id"))),
		},
	})
}

func TestAccWebhookStepImage_drift(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	cfg := imageConfig(b, accountUpdated, imageResource(`
  type       = "PreImage"
  alias      = "before"
  attributes = ["name", "telephone1"]
`))
	var id, stepID string
	unitTest(t, b, []resource.TestStep{
		{Config: cfg, Check: resource.ComposeTestCheckFunc(sameImageID(&id), sameStepID(&stepID))},
		{
			// the stored list in another order and case is no change
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				_, err := c.UpdateStepImage(ctx, id, dataverse.StepImageUpdate{Attributes: &[]string{"Telephone1", "NAME"}})
				return err
			}),
			Config:   cfg,
			PlanOnly: true,
		},
		{
			// columns changed behind Terraform's back are planned back
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				_, err := c.UpdateStepImage(ctx, id, dataverse.StepImageUpdate{Attributes: &[]string{"name", "revenue"}, EntityAlias: new("other")})
				return err
			}),
			Config:           cfg,
			ConfigPlanChecks: inPlace(imageAddr),
			Check: resource.ComposeAggregateTestCheckFunc(
				sameImageID(&id),
				stored(b.client().GetStepImage, imageAddr, wantImage(0, "before", "before", "name,telephone1", "Target")),
			),
		},
		{
			// an image deleted behind Terraform's back is re-created
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return c.DeleteStepImage(ctx, id)
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(imageAddr, plancheck.ResourceActionCreate)},
			},
			Check: stored(b.client().GetStepImage, imageAddr, wantImage(0, "before", "before", "name,telephone1", "Target")),
		},
		{
			// a step deleted behind Terraform's back takes its images with it; both come back
			PreConfig: behindTerraform(t, b, func(ctx context.Context, c *dataverse.Client) error {
				return c.DeleteStep(ctx, stepID)
			}),
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("dataverse_webhook_step.test", plancheck.ResourceActionCreate),
				plancheck.ExpectResourceAction(imageAddr, plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				stored(b.client().GetStepImage, imageAddr, wantImage(0, "before", "before", "name,telephone1", "Target")),
				stepsOnWebhook(b, 1),
			),
		},
	})
}

func TestAccWebhookStepImage_planTimeChecks(t *testing.T) {
	t.Parallel()
	const (
		preOperation  = dataverse.StepStagePreOperation
		postOperation = dataverse.StepStagePostOperation
		synchronous   = dataverse.StepModeSynchronous
		asynchronous  = dataverse.StepModeAsynchronous
	)
	cases := []struct {
		name, message string
		stage         dataverse.StepStage
		mode          dataverse.StepMode
		body, want    string
		existingAlias string // an image of the step already using this alias
		noStep        bool   // step_id names no step
		apiCheck      bool   // the check needs the API
	}{
		{name: "pre-image on Create", message: "Create", stage: postOperation, mode: asynchronous, apiCheck: true,
			body: `type = "PreImage"`, want: `(?s)No pre-image on Create.*type\s+=\s+"PostImage"`},
		// A type in another case is refused once, with the name meant, not also checked as that name.
		{name: "type in another case on Create", message: "Create", stage: postOperation, mode: asynchronous,
			body: `type = "preimage"`, want: soleError(`type value must be one of.*Did\s+you\s+mean\s+"PreImage"\?`)},
		{name: "both on Create", message: "Create", stage: postOperation, mode: asynchronous, apiCheck: true,
			body: `type = "Both"`, want: `(?s)No pre-image on Create.*type\s+=\s+"PostImage"`},
		{name: "post-image on Delete", message: "Delete", stage: postOperation, mode: asynchronous, apiCheck: true,
			body: `type = "PostImage"`, want: `(?s)No post-image on Delete.*type\s+=\s+"PreImage"`},
		{name: "both on Delete", message: "Delete", stage: preOperation, mode: synchronous, apiCheck: true,
			body: `type = "Both"`, want: `(?s)No post-image on Delete.*type\s+=\s+"PreImage"`},
		{name: "post-image before PostOperation", message: "Update", stage: preOperation, mode: synchronous, apiCheck: true,
			body: `type = "PostImage"`, want: `(?s)Post-images need a PostOperation step.*stage\s+=\s+"PostOperation"`},
		{name: "message without images", message: "Retrieve", stage: postOperation, mode: asynchronous, apiCheck: true,
			body: `type = "PreImage"`, want: `(?s)Images are not supported for this message.*"Retrieve"`},
		{name: "alias in use", message: "Update", stage: postOperation, mode: asynchronous, apiCheck: true, existingAlias: "before",
			body: `type = "PreImage"`, want: `(?s)Image alias already in use.*"before"`},
		{name: "missing step", message: "Update", stage: postOperation, mode: asynchronous, apiCheck: true, noStep: true,
			body: `type = "PreImage"`, want: `(?s)Step not found.*step_id`},
		{name: "empty attributes", message: "Update", stage: postOperation, mode: asynchronous,
			body: "type = \"PreImage\"\n  attributes = []", want: `(?s)Empty attributes.*leave\s+attributes\s+out\s+to\s+send\s+every\s+column`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			stepID := seededStep(t, b, tc.message, tc.stage, tc.mode)
			if tc.existingAlias != "" {
				registerImage(t, b, dataverse.StepImageCreate{StepID: stepID, Name: "existing", EntityAlias: tc.existingAlias,
					ImageType: dataverse.ImageTypePreImage, MessagePropertyName: "Target"})
			}
			if tc.noStep {
				stepID = "6f1c0b1e-3a52-4e3b-9d6a-2f0e8f7c1a10"
			}
			resetCounts(b) // count the plan's requests, not the seeding's
			cfg := b.providerBlock() + fmt.Sprintf(`
resource "dataverse_webhook_step_image" "test" {
  step_id = %q
  alias   = "before"
  %s
}
`, stepID, tc.body)
			planRefused(t, b, cfg, tc.want, func(st emulator.Stats) {
				if !tc.apiCheck && st.Requests.Total != 0 {
					t.Errorf("a configuration error reached the API: %d requests", st.Requests.Total)
				}
				if tc.apiCheck && st.Requests.Total == 0 {
					t.Errorf("the check made no request: it did not consult Dataverse")
				}
				if w := st.Requests.ByMethod["POST"] + st.Requests.ByMethod["PATCH"] + st.Requests.ByMethod["DELETE"]; w != 0 {
					t.Errorf("a rejected plan wrote to Dataverse: %+v", st.Requests.ByMethod)
				}
			})
		})
	}
}

// When the step is created in the same apply, the plan cannot check the image against it:
// Create makes the same checks, with the same messages, before it writes the image.
func TestAccWebhookStepImage_checksAtApply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, step, images, want string
	}{
		{"pre-image on Create", stepOn("Create", "account"), hclImage("test", "test", "PreImage", "before"), `(?s)No pre-image on Create.*type\s+=\s+"PostImage"`},
		{"post-image before PostOperation", `
  message = "Update"
  table   = "account"
  mode    = "Synchronous"
  stage   = "PreOperation"
`, hclImage("test", "test", "PostImage", "after"), `(?s)Post-images need a PostOperation step`},
		{"alias twice on a new step", accountUpdated, hclImage("test", "test", "PreImage", "same") + hclImage("twin", "test", "PostImage", "same"),
			`(?s)Image alias already in use.*"same"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			unitTest(t, b, []resource.TestStep{{
				Config:      imageConfig(b, tc.step, tc.images),
				ExpectError: regexp.MustCompile(tc.want),
			}})
			if tc.name == "alias twice on a new step" {
				return // one of the twins is written before the other fails
			}
			// Only the emulator counts the requests.
			if e := b.emulator(); e != nil {
				if n := e.Stats().Requests.ByEntitySet[imageSet]; n != 0 {
					t.Errorf("a rejected image reached the image table: %d requests", n)
				}
			}
		})
	}
}

// imageDelivery is a webhook's post as a recorder kept it, with what image checks read of its
// body.
type imageDelivery struct {
	header http.Header
	size   int
	body   struct {
		MessageName      string
		PreEntityImages  []imageKeyValue
		PostEntityImages []imageKeyValue
	}
}

type imageKeyValue struct {
	Key   string `json:"key"`
	Value struct {
		Attributes []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		}
	} `json:"value"`
}

// columns returns an image's attributes as a map.
func (kv imageKeyValue) columns() map[string]any {
	out := map[string]any{}
	for _, a := range kv.Value.Attributes {
		out[a.Key] = a.Value
	}
	return out
}

// imageDeliveries waits until the recorder at url holds want posts (a live environment's
// asynchronous service takes seconds to minutes) and returns what it holds then.
func imageDeliveries(ctx context.Context, b backend, url string, want int) ([]imageDelivery, error) {
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		if e := b.emulator(); e != nil {
			if err := e.WaitIdle(ctx); err != nil {
				return nil, err
			}
		}
		posts, err := readRecorded(ctx, url)
		if err != nil {
			return nil, err
		}
		if len(posts) >= want || b.emulator() != nil {
			out := make([]imageDelivery, len(posts))
			for i, p := range posts {
				out[i] = imageDelivery{header: p.Header, size: p.Size}
				if err := json.Unmarshal(p.Body, &out[i].body); err != nil {
					return nil, fmt.Errorf("post %d is not an execution context: %w", i, err)
				}
			}
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the webhook received %d posts after waiting, want %d", len(posts), want)
		case <-time.After(wait):
		}
	}
}

// imagesByAlias indexes an image collection, failing on a repeated alias.
func imagesByAlias(list []imageKeyValue) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, kv := range list {
		if _, dup := out[kv.Key]; dup {
			return nil, fmt.Errorf("alias %q sent twice", kv.Key)
		}
		out[kv.Key] = kv.columns()
	}
	return out, nil
}

// imageDeliveryConfig is a webhook posting to url and its asynchronous Update-of-account step,
// with a pre-image of name and telephone1 and a post-image of accountnumber and name.
func imageDeliveryConfig(b backend, url string) string {
	return hookConfig(b, "account-audit", url) + `
resource "dataverse_webhook_step" "test" {
  webhook_id        = dataverse_webhook.hook.id
  message           = "Update"
  table             = "account"
  async_auto_delete = true
}
` + hclImage("before", "test", "PreImage", "before", "name", "telephone1") +
		hclImage("after", "test", "PostImage", "after", "accountnumber", "name")
}

// deliveryOfAnUpdate creates an account of the columns created and updates it with updated, as
// a user would, and returns its id and the one post the recorder at url then receives (the
// step fires on Update only). The account is deleted when the test ends.
func deliveryOfAnUpdate(ctx context.Context, t *testing.T, b backend, url string, created, updated map[string]any) (string, imageDelivery, error) {
	user := b.user(t)
	id, err := user.Create(ctx, "accounts", created)
	if err != nil {
		return "", imageDelivery{}, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := user.Delete(ctx, "accounts", id); err != nil {
			t.Errorf("deleting the account the test updated: %v", err)
		}
	})
	if err := user.Update(ctx, "accounts", id, updated); err != nil {
		return "", imageDelivery{}, err
	}
	calls, err := imageDeliveries(ctx, b, url, 1)
	if err != nil {
		return "", imageDelivery{}, err
	}
	if len(calls) != 1 {
		return "", imageDelivery{}, fmt.Errorf("the webhook received %d posts, want 1 (the step does not fire on Create)", len(calls))
	}
	return id, calls[0], nil
}

// The images Terraform registers are what the webhook receives: the listed columns, no more,
// before and after the change.
func TestAccWebhookStepImage_delivery(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	url := b.recordingEndpoint(t, "account-audit")
	name := b.name("Contoso")

	fire := func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		id, got, err := deliveryOfAnUpdate(ctx, t, b, url, map[string]any{
			"name": name, "telephone1": "555-0100", "accountnumber": "A-1", "websiteurl": "https://contoso.example",
		}, map[string]any{"name": name + " Ltd", "telephone1": "555-0199"})
		if err != nil {
			return err
		}
		if got.body.MessageName != "Update" || got.header.Get("x-ms-dynamics-msg-size-exceeded") != "" {
			return fmt.Errorf("post of message %q, size exceeded %q; want an Update of full size",
				got.body.MessageName, got.header.Get("x-ms-dynamics-msg-size-exceeded"))
		}
		pre, err := imagesByAlias(got.body.PreEntityImages)
		if err != nil {
			return err
		}
		post, err := imagesByAlias(got.body.PostEntityImages)
		if err != nil {
			return err
		}
		if got, want := fmt.Sprint(pre), "map[before:map[name:"+name+" telephone1:555-0100]]"; got != want {
			return fmt.Errorf("PreEntityImages = %s, want %s", got, want)
		}
		// Dataverse adds its own post-image of the primary name to asynchronous steps.
		if got, want := fmt.Sprint(post), "map[AsynchronousStepPrimaryName:map[accountid:"+id+" name:"+name+" Ltd] after:map[accountnumber:A-1 name:"+name+" Ltd]]"; got != want {
			return fmt.Errorf("PostEntityImages = %s, want %s", got, want)
		}
		return nil
	}

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps:                    []resource.TestStep{{Config: imageDeliveryConfig(b, url), Check: fire}},
	})
}

// Column names typed in capitals still carry their values: Dataverse keys an image's values by
// the logical names it holds, which are lower case, so the provider writes them so. The plan
// after the apply is empty (the test's default check), though the configured names differ in case
// from the stored ones.
func TestAccWebhookStepImage_columnsTypedInCapitalsCarryValues(t *testing.T) {
	t.Parallel()
	holdAccountUpdates(t)
	b := newBackend(t)
	url := b.recordingEndpoint(t, "account-capitals")
	name := b.name("Fabrikam")
	cfg := hookConfig(b, "account-capitals", url) + `
resource "dataverse_webhook_step" "test" {
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  async_auto_delete    = true
  filtering_attributes = ["Name", "Telephone1"]
}
` + hclImage("before", "test", "PreImage", "before", "Name", "TELEPHONE1")

	fire := func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		_, got, err := deliveryOfAnUpdate(ctx, t, b, url, map[string]any{"name": name, "telephone1": "555-0100"},
			map[string]any{"name": name + " Ltd"})
		if err != nil {
			return err
		}
		pre, err := imagesByAlias(got.body.PreEntityImages)
		if err != nil {
			return err
		}
		if got, want := fmt.Sprint(pre["before"]), "map[name:"+name+" telephone1:555-0100]"; got != want {
			return fmt.Errorf("the pre-image carries %s, want %s", got, want)
		}
		return nil
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps:                    []resource.TestStep{{Config: cfg, Check: fire}},
	})
}

// Above 256 KB of execution context Dataverse drops the images from the post and says so in a
// header.
func TestAccWebhookStepImage_deliveryTooLargeLosesImages(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "stores a column larger than any of account's")
	b := emulatorBackend(e)
	url := b.recordingEndpoint(t, "account-audit")

	fire := func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, big, err := deliveryOfAnUpdate(ctx, t, b, url, map[string]any{"name": "Contoso", "accountnumber": "A-1"},
			map[string]any{"name": "Contoso Big", "notes_blob": strings.Repeat("x", 300*1024)})
		if err != nil {
			return err
		}
		if big.header.Get("x-ms-dynamics-msg-size-exceeded") != "true" || big.size > 256*1024 {
			return fmt.Errorf("large post: size-exceeded header %q, %d bytes", big.header.Get("x-ms-dynamics-msg-size-exceeded"), big.size)
		}
		if len(big.body.PreEntityImages) != 0 || len(big.body.PostEntityImages) != 0 {
			return fmt.Errorf("large post kept its images: %d pre, %d post", len(big.body.PreEntityImages), len(big.body.PostEntityImages))
		}
		return nil
	}

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy:             b.checkDestroyed(),
		Steps:                    []resource.TestStep{{Config: imageDeliveryConfig(b, url), Check: fire}},
	})
}
