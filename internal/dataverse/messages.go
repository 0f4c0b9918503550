package dataverse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

const (
	setMessageFilters = "sdkmessagefilters"
	setMessages       = "sdkmessages"
	// tableNone is primaryobjecttypecode of a filter not bound to a table.
	tableNone = "none"
)

// MessageFilter is the sdkmessagefilter row for a message and table, with the ids a step binds.
type MessageFilter struct {
	MessageID, FilterID string
	Message, Table      string // Table "" is the "none" filter
	CustomStepsAllowed  bool
}

// catalog remembers facts that never change for the life of the process: which filter id is
// which message and table.
type catalog struct {
	pairs answerCache[MessageFilter] // by filterKey

	mu         sync.Mutex
	filterByID map[string]MessageFilter // by lower-case filter id
}

// filterKey ignores case, as Dataverse does when it looks the pair up.
func filterKey(message, table string) string {
	return strings.ToLower(message) + "\x00" + strings.ToLower(table)
}

func (k *catalog) rememberFilterID(f MessageFilter) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rememberFilterIDLocked(f)
}

func (k *catalog) rememberFilterIDLocked(f MessageFilter) {
	if k.filterByID == nil {
		k.filterByID = map[string]MessageFilter{}
	}
	k.filterByID[strings.ToLower(f.FilterID)] = f
}

// rememberFilterNames records what a step read (with its expansions) says about a filter.
func (k *catalog) rememberFilterNames(filterID, messageID, message, table string) {
	if filterID == "" || message == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.filterByID[strings.ToLower(filterID)]; ok {
		return
	}
	k.rememberFilterIDLocked(MessageFilter{FilterID: filterID, MessageID: messageID, Message: message, Table: table})
}

func (k *catalog) filterByFilterID(id string) (MessageFilter, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f, ok := k.filterByID[strings.ToLower(id)]
	return f, ok
}

// ResolveMessageFilter finds the message and filter ids for a message name and table logical
// name (table "" means the "none" filter) in one request. Answers are cached for the life of the
// client, and concurrent callers asking for the same pair share one request. A pair with no
// filter gives an error matching ErrNotFound.
func (c *Client) ResolveMessageFilter(ctx context.Context, message, table string) (*MessageFilter, error) {
	if message == "" {
		return nil, fmt.Errorf("dataverse: a message name is required")
	}
	f, err := c.catalog.pairs.read(ctx, filterKey(message, table),
		fmt.Sprintf("resolving message %q on table %q", message, table), func(ctx context.Context) (MessageFilter, error) {
			f, err := c.fetchMessageFilter(ctx, message, table)
			if err == nil {
				c.catalog.rememberFilterID(f)
			}
			return f, err
		})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// codeEntityNotInMetadata is Dataverse's answer (HTTP 400) to a table name it does not know in
// an EntityName column of a $filter, such as sdkmessagefilters.primaryobjecttypecode.
const codeEntityNotInMetadata = "0x80041102"

// ErrUnknownTable matches (errors.Is) the error of ResolveMessageFilter for a table the
// environment does not have. It also matches ErrNotFound.
var ErrUnknownTable = fmt.Errorf("%w: no such table", ErrNotFound)

func (c *Client) fetchMessageFilter(ctx context.Context, message, table string) (MessageFilter, error) {
	// A table-less message's filters are selected by message alone and the "none" one picked
	// here: whether Dataverse accepts primaryobjecttypecode eq 'none' is unproven.
	filter := "sdkmessageid/name eq " + QuoteString(message)
	if table != "" {
		filter = "primaryobjecttypecode eq " + QuoteString(table) + " and " + filter
	}
	rows, err := getCollection[messageFilterRow](ctx, c, &request{
		path:  setMessageFilters,
		query: query{}.with("$filter", filter).with("$select", joinColumns(messageFilterCols)).with("$expand", "sdkmessageid($select=name)"),
	}, 0)
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest && strings.EqualFold(apiErr.Code, codeEntityNotInMetadata) {
		// Dataverse answers an unknown table with 400, not with an empty list.
		return MessageFilter{}, fmt.Errorf("dataverse: no message filter for message %q on table %q: %w", message, table, ErrUnknownTable)
	}
	if err != nil {
		return MessageFilter{}, err
	}
	if table == "" {
		rows = slices.DeleteFunc(rows, func(r messageFilterRow) bool { return !strings.EqualFold(r.PrimaryObjectTypeCode, tableNone) })
	}
	if len(rows) == 0 {
		return MessageFilter{}, fmt.Errorf("dataverse: no message filter for message %q on table %q: %w", message, displayTable(table), ErrNotFound)
	}
	// Several filters can share a message and table (they differ in secondary table); prefer
	// one open to custom steps.
	best := rows[0]
	for _, row := range rows {
		if row.CustomStepsAllowed {
			best = row
			break
		}
	}
	if table != "" && best.PrimaryObjectTypeCode != "" {
		table = best.PrimaryObjectTypeCode // as the catalog spells it
	}
	if best.Message != nil && best.Message.Name != "" {
		message = best.Message.Name // names compare without case in $filter
	}
	return MessageFilter{
		MessageID:          best.MessageID,
		FilterID:           best.ID,
		Message:            message,
		Table:              table,
		CustomStepsAllowed: best.CustomStepsAllowed,
	}, nil
}

func displayTable(table string) string {
	if table == "" {
		return tableNone
	}
	return table
}

// ListMessageNames returns every sdkmessage name, sorted and without repeats. It serves
// "did you mean" hints after a failed ResolveMessageFilter.
func (c *Client) ListMessageNames(ctx context.Context) ([]string, error) {
	rows, err := getCollection[messageRow](ctx, c, &request{
		path:  setMessages,
		query: query{}.with("$select", joinColumns(messageNameColumns)),
	}, 0)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(rows))
	for _, row := range rows {
		if row.Name != "" {
			names = append(names, row.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// ListMessageTables returns the tables that have a filter for the message on which custom steps
// may be registered, sorted and without repeats; "" stands for the "none" filter.
func (c *Client) ListMessageTables(ctx context.Context, message string) ([]string, error) {
	if message == "" {
		return nil, fmt.Errorf("dataverse: a message name is required")
	}
	filter := "sdkmessageid/name eq " + QuoteString(message) + " and iscustomprocessingstepallowed eq true"
	rows, err := getCollection[messageFilterRow](ctx, c, &request{
		path:  setMessageFilters,
		query: query{}.with("$filter", filter).with("$select", "primaryobjecttypecode"),
	}, 0)
	if err != nil {
		return nil, err
	}
	tables := make([]string, 0, len(rows))
	for _, row := range rows {
		tables = append(tables, tableFromCode(row.PrimaryObjectTypeCode))
	}
	slices.Sort(tables)
	return slices.Compact(tables), nil
}

func tableFromCode(code string) string {
	if code == tableNone {
		return ""
	}
	return code
}
