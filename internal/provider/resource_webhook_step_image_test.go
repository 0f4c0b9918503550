package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
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
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/dvuser"
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

// imageReceiver is a local webhook endpoint that keeps what Dataverse posts to it.
type imageReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []imageDelivery
}

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

func newImageReceiver(t *testing.T) *imageReceiver {
	t.Helper()
	rc := &imageReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		d := imageDelivery{header: r.Header.Clone(), size: len(raw)}
		if err == nil {
			err = json.Unmarshal(raw, &d.body)
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.calls = append(rc.calls, d)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *imageReceiver) received() []imageDelivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]imageDelivery(nil), rc.calls...)
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

// The images Terraform registers are what the webhook receives: the listed columns, no more,
// before and after the change; above 256 KB Dataverse drops them and says so in a header.
func TestAccWebhookStepImage_delivery(t *testing.T) {
	t.Parallel()
	e := needsEmulator(t, "captures deliveries on loopback")
	rc := newImageReceiver(t)
	cfg := providerBlock(e) + fmt.Sprintf(`
resource "dataverse_webhook" "hook" {
  name        = "account-audit"
  url         = "%s/api/accounts"
  auth_type   = "WebhookKey"
  auth_key_wo = "k"
}

resource "dataverse_webhook_step" "test" {
  webhook_id = dataverse_webhook.hook.id
  message    = "Update"
  table      = "account"
}
`, rc.srv.URL) + hclImage("before", "test", "PreImage", "before", "name", "telephone1") +
		hclImage("after", "test", "PostImage", "after", "accountnumber", "name")

	fire := func(s *terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		user, err := dvuser.New(ctx, e)
		if err != nil {
			return err
		}
		id, err := user.Create(ctx, "accounts", map[string]any{
			"name": "Contoso", "telephone1": "555-0100", "accountnumber": "A-1", "websiteurl": "https://contoso.example",
		})
		if err != nil {
			return err
		}
		if err := user.Update(ctx, "accounts", id, map[string]any{"name": "Contoso Ltd", "telephone1": "555-0199"}); err != nil {
			return err
		}
		// A row too large to send whole: the context loses its images.
		if err := user.Update(ctx, "accounts", id, map[string]any{"name": "Contoso Big", "notes_blob": strings.Repeat("x", 300*1024)}); err != nil {
			return err
		}
		if err := e.WaitIdle(ctx); err != nil {
			return err
		}
		calls := rc.received()
		if len(calls) != 2 {
			return fmt.Errorf("the webhook received %d posts, want 2 (one per update; the step does not fire on Create)", len(calls))
		}
		// Asynchronous posts may arrive in any order; the trimmed one is the one that says so.
		small, big := calls[0], calls[1]
		if small.header.Get("x-ms-dynamics-msg-size-exceeded") != "" {
			small, big = big, small
		}
		if small.body.MessageName != "Update" || small.header.Get("x-ms-dynamics-msg-size-exceeded") != "" {
			return fmt.Errorf("both posts say the size was exceeded, or one is not an Update: message %q", small.body.MessageName)
		}
		pre, err := imagesByAlias(small.body.PreEntityImages)
		if err != nil {
			return err
		}
		post, err := imagesByAlias(small.body.PostEntityImages)
		if err != nil {
			return err
		}
		if got, want := fmt.Sprint(pre), "map[before:map[name:Contoso telephone1:555-0100]]"; got != want {
			return fmt.Errorf("PreEntityImages = %s, want %s", got, want)
		}
		// Dataverse adds its own post-image of the primary name to asynchronous steps.
		if got, want := fmt.Sprint(post), "map[AsynchronousStepPrimaryName:map[accountid:"+id+" name:Contoso Ltd] after:map[accountnumber:A-1 name:Contoso Ltd]]"; got != want {
			return fmt.Errorf("PostEntityImages = %s, want %s", got, want)
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
		CheckDestroy:             checkNoRowsLeft(e),
		Steps:                    []resource.TestStep{{Config: cfg, Check: fire}},
	})
}
