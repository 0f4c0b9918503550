package dataverse

import (
	"crypto/sha1" //nolint:gosec // SHA-1 is what RFC 9562 prescribes for name-based (version 5) UUIDs; nothing here is secret.
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Rows are created under ids derived from what identifies them, so that a create repeated after
// any failure (a lost answer, a killed process, a second apply running at the same time) names
// the row the first attempt may have made: Dataverse refuses it with DuplicateRecord, and the
// caller reads that row instead of making another. An id is derived once, at create; renaming a
// webhook later does not change its id, so a new webhook given the old name finds its first id
// taken by a row of another name: the n argument picks the next id of a name's sequence, which
// the caller walks until it meets a free id or its own row.

// idNamespace is the project's own UUID namespace (itself a version 5 UUID of the module path
// under RFC 9562's URL namespace).
var idNamespace = uuidV5([16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8},
	"https://github.com/dataverse-terraform/terraform-provider-dataverse")

// WebhookIDFor is the id a webhook named name is created with. Dataverse compares names without
// case, so the name is folded: two spellings of one name meet on one id.
func WebhookIDFor(name string, n int) string {
	return derivedID(n, "serviceendpoint", strings.ToLower(name))
}

// StepIDFor is the id the step in is created with: its webhook, its name and what fires it
// (message, table, mode, stage and filtering columns). Steps of one default name, such as two
// Update steps of one table filtering on different columns, so get ids of their own.
func StepIDFor(in StepCreate, n int) string {
	cols := cleanColumns(in.FilteringAttributes)
	slices.Sort(cols)
	return derivedID(n, "sdkmessageprocessingstep", strings.ToLower(in.WebhookID), strings.ToLower(in.Name),
		strings.ToLower(in.MessageID), strings.ToLower(in.MessageFilterID), strconv.Itoa(int(in.Mode)), strconv.Itoa(int(in.Stage)),
		strings.Join(cols, ","))
}

// StepImageIDFor is the id an image with alias alias on step stepID is created with. Aliases are
// keys of the posted JSON and compared exactly, so the alias is not folded.
func StepImageIDFor(stepID, alias string, n int) string {
	return derivedID(n, "sdkmessageprocessingstepimage", strings.ToLower(stepID), alias)
}

// StepOwnedImageIDFor is the id of an image created as part of its step's definition. It is kept
// apart from StepImageIDFor's ids of images registered on their own, so that neither kind takes
// a row of the other for one it made and lost track of.
func StepOwnedImageIDFor(stepID, alias string, n int) string {
	return derivedID(n, "sdkmessageprocessingstepimage of its step", strings.ToLower(stepID), alias)
}

// DerivedIDsPerName is how far callers walk a name's sequence of ids before giving up.
const DerivedIDsPerName = 8

func derivedID(n int, parts ...string) string {
	if n > 0 {
		parts = append(parts, strconv.Itoa(n))
	}
	return formatUUID(uuidV5(idNamespace, strings.Join(parts, "\x00")))
}

func uuidV5(namespace [16]byte, name string) [16]byte {
	h := sha1.New() //nolint:gosec // see the import
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
