// Command terraform-provider-dataverse serves the Dataverse provider to Terraform.
package main

import (
	"flag"
	"log"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/pluginserve"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

// version is set at build time through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	if err := pluginserve.Serve(provider.New(version), registry.Address, debug); err != nil {
		log.Fatal(err)
	}
}
