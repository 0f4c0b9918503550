package dataverse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	setSteps     = "sdkmessageprocessingsteps"
	setUsers     = "systemusers"
	navEndpoints = "serviceendpoint_sdkmessageprocessingstep"
)

// Step state values, set together.
const (
	stepStateEnabled   = 0
	stepStatusEnabled  = 1
	stepStateDisabled  = 1
	stepStatusDisabled = 2
)

// StepSettings are the columns of a step its owner chooses, as a step reads them, a create
// writes them and an update changes them. The JSON names are the row's (stepRow embeds them).
type StepSettings struct {
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	Mode            StepMode  `json:"mode"`
	Stage           StepStage `json:"stage"`
	Rank            int       `json:"rank"`
	AsyncAutoDelete bool      `json:"asyncautodelete"`
	// FilteringAttributes is a comma list on the row (stepRow); order kept, nil when none.
	FilteringAttributes []string `json:"-"`
	// ImpersonatingUserID is a systemuser id; "" runs the step as the calling user.
	ImpersonatingUserID string `json:"_impersonatinguserid_value"`
}

// check refuses settings no step can have; from, on an update, is what the row holds.
func (s StepSettings) check(from *StepSettings) error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("dataverse: a step needs a name"))
	}
	// A mode or stage equal to what the row holds is not sent, so it stays as Dataverse keeps
	// it, even one without a name here (a stage Dataverse keeps for its own steps).
	if !s.Mode.valid() && (from == nil || from.Mode != s.Mode) {
		errs = append(errs, fmt.Errorf("dataverse: %s is not a step mode", s.Mode))
	}
	if !s.Stage.valid() && (from == nil || from.Stage != s.Stage) {
		errs = append(errs, fmt.Errorf("dataverse: %s is not a step stage", s.Stage))
	}
	if s.ImpersonatingUserID != "" {
		errs = append(errs, checkID("impersonating user id", s.ImpersonatingUserID))
	}
	return errors.Join(errs...)
}

// columns is the body that gives a step these settings, once check has passed them. An empty
// optional column is nil: an update sends it so, to clear the column, and a create leaves it out.
func (s StepSettings) columns() map[string]any {
	row := map[string]any{
		"name":                           s.Name,
		"description":                    nullIfEmpty(s.Description),
		"mode":                           int(s.Mode),
		"stage":                          int(s.Stage),
		"rank":                           s.Rank,
		"asyncautodelete":                s.AsyncAutoDelete,
		"filteringattributes":            columnListValue(s.FilteringAttributes),
		"impersonatinguserid@odata.bind": nil, // the documented way to clear a lookup in a PATCH
	}
	if s.ImpersonatingUserID != "" {
		row["impersonatinguserid@odata.bind"] = bindPath(setUsers, s.ImpersonatingUserID)
	}
	return row
}

// Step is an sdkmessageprocessingstep row.
type Step struct {
	ID string
	StepSettings
	EventHandlerID     string // _eventhandler_value
	HandlerIsWebhook   bool   // the event handler is a serviceendpoint with contract 8
	MessageID, Message string
	MessageFilterID    string
	Table              string // "" when the filter's primaryobjecttypecode is "none"
	Enabled            bool   // statecode 0
}

// StepCreate describes a new webhook step.
type StepCreate struct {
	ID                                    string // optional; a random v4 GUID is generated when empty
	WebhookID, MessageID, MessageFilterID string
	StepSettings
	Enabled            bool
	SolutionUniqueName string
}

// StepUpdate takes a step from the settings From to To: only the columns whose values differ
// are sent, so From should be what the step holds, as a caller last read or wrote it.
type StepUpdate struct {
	From, To StepSettings
	// MessageID with MessageFilterID, when not empty, move the step to another message and
	// table; WebhookID to another webhook (its event handler).
	MessageID, MessageFilterID, WebhookID string
}

