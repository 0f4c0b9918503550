package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// tableRule checks a row a write leaves behind, beyond column types. It may
// fill columns the rule derives. Callers hold the store lock.
type tableRule func(e *Emulator, op writeOp, r *record) *apiError

var tableRules = map[string]tableRule{
	"serviceendpoints":               serviceEndpointRule,
	"sdkmessageprocessingsteps":      stepRule,
	"sdkmessageprocessingstepimages": stepImageRule,
	"asyncoperations":                asyncOperationRule,
}

func intOf(v any) (int64, bool) {
	i, ok := v.(int64)
	return i, ok
}

// serviceEndpointRule: a webhook (contract 8) needs an absolute http(s) url
// and one of the webhook auth types. Microsoft documents only that webhooks
// use types 4–6; refusing the others at registration is the conservative
// reading. Real Dataverse accepts only ports 80 and 443; the emulator accepts
// any port so that local receivers on ephemeral ports work. Whether names
// must be unique is undocumented, so uniqueness is not enforced.
func serviceEndpointRule(_ *Emulator, _ writeOp, r *record) *apiError {
	if contract, _ := intOf(r.cols["contract"]); contract == contractWebhook {
		raw, _ := r.cols["url"].(string)
		u, err := url.Parse(raw)
		if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalidArgument("A webhook (contract 8) needs an absolute http or https url; got '%s'.", raw)
		}
		switch at, _ := intOf(r.cols["authtype"]); at {
		case authTypeWebhookKey, authTypeHTTPHeader, authTypeHTTPQueryString:
		default:
			return invalidArgument("A webhook (contract 8) takes authtype 4 (WebhookKey), 5 (HttpHeader) or 6 (HttpQueryString); got %v.", r.cols["authtype"])
		}
	}
	r.cols["isauthvalueset"] = r.hasSecret
	return nil
}

// stepRule applies the registration rules of custom steps (facts sheet §2).
func stepRule(e *Emulator, op writeOp, r *record) *apiError {
	stage, _ := intOf(r.cols["stage"])
	switch stage {
	case stagePreValidation, stagePreOperation, stagePostOperation:
	default:
		return invalidArgument("Custom steps can be registered only in stage 10 (PreValidation), 20 (PreOperation) or 40 (PostOperation); got %d.", stage)
	}
	mode, _ := intOf(r.cols["mode"])
	if mode == modeAsynchronous && stage != stagePostOperation {
		return invalidArgument("Asynchronous steps must be registered in stage 40 (PostOperation); got stage %d.", stage)
	}
	// asyncautodelete on a synchronous step is accepted and has no effect:
	// synchronous steps create no system job to delete. That is what the
	// registration tool leaves behind when a step is switched to synchronous.

	handlerSet := e.store.lookupTarget(e.schema["sdkmessageprocessingsteps"], r, "eventhandler")
	if cfg, _ := r.cols["configuration"].(string); handlerSet == "serviceendpoints" && cfg != "" {
		// "You cannot specify any configuration information" for a webhook step;
		// the emulator refuses it rather than silently storing it.
		return invalidArgument("A step whose event handler is a service endpoint takes no configuration.")
	}

	msgID, _ := r.cols[lookupKey("sdkmessageid")].(string)
	msg := e.store.get("sdkmessages", msgID)
	msgName, _ := msg.cols["name"].(string)
	if filterID, _ := r.cols[lookupKey("sdkmessagefilterid")].(string); filterID != "" {
		f := e.store.get("sdkmessagefilters", filterID)
		if owner, _ := f.cols[lookupKey("sdkmessageid")].(string); owner != msgID {
			return invalidArgument("The sdkmessagefilter %s does not belong to the message '%s'.", filterID, msgName)
		}
		if allowed, _ := f.cols["iscustomprocessingstepallowed"].(bool); !allowed {
			return newError(http.StatusBadRequest, codeCustomStepNotAllowed, "Custom SdkMessageProcessingStep is not allowed on the specified message.")
		}
	}
	// The Plug-in Registration Tool (9.2 and later) offers filtering
	// attributes for these messages; the emulator refuses them elsewhere.
	if fa, _ := r.cols["filteringattributes"].(string); strings.TrimSpace(fa) != "" && !containsString(filteringMessages, msgName) {
		return invalidArgument("Filtering attributes are not supported for the '%s' message.", msgName)
	}
	if op.kind == opCreate {
		if apiErr := defaultStateOnCreate(op, r, "SdkMessageProcessingStepState.Enabled", []int64{1}); apiErr != nil {
			return apiErr
		}
	}
	return checkState(op, r, map[int64][]int64{0: {1}, 1: {2}})
}

