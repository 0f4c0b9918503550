package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
)

// Images in the step's images attribute are checked with the step's own message and stage at
// plan, even when the step is new, so a plan that passes never ends in a half-done apply.
func TestAccWebhookStep_imagesCheckedAtPlan(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, step, want string }{
		{"post-image on Delete", `
  message = "Delete"
  table   = "account"
  images = [{ alias = "gone", type = "PostImage" }]
`, `(?s)No post-image on Delete.*Image "gone".*type\s+=\s+"PreImage"`},
		{"pre-image on Create", `
  message = "Create"
  table   = "account"
  images = [{ alias = "before", type = "PreImage" }]
`, `(?s)No pre-image on Create.*Image "before".*type\s+=\s+"PostImage"`},
		{"post-image on a PreOperation step", `
  message = "Update"
  table   = "account"
  mode    = "Synchronous"
  stage   = "PreOperation"
  images = [{ alias = "after", type = "PostImage" }]
`, `(?s)Post-images need a PostOperation step.*stage\s+=\s+"PreOperation".*Image "after"`},
		{"one alias twice", `
  message = "Update"
  table   = "account"
  images = [
    { alias = "same", type = "PreImage" },
    { alias = "same", type = "PostImage" },
  ]
`, `(?s)Image alias used twice.*Images\s+1\s+and\s+2\s+of\s+the\s+step\s+\(images\[0\]\s+and\s+images\[1\]\)\s+both\s+have\s+alias\s+"same"`},
		{"empty attributes", `
  message = "Update"
  table   = "account"
  images = [{ alias = "before", type = "PreImage", attributes = [] }]
`, `(?s)Empty attributes.*images\[0\].attributes\s+is\s+an\s+empty\s+set.*leave\s+attributes\s+out\s+to\s+send\s+every\s+column`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			planRefused(t, b, imageConfig(b, tc.step, ""), tc.want, func(st emulator.Stats) {
				if n := st.Requests.Total; n != 0 {
					t.Errorf("a configuration error needed %d requests; it needs none", n)
				}
			})
		})
	}
}

// stepImageRows returns "alias:type:property:columns" for each image row of the step in state.
func stepImageRows(b backend, s *terraform.State) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	images, err := b.client().ListStepImages(ctx, attrOf(s, stepAddr, "id"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, img := range images {
		out = append(out, fmt.Sprintf("%s:%d:%s:%s", img.EntityAlias, int(img.ImageType), img.MessagePropertyName, sortedColumns(img.Attributes)))
	}
	sort.Strings(out)
	return out, nil
}

func wantStepImages(b backend, want ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got, err := stepImageRows(b, s)
		if err != nil {
			return fmt.Errorf("listing the step's images: %w", err)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("step images:\n got %v\nwant %v", got, want)
		}
		return nil
	}
}

func TestAccWebhookStep_imagesLifecycle(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var stepID string
	unitTest(t, b, []resource.TestStep{
		{
			Config: imageConfig(b, accountUpdated+`
  images = [{ alias = "before", type = "PreImage", attributes = ["name", "telephone1"] }]
`, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				// What follows from the configuration is known at plan.
				plancheck.ExpectKnownValue(stepAddr, tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("before")),
				plancheck.ExpectKnownValue(stepAddr, tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("message_property_name"), knownvalue.StringExact("Target")),
			}},
			Check: resource.ComposeTestCheckFunc(
				sameStepID(&stepID),
				wantStepImages(b, "before:0:Target:name,telephone1"),
			),
		},
		{
			// Add one, change one: in place, the step kept.
			Config: imageConfig(b, accountUpdated+`
  images = [
    { alias = "before", type = "PreImage", attributes = ["name"] },
    { alias = "after", type = "PostImage", name = "After the update" },
  ]
`, ""),
			ConfigPlanChecks: inPlace(stepAddr),
			Check: resource.ComposeTestCheckFunc(
				sameStepID(&stepID),
				wantStepImages(b, "after:1:Target:(all)", "before:0:Target:name"),
				resource.TestCheckResourceAttr(stepAddr, "images.1.name", "After the update"),
			),
		},
		{
			// A new message: the images follow it (Create takes images on Id).
			Config: imageConfig(b, `
  message = "Create"
  table   = "account"
  images = [{ alias = "after", type = "PostImage" }]
`, ""),
			ConfigPlanChecks: inPlace(stepAddr),
			Check: resource.ComposeTestCheckFunc(
				sameStepID(&stepID),
				wantStepImages(b, "after:1:Id:(all)"),
			),
		},
		{
			// Removing images deletes the images the step listed.
			Config:           imageConfig(b, accountUpdated, ""),
			ConfigPlanChecks: inPlace(stepAddr),
			Check: resource.ComposeTestCheckFunc(
				sameStepID(&stepID),
				wantStepImages(b),
				resource.TestCheckNoResourceAttr(stepAddr, "images"),
			),
		},
	})
}