// CreateStep registers a step on a webhook and returns it as stored. A step with Enabled false
// is created disabled (see createDisabledStep); should that take a follow-up PATCH that fails,
// CreateStep returns the created step together with the error, so the caller can record or
// remove it.
//
// Message, Table and HandlerIsWebhook come from what this client already knows about the filter
// (ResolveMessageFilter) and the webhook; when it knows nothing it reads the step back.
func (c *Client) CreateStep(ctx context.Context, in StepCreate) (created *Step, err error) {
	id, err := idOrNew("step id", in.ID)
	if err != nil {
		return nil, err
	}
	defer func() { c.recordStep(created, err, id) }()
	if err := errors.Join(
		checkID("webhook id", in.WebhookID),
		checkID("message id", in.MessageID),
		checkID("message filter id", in.MessageFilterID),
		in.check(nil),
		checkSolution(in.SolutionUniqueName),
	); err != nil {
		return nil, err
	}
	row := in.columns()
	maps.DeleteFunc(row, func(_ string, v any) bool { return v == nil })
	row["sdkmessageprocessingstepid"] = id
	row["supporteddeployment"] = 0
	row["invocationsource"] = 0
	row["eventhandler_serviceendpoint@odata.bind"] = bindPath(setServiceEndpoints, in.WebhookID)
	row["sdkmessageid@odata.bind"] = bindPath(setMessages, in.MessageID)
	row["sdkmessagefilterid@odata.bind"] = bindPath(setMessageFilters, in.MessageFilterID)
	if !in.Enabled {
		return c.createDisabledStep(ctx, in, id, row)
	}
	return c.postStep(ctx, in, id, row)
}

// createDisabledStep creates a step that must never fire. Dataverse gives a new row its default
// state whatever the create sends (seen live for accounts, taken to hold for steps; a disabled
// status on a create is refused, 400), so the step is created and disabled in one changeset: it
// never exists enabled, whatever stops this process. Where $batch is refused, the state columns
// go on the create, and failing that the step is created and disabled at once, enabled for the
// moment between the two requests.
func (c *Client) createDisabledStep(ctx context.Context, in StepCreate, id string, row map[string]any) (*Step, error) {
	step, err := c.postStepDisabledInChangeset(ctx, in, id, row)
	if apiErr := (*Error)(nil); errors.As(err, &apiErr) && batchRefused(apiErr) {
		withState := maps.Clone(row)
		withState["statecode"], withState["statuscode"] = stepStateDisabled, stepStatusDisabled
		step, err = c.postStep(ctx, in, id, withState)
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest {
			step, err = c.postStep(ctx, in, id, row)
		}
	}
	if err != nil {
		return nil, err
	}
	// A row an earlier attempt left under this id may be enabled (by a create that took no state).
	if step.Enabled {
		if err := c.SetStepEnabled(ctx, step.ID, false); err != nil {
			return step, fmt.Errorf("dataverse: step %s was created but could not be disabled: %w", step.ID, err)
		}
		step.Enabled = false
	}
	return step, nil
}

// batchRefused reports an answer to the $batch request itself that says the server takes no
// batch (or not this one), rather than the answer of an operation in it.
func batchRefused(err *Error) bool {
	if !strings.HasSuffix(err.Path, "/"+setBatch) || errors.Is(err, ErrDuplicateRecord) {
		return false
	}
	switch err.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusNotImplemented:
		return true
	}
	return false
}

func (c *Client) postStepDisabledInChangeset(ctx context.Context, in StepCreate, id string, row map[string]any) (*Step, error) {
	created, err := jsonBody(row)
	if err != nil {
		return nil, err
	}
	disabled, err := jsonBody(map[string]any{"statecode": stepStateDisabled, "statuscode": stepStatusDisabled})
	if err != nil {
		return nil, err
	}
	r := c.changesetRequest([]changesetOp{
		{method: http.MethodPost, path: setSteps, body: created},
		{method: http.MethodPatch, path: entityPath(setSteps, id), body: disabled, ifMatchAny: true,
			query: query{}.with("$select", joinColumns(stepColumns)), prefer: []string{"return=representation"}},
	}, in.SolutionUniqueName)
	r.rowSet = setSteps
	return c.finishStepCreate(ctx, in, id, r)
}

func (c *Client) postStep(ctx context.Context, in StepCreate, id string, row map[string]any) (*Step, error) {
	r, err := rowRequest(http.MethodPost, setSteps, row, stepColumns)
	if err != nil {
		return nil, err
	}
	r.solution = in.SolutionUniqueName
	return c.finishStepCreate(ctx, in, id, r)
}

