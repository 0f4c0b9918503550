// Package webhookfleet writes the configuration of many webhooks with the same number of steps each, the
// graph the benchmark and the scale tests apply: one resource block per webhook and step, so each
// step depends on its own webhook only, as in a hand-written configuration.
package webhookfleet

import (
	"fmt"
	"strings"
)

// Fleet is Webhooks webhooks with StepsPerWebhook steps each.
type Fleet struct {
	Webhooks, StepsPerWebhook int
}

// Steps counts the steps of the fleet.
func (f Fleet) Steps() int { return f.Webhooks * f.StepsPerWebhook }

// Steps cycle through these messages and tables, so a fleet names at most six pairs.
var (
	messages = []string{"Create", "Update", "Delete"}
	tables   = []string{"account", "contact"}
)

// Pair is the message and table of step j of webhook i.
func (f Fleet) Pair(i, j int) (message, table string) {
	return messages[j%len(messages)], tables[i%len(tables)]
}

// Pairs counts the distinct (message, table) pairs of the fleet.
func (f Fleet) Pairs() int {
	seen := map[string]bool{}
	for i := range f.Webhooks {
		for j := range f.StepsPerWebhook {
			m, t := f.Pair(i, j)
			seen[m+"/"+t] = true
		}
	}
	return len(seen)
}

// Write writes, for each webhook i, webhook(i) and then step(i, j, message, table) for each of
// its steps.
func (f Fleet) Write(b *strings.Builder, webhook func(i int) string, step func(i, j int, message, table string) string) {
	for i := range f.Webhooks {
		b.WriteString(webhook(i))
		for j := range f.StepsPerWebhook {
			m, t := f.Pair(i, j)
			b.WriteString(step(i, j, m, t))
		}
	}
}

// HCL is the fleet's dataverse_webhook and dataverse_webhook_step blocks; the webhooks are named
// and addressed after prefix, and keyPrefix starts each one's key.
func (f Fleet) HCL(prefix, keyPrefix string) string {
	var b strings.Builder
	f.Write(&b, func(i int) string { return Webhook(i, prefix, keyPrefix) }, Step)
	return b.String()
}

// Webhook is the block of webhook i, dataverse_webhook.w<i>.
func Webhook(i int, prefix, keyPrefix string) string {
	return fmt.Sprintf(`
resource "dataverse_webhook" "w%[1]d" {
  name        = "%[2]s-%03[1]d"
  url         = "https://fn.example.net/api/%[2]s/%[1]d"
  auth_type   = "WebhookKey"
  auth_key_wo = "%[3]s%[1]d"
}
`, i, prefix, keyPrefix)
}

// Step is the block of step j of webhook i, on message and table. From the fourth step of a
// webhook on, steps fire at other stages (see Variant).
func Step(i, j int, message, table string) string {
	return fmt.Sprintf(`
resource "dataverse_webhook_step" "w%[1]d_s%[2]d" {
  webhook_id = dataverse_webhook.w%[1]d.id
  message    = %[3]q
  table      = %[4]q
  rank       = %[5]d
%[6]s}
`, i, j, message, table, j+1, Variant(j/len(messages), message))
}

// Variant is the mode, stage and name of the round-th step of one message on a webhook: the
// provider refuses two steps of a webhook that fire identically or share a name, so each round
// fires at another stage under a name of its own (the first keeps the default name, the
// message's and table's).
func Variant(round int, message string) string {
	stages := []string{"", "PostOperation", "PreOperation", "PreValidation"}
	if round == 0 || round >= len(stages) {
		return ""
	}
	return fmt.Sprintf("  mode       = \"Synchronous\"\n  stage      = %[1]q\n  name       = \"%[2]s, synchronous %[1]s\"\n", stages[round], message)
}
