// Command floor-provider is the benchmark's floor: a provider with the Dataverse provider's
// address, provider schema and resource schemas (validators, defaults and plan modifiers
// included), served by the same framework and set-up, whose operations do nothing but hand the
// planned values back. Whatever Terraform, gRPC and the framework cost per resource, it costs
// too; what the real provider takes beyond it is the provider's own work and its requests.
package main

import (
	"log"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/pluginserve"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

func main() {
	if err := pluginserve.Serve(newFloor(provider.New("floor")), registry.Address, false); err != nil {
		log.Fatal(err)
	}
}
