package emulator

import (
	"regexp"
	"sort"
)

// kind is the type of a column as the Web API exposes it.
type kind int

const (
	kindGUID kind = iota
	kindString
	kindMemo
	kindInt
	kindBigInt
	kindBool
	kindChoice
	kindDateTime
	kindLookup
	kindDouble
	kindOpen // a column of an open table nobody declared: any JSON scalar
)

// column describes one attribute of a table.
type column struct {
	name     string
	kind     kind
	maxLen   int
	choices  []int
	required bool // must have a value once the row exists
	// readOnly columns are maintained by the emulator. Dataverse silently drops
	// attributes that are not valid for create or update, so writes to them are
	// ignored rather than rejected.
	readOnly bool
	// writeOnly columns are accepted on writes and never returned (authvalue).
	writeOnly bool
	def       any // value a create stores when the body leaves it out
	// For lookups: the navigation properties that bind this column, by name.
	navs []string
	// noValue lookups have no _<name>_value property: they are read only
	// through $expand (plugintypeid of a step, after the real CSDL).
	noValue bool
}

// nav is a single-valued navigation property (the bind and $expand side of a lookup).
type nav struct {
	name   string // e.g. eventhandler_serviceendpoint
	column string // the lookup it sets, e.g. eventhandler
	target string // entity set of the rows it points to
	// bindable is false for lookups the server maintains (createdby, plugintypeid…).
	bindable bool
}

// collectionNav is a collection-valued navigation property: the rows of another
// table whose lookup points at this row.
type collectionNav struct {
	target string // entity set of the related rows
	column string // lookup column on the related rows
}

// table is the schema of one entity set.
type table struct {
	logical  string // logical name, e.g. serviceendpoint
	set      string // entity set name, e.g. serviceendpoints
	key      string // primary key column
	cols     map[string]*column
	navs     map[string]*nav
	collNavs map[string]*collectionNav
	// etag says whether rows carry @odata.etag. A published serviceendpoint read
	// carried none, so that table does not.
	etag bool
	// open tables take any column name with a JSON scalar value (the business
	// tables the tests write to in order to trigger events).
	open bool
	// business tables run the event pipeline (registered steps) on writes.
	business bool
	// readOnly tables are catalogs and system tables clients cannot write.
	readOnly bool
	// componentType is the solution component type for solution-aware tables, 0 otherwise.
	componentType int
	// owned tables get an ownerid set to the caller.
	owned bool
	// primaryName is the primary name column of a business table.
	primaryName string
	// alwaysRead are returned whatever $select says.
	alwaysRead []string
}

func newTable(logical, set, key string) *table {
	t := &table{
		logical:  logical,
		set:      set,
		key:      key,
		cols:     map[string]*column{},
		navs:     map[string]*nav{},
		collNavs: map[string]*collectionNav{},
		etag:     true,
	}
	t.add(&column{name: key, kind: kindGUID})
	// Every table has these system columns.
	t.add(&column{name: "createdon", kind: kindDateTime, readOnly: true})
	t.add(&column{name: "modifiedon", kind: kindDateTime, readOnly: true})
	t.add(&column{name: "versionnumber", kind: kindBigInt, readOnly: true})
	t.lookup("createdby", false, readOnlyCol, "systemusers", "createdby")
	t.lookup("modifiedby", false, readOnlyCol, "systemusers", "modifiedby")
	// Set when a user acts for another (delegation); the emulator's callers never do, so null.
	t.lookup("createdonbehalfby", false, readOnlyCol, "systemusers", "createdonbehalfby")
	t.lookup("modifiedonbehalfby", false, readOnlyCol, "systemusers", "modifiedonbehalfby")
	return t
}

type colOpt func(*column)

func readOnlyCol(c *column) { c.readOnly = true }
func noValueCol(c *column)  { c.noValue = true }
func requiredCol(c *column) { c.required = true }
func defaultVal(v any) colOpt {
	return func(c *column) { c.def = v }
}

func (t *table) add(c *column, opts ...colOpt) *table {
	for _, o := range opts {
		o(c)
	}
	t.cols[c.name] = c
	return t
}

