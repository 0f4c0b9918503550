package dataverse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

type attributeMetadataRow struct {
	LogicalName string `json:"LogicalName"`
}

// TableColumns returns, sorted, the logical names of the columns of the table, from the table's
// attribute metadata (EntityDefinitions(LogicalName='…')/Attributes), read once per table and
// client. A table Dataverse does not know gives an error matching ErrNotFound.
func (c *Client) TableColumns(ctx context.Context, table string) ([]string, error) {
	if !logicalName.MatchString(table) {
		return nil, fmt.Errorf("dataverse: %q is not a table logical name", table)
	}
	key := strings.ToLower(table)
	names, err := c.columns.read(ctx, key, "reading the columns of table "+strconv.Quote(table), func(ctx context.Context) ([]string, error) {
		rows, err := getCollection[attributeMetadataRow](ctx, c, &request{
			path:  "EntityDefinitions(LogicalName='" + key + "')/Attributes",
			query: query{}.with("$select", "LogicalName"),
		}, 0)
		if err != nil {
			return nil, fmt.Errorf("dataverse: reading the columns of table %q: %w", table, err)
		}
		names := make([]string, 0, len(rows))
		for _, r := range rows {
			names = append(names, strings.ToLower(r.LogicalName))
		}
		slices.Sort(names)
		return names, nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Clone(names), nil
}

// cleanColumns is a column list as the client writes it (filteringattributes, an image's
// attributes): names trimmed and in lower case, empty ones and repeats dropped, order kept.
// Logical names are lower case, and Dataverse keys an image's values by the names it holds, so a
// name written as typed ("Name") would carry no value.
func cleanColumns(cols []string) []string {
	out := splitColumns(strings.ToLower(strings.Join(cols, ",")))
	seen := make(map[string]bool, len(out))
	return slices.DeleteFunc(out, func(c string) bool {
		repeat := seen[c]
		seen[c] = true
		return repeat
	})
}

// columnListValue is what the client writes to a column that holds a list of column names:
// the cleaned names joined by commas, or null when none are left.
func columnListValue(cols []string) any {
	return nullIfEmpty(joinColumns(cleanColumns(cols)))
}

// SameColumns reports whether two column lists name the same columns as Dataverse reads them:
// without case, order, repeats, surrounding spaces or empty entries. Two empty lists are the same.
func SameColumns(a, b []string) bool {
	return slices.Equal(FoldColumns(a), FoldColumns(b))
}

// FoldColumns is a column list as Dataverse reads it: names trimmed and in lower case, sorted,
// each once, empty ones dropped.
func FoldColumns(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