// defaultStateOnCreate gives a new row its default state whatever the create sends: Dataverse
// does not create inactive rows (a create must be followed by a state change), and it refuses a
// status that does not belong to the default state, naming the state's enumeration value.
// Reported of live environments for accounts (0x80048408); steps are taken to behave alike.
func defaultStateOnCreate(op writeOp, r *record, defaultStateName string, defaultStatuses []int64) *apiError {
	if !op.changes.has("statecode") && !op.changes.has("statuscode") {
		return nil
	}
	r.cols["statecode"] = int64(0)
	status, ok := intOf(r.cols["statuscode"])
	if !op.changes.has("statuscode") || !ok {
		r.cols["statuscode"] = defaultStatuses[0]
		return nil
	}
	for _, v := range defaultStatuses {
		if v == status {
			return nil
		}
	}
	return newError(http.StatusBadRequest, codeInvalidStateOnCreate,
		"%d is not a valid status code for state code %s on %s with Id %s.", status, defaultStateName, op.t.logical, op.id)
}

// filteringMessages are the messages whose steps take filteringattributes.
var filteringMessages = []string{"Create", "CreateMultiple", "Update", "UpdateMultiple"}

// checkState derives the statuscode of a new statecode (or the reverse) when
// a write sets only one, and refuses pairs that do not belong together.
func checkState(op writeOp, r *record, valid map[int64][]int64) *apiError {
	stateSet, statusSet := op.changes.has("statecode"), op.changes.has("statuscode")
	state, okState := intOf(r.cols["statecode"])
	status, okStatus := intOf(r.cols["statuscode"])
	if !okState || !okStatus {
		return invalidArgument("statecode and statuscode cannot be null.")
	}
	switch {
	case stateSet && !statusSet:
		if list := valid[state]; len(list) > 0 {
			status = list[0]
			r.cols["statuscode"] = status
		}
	case statusSet && !stateSet:
		for s, list := range valid {
			for _, v := range list {
				if v == status {
					state = s
					r.cols["statecode"] = state
				}
			}
		}
	}
	for _, v := range valid[state] {
		if v == status {
			return nil
		}
	}
	return invalidArgument("%d is not a valid status code for state code %d.", status, state)
}

// imagePropertiesByMessage is the messagepropertyname each message accepts
// for images. Live registrations refuse Target on Create and take Id; the
// Plug-in Registration Tool's table gives the others (Merge takes two).
var imagePropertiesByMessage = map[string][]string{
	"Create":                {"Id"},
	"CreateMultiple":        {"Ids"},
	"Update":                {"Target"},
	"UpdateMultiple":        {"Targets"},
	"Delete":                {"Target"},
	"Assign":                {"Target"},
	"Route":                 {"Target"},
	"ExecuteWorkflow":       {"Target"},
	"Merge":                 {"Target", "SubordinateId"},
	"SetState":              {"EntityMoniker"},
	"SetStateDynamicEntity": {"EntityMoniker"},
	"Send":                  {"EmailId"},
	"DeliverIncoming":       {"EmailId"},
	"DeliverPromote":        {"EmailId"},
}

// stepImageRule checks the message property an image is registered on
// against its step's message, as live Dataverse does (400 0x8004416b), and
// refuses an empty attribute list: clients omit the column for all columns.
// Messages outside the table above are refused the same way; that Dataverse
// refuses them is a conservative guess.
func stepImageRule(e *Emulator, op writeOp, r *record) *apiError {
	if op.changes.has("attributes") {
		if v, set := r.cols["attributes"].(string); set && strings.TrimSpace(v) == "" {
			return invalidArgument("The attributes of an image must list at least one column; omit the column to include every column.")
		}
	}
	stepID, _ := r.cols[lookupKey("sdkmessageprocessingstepid")].(string)
	step := e.store.get("sdkmessageprocessingsteps", stepID)
	msgID, _ := step.cols[lookupKey("sdkmessageid")].(string)
	msgName := ""
	if msg := e.store.get("sdkmessages", msgID); msg != nil {
		msgName, _ = msg.cols["name"].(string)
	}
	prop, _ := r.cols["messagepropertyname"].(string)
	// Without regard to case, INFERRED: XrmTools' table registers Create images on "id"
	// (image-messagepropertyname-live.md); no live registration of another case is captured.
	if !slices.ContainsFunc(imagePropertiesByMessage[msgName], func(p string) bool { return strings.EqualFold(p, prop) }) {
		return newError(http.StatusBadRequest, codeInvalidMessageProperty,
			"Message property name '%s' is not valid on message %s", prop, msgName)
	}
	return nil
}

// asyncOperationRule lets a client move a system job between valid
// state/status pairs (to cancel, postpone or resume it).
func asyncOperationRule(_ *Emulator, op writeOp, r *record) *apiError {
	return checkState(op, r, map[int64][]int64{
		0: {0},
		1: {10},
		2: {20, 21, 22},
		3: {30, 31, 32},
	})
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
