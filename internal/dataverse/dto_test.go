package dataverse

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSelectedColumnsLeaveOutAnnotationsAndExpansions(t *testing.T) {
	type expanded struct {
		Name string `json:"name"`
	}
	type row struct {
		ID        string     `json:"rowid"`
		Owner     string     `json:"_ownerid_value"`
		OwnerType string     `json:"_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"`
		Created   *time.Time `json:"createdon"`
		Parent    *expanded  `json:"parentid"`
		Count     int        `json:"count,omitempty"`
		Local     string     `json:"-"`
		Untagged  string
	}
	got := selectedColumns[row]()
	if want := []string{"rowid", "_ownerid_value", "createdon", "count"}; !slices.Equal(got, want) {
		t.Errorf("selectedColumns = %v, want %v", got, want)
	}
}

// The real rows: a lookup's logical-name annotation and the expanded message are not selected.
func TestRowColumnsLeaveOutAnnotationsAndExpansions(t *testing.T) {
	if !slices.Contains(systemJobColumns, "_regardingobjectid_value") || slices.ContainsFunc(systemJobColumns, func(c string) bool { return strings.Contains(c, "@") }) {
		t.Errorf("systemJobColumns = %v: want the lookup, not its annotation", systemJobColumns)
	}
	if slices.Contains(messageFilterCols, "sdkmessageid") || !slices.Contains(messageFilterCols, "_sdkmessageid_value") {
		t.Errorf("messageFilterCols = %v: want the lookup's value, not the expanded message", messageFilterCols)
	}
	if !slices.Contains(stepColumns, "asyncautodelete") || slices.Contains(stepColumns, "eventhandler_serviceendpoint") {
		t.Errorf("stepColumns = %v: want the step's columns, not its expansions", stepColumns)
	}
}
