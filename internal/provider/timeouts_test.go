package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	resourcetimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// storedModel is a state whose Get hands back the model it holds.
type storedModel struct{ timeouts resourcetimeouts.Value }

func (s storedModel) Get(_ context.Context, target any) diag.Diagnostics {
	target.(*struct{ Timeouts resourcetimeouts.Value }).Timeouts = s.timeouts //nolint:forcetypeassert // the test's own model
	return nil
}

// A timeout of zero or less stored before validate refused it would end every refresh at once,
// and a refresh reads it from the state, where the configuration cannot mend it: the operation
// takes the default instead.
func TestStoredTimeoutOfZeroOrLessTakesTheDefault(t *testing.T) {
	t.Parallel()
	b := newBackend(t)
	client, _ := countingClient(t, b)
	base := &resourceBase{data: &providerData{client: client}}
	for _, stored := range []string{"-5s", "0s", "2m"} {
		str := types.StringValue(stored)
		obj := types.ObjectValueMust(
			map[string]attr.Type{"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType},
			map[string]attr.Value{"create": types.StringNull(), "read": str, "update": types.StringNull(), "delete": types.StringNull()})
		var m struct{ Timeouts resourcetimeouts.Value }
		var diags diag.Diagnostics
		ctx, cancel, got := base.startOperation(context.Background(), storedModel{resourcetimeouts.Value{Object: obj}}, &m, &m.Timeouts, opRead, &diags)
		deadline, ok := ctx.Deadline()
		cancel()
		if diags.HasError() || got == nil || !ok {
			t.Fatalf("stored read %s: %v, client %v, deadline %v", stored, diags, got, ok)
		}
		want := defaultTimeout
		if stored == "2m" {
			want = 2 * time.Minute
		}
		if left := time.Until(deadline); left > want || left < want-time.Minute {
			t.Errorf("stored read %s: the read may take %s, want %s", stored, left.Round(time.Second), want)
		}
	}
}

// A resource's read timeout comes from the state on refresh, so its message says how to store a
// raised one; a data source's comes from the configuration.
func TestReadTimeoutRanOutSaysWhereTheValueComesFrom(t *testing.T) {
	t.Parallel()
	const fix = "store a raised one with terraform apply -refresh=false"
	for _, tc := range []struct {
		ran  timeoutRanOut
		says bool
	}{
		{timeoutRanOut{name: "read", limit: time.Second, resource: true}, true},
		{timeoutRanOut{name: "read", limit: time.Second}, false},
		{timeoutRanOut{name: "create", limit: time.Second, resource: true}, false},
	} {
		if got := tc.ran.Error(); strings.Contains(got, fix) != tc.says || !strings.Contains(got, "raise timeouts."+tc.ran.name) {
			t.Errorf("%+v: %q", tc.ran, got)
		}
	}
}
