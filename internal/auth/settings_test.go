package auth

import (
	"fmt"
	"reflect"
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
		field := reflect.ValueOf(c).FieldByName(string(f.setting))
		if !field.IsValid() {
			t.Errorf("%s names no field of Config", f.setting)
		} else if got := fmt.Sprint(field.Interface()); got != want {
			t.Errorf("Set(%s, %q) leaves the field %s holding %q", f.setting, want, f.setting, got)
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
	if err := c.Set(UseMSI, "yes"); err == nil {
		t.Error("Set took \"yes\" for a switch")
	}
}

// TestSecretSettingsAreTheCredentials names the credentials outright, so that a setting that
// loses its secret mark, or a new credential left unmarked, fails here rather than showing in
// an error or a log.
func TestSecretSettingsAreTheCredentials(t *testing.T) {
	t.Parallel()
	want := []Setting{ClientSecret, ClientCertificate, ClientCertificatePassword, OIDCToken, OIDCRequestToken}
	var got []Setting
	for _, f := range settingFields {
		if f.setting.Secret() {
			got = append(got, f.setting)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("secret settings %v, want %v", got, want)
	}
}

func TestZeroConfigErrorExplains(t *testing.T) {
	t.Parallel()
	var e ConfigError
	if e.Error() == "" {
		t.Error("a zero ConfigError has no message")
	}
}