// An image registered on the step otherwise keeps its alias: the step's images cannot take it.
func TestAccWebhookStep_imagesAliasTakenElsewhere(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	unitTest(t, b, []resource.TestStep{
		{
			Config: imageConfig(b, accountUpdated, imageResource(`
  type  = "PreImage"
  alias = "before"
`)),
		},
		{
			Config: imageConfig(b, accountUpdated+`
  images = [{ alias = "before", type = "PostImage" }]
`, imageResource(`
  type  = "PreImage"
  alias = "before"
`)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Image alias already in use.*alias\s+"before".*does\s+not\s+manage`),
		},
	})
}

// The other way round: an image the step's images manage is not taken by a
// dataverse_webhook_step_image of the same alias for an image of its own.
func TestAccWebhookStep_imageOfTheStepNotTakenByAnImageResource(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	listed := accountUpdated + `
  images = [{ alias = "before", type = "PreImage", attributes = ["name"] }]
`
	unitTest(t, b, []resource.TestStep{
		{Config: imageConfig(b, listed, "")},
		{
			Config: imageConfig(b, listed, imageResource(`
  type       = "PreImage"
  alias      = "before"
  attributes = ["name"]
`)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Image alias already in use.*alias\s+"before"`),
		},
	})
}

// A change to the step leaves its images alone when they did not change, an image of every
// column (no attributes) too: the update writes the step and nothing else.
func TestAccWebhookStep_unchangedImagesNotWrittenOnStepUpdate(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	var stepID string
	images := `
  images = [
    { alias = "before", type = "PreImage" },
    { alias = "after", type = "PostImage", attributes = ["name", "telephone1"] },
  ]
`
	unitTest(t, b, []resource.TestStep{
		{
			Config: imageConfig(b, accountUpdated+images, ""),
			Check:  resource.ComposeTestCheckFunc(sameStepID(&stepID), wantStepImages(b, "after:1:Target:name,telephone1", "before:0:Target:(all)")),
		},
		{
			PreConfig:        func() { resetCounts(b) },
			Config:           imageConfig(b, accountUpdated+"  rank = 2\n"+images, ""),
			ConfigPlanChecks: inPlace(stepAddr),
			Check: resource.ComposeTestCheckFunc(
				sameStepID(&stepID),
				wantStepImages(b, "after:1:Target:name,telephone1", "before:0:Target:(all)"),
				func(*terraform.State) error {
					e := b.emulator()
					if e == nil {
						return nil // only the emulator counts the writes
					}
					st := e.Stats().Requests
					if w := st.ByMethod["POST"] + st.ByMethod["PATCH"] + st.ByMethod["DELETE"]; w != 1 {
						return fmt.Errorf("%d writes (%v), want 1: the step's rank", w, st.ByMethod)
					}
					return nil
				},
			),
		},
	})
}