func (t *table) str(name string, maxLen int, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindString, maxLen: maxLen}, opts...)
}

func (t *table) memo(name string, maxLen int) *table {
	return t.add(&column{name: name, kind: kindMemo, maxLen: maxLen})
}

func (t *table) integer(name string, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindInt}, opts...)
}

func (t *table) boolean(name string, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindBool}, opts...)
}

func (t *table) choice(name string, values []int, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindChoice, choices: values}, opts...)
}

func (t *table) datetime(name string) *table {
	return t.add(&column{name: name, kind: kindDateTime})
}

func (t *table) double(name string, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindDouble}, opts...)
}

func (t *table) guid(name string, opts ...colOpt) *table {
	return t.add(&column{name: name, kind: kindGUID}, opts...)
}

// lookup declares a lookup column with one navigation property per target
// (pairs of entity set and navigation property name).
func (t *table) lookup(name string, bindable bool, opt colOpt, targetsAndNavs ...string) *table {
	c := &column{name: name, kind: kindLookup}
	if opt != nil {
		opt(c)
	}
	for i := 0; i+1 < len(targetsAndNavs); i += 2 {
		n := &nav{name: targetsAndNavs[i+1], column: name, target: targetsAndNavs[i], bindable: bindable && !c.readOnly}
		t.navs[n.name] = n
		c.navs = append(c.navs, n.name)
	}
	t.cols[name] = c
	return t
}

func (t *table) collection(name, target, column string) {
	t.collNavs[name] = &collectionNav{target: target, column: column}
}

// catalog makes t a catalog or system table clients cannot write.
func (t *table) catalog() *table {
	t.readOnly = true
	return t
}

// solutionComponent makes t solution-aware, with the columns Dataverse keeps
// for a component of that type.
func (t *table) solutionComponent(componentType int) *table {
	t.componentType = componentType
	return t.boolean("ismanaged", readOnlyCol).guid("solutionid", readOnlyCol)
}

// stateAndStatus declares statecode and statuscode; a new row starts active
// (state 0, status 1).
func (t *table) stateAndStatus(states, statuses []int) *table {
	return t.choice("statecode", states, defaultVal(int64(0))).
		choice("statuscode", statuses, defaultVal(int64(1)))
}

// businessTable makes t one of the tables clients write to in order to fire
// events: open to any column, owned, and with the columns all of them share.
func (t *table) businessTable(primaryName string, states, statuses []int) *table {
	t.open, t.business, t.owned = true, true, true
	t.primaryName = primaryName
	return t.memo("description", 2000).
		stateAndStatus(states, statuses).
		lookup("ownerid", false, readOnlyCol, "systemusers", "ownerid")
}

// lookupKey is the name under which a lookup is stored and read: _<name>_value.
func lookupKey(col string) string { return "_" + col + "_value" }

// readable reports the column behind a name as it appears in $select,
// $filter and $orderby: plain columns by name, lookups as _<name>_value.
func (t *table) readable(name string) (*column, bool) {
	if c, ok := t.cols[name]; ok {
		if c.kind == kindLookup {
			return nil, false // a lookup is read as _<name>_value
		}
		return c, true
	}
	if len(name) > 7 && name[0] == '_' && name[len(name)-6:] == "_value" {
		if c, ok := t.cols[name[1:len(name)-6]]; ok && c.kind == kindLookup && !c.noValue {
			return c, true
		}
	}
	if t.open && openColumnName.MatchString(name) {
		return &column{name: name, kind: kindOpen}, true
	}
	return nil, false
}

// openColumnName is what an open table accepts as a new column name.
var openColumnName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)

// outputNames lists the names a row is read with when $select is absent.
func (t *table) outputNames() []string {
	names := make([]string, 0, len(t.cols))
	for _, c := range t.cols {
		if c.writeOnly || c.noValue {
			continue
		}
		if c.kind == kindLookup {
			names = append(names, lookupKey(c.name))
		} else {
			names = append(names, c.name)
		}
	}
	sort.Strings(names)
	return names
}

