// Command provider-schema writes the provider's schemas as `terraform providers schema -json`
// does, for tfplugindocs (make generate). It serves the provider in-process and asks it over
// the plugin protocol, so the result includes what the Terraform that CI runs (1.11) does not
// yet write: list resources, actions and resource identities.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

func main() {
	out := flag.String("out", "", "file to write the JSON to (standard output when empty)")
	// tfplugindocs looks a provider up by its short name (or under registry.terraform.io/hashicorp/),
	// so make generate passes -address dataverse.
	address := flag.String("address", registry.Address, "the key the provider's schemas are written under")
	flag.Parse()
	if err := run(*out, *address); err != nil {
		fmt.Fprintln(os.Stderr, "provider-schema:", err)
		os.Exit(1)
	}
}

func run(out, address string) error {
	server := providerserver.NewProtocol6(provider.New("dev")())()
	schemas, err := providerSchemas(context.Background(), server, address)
	if err != nil {
		return err
	}
	b, err := json.Marshal(schemas)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if out == "" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(out, b, 0o600)
}
