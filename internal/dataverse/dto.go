package dataverse

import "time"

// Wire forms of the rows the client reads. Lookups read as _<name>_value; null columns decode
// to zero values.

// Column lists, kept beside the structs they fill so that $select asks for exactly these.
var (
	webhookColumns = []string{"serviceendpointid", "name", "url", "description", "contract", "authtype", "isauthvalueset", "createdon", "modifiedon"}
	stepColumns    = []string{
		"sdkmessageprocessingstepid", "name", "description", "_eventhandler_value", "_sdkmessageid_value",
		"_sdkmessagefilterid_value", "mode", "stage", "rank", "asyncautodelete", "filteringattributes",
		"statecode", "_impersonatinguserid_value", "supporteddeployment",
	}
	stepExpand         = "sdkmessageid($select=name),sdkmessagefilterid($select=primaryobjecttypecode),eventhandler_serviceendpoint($select=contract)"
	stepImageColumns   = []string{"sdkmessageprocessingstepimageid", "_sdkmessageprocessingstepid_value", "name", "entityalias", "imagetype", "attributes", "messagepropertyname"}
	messageFilterCols  = []string{"sdkmessagefilterid", "_sdkmessageid_value", "iscustomprocessingstepallowed", "primaryobjecttypecode"}
	systemJobColumns   = []string{"asyncoperationid", "name", "_owningextensionid_value", "friendlymessage", "message", "errorcode", "statuscode", "createdon", "startedon", "completedon", "correlationid", "messagename", "primaryentitytype", "_regardingobjectid_value", "retrycount"}
	messageNameColumns = []string{"name"}
)

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
	ID                  string `json:"sdkmessageprocessingstepid"`
	Name                string `json:"name"`
	Description         string `json:"description"`
	EventHandlerID      string `json:"_eventhandler_value"`
	MessageID           string `json:"_sdkmessageid_value"`
	MessageFilterID     string `json:"_sdkmessagefilterid_value"`
	Mode                int    `json:"mode"`
	Stage               int    `json:"stage"`
	Rank                int    `json:"rank"`
	AsyncAutoDelete     bool   `json:"asyncautodelete"`
	FilteringAttributes string `json:"filteringattributes"`
	StateCode           int    `json:"statecode"`
	ImpersonatingUserID string `json:"_impersonatinguserid_value"`
	SupportedDeployment int    `json:"supporteddeployment"`
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
	StatusCode      int        `json:"statuscode"`
	CreatedOn       *time.Time `json:"createdon"`
	StartedOn       *time.Time `json:"startedon"`
	CompletedOn     *time.Time `json:"completedon"`
	CorrelationID   string     `json:"correlationid"`
	MessageName     string     `json:"messagename"`
	PrimaryEntity   string     `json:"primaryentitytype"`
	RegardingID     string     `json:"_regardingobjectid_value"`
	RegardingTable  string     `json:"_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"`
	RetryCount      int        `json:"retrycount"`
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
