package dataverse

import (
	"fmt"
	"strconv"
	"strings"
)

// enumName is one named value of a Dataverse choice column.
type enumName[T ~int] struct {
	value T
	name  string
}

func enumString[T ~int](names []enumName[T], v T, typeName string) string {
	for _, n := range names {
		if n.value == v {
			return n.name
		}
	}
	return typeName + "(" + strconv.Itoa(int(v)) + ")"
}

func enumParse[T ~int](names []enumName[T], s, what string) (T, error) {
	for _, n := range names {
		if n.name == s {
			return n.value, nil
		}
	}
	return 0, fmt.Errorf("dataverse: %q is not a valid %s; expected one of %s", s, what, strings.Join(enumNames(names), ", "))
}

// enumParseStored also takes back what enumString gives a value it has no name for, such as
// "StepStage(30)": a refresh stores that for a row Dataverse holds, and an update must know the
// stored value to tell whether the configured one differs from it. A value that has a name is
// only ever stored by its name, so its numeric form is refused.
func enumParseStored[T ~int](names []enumName[T], s, typeName, what string) (T, error) {
	if inner, ok := strings.CutPrefix(s, typeName+"("); ok {
		if digits, ok := strings.CutSuffix(inner, ")"); ok {
			if v, err := strconv.Atoi(digits); err == nil && strconv.Itoa(v) == digits && !enumValid(names, T(v)) {
				return T(v), nil
			}
		}
	}
	return enumParse(names, s, what)
}

func enumNames[T ~int](names []enumName[T]) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.name
	}
	return out
}

func enumValid[T ~int](names []enumName[T], v T) bool {
	for _, n := range names {
		if n.value == v {
			return true
		}
	}
	return false
}

// AuthType is serviceendpoint.authtype for a webhook.
type AuthType int

const (
	AuthTypeWebhookKey      AuthType = 4 // the secret is sent as ?code=<value>
	AuthTypeHTTPHeader      AuthType = 5 // the secret is name/value pairs sent as headers
	AuthTypeHTTPQueryString AuthType = 6 // the secret is name/value pairs sent as query parameters
)

var authTypeNames = []enumName[AuthType]{
	{AuthTypeWebhookKey, "WebhookKey"},
	{AuthTypeHTTPHeader, "HttpHeader"},
	{AuthTypeHTTPQueryString, "HttpQueryString"},
}

func (t AuthType) String() string { return enumString(authTypeNames, t, "AuthType") }

// ParseAuthType parses a name from AuthTypeNames, exactly as spelled there.
func ParseAuthType(s string) (AuthType, error) {
	return enumParse(authTypeNames, s, "auth type")
}

// AuthTypeNames lists the auth type names in value order.
func AuthTypeNames() []string { return enumNames(authTypeNames) }

func (t AuthType) valid() bool { return enumValid(authTypeNames, t) }

// StepMode is sdkmessageprocessingstep.mode.
type StepMode int

const (
	StepModeSynchronous  StepMode = 0
	StepModeAsynchronous StepMode = 1
)

var stepModeNames = []enumName[StepMode]{
	{StepModeSynchronous, "Synchronous"},
	{StepModeAsynchronous, "Asynchronous"},
}

func (m StepMode) String() string { return enumString(stepModeNames, m, "StepMode") }

// ParseStepMode parses a name from StepModeNames, exactly as spelled there.
func ParseStepMode(s string) (StepMode, error) {
	return enumParse(stepModeNames, s, "step mode")
}

// ParseStoredStepMode parses what a refresh stored for mode: a name, or what String gives a
// mode without one.
func ParseStoredStepMode(s string) (StepMode, error) {
	return enumParseStored(stepModeNames, s, "StepMode", "step mode")
}

// StepModeNames lists the step mode names in value order.
func StepModeNames() []string { return enumNames(stepModeNames) }

func (m StepMode) valid() bool { return enumValid(stepModeNames, m) }

// StepStage is sdkmessageprocessingstep.stage; only the stages open to registered steps.
type StepStage int

const (
	StepStagePreValidation StepStage = 10
	StepStagePreOperation  StepStage = 20
	StepStagePostOperation StepStage = 40
)

var stepStageNames = []enumName[StepStage]{
	{StepStagePreValidation, "PreValidation"},
	{StepStagePreOperation, "PreOperation"},
	{StepStagePostOperation, "PostOperation"},
}

func (s StepStage) String() string { return enumString(stepStageNames, s, "StepStage") }

// ParseStepStage parses a name from StepStageNames, exactly as spelled there.
func ParseStepStage(s string) (StepStage, error) {
	return enumParse(stepStageNames, s, "step stage")
}

// ParseStoredStepStage parses what a refresh stored for stage: a name, or what String gives a
// stage without one.
func ParseStoredStepStage(s string) (StepStage, error) {
	return enumParseStored(stepStageNames, s, "StepStage", "step stage")
}

// StepStageNames lists the step stage names in value order.
func StepStageNames() []string { return enumNames(stepStageNames) }

func (s StepStage) valid() bool { return enumValid(stepStageNames, s) }

// ImageType is sdkmessageprocessingstepimage.imagetype.
type ImageType int

const (
	ImageTypePreImage  ImageType = 0
	ImageTypePostImage ImageType = 1
	ImageTypeBoth      ImageType = 2
)

var imageTypeNames = []enumName[ImageType]{
	{ImageTypePreImage, "PreImage"},
	{ImageTypePostImage, "PostImage"},
	{ImageTypeBoth, "Both"},
}

func (t ImageType) String() string { return enumString(imageTypeNames, t, "ImageType") }

// ParseImageType parses a name from ImageTypeNames, exactly as spelled there.
func ParseImageType(s string) (ImageType, error) {
	return enumParse(imageTypeNames, s, "image type")
}

// ImageTypeNames lists the image type names in value order.
func ImageTypeNames() []string { return enumNames(imageTypeNames) }

func (t ImageType) valid() bool { return enumValid(imageTypeNames, t) }
