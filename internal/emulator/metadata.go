package emulator

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
)

// attributesPath is the metadata request for the columns of one table:
// EntityDefinitions(LogicalName='account')/Attributes. Keys of the alternate form
// EntityDefinitions(<MetadataId>) are not emulated.
var attributesPath = regexp.MustCompile(`^EntityDefinitions\(LogicalName='([^']*)'\)/Attributes$`)

// attributeTypes are the @odata.type of each kind's AttributeMetadata.
var attributeTypes = map[kind]string{
	kindGUID:     "#Microsoft.Dynamics.CRM.UniqueIdentifierAttributeMetadata",
	kindString:   "#Microsoft.Dynamics.CRM.StringAttributeMetadata",
	kindMemo:     "#Microsoft.Dynamics.CRM.MemoAttributeMetadata",
	kindInt:      "#Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
	kindBigInt:   "#Microsoft.Dynamics.CRM.BigIntAttributeMetadata",
	kindBool:     "#Microsoft.Dynamics.CRM.BooleanAttributeMetadata",
	kindChoice:   "#Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
	kindDateTime: "#Microsoft.Dynamics.CRM.DateTimeAttributeMetadata",
	kindLookup:   "#Microsoft.Dynamics.CRM.LookupAttributeMetadata",
	kindDouble:   "#Microsoft.Dynamics.CRM.DoubleAttributeMetadata",
}

// serveAttributes answers the metadata request for a table's columns, with each column's
// LogicalName, MetadataId and type, as Dataverse does (a $select narrows what Dataverse
// returns but LogicalName, MetadataId and @odata.type always come back).
func (e *Emulator) serveAttributes(c *call, logical string) {
	if c.r.Method != http.MethodGet {
		writeAPIError(c.w, methodNotAllowed(c.r.Method))
		return
	}
	var t *table
	for _, candidate := range e.schema {
		if candidate.logical == logical {
			t = candidate
		}
	}
	if t == nil {
		writeAPIError(c.w, newError(http.StatusNotFound, codeObjectDoesNotExist,
			"Could not find an entity with specified entity name: '%s'.", logical))
		return
	}
	names := slices.Sorted(maps.Keys(t.cols))
	value := make([]map[string]any, 0, len(names))
	for _, name := range names {
		value = append(value, map[string]any{
			"@odata.type": attributeTypes[t.cols[name].kind],
			"LogicalName": name,
			"MetadataId":  stableGUID("attribute", logical+"."+name),
		})
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"@odata.context": c.base + "/$metadata#EntityDefinitions('" + url.PathEscape(logical) + "')/Attributes(LogicalName)",
		"value":          value,
	})
}
