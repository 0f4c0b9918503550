package dataverse

import (
	"reflect"
	"strings"
	"time"
)

// Wire forms of the rows the client reads. Lookups read as _<name>_value; null columns decode
// to zero values.

// Column lists for $select, read from the row structs below so that a column is named once.
var (
	webhookColumns   = selectedColumns[serviceEndpointRow]()
	stepColumns      = selectedColumns[stepRow]()
	stepExpand       = "sdkmessageid($select=name),sdkmessagefilterid($select=primaryobjecttypecode),eventhandler_serviceendpoint($select=contract)"
	stepImageColumns = selectedColumns[stepImageRow]()
	// The expanded sdkmessageid comes with $expand, not $select.
	messageFilterCols = selectedColumns[messageFilterRow]()
	systemJobColumns  = selectedColumns[systemJobRow]()
	// Only the names: the message catalog is read for "did you mean" hints.
	messageNameColumns = []string{"name"}
)

// selectedColumns lists the JSON names of a row struct's fields in their order, those of an
// embedded struct in its place, leaving out annotations (name@…), which Dataverse adds on its
// own, and expanded navigation properties (pointers to structs other than time.Time), which
// $expand asks for.
func selectedColumns[R any]() []string { return structColumns(reflect.TypeFor[R]()) }

func structColumns(t reflect.Type) []string {
	timeType := reflect.TypeFor[time.Time]()
	var cols []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			cols = append(cols, structColumns(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || strings.Contains(name, "@") {
			continue
		}
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem() != timeType {
			continue
		}
		cols = append(cols, name)
	}
	return cols
}

// contractWebhook is serviceendpoint.contract for a webhook.
const contractWebhook = 8

// Values written on webhook create, as registration tooling does.
const (
	messageFormatJSON    = 2
	userClaimNone        = 1
	connectionModeNormal = 1
)

type serviceEndpointRow struct {
	ID             string     `json:"serviceendpointid"`
	Name           string     `json:"name"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	Contract       int        `json:"contract"`
	AuthType       int        `json:"authtype"`
	IsAuthValueSet bool       `json:"isauthvalueset"`
	CreatedOn      *time.Time `json:"createdon"`
	ModifiedOn     *time.Time `json:"modifiedon"`
}

type stepRow struct {
	ID string `json:"sdkmessageprocessingstepid"`
	StepSettings
	// FilteringAttributes is the comma list StepSettings holds as a list.
	FilteringAttributes string `json:"filteringattributes"`
	EventHandlerID      string `json:"_eventhandler_value"`
	MessageID           string `json:"_sdkmessageid_value"`
	MessageFilterID     string `json:"_sdkmessagefilterid_value"`
	StateCode           int    `json:"statecode"`
	Message             *struct {
		Name string `json:"name"`
	} `json:"sdkmessageid"`
	Filter *struct {
		PrimaryObjectTypeCode string `json:"primaryobjecttypecode"`
	} `json:"sdkmessagefilterid"`
	Handler *struct {
		Contract int `json:"contract"`
	} `json:"eventhandler_serviceendpoint"`
}

type stepImageRow struct {
	ID                  string `json:"sdkmessageprocessingstepimageid"`
	StepID              string `json:"_sdkmessageprocessingstepid_value"`
	Name                string `json:"name"`
	EntityAlias         string `json:"entityalias"`
	ImageType           int    `json:"imagetype"`
	Attributes          string `json:"attributes"`
	MessagePropertyName string `json:"messagepropertyname"`
}

type messageFilterRow struct {
	ID                    string `json:"sdkmessagefilterid"`
	MessageID             string `json:"_sdkmessageid_value"`
	CustomStepsAllowed    bool   `json:"iscustomprocessingstepallowed"`
	PrimaryObjectTypeCode string `json:"primaryobjecttypecode"`
	// Message is the expanded sdkmessageid: its name as the catalog spells it.
	Message *messageRow `json:"sdkmessageid"`
}

type messageRow struct {
	ID   string `json:"sdkmessageid"`
	Name string `json:"name"`
}

type systemJobRow struct {
	ID              string     `json:"asyncoperationid"`
	Name            string     `json:"name"`
	StepID          string     `json:"_owningextensionid_value"`
	FriendlyMessage string     `json:"friendlymessage"`
	Message         string     `json:"message"`
	ErrorCode       int        `json:"errorcode"`
	CreatedOn       *time.Time `json:"createdon"`
	StartedOn       *time.Time `json:"startedon"`
	CompletedOn     *time.Time `json:"completedon"`
	CorrelationID   string     `json:"correlationid"`
	MessageName     string     `json:"messagename"`
	PrimaryEntity   string     `json:"primaryentitytype"`
	RegardingID     string     `json:"_regardingobjectid_value"`
	RegardingTable  string     `json:"_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"`
	RetryCount      int        `json:"retrycount"`
	StateCode       int        `json:"statecode"`
	StatusCode      int        `json:"statuscode"`
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
