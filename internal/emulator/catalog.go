package emulator

import (
	"time"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
)

// The pre-registered application and tenant. They are fixed so that
// documentation and scripts can name them; only the secret changes per start
// (unless a state directory keeps it).
const (
	DefaultTenantID = entra.DefaultTenantID
	DefaultClientID = "4f6a2c8e-1b3d-4a5c-8e7f-9d0b1c2a3e4f"

	organizationName = "contoso"
	businessUnitName = "contoso"
)

// Well-known rows, derived from names like the rest of the catalog.
var (
	organizationID = stableGUID("organization", organizationName)
	businessUnitID = stableGUID("businessunit", businessUnitName)
	systemUserID   = stableGUID("systemuser", "SYSTEM")
	// activeSolutionID is what rows report as solutionid. Dataverse reports the
	// system "Active" solution there for unmanaged customisations even when the
	// component was also added to another solution, so the emulator does too.
	activeSolutionID = stableGUID("solution", "Active")
	defaultSolution  = "Default"
	// SampleSolution is an unmanaged solution MSCRM.SolutionUniqueName may name.
	SampleSolution = "contoso_integrations"
	// SampleManagedSolution is a managed solution, as every environment holds those it was
	// given installed; no component can be added to it.
	SampleManagedSolution = "contoso_core"
	// WebhookPluginTypeID is the platform's plug-in type that runs service
	// endpoints; some tools bind a webhook step's plugintypeid to it.
	WebhookPluginTypeID = stableGUID("plugintype", "Microsoft.Crm.ServiceBus.ServiceBusPlugin")
	// SamplePluginTypeID is a plug-in type a step can bind with eventhandler_plugintype@odata.bind.
	SamplePluginTypeID = stableGUID("plugintype", "Contoso.Plugins.AccountAudit")
	// SeededPluginStepID is the step of that plug-in type a fresh environment holds: a real one
	// holds many steps of Microsoft's own plug-ins, and tools meet them among the webhook steps.
	SeededPluginStepID = stableGUID("sdkmessageprocessingstep", "Contoso.Plugins.AccountAudit: Update of account")
)

// SDKMessageID is the id the emulator gives the sdkmessage with this name.
func SDKMessageID(name string) string { return stableGUID("sdkmessage", name) }

// SDKMessageFilterID is the id of the sdkmessagefilter for a message and table
// (table "none" for messages that take no table).
func SDKMessageFilterID(message, table string) string {
	return stableGUID("sdkmessagefilter", message+"/"+table)
}

// ApplicationUserID is the id of the systemuser row of an application (client) id.
func ApplicationUserID(clientID string) string {
	return stableGUID("systemuser", "application/"+clientID)
}

// catalogTables are the tables the seeded filters name.
var catalogTables = []string{
	"account", "contact", "lead", "opportunity", "incident", "task", "email", "phonecall",
	"appointment", "systemuser", "team", "businessunit", "annotation", "queueitem",
}

var ownableTables = []string{
	"account", "contact", "lead", "opportunity", "incident", "task", "email", "phonecall", "appointment", "annotation",
}

var stateTables = []string{
	"account", "contact", "lead", "opportunity", "incident", "task", "email", "phonecall",
	"appointment", "systemuser", "businessunit", "queueitem",
}

// catalogMessages lists every seeded message with the tables it has filters for.
// "none" is the filter of a message that takes no table.
func catalogMessages() []struct {
	name   string
	tables []string
} {
	withoutUser := []string{}
	for _, t := range catalogTables {
		// Users are disabled, never deleted: there is no Delete for systemuser.
		if t != "systemuser" {
			withoutUser = append(withoutUser, t)
		}
	}
	return []struct {
		name   string
		tables []string
	}{
		{"Create", catalogTables},
		{"Update", catalogTables},
		{"Delete", withoutUser},
		{"Assign", ownableTables},
		{"SetState", stateTables},
		{"SetStateDynamicEntity", stateTables},
		{"Retrieve", catalogTables},
		{"RetrieveMultiple", catalogTables},
		{"Associate", []string{"none"}},
		{"Disassociate", []string{"none"}},
		{"GrantAccess", ownableTables},
		{"RevokeAccess", ownableTables},
		{"Merge", []string{"account", "contact", "lead", "incident"}},
		{"QualifyLead", []string{"lead"}},
		{"Win", []string{"opportunity"}},
		{"Lose", []string{"opportunity"}},
		{"Close", []string{"incident"}},
		{"Send", []string{"email"}},
		{"Publish", []string{"none"}},
		{"PublishAll", []string{"none"}},
		{"WhoAmI", []string{"none"}},
	}
}