// finishStepCreate sends a create of step id and reads its answer, or the row when the answer
// is lost.
func (c *Client) finishStepCreate(ctx context.Context, in StepCreate, id string, r *request) (*Step, error) {
	return createRow(ctx, c, r, id, c.GetStep, func(out stepRow) (*Step, error) {
		// The handler was bound through the webhook navigation property.
		c.webhooks.learnIsWebhook(in.WebhookID)
		return c.completeStep(ctx, out)
	})
}

// GetStep reads one step from the server, on every call, with its message name, table and
// handler kind. A missing row gives an error matching ErrNotFound.
func (c *Client) GetStep(ctx context.Context, id string) (*Step, error) {
	if err := checkID("step id", id); err != nil {
		return nil, err
	}
	var row stepRow
	if err := c.getEntity(ctx, entityPath(setSteps, id), stepQuery(), &row); err != nil {
		c.recordStep(nil, err, id)
		return nil, err
	}
	s := c.stepFromExpandedRow(row)
	c.recordStep(s, nil, id)
	return s, nil
}

// UpdateStep changes an existing step as in says and returns it as stored; when in changes
// nothing it sends nothing and returns nil. A missing row gives an error matching ErrNotFound.
func (c *Client) UpdateStep(ctx context.Context, id string, in StepUpdate) (updated *Step, err error) {
	if err := checkID("step id", id); err != nil {
		return nil, err
	}
	row, err := stepChanges(in)
	if err != nil || len(row) == 0 {
		return nil, err
	}
	defer func() { c.recordStep(updated, err, id) }()
	return updateRow(ctx, c, entityPath(setSteps, id), row, stepColumns, nil,
		func(ctx context.Context) (*Step, error) { return c.GetStep(ctx, id) },
		func(out stepRow) (*Step, error) { return c.completeStep(ctx, out) })
}

// stepChanges is the body of an update: the columns of in.To that differ from in.From, and the
// bindings of the moves in asks for.
func stepChanges(in StepUpdate) (map[string]any, error) {
	if err := in.To.check(&in.From); err != nil {
		return nil, err
	}
	to, from := in.To.columns(), in.From.columns()
	maps.DeleteFunc(to, func(col string, v any) bool {
		was, known := from[col]
		return known && was == v
	})
	for _, move := range []struct{ property, set, what, id string }{
		{"sdkmessageid", setMessages, "message id", in.MessageID},
		{"sdkmessagefilterid", setMessageFilters, "message filter id", in.MessageFilterID},
		{"eventhandler_serviceendpoint", setServiceEndpoints, "webhook id", in.WebhookID},
	} {
		if move.id == "" {
			continue
		}
		if err := checkID(move.what, move.id); err != nil {
			return nil, err
		}
		to[move.property+"@odata.bind"] = bindPath(move.set, move.id)
	}
	return to, nil
}

// SetStepEnabled enables or disables a step by setting statecode and statuscode together.
func (c *Client) SetStepEnabled(ctx context.Context, id string, enabled bool) error {
	if err := checkID("step id", id); err != nil {
		return err
	}
	// The answer carries no row, so the snapshot's copy is dropped rather than patched.
	defer c.stepSnap.forget(id)
	row := map[string]any{"statecode": stepStateEnabled, "statuscode": stepStatusEnabled}
	if !enabled {
		row = map[string]any{"statecode": stepStateDisabled, "statuscode": stepStatusDisabled}
	}
	body, err := jsonBody(row)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, &request{method: http.MethodPatch, path: entityPath(setSteps, id), body: body, ifMatchAny: true})
	return err
}

// DeleteStep deletes a step and its images. A missing row gives an error matching ErrNotFound.
func (c *Client) DeleteStep(ctx context.Context, id string) error {
	if err := checkID("step id", id); err != nil {
		return err
	}
	defer c.stepSnap.forget(id)
	defer c.forgetImagesOfSteps(map[string]bool{strings.ToLower(id): true})
	return c.delete(ctx, entityPath(setSteps, id))
}

