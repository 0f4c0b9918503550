package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// Every row is created under an id derived from what identifies it (dataverse.WebhookIDFor and
// the like). A create that meets a row under that id (HTTP 412, DuplicateRecord) finds the row
// an earlier attempt made: the answer was lost, the provider or Terraform was killed before the
// state was saved, or another apply of the same configuration got there first. That row is
// adopted when it holds what the configuration asks for, and refused with an import hint when it
// does not. A row under the id that is not the same object (a webhook renamed since it took the
// id) sends the create on to the next id of the name's sequence.

// rowClaims records the rows the resources of one configured provider created or adopted, so
// that two resources of one apply never adopt one row.
type rowClaims struct{ ids sync.Map } // lower-case id → true

// claim records id as taken by a resource of this provider; it reports false when another
// resource took it first.
func (c *rowClaims) claim(id string) bool {
	_, taken := c.ids.LoadOrStore(strings.ToLower(id), true)
	return !taken
}

// claimed reports whether a resource of this provider took id.
func (c *rowClaims) claimed(id string) bool {
	_, taken := c.ids.Load(strings.ToLower(id))
	return taken
}

// deleteUnlessTaken deletes the row id of a destroyed resource, unless a create of this apply
// took it: the replacement of a create_before_destroy resource, which derives its
// predecessor's id, or a new resource that took over the row of one gone from the configuration.
// Deleting it would delete what the other resource now manages.
func deleteUnlessTaken(ctx context.Context, claims *rowClaims, deleteRow func(context.Context, string) error, what, id string, diags *diag.Diagnostics) {
	if claims.claimed(id) {
		tflog.Info(ctx, what+" left in place: a resource created in this apply holds its row", map[string]any{"id": id})
		return
	}
	reportDeleteError(deleteRow(ctx, id), what, id, diags)
}

// errClaimed is a row under a derived id that another resource of the same apply created or took.
var errClaimed = errors.New("another resource of this configuration already manages the row with this identity")

// createDerived creates a row under the first free id of a name's sequence. create makes the row
// under id; find reads the row holding id and reports whether it is the same object (same name
// on the same parent) as the one being created. It returns the row and whether it was adopted.
func createDerived[T any](ctx context.Context, claims *rowClaims, idFor func(n int) string, create func(id string) (*T, error), find func(id string) (*T, bool, error)) (*T, bool, error) {
	for n := range dataverse.DerivedIDsPerName {
		id := idFor(n)
		row, err := create(id)
		if !errors.Is(err, dataverse.ErrDuplicateRecord) {
			if row != nil {
				claims.claim(id)
			}
			return row, false, err
		}
		found, same, err := find(id)
		if err != nil {
			return nil, false, fmt.Errorf("reading the row that holds id %s: %w", id, err)
		}
		if same {
			if !claims.claim(id) {
				return nil, false, fmt.Errorf("%w (id %s)", errClaimed, id)
			}
			return found, true, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
	}
	return nil, false, fmt.Errorf("the first %d ids derived for this name are held by other rows", dataverse.DerivedIDsPerName)
}

// isDerivedID reports whether id is one of the ids idFor gives a name.
func isDerivedID(id string, idFor func(n int) string) bool {
	for n := range dataverse.DerivedIDsPerName {
		if strings.EqualFold(id, idFor(n)) {
			return true
		}
	}
	return false
}

// differences lists, as "column (stored X, configured Y)", the columns where a row found under a
// derived id differs from the configuration.
type differences []string

func (d *differences) compare(column string, stored, configured any) {
	if fmt.Sprint(stored) != fmt.Sprint(configured) {
		*d = append(*d, fmt.Sprintf("%s (stored %q, configured %q)", column, fmt.Sprint(stored), fmt.Sprint(configured)))
	}
}

// refuseAdoption reports a row under the derived id that the configuration does not describe.
// The stored values are the server's text, which may echo the secret the create just sent, or
// the one about to be: a difference that holds a secret names its column only.
func refuseAdoption(diags *diag.Diagnostics, client *dataverse.Client, kind, id string, diff differences, secrets ...string) {
	for i, d := range diff {
		if client.EchoesSecret(d, secrets...) {
			column, _, _ := strings.Cut(d, " (")
			diff[i] = column + " (values not shown: one holds a secret)"
		}
	}
	diags.AddError("A "+kind+" with this identity already exists",
		fmt.Sprintf("Dataverse already holds a %s with id %s, the id this provider gives the configured %s, but it differs "+
			"from the configuration in: %s.\n\nIt was made by an earlier or concurrent apply of another configuration, or changed "+
			"since. Bring it under Terraform and let the next plan show the changes:\n\n  terraform import <resource address> %s\n\n"+
			"or an import block with id = %q.\n\nIf this configuration manages that %s under another address (a resource "+
			"block renamed, or moved into a module), add a moved block from the old address to the new one instead: the %s "+
			"keeps its id and the plan shows the changes as an update.", kind, id, kind, strings.Join(diff, ", "), id, id, kind, kind))
}