// Component types of the solution-aware tables (solutioncomponent.componenttype).
const (
	componentSDKMessageProcessingStep      = 92
	componentSDKMessageProcessingStepImage = 93
	componentServiceEndpoint               = 95
)

// Choice values used by the rules and the pipeline.
const (
	contractWebhook = 8

	authTypeWebhookKey      = 4
	authTypeHTTPHeader      = 5
	authTypeHTTPQueryString = 6

	modeSynchronous  = 0
	modeAsynchronous = 1

	stagePreValidation = 10
	stagePreOperation  = 20
	stageMainOperation = 30 // the operation itself: no step registers there, contexts name it
	stagePostOperation = 40

	imageTypePre  = 0
	imageTypePost = 1
	imageTypeBoth = 2
)

// newSchema builds the tables the emulator serves, keyed by entity set name.
func newSchema() map[string]*table {
	tables := map[string]*table{}
	declare := func(logical, set, key string) *table {
		t := newTable(logical, set, key)
		tables[set] = t
		return t
	}

	se := declare("serviceendpoint", "serviceendpoints", "serviceendpointid")
	// The table has no versionnumber column, so its rows carry no @odata.etag
	// (its metadata, and a live read).
	se.etag = false
	delete(se.cols, "versionnumber")
	se.alwaysRead = []string{lookupKey("organizationid")}
	se.solutionComponent(componentServiceEndpoint).
		str("name", 256, requiredCol).
		str("url", 2000).
		choice("contract", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, requiredCol).
		choice("authtype", []int{1, 2, 3, 4, 5, 6, 7, 8}).
		add(&column{name: "authvalue", kind: kindString, maxLen: 2048, writeOnly: true}).
		boolean("isauthvalueset", readOnlyCol).
		memo("description", 2000).
		choice("messageformat", []int{1, 2, 3}).
		choice("userclaim", []int{1, 2, 3}).
		choice("connectionmode", []int{1, 2}, defaultVal(int64(1))).
		str("namespaceaddress", 255).
		str("path", 160).
		// The other columns entity-metadata-real.md lists as writable: the Plug-in Registration
		// Tool sends some of them, null for a webhook. IsCustomizable, a managed property (a
		// complex value), and KeyVaultReferenceId, a lookup to a table the emulator lacks, are
		// not emulated.
		str("solutionnamespace", 160).
		choice("namespaceformat", []int{1, 2}).
		choice("messagecharset", []int{0, 1}).
		choice("schematype", []int{1, 2}).
		str("saskeyname", 256).
		add(&column{name: "saskey", kind: kindString, maxLen: 256, writeOnly: true}).
		add(&column{name: "sastoken", kind: kindString, maxLen: 256, writeOnly: true}).
		boolean("issaskeyset", readOnlyCol).
		boolean("issastokenset", readOnlyCol).
		boolean("usekeyvaultconfiguration").
		str("introducedversion", 48).
		memo("runtimeintegrationproperties", 512).
		lookup("organizationid", false, readOnlyCol, "organizations", "organizationid").
		collection("serviceendpoint_sdkmessageprocessingstep", "sdkmessageprocessingsteps", "eventhandler")

	declare("sdkmessageprocessingstep", "sdkmessageprocessingsteps", "sdkmessageprocessingstepid").
		solutionComponent(componentSDKMessageProcessingStep).
		stateAndStatus([]int{0, 1}, []int{1, 2}).
		str("name", 256, requiredCol).
		str("description", 256).
		choice("mode", []int{0, 1}, defaultVal(int64(modeSynchronous))).
		// The option set of entity-metadata-real.md [ST], internal stages too; custom steps are
		// limited to 10/20/40 by the rules.
		choice("stage", []int{5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 80, 90}, requiredCol).
		// SystemRequired with no default value in entity-metadata-real.md [ST].
		integer("rank", requiredCol).
		boolean("asyncautodelete", defaultVal(false)).
		memo("filteringattributes", 100000).
		choice("supporteddeployment", []int{0, 1, 2}, defaultVal(int64(0))).
		choice("invocationsource", []int{-1, 0, 1}, defaultVal(int64(0))).
		memo("configuration", 1073741823).
		integer("customizationlevel", readOnlyCol).
		lookup("eventhandler", true, requiredCol,
			"serviceendpoints", "eventhandler_serviceendpoint",
			"plugintypes", "eventhandler_plugintype").
		lookup("sdkmessageid", true, requiredCol, "sdkmessages", "sdkmessageid").
		lookup("sdkmessagefilterid", true, nil, "sdkmessagefilters", "sdkmessagefilterid").
		lookup("impersonatinguserid", true, nil, "systemusers", "impersonatinguserid").
		// Writable (some tools bind it to the webhook plug-in type), and read
		// only through $expand: the real CSDL has no _plugintypeid_value.
		lookup("plugintypeid", true, noValueCol, "plugintypes", "plugintypeid").
		lookup("organizationid", false, readOnlyCol, "organizations", "organizationid").
		// The other plain columns entity-metadata-real.md lists as writable; IsCustomizable and
		// IsHidden are managed properties and not emulated.
		str("category", 100).
		boolean("canbebypassed").
		boolean("canusereadonlyconnection").
		boolean("enablepluginprofiler").
		str("eventexpander", 4000).
		str("introducedversion", 48).
		memo("runtimeintegrationproperties", 512).
		collection("sdkmessageprocessingstepid_sdkmessageprocessingstepimage", "sdkmessageprocessingstepimages", "sdkmessageprocessingstepid")

	declare("sdkmessageprocessingstepimage", "sdkmessageprocessingstepimages", "sdkmessageprocessingstepimageid").
		solutionComponent(componentSDKMessageProcessingStepImage).
		// name is SystemRequired on the real table.
		str("name", 256, requiredCol).
		str("entityalias", 256, requiredCol).
		choice("imagetype", []int{0, 1, 2}, requiredCol).
		memo("attributes", 100000).
		str("messagepropertyname", 256, requiredCol).
		str("description", 256).
		str("relatedattributename", 256).
		str("introducedversion", 48).
		integer("customizationlevel", readOnlyCol).
		lookup("sdkmessageprocessingstepid", true, requiredCol, "sdkmessageprocessingsteps", "sdkmessageprocessingstepid")

	declare("sdkmessage", "sdkmessages", "sdkmessageid").
		catalog().
		str("name", 256).
		str("categoryname", 25).
		boolean("isprivate").
		boolean("isvalidforexecuteasync").
		boolean("autotransact").
		integer("customizationlevel").
		collection("sdkmessageid_sdkmessagefilter", "sdkmessagefilters", "sdkmessageid")

	declare("sdkmessagefilter", "sdkmessagefilters", "sdkmessagefilterid").
		catalog().
		str("name", 256).
		str("primaryobjecttypecode", 64).
		str("secondaryobjecttypecode", 64).
		boolean("iscustomprocessingstepallowed").
		boolean("isvisible").
		integer("availability").
		integer("customizationlevel").
		lookup("sdkmessageid", false, nil, "sdkmessages", "sdkmessageid")

	declare("plugintype", "plugintypes", "plugintypeid").
		catalog().
		str("name", 256).
		str("typename", 256).
		str("friendlyname", 256).
		str("assemblyname", 100).
		str("description", 256).
		boolean("isworkflowactivity")

	declare("systemuser", "systemusers", "systemuserid").
		catalog().
		str("fullname", 200).
		str("firstname", 256).
		str("lastname", 256).
		str("domainname", 1024).
		str("internalemailaddress", 100).
		guid("applicationid").
		guid("azureactivedirectoryobjectid").
		boolean("isdisabled").
		choice("accessmode", []int{0, 1, 2, 3, 4, 5, 6}).
		lookup("businessunitid", false, nil, "businessunits", "businessunitid")

	declare("businessunit", "businessunits", "businessunitid").catalog().str("name", 160)
	declare("team", "teams", "teamid").catalog().str("name", 160)
	declare("workflow", "workflows", "workflowid").catalog().str("name", 100)
	declare("organization", "organizations", "organizationid").catalog().str("name", 160)

	declare("solution", "solutions", "solutionid").
		catalog().
		str("uniquename", 65).
		str("friendlyname", 256).
		str("version", 256).
		boolean("ismanaged").
		boolean("isvisible")

	declare("solutioncomponent", "solutioncomponents", "solutioncomponentid").
		catalog().
		guid("objectid").
		integer("componenttype").
		integer("rootcomponentbehavior").
		boolean("ismetadata").
		lookup("solutionid", false, nil, "solutions", "solutionid")

	job := declare("asyncoperation", "asyncoperations", "asyncoperationid")
	job.owned = true
	// A live single-row read of a system job (asyncoperation-row-live.jsonc), every column in
	// it, carried no @odata.etag and no versionnumber.
	job.etag = false
	delete(job.cols, "versionnumber")
	job.str("name", 500).
		choice("operationtype", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 38, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 56, 57, 58, 59, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 98, 99, 100, 101, 201, 202, 203, 204, 207, 208, 209, 210, 211, 12801, 12802}).
		choice("statecode", []int{0, 1, 2, 3}).
		choice("statuscode", []int{0, 10, 20, 21, 22, 30, 31, 32}).
		memo("message", 1073741823).
		memo("friendlymessage", 1073741823).
		memo("data", 1073741823).
		integer("errorcode").
		datetime("startedon").
		datetime("completedon").
		datetime("postponeuntil").
		integer("retrycount").
		integer("depth").
		str("messagename", 160).
		str("primaryentitytype", 64).
		guid("correlationid").
		guid("requestid").
		lookup("owningextensionid", false, nil, "sdkmessageprocessingsteps", "owningextensionid").
		lookup("regardingobjectid", false, nil,
			"accounts", "regardingobjectid_account",
			"contacts", "regardingobjectid_contact",
			"leads", "regardingobjectid_lead").
		lookup("ownerid", false, readOnlyCol, "systemusers", "ownerid").
		// The rest of the live row's columns, as the service fills them (pipeline.go).
		integer("timezoneruleversionnumber").
		integer("utcconversiontimezonecode").
		guid("parentpluginexecutionid").
		boolean("iswaitingforevent").
		boolean("retainjobhistory").
		datetime("correlationupdatedtime").
		datetime("expanderstarttime").
		datetime("recurrencestarttime").
		str("recurrencepattern", 256).
		add(&column{name: "sequence", kind: kindBigInt}).
		str("hostid", 512).
		double("executiontimespan").
		integer("subtype").
		str("dependencytoken", 256).
		str("workflowstagename", 256).
		guid("breadcrumbid").
		str("callerorigin", 256).
		str("workload", 256).
		memo("rootexecutioncontext", 1073741823).
		guid("datablobid").
		str("datablobid_name", 256).
		lookup("owninguser", false, readOnlyCol, "systemusers", "owninguser").
		lookup("owningteam", false, readOnlyCol, "teams", "owningteam").
		lookup("owningbusinessunit", false, readOnlyCol, "businessunits", "owningbusinessunit").
		lookup("workflowactivationid", false, nil, "workflows", "workflowactivationid")

	declare("account", "accounts", "accountid").
		businessTable("name", []int{0, 1}, []int{1, 2}).
		str("name", 160).
		str("telephone1", 50).
		str("accountnumber", 20).
		str("emailaddress1", 100).
		str("websiteurl", 200).
		str("address1_line1", 250).
		str("address1_city", 80).
		str("address1_postalcode", 20)

	declare("contact", "contacts", "contactid").
		businessTable("fullname", []int{0, 1}, []int{1, 2}).
		str("fullname", 160).
		str("yomifullname", 450).
		str("firstname", 50).
		str("lastname", 50).
		str("emailaddress1", 100).
		str("telephone1", 50)

	declare("lead", "leads", "leadid").
		businessTable("fullname", []int{0, 1, 2}, []int{1, 2, 3, 4, 5, 6, 7}).
		str("fullname", 160).
		str("yomifullname", 450).
		str("subject", 300).
		str("firstname", 50).
		str("lastname", 50).
		str("companyname", 100)
	return tables
}
