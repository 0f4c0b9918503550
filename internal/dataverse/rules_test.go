package dataverse

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The image property per message, as live registrations and the Plug-in Registration Tool
// write it (not Microsoft's table of request properties, which gives Target for Create).
func TestImageMessageProperty(t *testing.T) {
	t.Parallel()
	cases := []struct{ message, keep, want string }{
		{"Create", "", "Id"},
		{"Create", "Target", "Id"}, // refused live with 0x8004416b
		{"Update", "", "Target"},
		{"Delete", "", "Target"},
		{"Delete", "Id", "Target"},
		{"Assign", "", "Target"},
		{"Route", "", "Target"},
		{"ExecuteWorkflow", "", "Target"},
		{"Merge", "", "Target"},
		{"Merge", "SubordinateId", "SubordinateId"}, // another tool's choice is kept
		{"Create", "id", "id"},                      // as XrmTools writes it: names compare without case
		{"Update", "TARGET", "TARGET"},              // inferred from the same: any case
		{"SetState", "", "EntityMoniker"},
		{"SetStateDynamicEntity", "Target", "EntityMoniker"},
		{"Send", "", "EmailId"},
		{"DeliverIncoming", "", "EmailId"},
		{"DeliverPromote", "", "EmailId"},
		{"CreateMultiple", "", "Ids"},
		{"UpdateMultiple", "", "Targets"},
		{"create", "", "Id"}, // Dataverse finds messages without case
		{"UPDATEMULTIPLE", "", "Targets"},
	}
	for _, tc := range cases {
		got, ok := ImageMessageProperty(tc.message, tc.keep)
		if !ok || got != tc.want {
			t.Errorf("ImageMessageProperty(%q, %q) = %q, %v; want %q", tc.message, tc.keep, got, ok, tc.want)
		}
	}
	if p, ok := ImageMessageProperty("Retrieve", ""); ok {
		t.Errorf("Retrieve offers images on %q", p)
	}
}

func TestCheckImage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		message string
		stage   StepStage
		typ     ImageType
		field   RuleField // 0: allowed
		summary string
	}{
		{"Create", StepStagePostOperation, ImageTypePostImage, 0, ""},
		{"Create", StepStagePostOperation, ImageTypePreImage, FieldImageType, "No pre-image on Create"},
		{"CreateMultiple", StepStagePostOperation, ImageTypeBoth, FieldImageType, "No pre-image on CreateMultiple"},
		{"Delete", StepStagePreOperation, ImageTypePreImage, 0, ""},
		{"Delete", StepStagePostOperation, ImageTypeBoth, FieldImageType, "No post-image on Delete"},
		{"Update", StepStagePreOperation, ImageTypePostImage, FieldImageType, "Post-images need a PostOperation step"},
		{"Update", StepStagePostOperation, ImageTypeBoth, 0, ""},
		{"Retrieve", StepStagePostOperation, ImageTypePreImage, FieldStep, "Images are not supported for this message"},
		{"update", StepStagePostOperation, ImageTypeBoth, 0, ""},
		{"create", StepStagePostOperation, ImageTypePreImage, FieldImageType, "No pre-image on Create"},
		{"delete", StepStagePostOperation, ImageTypePostImage, FieldImageType, "No post-image on Delete"},
	}
	for _, tc := range cases {
		err := CheckImage(tc.message, tc.stage, tc.typ)
		var re *RuleError
		switch {
		case tc.field == 0 && err != nil:
			t.Errorf("%s %s %s: %v", tc.message, tc.stage, tc.typ, err)
		case tc.field != 0 && (!errors.As(err, &re) || re.Field != tc.field || re.Summary != tc.summary || re.Fix == ""):
			t.Errorf("%s %s %s: got %#v, want field %d %q with a fix", tc.message, tc.stage, tc.typ, err, tc.field, tc.summary)
		}
	}
}

// Every fix CheckImage suggests works: the settings one alternative of the fix names, made
// together, give an image the rules allow.
func TestCheckImageFixesWork(t *testing.T) {
	t.Parallel()
	setting := regexp.MustCompile(`\{(imagetype|stage)\} = "(\w+)"`)
	for _, message := range append(ImageMessages(), "Create", "Delete") {
		for _, stage := range []StepStage{StepStagePreValidation, StepStagePreOperation, StepStagePostOperation} {
			for _, typ := range []ImageType{ImageTypePreImage, ImageTypePostImage, ImageTypeBoth} {
				var re *RuleError
				if !errors.As(CheckImage(message, stage, typ), &re) {
					continue
				}
				for _, alternative := range strings.Split(re.Fix, ", or ") {
					s, ty := stage, typ
					found := setting.FindAllStringSubmatch(alternative, -1)
					for _, m := range found {
						var err error
						if m[1] == "stage" {
							s, err = ParseStepStage(m[2])
						} else {
							ty, err = ParseImageType(m[2])
						}
						if err != nil {
							t.Fatalf("%s %s %s: the fix names %s = %q: %v", message, stage, typ, m[1], m[2], err)
						}
					}
					if len(found) > 0 {
						if err := CheckImage(message, s, ty); err != nil {
							t.Errorf("%s %s %s: following %q gives %s %s, which is refused: %v", message, stage, typ, alternative, s, ty, err)
						}
					}
				}
			}
		}
	}
}