// A step imported into a new state manages no image: a configuration without images leaves the
// images it made alone, and one that lists them takes them over as they are, creating none.
func TestBuiltProvider_importedStepTakesOverItsImagesOnlyWhenListed(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	withImages := requiredProviders + imageConfig(b, accountUpdated+`
  images = [{ alias = "before", type = "PreImage", attributes = ["name"] }, { alias = "after", type = "PostImage" }]
`, "")
	if err := ws.WriteFile("main.tf", withImages); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	stepID := stateIDs(t, ws, "dataverse_webhook_step")[0]
	images := func() []string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		imgs, err := b.client().ListStepImages(ctx, stepID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, img := range imgs {
			ids = append(ids, img.ID)
		}
		slices.Sort(ids)
		return ids
	}
	made := images()
	mustRun(t, ws, "state", "rm", stepAddr)
	mustRun(t, ws, "import", "-input=false", "-no-color", stepAddr, stepID)

	// Without images in the configuration: no change, the images stay.
	if err := ws.WriteFile("main.tf", strings.Replace(withImages, `images = [{ alias = "before", type = "PreImage", attributes = ["name"] }, { alias = "after", type = "PostImage" }]`, "", 1)); err != nil {
		t.Fatal(err)
	}
	planNoChanges(t, ws, "after the import, without images")
	// With them: taken over in place, nothing created or deleted.
	if err := ws.WriteFile("main.tf", withImages); err != nil {
		t.Fatal(err)
	}
	out := oneLine(mustRun(t, ws, applyArgs()...).Stdout)
	if !strings.Contains(out, "0 added, 1 changed, 0 destroyed") {
		t.Errorf("the apply after the import:\n%s", out)
	}
	if got := images(); !slices.Equal(got, made) {
		t.Errorf("images %v after taking them over, want %v", got, made)
	}
	planNoChanges(t, ws, "after taking the images over")
}

// An image that the step's images attribute lists cannot also be imported into a
// dataverse_webhook_step_image: the import is refused at plan. One already in state (a
// terraform import) is warned about, and terraform destroy is not stopped by it.
func TestBuiltProvider_imageListedByItsStepIsNotImportedTwice(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	base := requiredProviders + imageConfig(b, accountUpdated+`
  images = [{ alias = "before", type = "PreImage", attributes = ["name"] }]
`, "")
	if err := ws.WriteFile("main.tf", base); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	imgs := mustGet(t, "listing the step's images", func(ctx context.Context) ([]dataverse.StepImage, error) {
		return b.client().ListStepImages(ctx, stateIDs(t, ws, "dataverse_webhook_step")[0])
	})
	if len(imgs) != 1 {
		t.Fatalf("the step has %d images, want 1", len(imgs))
	}
	imageID := imgs[0].ID
	twice := base + imageResource(`  type  = "PreImage"
  alias = "before"`)
	if err := ws.WriteFile("main.tf", twice+fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", imageAddr, imageID)); err != nil {
		t.Fatal(err)
	}
	res, err := ws.Run(context.Background(), "plan", "-input=false", "-no-color")
	if err == nil || !regexp.MustCompile(`(?s)Error: Image managed by its step.*alias.*`+imageID).MatchString(res.Stderr) {
		t.Fatalf("the plan importing the step's image: exit %d\n%s\n%s", res.ExitCode, tail(res.Stdout, 20), tail(res.Stderr, 30))
	}

	if err := ws.WriteFile("main.tf", twice); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, "import", "-input=false", "-no-color", imageAddr, imageID)
	res = mustRun(t, ws, "plan", "-input=false", "-no-color")
	if !regexp.MustCompile(`(?s)Warning: Image managed by its step`).MatchString(res.Stdout + res.Stderr) {
		t.Errorf("the plan after terraform import gives no warning:\n%s", tail(res.Stdout+res.Stderr, 30))
	}
	mustRun(t, ws, "destroy", "-auto-approve", "-input=false", "-no-color")
}

