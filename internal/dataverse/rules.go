package dataverse

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
)

// This file holds what Dataverse accepts in a webhook registration, and what its webhook
// sender does with it, as facts the client and its callers check before writing. Each fact
// names where it was seen: a live environment, the Plug-in Registration Tool's source, the
// platform's webhook sender (Microsoft.Crm.ServiceBus) or Microsoft's documentation. Where
// they disagree, what a live environment or the platform's own code does wins.

// RuleField is the part of a registration a rule is about.
type RuleField int

const (
	FieldStep                RuleField = iota + 1 // the step an image belongs to
	FieldImageType                                // sdkmessageprocessingstepimage.imagetype
	FieldStage                                    // sdkmessageprocessingstep.stage (with its mode)
	FieldAsyncAutoDelete                          // sdkmessageprocessingstep.asyncautodelete
	FieldFilteringAttributes                      // sdkmessageprocessingstep.filteringattributes
)

// RuleError is a registration Dataverse refuses, or one it accepts and then fails every time
// the step fires. Summary is a short title, Problem says what is wrong and Fix what to do. They
// write a column as {column}, such as {asyncautodelete}, for Text to name it as the caller's
// user knows it.
type RuleError struct {
	Field   RuleField
	Summary string
	Problem string
	Fix     string
}

// Text is the summary, and the problem with its fix, with each {column} written as name says.
// What the texts quote is the caller's own value, such as a message name, and stays as it is.
func (e *RuleError) Text(name func(column string) string) (summary, detail string) {
	spell := func(s string) string {
		return columnRef.ReplaceAllStringFunc(s, func(ref string) string {
			if ref[0] == '"' {
				return ref
			}
			return name(ref[1 : len(ref)-1])
		})
	}
	return spell(e.Summary), spell(e.Problem + " " + e.Fix)
}