// The Plug-in Registration Tool offers filtering attributes for Create, CreateMultiple,
// Update and UpdateMultiple.
func TestCheckFilteringAttributes(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"Create", "CreateMultiple", "Update", "UpdateMultiple", "update", "createMULTIPLE"} {
		if err := CheckFilteringAttributes(m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	var re *RuleError
	if err := CheckFilteringAttributes("Delete"); !errors.As(err, &re) || re.Field != FieldFilteringAttributes {
		t.Errorf("Delete: %v", err)
	}
}

func TestDefaultStepName(t *testing.T) {
	t.Parallel()
	if got := DefaultStepName("hook", "Update", "account"); got != "hook: Update of account" {
		t.Errorf("got %q", got)
	}
	if got := DefaultStepName("hook", "WhoAmI", ""); got != "hook: WhoAmI of any Entity" {
		t.Errorf("got %q", got)
	}
	long := DefaultStepName(strings.Repeat("é", 300), "Update", "account")
	if n := len([]rune(long)); n != MaxStepNameLength {
		t.Errorf("%d characters", n)
	}
	// Dataverse counts UTF-16 code units: 128 emoji fill a webhook name, and the step's default
	// name is cut to 256 units, never inside a character.
	emoji := DefaultStepName(strings.Repeat("😀", 128), "Update", "account")
	if n := TextLength(emoji); n != MaxStepNameLength || emoji != strings.Repeat("😀", 128) {
		t.Errorf("%d units: %q", n, emoji)
	}
	odd := DefaultStepName("a"+strings.Repeat("😀", 128), "Update", "account")
	if n := TextLength(odd); n != MaxStepNameLength-1 || odd != "a"+strings.Repeat("😀", 127) {
		t.Errorf("%d units: %q", n, odd)
	}
}

func TestSenderRules(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"Content-Type", "host", "USER-AGENT", "Proxy-Connection"} {
		if !IsRestrictedHeader(h) {
			t.Errorf("%s is restricted", h)
		}
	}
	if IsRestrictedHeader("x-api-key") || IsRestrictedHeader("Authorization") {
		t.Error("ordinary headers are not restricted")
	}
	for in, want := range map[string]string{
		"https://fn.example.net/api/":    "https://fn.example.net/api",
		" https://fn.example.net/api// ": "https://fn.example.net/api",
		"https://fn.example.net/api?x=1": "https://fn.example.net/api?x=1",
	} {
		if got := DeliveredURL(in); got != want {
			t.Errorf("DeliveredURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// everyRuleError is one error of each rule, and of each wording a rule has.
func everyRuleError() []error {
	return []error{
		CheckImage("Retrieve", StepStagePostOperation, ImageTypePreImage),
		CheckImage("Create", StepStagePostOperation, ImageTypePreImage),
		CheckImage("Create", StepStagePreOperation, ImageTypePreImage),
		CheckImage("Delete", StepStagePostOperation, ImageTypePostImage),
		CheckImage("Update", StepStagePreOperation, ImageTypePostImage),
		CheckFilteringAttributes("Delete"),
		CheckStepMode(StepModeAsynchronous, StepStagePreOperation),
		CheckAsyncAutoDelete(StepModeSynchronous, true),
	}
}

// The rules write the columns they name as {column}: Text names each as its caller says, and
// Error as Dataverse does, so no caller's names (Terraform's, say) are the client's.
func TestRuleErrorNamesColumnsAsTheCallerSays(t *testing.T) {
	t.Parallel()
	for _, err := range everyRuleError() {
		var re *RuleError
		if !errors.As(err, &re) {
			t.Fatalf("%v is not a rule error", err)
		}
		var named []string
		summary, detail := re.Text(func(column string) string {
			named = append(named, column)
			return "<" + column + ">"
		})
		if strings.ContainsAny(summary+detail, "{}") {
			t.Errorf("%q / %q: a column left unnamed", summary, detail)
		}
		for _, column := range named {
			if !slices.Contains(stepColumns, column) && !slices.Contains(stepImageColumns, column) && column != "message" {
				t.Errorf("%q names %q, which is no column of a step or an image, nor the step's message", re.Summary, column)
			}
		}
		if msg := err.Error(); strings.Contains(msg, "_") || strings.ContainsAny(msg, "{}<>") {
			t.Errorf("Error() = %q: want the columns as Dataverse names them", msg)
		}
	}
	re := &RuleError{Summary: "{mode} and {stage}", Problem: "p {asyncautodelete}.", Fix: "f."}
	if s, d := re.Text(strings.ToUpper); s != "MODE and STAGE" || d != "p ASYNCAUTODELETE. f." {
		t.Errorf("Text = %q, %q", s, d)
	}
	// A name the caller chose is quoted in the text and not taken for a column.
	for _, message := range []string{"{mode}", `say "{stage}"`, `back\{mode}`} {
		err := CheckFilteringAttributes(message)
		if !errors.As(err, &re) {
			t.Fatalf("CheckFilteringAttributes(%q) = %v", message, err)
		}
		if _, d := re.Text(strings.ToUpper); !strings.Contains(d, strconv.Quote(message)) {
			t.Errorf("message %q rewritten: %q", message, d)
		}
	}
}
