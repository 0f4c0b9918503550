package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

// liveEnvironment reports whether `make testacc` points the tests at a real environment:
// DATAVERSE_LIVE=1 with DATAVERSE_URL and credentials in the environment (the provider's own
// variables). The emulator-bound tests skip then; the live scenarios below run instead.
func liveEnvironment() bool { return os.Getenv("DATAVERSE_LIVE") != "" }

// liveClient builds the client the provider would, from the same environment variables.
func liveClient(t *testing.T) *dataverse.Client {
	t.Helper()
	s, diags := resolveSettings(nullModel(), os.Getenv)
	if diags.HasError() {
		t.Fatalf("live settings: %v", diags)
	}
	pd, err := newProviderData(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	return pd.client
}

// TestLive_webhookStepsAndDataSources registers a webhook, two steps and an image in a real
// environment, updates them in place, reads them back through the data sources, imports them
// and destroys them. Names carry a random suffix so runs never collide.
func TestLive_webhookStepsAndDataSources(t *testing.T) {
	if !liveEnvironment() {
		t.Skip("set DATAVERSE_LIVE=1, DATAVERSE_URL and credentials (make testacc) to run against a real environment")
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "tf-acc-" + hex.EncodeToString(suffix)
	config := func(description, rank string) string {
		return fmt.Sprintf(`
provider "dataverse" {}

resource "dataverse_webhook" "test" {
  name        = %[1]q
  url         = "https://example.invalid/api/%[1]s"
  description = %[2]q
  auth_type   = "HttpHeader"
  auth_headers_wo = {
    "x-api-key" = "live-%[1]s"
  }
}

resource "dataverse_webhook_step" "update" {
  webhook_id           = dataverse_webhook.test.id
  message              = "Update"
  table                = "account"
  filtering_attributes = ["name", "telephone1"]
  rank                 = %[3]s
  async_auto_delete    = true
}

resource "dataverse_webhook_step" "create" {
  webhook_id = dataverse_webhook.test.id
  message    = "Create"
  table      = "contact"
  mode       = "Synchronous"
  enabled    = false
}

resource "dataverse_webhook_step_image" "before" {
  step_id    = dataverse_webhook_step.update.id
  type       = "PreImage"
  alias      = "before"
  attributes = ["name"]
}

data "dataverse_webhooks" "mine" {
  name       = %[1]q
  depends_on = [dataverse_webhook.test]
}

data "dataverse_webhook_steps" "mine" {
  webhook_id = dataverse_webhook.test.id
  depends_on = [dataverse_webhook_step.update, dataverse_webhook_step.create, dataverse_webhook_step_image.before]
}

data "dataverse_webhook_failed_jobs" "mine" {
  webhook_id = dataverse_webhook.test.id
  since      = timeadd(plantimestamp(), "-1h")
}
`, name, description, rank)
	}
	var webhookID string
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Providers(),
		CheckDestroy: func(*terraform.State) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := liveClient(t).GetWebhook(ctx, webhookID); !errors.Is(err, dataverse.ErrNotFound) {
				return fmt.Errorf("webhook %s still exists after destroy (%w)", webhookID, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config("first", "1"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.dataverse_webhooks.mine", "webhooks.#", "1"),
					resource.TestCheckResourceAttr("data.dataverse_webhooks.mine", "webhooks.0.is_auth_value_set", "true"),
					resource.TestCheckResourceAttr("data.dataverse_webhook_steps.mine", "steps.#", "2"),
					func(s *terraform.State) error { webhookID = attrOf(s, "dataverse_webhook.test", "id"); return nil },
				),
			},
			{
				Config: config("second", "5"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("dataverse_webhook.test", "description", "second"),
					resource.TestCheckResourceAttr("dataverse_webhook_step.update", "rank", "5"),
				),
			},
			{ResourceName: "dataverse_webhook.test", ImportState: true, ImportStateVerify: true},
			{ResourceName: "dataverse_webhook_step.update", ImportState: true, ImportStateVerify: true},
			{ResourceName: "dataverse_webhook_step_image.before", ImportState: true, ImportStateVerify: true},
		},
	})
}
