package auth

import (
	"slices"
	"testing"
)

// TestRequirementsNameKnownSettings checks that every setting a method requirement names is
// one Config stores, so that no error names a setting the caller cannot describe.
func TestRequirementsNameKnownSettings(t *testing.T) {
	t.Parallel()
	for _, r := range methodRequirements {
		named := slices.Concat(r.ChosenBy, r.Required, slices.Concat(r.OneOf...))
		if r.Switch != "" {
			named = append(named, r.Switch)
		}
		for s, alt := range r.Implies {
			named = append(append(named, s), alt...)
			if !slices.ContainsFunc(r.OneOf, func(o []Setting) bool { return slices.Equal(o, alt) }) {
				t.Errorf("%s: %s implies %v, which is none of its alternatives", r.Method, s, alt)
			}
		}
		for _, s := range named {
			if _, ok := fieldOf(s); !ok {
				t.Errorf("%s names %q, which Config does not store", r.Method, s)
			}
		}
	}
	for _, s := range switchOrder {
		if !s.IsSwitch() {
			t.Errorf("switchOrder holds %s, which is no switch", s)
		}
	}
}

// TestSetStoresEachSetting checks that Set writes the field values reads, for every setting,
// and that Secrets returns exactly the credentials set.
func TestSetStoresEachSetting(t *testing.T) {
	t.Parallel()
	for _, f := range settingFields {
		var c Config
		want := "value of " + string(f.setting)
		if f.on != nil {
			want = "true"
		}
		if err := c.Set(f.setting, want); err != nil {
			t.Fatalf("Set(%s): %v", f.setting, err)
		}
		values := c.values()
		for s, v := range values {
			if s == f.setting && v != want {
				t.Errorf("Set(%s, %q) then reads %q", s, want, v)
			}
			if s != f.setting && v != "" {
				t.Errorf("Set(%s) also set %s to %q", f.setting, s, v)
			}
		}
		if got := c.Secrets(); f.secret != (len(got) == 1 && got[0] == want) || (!f.secret && len(got) != 0) {
			t.Errorf("Set(%s) then Secrets() = %v; secret %v", f.setting, got, f.secret)
		}
	}
	var c Config
	if err := c.Set(Setting("NoSuchSetting"), "x"); err == nil {
		t.Error("Set accepted a setting Config does not store")
	}
	if err := c.Set(UseMSI, "false"); err != nil || c.UseMSI {
		t.Errorf("Set(UseMSI, false) = %v, UseMSI %v", err, c.UseMSI)
	}
}