// columnRef is a column as RuleError's texts write it, or a value quoted with %q, which is
// matched only to be passed over.
var columnRef = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|\{[a-z]+\}`)

// Error names the columns as Dataverse does.
func (e *RuleError) Error() string {
	_, detail := e.Text(func(column string) string { return column })
	return "dataverse: " + detail
}

// imageProperties is sdkmessageprocessingstepimage.messagepropertyname by message, the first
// entry being the one to write when nothing else is known (what the Plug-in Registration Tool
// writes). Live registrations and the tool's source agree; Microsoft's table of messages that
// support images lists the request property instead, which live Dataverse refuses for Create
// (400 0x8004416b "Message property name 'Target' is not valid on message Create").
var imageProperties = map[string][]string{
	"Assign":                {"Target"},
	"Create":                {"Id"},
	"CreateMultiple":        {"Ids"},
	"Delete":                {"Target"},
	"DeliverIncoming":       {"EmailId"},
	"DeliverPromote":        {"EmailId"},
	"ExecuteWorkflow":       {"Target"},
	"Merge":                 {"Target", "SubordinateId"},
	"Route":                 {"Target"},
	"Send":                  {"EmailId"},
	"SetState":              {"EntityMoniker"},
	"SetStateDynamicEntity": {"EntityMoniker"},
	"Update":                {"Target"},
	"UpdateMultiple":        {"Targets"},
}

// ImageMessageProperty returns the message property to register an image on: keep, as it is
// spelled, when the message accepts it (an image registered by another tool keeps its choice),
// else the message's default. False when the message offers no images. The names compare
// without regard to case, which is inferred: XrmTools' table writes "id" for Create.
func ImageMessageProperty(message, keep string) (string, bool) {
	props := imageProperties[knownMessage(message)]
	if len(props) == 0 {
		return "", false
	}
	if slices.ContainsFunc(props, func(p string) bool { return strings.EqualFold(p, keep) }) {
		return keep, true
	}
	return props[0], true
}

// knownMessage is message as these rules spell it when it names one of their messages in
// another case: Dataverse finds a step's message without regard to case, so "update" registers
// an Update step and must meet Update's rules.
func knownMessage(message string) string {
	if _, ok := imageProperties[message]; ok {
		return message
	}
	for name := range imageProperties {
		if strings.EqualFold(name, message) {
			return name
		}
	}
	return message
}

// ImageMessages lists, sorted, the messages that offer images.
func ImageMessages() []string {
	names := make([]string, 0, len(imageProperties))
	for m := range imageProperties {
		names = append(names, m)
	}
	slices.Sort(names)
	return names
}

// messagesWithoutPreImage have no row before the operation; messagesWithoutPostImage none after.
var (
	messagesWithoutPreImage  = []string{"Create", "CreateMultiple"}
	messagesWithoutPostImage = []string{"Delete"}
)

// CheckImage reports, as a *RuleError, an image of the type that a step on the message and
// stage cannot be given: Microsoft documents no pre-image on Create, no post-image on Delete
// and post-images only in PostOperation.
func CheckImage(message string, stage StepStage, t ImageType) error {
	message = knownMessage(message)
	if _, ok := imageProperties[message]; !ok {
		return &RuleError{
			Field:   FieldStep,
			Summary: "Images are not supported for this message",
			Problem: fmt.Sprintf("The step fires on message %q; Dataverse offers images only for the messages %s.", message, quoteAll(ImageMessages())),
			Fix:     "Remove the image, or attach it to a step on one of those messages.",
		}
	}
	pre := t == ImageTypePreImage || t == ImageTypeBoth
	post := t == ImageTypePostImage || t == ImageTypeBoth
	switch {
	case pre && slices.Contains(messagesWithoutPreImage, message):
		fix := `Remove the image, or set {imagetype} = "PostImage" to receive the created row.`
		if stage != StepStagePostOperation {
			fix = `Remove the image, or set {stage} = "PostOperation" on the step and {imagetype} = "PostImage" to receive the created row.`
		}
		return &RuleError{
			Field:   FieldImageType,
			Summary: "No pre-image on " + message,
			Problem: fmt.Sprintf("The step fires on %s, before which the row does not exist, so Dataverse has no pre-image to send ({imagetype} = %q).", message, t),
			Fix:     fix,
		}
	case post && slices.Contains(messagesWithoutPostImage, message):
		return &RuleError{
			Field:   FieldImageType,
			Summary: "No post-image on " + message,
			Problem: fmt.Sprintf("The step fires on %s, after which the row no longer exists, so Dataverse has no post-image to send ({imagetype} = %q).", message, t),
			Fix:     `Set {imagetype} = "PreImage" to receive the deleted row.`,
		}
	case post && stage != StepStagePostOperation:
		fix := `Set {imagetype} = "PreImage", or set {stage} = "PostOperation" on the step.`
		if slices.Contains(messagesWithoutPreImage, message) {
			// A pre-image is no way out where the row does not exist before the operation.
			fix = `Set {stage} = "PostOperation" on the step, or remove the image.`
		}
		return &RuleError{
			Field:   FieldImageType,
			Summary: "Post-images need a PostOperation step",
			Problem: fmt.Sprintf("The step runs in %s, before the change is saved, so Dataverse has no post-image to send ({imagetype} = %q).", stage, t),
			Fix:     fix,
		}
	}
	return nil
}

// filteringMessages take filteringattributes: the Plug-in Registration Tool (9.2 and later)
// offers them for these messages. What the server does with them on Create is not documented.
var filteringMessages = []string{"Create", "CreateMultiple", "Update", "UpdateMultiple"}

// FilteringAttributesMessages lists the messages whose steps take filtering attributes.
func FilteringAttributesMessages() []string { return slices.Clone(filteringMessages) }

// CheckFilteringAttributes reports, as a *RuleError, filtering attributes on a step whose
// message does not take them.
func CheckFilteringAttributes(message string) error {
	if slices.Contains(filteringMessages, knownMessage(message)) {
		return nil
	}
	return &RuleError{
		Field:   FieldFilteringAttributes,
		Summary: "{filteringattributes} do not apply to this message",
		Problem: fmt.Sprintf("Dataverse filters on columns only for the messages %s; this step's message is %q.", quoteAll(filteringMessages), message),
		Fix:     `Remove {filteringattributes}, or set {message} to one of those messages (such as "Update").`,
	}
}

// CheckStepMode reports, as a *RuleError, a mode and stage Dataverse refuses together:
// asynchronous steps run only after the operation, in PostOperation.
func CheckStepMode(mode StepMode, stage StepStage) error {
	if mode == StepModeAsynchronous && stage != StepStagePostOperation {
		return &RuleError{
			Field:   FieldStage,
			Summary: "Asynchronous steps must run in PostOperation",
			Problem: fmt.Sprintf("The step is asynchronous ({mode} = %q) but its {stage} is %q. Dataverse runs asynchronous steps only after the operation.", mode, stage),
			Fix:     fmt.Sprintf(`Set {stage} = "PostOperation", or set {mode} = "Synchronous" to run in %s.`, stage),
		}
	}
	return nil
}

// CheckAsyncAutoDelete reports asyncautodelete on a synchronous step: only asynchronous steps
// leave a system job to delete.
func CheckAsyncAutoDelete(mode StepMode, autoDelete bool) error {
	if autoDelete && mode != StepModeAsynchronous {
		return &RuleError{
			Field:   FieldAsyncAutoDelete,
			Summary: "{asyncautodelete} needs an asynchronous step",
			Problem: "Only asynchronous steps create system jobs to delete.",
			Fix:     `Remove {asyncautodelete}, or set {mode} = "Asynchronous".`,
		}
	}
	return nil
}

// Column lengths, in characters, from the tables' metadata.
const (
	MaxWebhookNameLength        = 256  // serviceendpoint.name
	MaxWebhookURLLength         = 2000 // serviceendpoint.url
	MaxWebhookDescriptionLength = 2000 // serviceendpoint.description
	MaxStepNameLength           = 256  // sdkmessageprocessingstep.name
	MaxStepDescriptionLength    = 256  // sdkmessageprocessingstep.description
	MaxImageNameLength          = 256  // sdkmessageprocessingstepimage.name
	MaxImageAliasLength         = 256  // sdkmessageprocessingstepimage.entityalias
)

// IsSolutionUniqueName reports whether s can be a solution's unique name: letters, digits and
// underscores, the characters Dataverse allows in one. The name travels in a request header,
// where anything else would be refused, or would end the header and start another.
func IsSolutionUniqueName(s string) bool { return solutionUniqueName.MatchString(s) }

var solutionUniqueName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// LogicalNamePattern matches the form of a table or column logical name: a letter or an
// underscore, then letters, digits and underscores.
func LogicalNamePattern() *regexp.Regexp { return logicalName }

var logicalName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkSolution(name string) error {
	if name == "" || IsSolutionUniqueName(name) {
		return nil
	}
	return fmt.Errorf("dataverse: %q is not a solution unique name (letters, digits and underscores)", name)
}

// MaxStepRank is the largest rank a step takes: sdkmessageprocessingstep.rank is an Edm.Int32,
// and the Web API refuses a larger number in the body.
const MaxStepRank = math.MaxInt32

// DefaultStepName is the name the Plug-in Registration Tool gives a webhook step,
// "<webhook>: <message> of <table>" ("of any Entity" without a table), cut to the column's length.
func DefaultStepName(webhookName, message, table string) string {
	name := webhookName + DefaultStepNameSuffix(message, table)
	n := 0
	for i, r := range name {
		// Cut where the column's length runs out, before a character that would not fit whole.
		if n += utf16.RuneLen(r); n > MaxStepNameLength {
			return name[:i]
		}
	}
	return name
}

// DefaultStepNameSuffix is the part of a default step name after the webhook's name.
func DefaultStepNameSuffix(message, table string) string {
	if table == "" {
		table = "any Entity"
	}
	return fmt.Sprintf(": %s of %s", message, table)
}

// restrictedHeaders are the names .NET's WebHeaderCollection refuses to set by name, which the
// platform's webhook sender uses for HttpHeader pairs: a webhook with one of them registers
// and then fails every delivery (0x80050203). Inferred from the sender's code, not captured.
var restrictedHeaders = []string{
	"Accept", "Connection", "Content-Length", "Content-Type", "Date", "Expect", "Host",
	"If-Modified-Since", "Proxy-Connection", "Range", "Referer", "Transfer-Encoding", "User-Agent",
}

// RestrictedHeaderNames lists the header names an HttpHeader webhook cannot send.
func RestrictedHeaderNames() []string { return slices.Clone(restrictedHeaders) }

// IsRestrictedHeader reports whether the sender refuses the header name (compared without case).
func IsRestrictedHeader(name string) bool {
	return slices.ContainsFunc(restrictedHeaders, func(h string) bool { return strings.EqualFold(h, name) })
}

// webhookPorts are the only ports Dataverse delivers webhooks to (Microsoft's documentation).
var webhookPorts = []string{"80", "443"}

// WebhookPorts lists the ports Dataverse delivers webhooks to.
func WebhookPorts() []string { return slices.Clone(webhookPorts) }

// DeliveredURL is the URL the platform's sender posts to for a registered url: white space
// around it and trailing slashes removed.
func DeliveredURL(registered string) string {
	return strings.TrimRight(strings.TrimSpace(registered), "/")
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
