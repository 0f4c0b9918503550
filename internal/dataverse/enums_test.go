package dataverse

import (
	"reflect"
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
		// A stored value without a name comes back as what String gave it.
		if got, err := e.parse(typeName + "(99)"); err != nil || got != 99 {
			t.Errorf("Parse%s(%q) = %d, %v; want 99", typeName, typeName+"(99)", got, err)
		}
		for _, bad := range []string{"Nonsense", typeName + "(x)", typeName + "(+9)", typeName + "(9", "Other(9)", typeName + "(09)"} {
			if _, err := e.parse(bad); err == nil {
				t.Errorf("Parse%s accepted %q", typeName, bad)
			}
		}
	}
	if v, err := ParseAuthType("httpheader"); err != nil || v != AuthTypeHTTPHeader {
		t.Errorf("ParseAuthType ignores case: got %v, %v", v, err)
	}
}
