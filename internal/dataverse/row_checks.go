package dataverse

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/untrusted"
)

// checkRows refuses a decoded row, or a struct it expands, whose id columns hold anything but
// a GUID or, for a lookup, nothing (null). Id columns are the string fields whose JSON name ends in
// "id" (a key, such as serviceendpointid) or is a lookup's _<name>_value. Ids from rows go into
// URLs, errors and the import commands the provider suggests, so a hostile server must not be
// able to put text of its choosing there. The error names the column, never the value.
//
// The other text columns, which go into state and so onto the terminal, lose what could rewrite
// it (untrusted.WithoutControls): row must then be a pointer or a slice, whose fields can be set.
func checkRows(what string, row any) error {
	if column := vetRow(reflect.ValueOf(row)); column != "" {
		return fmt.Errorf("dataverse: %s: the server returned a row whose %s is not a GUID; refusing it", what, column)
	}
	return nil
}

// vetRow cleans the text columns of v and returns the first id column that is not a GUID.
func vetRow(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			if column := vetRow(v.Index(i)); column != "" {
				return column
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Type.Kind() == reflect.String {
				field := v.Field(i)
				s := field.String()
				switch {
				case s == "":
					// Only a lookup may be null: a row's own key (its ID field) never is, and an
					// empty one would go into state as the id of the row.
					if f.Name == "ID" && isIDColumn(name) {
						return name
					}
				case isIDColumn(name):
					if !IsGUID(s) {
						return name
					}
				case field.CanSet():
					if clean := untrusted.WithoutControls(s); clean != s {
						field.SetString(clean)
					}
				}
				continue
			}
			if column := vetRow(v.Field(i)); column != "" {
				return column
			}
		}
	}
	return ""
}

// notGUIDColumns end in "id" but hold no GUID: asyncoperation's hostid names the async service
// host that ran the job ("AMS705A1000001.MSCRMAsyncService.…" in a live row).
var notGUIDColumns = []string{"hostid"}

func isIDColumn(name string) bool {
	if strings.Contains(name, "@") || slices.Contains(notGUIDColumns, name) {
		return false // an annotation, such as a lookup's logical name, or a column above
	}
	return strings.HasSuffix(name, "id") || (strings.HasPrefix(name, "_") && strings.HasSuffix(name, "_value"))
}
