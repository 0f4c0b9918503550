package emulator

import (
	"net/http"
	"sync"
)

// Stats counts what the emulator saw since start or the last reset.
type Stats struct {
	Requests struct {
		Total       int64            `json:"total"`
		ByMethod    map[string]int64 `json:"by_method"`
		ByEntitySet map[string]int64 `json:"by_entity_set"`
	} `json:"requests"`
	Throttled int64 `json:"throttled"`
	Faults    int64 `json:"faults"`
	// Dropped counts the answers dropped after a commit (DropAfterCommitRate): one per request,
	// a $batch holding several dropped writes counting once.
	Dropped       int64 `json:"dropped"`
	TokenRequests int64 `json:"token_requests"`
}

type statsCounters struct {
	mu        sync.Mutex
	total     int64
	byMethod  map[string]int64
	bySet     map[string]int64
	throttled int64
	faults    int64
	dropped   int64
}

func (s *statsCounters) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total, s.throttled, s.faults, s.dropped = 0, 0, 0, 0
	s.byMethod = map[string]int64{}
	s.bySet = map[string]int64{}
}

func (s *statsCounters) request(method, set string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	s.byMethod[method]++
	if set != "" {
		s.bySet[set]++
	}
}

func (s *statsCounters) add(field *int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*field++
}

// Stats returns a copy of the counters. Web API requests are counted as they
// arrive, whatever their outcome; token requests and the emulator's own
// endpoints are not.
func (e *Emulator) Stats() Stats {
	var out Stats
	e.stats.mu.Lock()
	out.Requests.Total = e.stats.total
	out.Requests.ByMethod = make(map[string]int64, len(e.stats.byMethod))
	for k, v := range e.stats.byMethod {
		out.Requests.ByMethod[k] = v
	}
	out.Requests.ByEntitySet = make(map[string]int64, len(e.stats.bySet))
	for k, v := range e.stats.bySet {
		out.Requests.ByEntitySet[k] = v
	}
	out.Throttled = e.stats.throttled
	out.Faults = e.stats.faults
	out.Dropped = e.stats.dropped
	e.stats.mu.Unlock()
	out.TokenRequests = e.entra.TokenRequests()
	return out
}

// ResetStats zeroes the counters, the token service's included.
func (e *Emulator) ResetStats() {
	e.stats.reset()
	e.entra.ResetCounters()
}

// serveAdmin answers the emulator's own endpoints. They need a bearer token of the emulator's
// token service, as the Web API does: anyone who can reach the port must not be able to read
// or reset its counters.
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if _, _, err := e.authenticate(r); err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeAPIError(w, err)
		return
	}
	switch r.URL.Path {
	case "/_emulator/stats":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		writeJSON(w, http.StatusOK, e.Stats())
	case "/_emulator/reset":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}
