package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// record is one stored row.
type record struct {
	// cols holds the columns as the Web API reads them: plain columns by
	// logical name, lookups as _<name>_value. Values are nil, string, bool,
	// int64 or float64; date-times are text in the Web API's format.
	cols map[string]any
	// targets remembers which entity set a polymorphic lookup points into
	// (lookup column name → entity set).
	targets map[string]string
	// secret is the serviceendpoint authvalue. It lives outside cols so that no
	// read path can return it by accident.
	secret    string
	hasSecret bool
}

func (r *record) clone() *record {
	c := &record{cols: make(map[string]any, len(r.cols)), secret: r.secret, hasSecret: r.hasSecret}
	for k, v := range r.cols {
		c.cols[k] = v
	}
	if len(r.targets) > 0 {
		c.targets = make(map[string]string, len(r.targets))
		for k, v := range r.targets {
			c.targets[k] = v
		}
	}
	return c
}

// store holds every table's rows. One mutex guards it all; nothing sleeps or
// performs network calls while holding it.
type store struct {
	mu      sync.RWMutex
	schema  map[string]*table
	rows    map[string]map[string]*record // entity set → id → row
	version int64                         // last row version handed out
	dirty   bool                          // changed since the last save
	// journal, while a changeset runs, records each row's value before its first change.
	journal *[]journalEntry
	// onCommit, while a changeset runs, holds what starts only if it commits: the deliveries of
	// the asynchronous steps its writes fired, whose system jobs a rollback removes.
	onCommit []func()
}

// journalEntry is a row as it was before a changeset changed it (nil: it did not exist).
type journalEntry struct {
	set, id string
	before  *record
}

// note records the row before a change, once per changeset; callers hold mu.
func (s *store) note(set, id string) {
	if s.journal == nil {
		return
	}
	for _, j := range *s.journal {
		if j.set == set && j.id == id {
			return
		}
	}
	*s.journal = append(*s.journal, journalEntry{set: set, id: id, before: s.rows[set][id]})
}

// rollBack restores every row the running changeset changed; callers hold mu.
func (s *store) rollBack() {
	if s.journal == nil {
		return
	}
	for _, j := range *s.journal {
		if j.before == nil {
			delete(s.rows[j.set], j.id)
		} else {
			s.rows[j.set][j.id] = j.before
		}
	}
	*s.journal = (*s.journal)[:0]
	s.onCommit = nil
	s.dirty = true
}

// afterCommit runs start now, or when the running changeset commits; callers hold mu.
func (s *store) afterCommit(start func()) {
	if s.journal == nil {
		start()
		return
	}
	s.onCommit = append(s.onCommit, start)
}

func newStore(schema map[string]*table) *store {
	s := &store{schema: schema, rows: map[string]map[string]*record{}}
	for set := range schema {
		s.rows[set] = map[string]*record{}
	}
	return s
}

// nextVersion returns a new row version; callers hold mu.
func (s *store) nextVersion() int64 {
	s.version++
	return s.version
}

func (s *store) get(set, id string) *record { return s.rows[set][id] }

func (s *store) put(set, id string, r *record) {
	s.note(set, id)
	s.rows[set][id] = r
	s.dirty = true
}

func (s *store) remove(set, id string) {
	s.note(set, id)
	delete(s.rows[set], id)
	s.dirty = true
}

// sorted returns the rows of a set ordered by primary key, the order queries
// without $orderby return them in.
func (s *store) sorted(set string) []*record {
	m := s.rows[set]
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]*record, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// lookupTarget tells which entity set a lookup of a row points into.
func (s *store) lookupTarget(t *table, r *record, col string) string {
	if set, ok := r.targets[col]; ok {
		return set
	}
	c := t.cols[col]
	if c == nil || len(c.navs) == 0 {
		return ""
	}
	return t.navs[c.navs[0]].target
}

// persisted is the on-disk form of the store in a state directory.
type persisted struct {
	Version      int64                        `json:"version"`
	ClientSecret string                       `json:"client_secret"`
	Tables       map[string][]persistedRecord `json:"tables"`
}

type persistedRecord struct {
	Cols    map[string]any    `json:"cols"`
	Targets map[string]string `json:"targets,omitempty"`
	Secret  *string           `json:"secret,omitempty"`
}

const stateFileName = "state.json"

// snapshot captures the store for saving; callers hold mu (read).
func (s *store) snapshot(clientSecret string) persisted {
	p := persisted{Version: s.version, ClientSecret: clientSecret, Tables: map[string][]persistedRecord{}}
	for set := range s.rows {
		for _, r := range s.sorted(set) {
			pr := persistedRecord{Cols: r.clone().cols, Targets: r.targets}
			if r.hasSecret {
				v := r.secret
				pr.Secret = &v
			}
			p.Tables[set] = append(p.Tables[set], pr)
		}
	}
	return p
}

// save writes the store to dir atomically.
func (s *store) save(dir, clientSecret string) error {
	s.mu.Lock()
	p := s.snapshot(clientSecret)
	s.dirty = false
	s.mu.Unlock()
	// The state directory keeps the client secret on purpose (mode 0600), so
	// that a restarted emulator accepts the same credentials.
	b, err := json.Marshal(p) //nolint:gosec // see above
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFileName)); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// saveLoop writes the state directory shortly after changes.
func (e *Emulator) saveLoop(dir string) {
	defer close(e.saverDone)
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-e.saverStop:
			return
		case <-ticker.C:
			e.store.mu.RLock()
			dirty := e.store.dirty
			e.store.mu.RUnlock()
			if dirty {
				if err := e.store.save(dir, e.clientSecret); err != nil {
					e.log.Error("save state", "error", err)
				}
			}
		}
	}
}

// loadState reads a saved store; ok is false when dir holds none.
func loadState(dir string) (p persisted, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFileName)) //nolint:gosec // the operator chose the state directory
	if os.IsNotExist(err) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read state: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return p, false, fmt.Errorf("decode state %s: %w", filepath.Join(dir, stateFileName), err)
	}
	for _, rows := range p.Tables {
		for _, r := range rows {
			for k, v := range r.Cols {
				r.Cols[k] = normalizeNumber(v)
			}
		}
	}
	return p, true, nil
}

// restore replaces the rows of the tables the snapshot names.
func (s *store) restore(p persisted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = p.Version
	for set, rows := range p.Tables {
		t := s.schema[set]
		if t == nil {
			continue
		}
		m := map[string]*record{}
		for _, pr := range rows {
			r := &record{cols: pr.Cols, targets: pr.Targets}
			if r.cols == nil {
				continue
			}
			if pr.Secret != nil {
				r.secret, r.hasSecret = *pr.Secret, true
			}
			id, _ := r.cols[t.key].(string)
			if id == "" {
				continue
			}
			m[id] = r
		}
		s.rows[set] = m
	}
}

// normalizeNumber turns a decoded json.Number into int64 when it is integral
// and fits, float64 otherwise; other values pass through.
func normalizeNumber(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return n.String()
	}
	return f
}

// keyedMutex serializes work on one row (a create, update or delete and the
// synchronous steps it runs) without holding the store lock meanwhile.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
