package emulator

import (
	"errors"
	"fmt"
	"reflect"
)

// Errors of the inspection helpers.
var (
	ErrUnknownEntitySet = errors.New("emulator: unknown entity set")
	ErrRowNotFound      = errors.New("emulator: row not found")
)

// Rows returns copies of every row of an entity set, ordered by primary key,
// in the form the Web API reads them (lookups as _<name>_value). Write-only
// values (authvalue) are not included; see AuthValue.
func (e *Emulator) Rows(entitySet string) []map[string]any {
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	if e.schema[entitySet] == nil {
		return nil
	}
	rows := e.store.sorted(entitySet)
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = r.clone().cols
	}
	return out
}

// AddedRows is Rows without the rows the environment came with (made by SYSTEM, as the
// plug-in step every environment holds): what clients, tests among them, added.
func (e *Emulator) AddedRows(entitySet string) []map[string]any {
	rows := e.Rows(entitySet)
	out := rows[:0]
	for _, r := range rows {
		if r[lookupKey("createdby")] != systemUserID {
			out = append(out, r)
		}
	}
	return out
}

// Row returns a copy of one row.
func (e *Emulator) Row(entitySet, id string) (map[string]any, bool) {
	id, _ = parseGUID(id)
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	if e.schema[entitySet] == nil {
		return nil, false
	}
	r := e.store.get(entitySet, id)
	if r == nil {
		return nil, false
	}
	return r.clone().cols, true
}

// PatchRow changes columns of a row behind the Web API's back, as another
// client or an administrator would, to simulate drift: no validation, no
// steps fire. Keys are the names the Web API reads (_<name>_value for
// lookups); "authvalue" sets a serviceendpoint's secret. The row version and
// modifiedon move on, as for any change.
func (e *Emulator) PatchRow(entitySet, id string, cols map[string]any) error {
	return e.changeRow(entitySet, id, func(t *table, id string, old *record) {
		r := old.clone()
		for k, v := range cols {
			if k == "authvalue" {
				s, _ := v.(string)
				r.secret, r.hasSecret = s, s != ""
				continue
			}
			r.cols[k] = normalizeGoValue(v)
		}
		if t.set == "serviceendpoints" {
			r.cols["isauthvalueset"] = r.hasSecret
		}
		r.cols["modifiedon"] = formatTime(e.now())
		if _, versioned := t.cols["versionnumber"]; versioned {
			r.cols["versionnumber"] = e.store.nextVersion()
		}
		e.store.put(entitySet, id, r)
	})
}

// DeleteRow deletes a row behind the Web API's back, cascading as Dataverse
// does (a serviceendpoint's steps, a step's images). No steps fire.
func (e *Emulator) DeleteRow(entitySet, id string) error {
	return e.changeRow(entitySet, id, func(t *table, id string, _ *record) {
		for _, ref := range e.cascadeOf(t, id) {
			e.store.remove(ref.set, ref.id)
			e.removeComponents(ref.id)
		}
		e.store.remove(entitySet, id)
		e.removeComponents(id)
	})
}

// changeRow runs change on the row id of entitySet, under the store's write lock, once the row
// is known to exist; change gets the id in its stored form.
func (e *Emulator) changeRow(entitySet, id string, change func(t *table, id string, old *record)) error {
	t := e.schema[entitySet]
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownEntitySet, entitySet)
	}
	id, _ = parseGUID(id)
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	old := e.store.get(entitySet, id)
	if old == nil {
		return fmt.Errorf("%w: %s(%s)", ErrRowNotFound, entitySet, id)
	}
	change(t, id, old)
	return nil
}

// AuthValue returns the authvalue stored for a serviceendpoint, which the
// Web API never returns.
func (e *Emulator) AuthValue(webhookID string) (string, bool) {
	id, _ := parseGUID(webhookID)
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	r := e.store.get("serviceendpoints", id)
	if r == nil || !r.hasSecret {
		return "", false
	}
	return r.secret, true
}

// normalizeGoValue maps Go values from tests onto the stored kinds: the narrower integers
// onto int64 and float32 onto float64.
func normalizeGoValue(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return rv.Convert(reflect.TypeFor[int64]()).Int()
	case reflect.Float32:
		return rv.Float()
	}
	return normalizeNumber(v)
}