// customStepForbidden lists the seeded message/table pairs on which Dataverse
// refuses custom steps. Microsoft publishes no complete list; these are a few
// realistic examples (business units are created and removed by the platform,
// user reads and PublishAll are closed to custom logic) so that the rule can
// be exercised.
var customStepForbidden = map[string]bool{
	"Create/businessunit":              true,
	"Delete/businessunit":              true,
	"Retrieve/systemuser":              true,
	"PublishAll/none":                  true,
	"SetStateDynamicEntity/systemuser": true,
}

// seedRows returns the catalog and system rows of a fresh environment.
func seedRows(clientID string, now time.Time) map[string][]map[string]any {
	created := formatTime(now)
	sys := func(cols map[string]any) map[string]any {
		cols["createdon"] = created
		cols["modifiedon"] = created
		cols[lookupKey("createdby")] = systemUserID
		cols[lookupKey("modifiedby")] = systemUserID
		return cols
	}
	out := map[string][]map[string]any{}

	out["organizations"] = []map[string]any{sys(map[string]any{"organizationid": organizationID, "name": organizationName})}
	out["businessunits"] = []map[string]any{sys(map[string]any{"businessunitid": businessUnitID, "name": businessUnitName})}

	user := func(id, fullname, first, last, domain, appID, objectID string, accessMode int64) map[string]any {
		return sys(map[string]any{
			"systemuserid":                 id,
			"fullname":                     fullname,
			"firstname":                    nilIfEmpty(first),
			"lastname":                     nilIfEmpty(last),
			"domainname":                   domain,
			"internalemailaddress":         nilIfEmpty(domain),
			"applicationid":                nilIfEmpty(appID),
			"azureactivedirectoryobjectid": nilIfEmpty(objectID),
			"isdisabled":                   false,
			"accessmode":                   accessMode,
			lookupKey("businessunitid"):    businessUnitID,
		})
	}
	out["systemusers"] = []map[string]any{
		user(systemUserID, "SYSTEM", "", "SYSTEM", "", "", "", 0),
		applicationUser(clientID, created),
		user(stableGUID("systemuser", "alex"), "Alex Admin", "Alex", "Admin", "alex@contoso.example",
			"", stableGUID("aadobject", "alex"), 0),
		user(stableGUID("systemuser", "riley"), "Riley Support", "Riley", "Support", "riley@contoso.example",
			"", stableGUID("aadobject", "riley"), 0),
	}

	out["solutions"] = []map[string]any{
		sys(map[string]any{"solutionid": activeSolutionID, "uniquename": "Active", "friendlyname": "Active Solution",
			"version": "1.0", "ismanaged": false, "isvisible": false}),
		sys(map[string]any{"solutionid": stableGUID("solution", defaultSolution), "uniquename": defaultSolution,
			"friendlyname": "Default Solution", "version": "1.0", "ismanaged": false, "isvisible": true}),
		sys(map[string]any{"solutionid": stableGUID("solution", SampleSolution), "uniquename": SampleSolution,
			"friendlyname": "Contoso Integrations", "version": "1.0.0.0", "ismanaged": false, "isvisible": true}),
		sys(map[string]any{"solutionid": stableGUID("solution", SampleManagedSolution), "uniquename": SampleManagedSolution,
			"friendlyname": "Contoso Core", "version": "2.1.0.0", "ismanaged": true, "isvisible": true}),
	}

	out["plugintypes"] = []map[string]any{
		sys(map[string]any{"plugintypeid": SamplePluginTypeID, "name": "Contoso.Plugins.AccountAudit",
			"typename": "Contoso.Plugins.AccountAudit", "friendlyname": "AccountAudit",
			"assemblyname": "Contoso.Plugins", "description": nil, "isworkflowactivity": false}),
		sys(map[string]any{"plugintypeid": WebhookPluginTypeID, "name": "Microsoft.Crm.ServiceBus.ServiceBusPlugin",
			"typename": "Microsoft.Crm.ServiceBus.ServiceBusPlugin", "friendlyname": "ServiceBusPlugin",
			"assemblyname": "Microsoft.Crm.ServiceBus", "description": nil, "isworkflowactivity": false}),
	}

	for _, m := range catalogMessages() {
		mid := SDKMessageID(m.name)
		out["sdkmessages"] = append(out["sdkmessages"], sys(map[string]any{
			"sdkmessageid": mid, "name": m.name, "categoryname": nil, "isprivate": false,
			"isvalidforexecuteasync": m.name != "WhoAmI", "autotransact": true, "customizationlevel": int64(0),
		}))
		for _, tbl := range m.tables {
			out["sdkmessagefilters"] = append(out["sdkmessagefilters"], sys(map[string]any{
				"sdkmessagefilterid":            SDKMessageFilterID(m.name, tbl),
				"name":                          nil,
				"primaryobjecttypecode":         tbl,
				"secondaryobjecttypecode":       "none",
				"iscustomprocessingstepallowed": !customStepForbidden[m.name+"/"+tbl],
				// SetStateDynamicEntity is the platform's twin of SetState; tools hide it.
				"isvisible":               m.name != "SetStateDynamicEntity",
				"availability":            int64(0),
				"customizationlevel":      int64(0),
				lookupKey("sdkmessageid"): mid,
			}))
		}
	}
	return out
}

