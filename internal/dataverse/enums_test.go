package dataverse

import (
	"reflect"
	"strconv"
	"testing"
)

func TestEnums(t *testing.T) {
	t.Parallel()
	type enum struct {
		names  func() []string
		values []int
		str    func(int) string
		parse  func(string) (int, error)
	}
	enums := map[string]enum{
		"AuthType": {AuthTypeNames, []int{4, 5, 6}, func(v int) string { return AuthType(v).String() },
			func(s string) (int, error) { v, err := ParseAuthType(s); return int(v), err }},
		"StepMode": {StepModeNames, []int{0, 1}, func(v int) string { return StepMode(v).String() },
			func(s string) (int, error) { v, err := ParseStepMode(s); return int(v), err }},
		"StepStage": {StepStageNames, []int{10, 20, 40}, func(v int) string { return StepStage(v).String() },
			func(s string) (int, error) { v, err := ParseStepStage(s); return int(v), err }},
		"ImageType": {ImageTypeNames, []int{0, 1, 2}, func(v int) string { return ImageType(v).String() },
			func(s string) (int, error) { v, err := ParseImageType(s); return int(v), err }},
	}
	wantNames := map[string][]string{
		"AuthType":  {"WebhookKey", "HttpHeader", "HttpQueryString"},
		"StepMode":  {"Synchronous", "Asynchronous"},
		"StepStage": {"PreValidation", "PreOperation", "PostOperation"},
		"ImageType": {"PreImage", "PostImage", "Both"},
	}
	for typeName, e := range enums {
		names := e.names()
		if !reflect.DeepEqual(names, wantNames[typeName]) {
			t.Errorf("%sNames() = %v, want %v", typeName, names, wantNames[typeName])
		}
		for i, v := range e.values {
			if got := e.str(v); got != names[i] {
				t.Errorf("%s(%d).String() = %q, want %q", typeName, v, got, names[i])
			}
			if got, err := e.parse(names[i]); err != nil || got != v {
				t.Errorf("Parse%s(%q) = %d, %v", typeName, names[i], got, err)
			}
		}
		if got := e.str(99); got != typeName+"(99)" {
			t.Errorf("%s(99).String() = %q", typeName, got)
		}
		// A configuration holds names only: the form String gives a value without a name is
		// refused, so no caller meets a value it has no name for.
		for _, bad := range []string{"Nonsense", typeName + "(99)", typeName + "(x)", typeName + "(+9)", typeName + "(9", "Other(9)", typeName + "(09)"} {
			if _, err := e.parse(bad); err == nil {
				t.Errorf("Parse%s accepted %q", typeName, bad)
			}
		}
	}
	// Names are taken as spelled: the configuration's validators refuse other spellings, and
	// a rule check that took them would contradict that refusal.
	if v, err := ParseAuthType("httpheader"); err == nil {
		t.Errorf("ParseAuthType(httpheader) = %v, want it refused", v)
	}
}

func TestStoredStepEnums(t *testing.T) {
	t.Parallel()
	stored := map[string]func(string) (int, error){
		"StepMode":  func(s string) (int, error) { v, err := ParseStoredStepMode(s); return int(v), err },
		"StepStage": func(s string) (int, error) { v, err := ParseStoredStepStage(s); return int(v), err },
	}
	named := map[string][]int{"StepMode": {0, 1}, "StepStage": {10, 20, 40}}
	for typeName, parse := range stored {
		// A refresh stores a value without a name as String gives it; it must come back.
		if got, err := parse(typeName + "(30)"); err != nil || got != 30 {
			t.Errorf("ParseStored%s(%q) = %d, %v; want 30", typeName, typeName+"(30)", got, err)
		}
		bad := []string{"Nonsense", typeName + "(x)", typeName + "(+9)", typeName + "(9", "Other(9)", typeName + "(09)", typeName + "( 9)"}
		for _, v := range named[typeName] {
			// A value with a name is stored by its name, never by its number.
			bad = append(bad, typeName+"("+strconv.Itoa(v)+")")
		}
		for _, b := range bad {
			if _, err := parse(b); err == nil {
				t.Errorf("ParseStored%s accepted %q", typeName, b)
			}
		}
	}
	if v, err := ParseStoredStepStage("PostOperation"); err != nil || v != StepStagePostOperation {
		t.Errorf("ParseStoredStepStage(PostOperation) = %v, %v", v, err)
	}
	if v, err := ParseStoredStepStage("postoperation"); err == nil {
		t.Errorf("ParseStoredStepStage(postoperation) = %v, want it refused", v)
	}
	if v, err := ParseStoredStepMode("Synchronous"); err != nil || v != StepModeSynchronous {
		t.Errorf("ParseStoredStepMode(Synchronous) = %v, %v", v, err)
	}
}
