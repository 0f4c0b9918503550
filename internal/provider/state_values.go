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

// sameModel reports whether two pointers to the same struct of attr.Value fields (and structs
// of them embedded) hold equal values.
func sameModel(a, b any) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	return va.Type() == vb.Type() && sameFields(va, vb)
}

func sameFields(va, vb reflect.Value) bool {
	for i := range va.NumField() {
		if f := va.Type().Field(i); f.Anonymous && f.Type.Kind() == reflect.Struct {
			if !sameFields(va.Field(i), vb.Field(i)) {
				return false
			}
			continue
		}
		x, okX := va.Field(i).Interface().(attr.Value)
		y, okY := vb.Field(i).Interface().(attr.Value)
		if !okX || !okY || !x.Equal(y) {
			return false
		}
	}
	return true
}
