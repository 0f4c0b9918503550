package validators

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	tables := []string{"account", "contact", "lead", "opportunity"}
	cases := map[string]string{"acount": "account", "Contacts": "contact", "opportunities": "opportunity", "zzzzzzzz": ""}
	for in, want := range cases {
		if got := Closest(in, tables); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	messages := []string{"Associate", "Create", "Delete", "Update", "UpdateMultiple"}
	for in, want := range map[string]string{"Frobnicate": "", "Updte": "Update", "delet": "Delete", "Creat": "Create", "UpdateMultipel": "UpdateMultiple"} {
		if got := Closest(in, messages); got != want {
			t.Errorf("Closest(%q) among messages = %q, want %q", in, got, want)
		}
	}
}
