// Package registry holds the provider's registry address, so the server, the CLI configuration
// the tools write and the mirror builder name the provider the same way.
package registry

const (
	// Host is the registry Terraform resolves a source without a host on.
	Host = "registry.terraform.io"
	// Namespace and Type are the two parts of the source a configuration writes.
	Namespace = "dataverse-terraform"
	Type      = "dataverse"
	// Source is the address as required_providers writes it.
	Source = Namespace + "/" + Type
	// Address is the full address the plugin server announces and dev_overrides names.
	Address = Host + "/" + Source
)