// ListWebhookSteps returns the steps registered on a webhook, sorted by name then id.
func (c *Client) ListWebhookSteps(ctx context.Context, webhookID string) ([]Step, error) {
	if err := checkID("webhook id", webhookID); err != nil {
		return nil, err
	}
	rows, err := getCollection[stepRow](ctx, c, &request{
		path:  entityPath(setServiceEndpoints, webhookID) + "/" + navEndpoints,
		query: stepQuery(),
	}, 0)
	if err != nil {
		return nil, err
	}
	return c.stepsFromRows(rows), nil
}

// ListStepsOfWebhooks returns the steps of all the given webhooks, sorted by name then id. It
// makes one paged query per 40 webhooks, so that no URL grows past what Dataverse accepts.
func (c *Client) ListStepsOfWebhooks(ctx context.Context, webhookIDs []string) ([]Step, error) {
	ids := uniqueIDs(webhookIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	for _, id := range ids {
		if err := checkID("webhook id", id); err != nil {
			return nil, err
		}
	}
	steps, err := c.listStepsByHandlers(ctx, ids)
	if err != nil {
		return nil, err
	}
	sortStepsByNameThenID(steps)
	return steps, nil
}

func stepQuery() query {
	return query{}.with("$select", joinColumns(stepColumns)).with("$expand", stepExpand)
}

func (c *Client) stepsFromRows(rows []stepRow) []Step {
	out := make([]Step, 0, len(rows))
	for _, row := range rows {
		out = append(out, *c.stepFromExpandedRow(row))
	}
	sortStepsByNameThenID(out)
	return out
}

// sortStepsByNameThenID orders steps as every listing of the client returns them.
func sortStepsByNameThenID(steps []Step) {
	slices.SortFunc(steps, func(a, b Step) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// stepFromExpandedRow converts a row read with stepExpand and records what it reveals.
func (c *Client) stepFromExpandedRow(row stepRow) *Step {
	s := stepFromRow(row)
	if row.Message != nil {
		s.Message = row.Message.Name
	}
	if row.Filter != nil {
		s.Table = tableFromCode(row.Filter.PrimaryObjectTypeCode)
	}
	s.HandlerIsWebhook = row.Handler != nil && row.Handler.Contract == contractWebhook
	if s.HandlerIsWebhook {
		c.webhooks.learnIsWebhook(s.EventHandlerID)
	}
	if row.Message != nil && row.Filter != nil {
		c.catalog.rememberFilterNames(s.MessageFilterID, s.MessageID, s.Message, s.Table)
	}
	return s
}

// completeStep fills the fields a create or update answer cannot carry (the Web API ignores
// $expand there) from the catalog, or reads the step back when the catalog lacks them.
func (c *Client) completeStep(ctx context.Context, row stepRow) (*Step, error) {
	s := stepFromRow(row)
	f, knownFilter := c.catalog.filterByFilterID(s.MessageFilterID)
	if !knownFilter || !c.webhooks.isWebhook(s.EventHandlerID) || !strings.EqualFold(f.MessageID, s.MessageID) {
		return c.GetStep(ctx, s.ID)
	}
	s.Message, s.Table, s.HandlerIsWebhook = f.Message, f.Table, true
	return s, nil
}

func stepFromRow(row stepRow) *Step {
	s := &Step{
		ID:              row.ID,
		StepSettings:    row.StepSettings,
		EventHandlerID:  row.EventHandlerID,
		MessageID:       row.MessageID,
		MessageFilterID: row.MessageFilterID,
		Enabled:         row.StateCode == stepStateEnabled,
	}
	s.FilteringAttributes = splitColumns(row.FilteringAttributes)
	return s
}

func uniqueIDs(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if key := strings.ToLower(id); !seen[key] {
			seen[key] = true
			out = append(out, id)
		}
	}
	return out
}

// anyOfIDs builds "(col eq @p0 or col eq @p1 …)" with one parameter alias per id, so the query
// stays one request however many ids there are.
func anyOfIDs(column, prefix string, ids []string) (string, query) {
	var b strings.Builder
	var aliases query
	b.WriteByte('(')
	for i, id := range ids {
		alias := "@" + prefix + strconv.Itoa(i)
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(column + " eq " + alias)
		aliases = aliases.with(alias, id)
	}
	b.WriteByte(')')
	return b.String(), aliases
}