// An image moved out of its step's images into a dataverse_webhook_step_image is created by that
// resource in the apply that removes it from images; an import block for it, which the step's
// update would leave holding a deleted image, is refused at plan.
func TestBuiltProvider_imageMovedOutOfItsStepsImages(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	ws := newWorkspace(t)
	if err := ws.WriteFile("main.tf", requiredProviders+imageConfig(b, accountUpdated+`
  images = [{ alias = "before", type = "PreImage", attributes = ["name"] }]
`, "")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	stepID := stateIDs(t, ws, "dataverse_webhook_step")[0]
	images := func() []dataverse.StepImage {
		return mustGet(t, "listing the step's images", func(ctx context.Context) ([]dataverse.StepImage, error) {
			return b.client().ListStepImages(ctx, stepID)
		})
	}
	listed := images()
	if len(listed) != 1 {
		t.Fatalf("the step has %d images, want 1", len(listed))
	}
	moved := requiredProviders + imageConfig(b, accountUpdated, "") + imageResource(`  type       = "PreImage"
  alias      = "before"
  attributes = ["name"]`)
	if err := ws.WriteFile("main.tf", moved+fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", imageAddr, listed[0].ID)); err != nil {
		t.Fatal(err)
	}
	res, err := ws.Run(context.Background(), "plan", "-input=false", "-no-color")
	if err == nil || !regexp.MustCompile(`(?s)Error: Image deleted by its step.*remove the import block`).MatchString(res.Stderr) {
		t.Fatalf("the plan importing the image its step's plan deletes: exit %d\n%s\n%s", res.ExitCode, tail(res.Stdout, 20), tail(res.Stderr, 30))
	}

	if err := ws.WriteFile("main.tf", moved); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	after := images()
	if len(after) != 1 || after[0].EntityAlias != "before" || !slices.Equal(stateIDs(t, ws, "dataverse_webhook_step_image"), []string{strings.ToLower(after[0].ID)}) {
		t.Fatalf("after the move the step has images %+v; want one, alias before, held by %s", after, imageAddr)
	}
	planNoChanges(t, ws, "after moving the image")
}

// A no-change plan of a configuration of many images reads them in a few queries, not one
// request each: from the image snapshot, once the single reads have cost what it costs.
func TestBuiltProvider_refreshOfManyImagesTakesAFewQueries(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	e := b.emulator()
	if e == nil {
		t.Skip("counts requests, which only the emulator does")
	}
	ws := newWorkspace(t)
	config := requiredProviders + hookConfig(b, "many-images", "https://fn.example.net/api/images") + `
resource "dataverse_webhook_step" "s" {
  count                = 4
  name                 = "many-images ${count.index}"
  webhook_id           = dataverse_webhook.hook.id
  message              = "Update"
  table                = "account"
  filtering_attributes = [["name", "telephone1", "accountnumber", "emailaddress1"][count.index]]
  images               = [{ alias = "listed", type = "PreImage", attributes = ["name"] }]
}

resource "dataverse_webhook_step_image" "i" {
  for_each   = { for pair in setproduct(range(4), ["a", "b", "c", "d", "e"]) : "${pair[0]}-${pair[1]}" => pair }
  step_id    = dataverse_webhook_step.s[each.value[0]].id
  type       = "PreImage"
  alias      = each.value[1]
  attributes = ["name"]
}
`
	if err := ws.WriteFile("main.tf", config); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ws, applyArgs()...)
	resetCounts(b)
	planNoChanges(t, ws, "after the apply of 4 steps with 24 images")
	// 4 steps are one step chunk: one single read pays for the snapshot, which is one query.
	if n := e.Stats().Requests.ByEntitySet["sdkmessageprocessingstepimages"]; n > 2 {
		t.Errorf("the plan read images in %d requests, want at most 2 (%v)", n, e.Stats().Requests.ByEntitySet)
	}
}
