package provider

import (
	"context"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// stringOrNull maps Dataverse's empty strings to null, so an omitted optional attribute
// never shows a diff against "".
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// setReadState stores the model a Read made, unless it equals prior, the model of the state the
// framework already put in the response: a refresh of a thousand unchanged rows then encodes
// nothing, and encoding a model costs the framework twice what decoding it does. Both are
// pointers to the same struct of attr.Value fields.
func setReadState(ctx context.Context, state *tfsdk.State, prior, current any) diag.Diagnostics {
	if sameModel(prior, current) {
		return nil
	}
	return state.Set(ctx, current)
}

// sameModel reports whether two pointers to the same struct of attr.Value fields hold equal values.
func sameModel(a, b any) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		return false
	}
	for i := range va.NumField() {
		x, okX := va.Field(i).Interface().(attr.Value)
		y, okY := vb.Field(i).Interface().(attr.Value)
		if !okX || !okY || !x.Equal(y) {
			return false
		}
	}
	return true
}
