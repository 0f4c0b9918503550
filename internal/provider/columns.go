package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider/validators"
)

// columnList is a set of column names in the configuration and where it is: an attribute of its
// own, whose elements diagnostics point at, or one inside a list element (an image's), whose
// diagnostics go on the list (see imagesPath) with the detail naming the set (of).
type columnList struct {
	at      path.Path
	of      string
	columns []string
}

// columnsAt is the configured set at as the column lists to check: none when it is null,
// unknown or empty.
func columnsAt(ctx context.Context, at path.Path, of string, set types.Set, diags *diag.Diagnostics) []columnList {
	if cols := setStrings(ctx, set, diags); len(cols) > 0 {
		return []columnList{{at: at, of: of, columns: cols}}
	}
	return nil
}

// checkColumns refuses column names the table does not have, with the nearest real column.
// Dataverse accepts any name in filteringattributes and an image's attributes, and a step
// filtered on a misspelled column then never fires. One metadata request per table and
// provider process; a table Dataverse does not know is left to the message and table check.
func checkColumns(ctx context.Context, client *dataverse.Client, table string, lists []columnList, diags *diag.Diagnostics) {
	if table == "" || len(lists) == 0 {
		return
	}
	known, err := client.TableColumns(ctx, table)
	switch {
	case errors.Is(err, dataverse.ErrNotFound):
		return
	case err != nil:
		diags.AddError("Could not read the columns of the table",
			apiErrorDetail(fmt.Sprintf("Reading the column metadata of table %q (EntityDefinitions(LogicalName='%s')/Attributes), to check the "+
				"column names in the configuration", table, table), err)+
				"\n\nThe identity the provider signs in as needs read access to table metadata (any security role grants it).")
		return
	}
	for _, l := range lists {
		for _, col := range l.columns {
			if _, found := slices.BinarySearch(known, strings.ToLower(col)); found {
				continue
			}
			detail := fmt.Sprintf("Table %q has no column %q (a column's logical name, such as telephone1, not its display name).", table, col)
			if c := validators.Closest(col, known); c != "" {
				detail += fmt.Sprintf(" Did you mean %q?", c)
			}
			detail += " Dataverse would accept the name and never match it."
			at := l.at.AtSetValue(types.StringValue(col))
			if l.of != "" {
				at, detail = l.at, upperFirst(l.of)+": "+detail
			}
			diags.AddAttributeError(at, "Unknown column", detail)
		}
	}
}

// stepColumnLists gathers the column names of a step's plan: its filtering attributes and the
// attributes of its images, when they changed since state.
func stepColumnLists(ctx context.Context, plan webhookStepModel, state *webhookStepModel, diags *diag.Diagnostics) []columnList {
	tableChanged := state == nil || !plan.Table.Equal(state.Table)
	var lists []columnList
	if tableChanged || !plan.FilteringAttributes.Equal(state.FilteringAttributes) {
		lists = append(lists, columnsAt(ctx, path.Root("filtering_attributes"), "", plan.FilteringAttributes, diags)...)
	}
	var prior map[string]stepImageEntry
	if state != nil && !tableChanged {
		prior = byAlias(imageEntries(ctx, state.Images, diags))
	}
	for i, e := range imageEntries(ctx, plan.Images, diags) {
		if old, ok := prior[e.Alias.ValueString()]; ok && old.Attributes.Equal(e.Attributes) {
			continue
		}
		lists = append(lists, columnsAt(ctx, imagesPath, imageField(i, e.Alias, "attributes"), e.Attributes, diags)...)
	}
	return lists
}

// columnSet turns a stored column list into the set for state: prior when it names the same
// columns as stored, else the stored columns folded (in lower case, each once), since Dataverse
// compares column names without case; null when none are stored. Steps, images, the data
// sources and the list resources all read column lists through it.
func columnSet(ctx context.Context, prior types.Set, stored []string, diags *diag.Diagnostics) types.Set {
	cols := dataverse.FoldColumns(stored)
	if len(cols) == 0 {
		return types.SetNull(types.StringType)
	}
	if dataverse.SameColumns(setStrings(ctx, prior, diags), stored) {
		return prior
	}
	v, d := types.SetValueFrom(ctx, types.StringType, cols)
	diags.Append(d...)
	return v
}

// setStrings returns the elements of a known set, sorted, or nil for null/unknown: a configured
// column list as the client takes it.
func setStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || !known(s) {
		return nil
	}
	var out []string
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	slices.Sort(out)
	return out
}