// seed fills the catalog and system tables of a fresh environment.
func (e *Emulator) seed(clientID string) {
	rows := seedRows(clientID, e.now())
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	for set, list := range rows {
		t := e.schema[set]
		for _, cols := range list {
			cols["versionnumber"] = e.store.nextVersion()
			id, _ := cols[t.key].(string)
			e.store.put(set, id, &record{cols: cols})
		}
	}
	// Its event handler is a plug-in type, which the lookup must say.
	now := formatTime(e.now())
	e.store.put("sdkmessageprocessingsteps", SeededPluginStepID, &record{cols: map[string]any{
		"sdkmessageprocessingstepid": SeededPluginStepID,
		"name":                       "Contoso.Plugins.AccountAudit: Update of account",
		"description":                nil,
		"mode":                       int64(modeSynchronous), "stage": int64(stagePostOperation), "rank": int64(1),
		"statecode": int64(0), "statuscode": int64(1), "asyncautodelete": false,
		"filteringattributes": nil, "supporteddeployment": int64(0), "invocationsource": int64(0),
		"configuration": nil, "customizationlevel": int64(1), "ismanaged": true, "solutionid": nil,
		lookupKey("eventhandler"):        SamplePluginTypeID,
		lookupKey("sdkmessageid"):        SDKMessageID("Update"),
		lookupKey("sdkmessagefilterid"):  SDKMessageFilterID("Update", "account"),
		lookupKey("impersonatinguserid"): nil,
		lookupKey("organizationid"):      organizationID,
		lookupKey("createdby"):           systemUserID,
		lookupKey("modifiedby"):          systemUserID,
		"createdon":                      now,
		"modifiedon":                     now,
		"versionnumber":                  e.store.nextVersion(),
	}, targets: map[string]string{"eventhandler": "plugintypes"}})
}

// ensureApplicationUser adds clientID's application user unless it exists,
// and returns its systemuserid.
func (e *Emulator) ensureApplicationUser(clientID string) string {
	id := ApplicationUserID(clientID)
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	if e.store.get("systemusers", id) == nil {
		cols := applicationUser(clientID, formatTime(e.now()))
		cols["versionnumber"] = e.store.nextVersion()
		e.store.put("systemusers", id, &record{cols: cols})
	}
	return id
}

// RegisterApplication registers another secret client with the token service
// and gives it an application user, so it can call the Web API. It returns
// the systemuserid of that user.
func (e *Emulator) RegisterApplication(clientID, secret string) string {
	e.entra.RegisterSecretClient(clientID, secret)
	return e.ensureApplicationUser(clientID)
}

// applicationUser is the systemuser row that lets an application call the Web API.
func applicationUser(clientID, created string) map[string]any {
	return map[string]any{
		"systemuserid":                 ApplicationUserID(clientID),
		"fullname":                     "# " + clientID,
		"firstname":                    nil,
		"lastname":                     "# " + clientID,
		"domainname":                   clientID + "@emulator.invalid",
		"internalemailaddress":         clientID + "@emulator.invalid",
		"applicationid":                clientID,
		"azureactivedirectoryobjectid": stableGUID("aadobject", "application/"+clientID),
		"isdisabled":                   false,
		"accessmode":                   int64(4), // non-interactive
		lookupKey("businessunitid"):    businessUnitID,
		"createdon":                    created,
		"modifiedon":                   created,
		lookupKey("createdby"):         systemUserID,
		lookupKey("modifiedby"):        systemUserID,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// formatTime renders a timestamp the way the Web API does (UTC, whole seconds).
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
