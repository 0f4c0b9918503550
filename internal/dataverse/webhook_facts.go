package dataverse

import (
	"strings"
	"sync"
)

// webhookFacts is what the client has learned of webhooks from the rows it created, read,
// listed or updated: which serviceendpoint ids are webhooks and, when the webhook's own row was
// seen, its name (a step's expansion carries only its handler's contract). It lets a step take
// its default name, and a written step skip its read-back, without another request. A failed
// write or read drops what it touched, as the snapshot does, so a fact is never staler than
// the last row this client saw.
type webhookFacts struct {
	mu sync.Mutex
	// names maps a lower-case serviceendpoint id known to be a webhook to its name, "" when
	// only the contract is known.
	names map[string]string
}

// learn records a webhook row as read or written.
func (f *webhookFacts) learn(id, name string) {
	if id == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names == nil {
		f.names = map[string]string{}
	}
	f.names[strings.ToLower(id)] = name
}

// learnIsWebhook records that id is a webhook, keeping its name when known.
func (f *webhookFacts) learnIsWebhook(id string) {
	if id == "" {
		return
	}
	key := strings.ToLower(id)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names == nil {
		f.names = map[string]string{}
	}
	if _, ok := f.names[key]; !ok {
		f.names[key] = ""
	}
}

// forget drops everything known of id: it was deleted, is no longer a webhook, or a write or
// read of it failed.
func (f *webhookFacts) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.names, strings.ToLower(id))
}

func (f *webhookFacts) isWebhook(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.names[strings.ToLower(id)]
	return ok
}

func (f *webhookFacts) name(id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := f.names[strings.ToLower(id)]
	return name, name != ""
}

// KnownWebhookName returns the name of webhook id as this client last saw it in a row it
// created, read, listed or updated. It answers from memory and never sends a request; ok is
// false when no such row was seen (or a later write or read of it failed), and the caller then
// reads the webhook.
func (c *Client) KnownWebhookName(id string) (name string, ok bool) {
	return c.webhooks.name(id)
}
