package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

// testCA is shared by every emulator in this test binary: Go reads SSL_CERT_FILE once, so
// all emulators must present certificates from the one CA it names.
var testCA *emulator.CA

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if liveEnvironment() {
		return m.Run() // the environment's own certificates; no emulator is started
	}
	dir, err := os.MkdirTemp("", "dataverse-provider-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testCA, err = emulator.NewCA()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, testCA.CertPEM(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Set before any TLS connection: Go reads it once. Terraform passes it on to providers it starts.
	os.Setenv("SSL_CERT_FILE", caFile)
	os.Setenv("SSL_CERT_DIR", dir)
	return m.Run()
}

func protoV6Providers() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"dataverse": providerserver.NewProtocol6WithError(New("test")()),
	}
}

// attrOf reads an attribute of a resource from the state.
func attrOf(s *terraform.State, address, key string) string {
	rs, ok := s.RootModule().Resources[address]
	if !ok {
		return ""
	}
	return rs.Primary.Attributes[key]
}

// sameID records the id of the resource at address on first use and fails when a later step
// replaced the resource.
func sameID(address string, id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got := attrOf(s, address, "id")
		if *id == "" {
			*id = got
			return nil
		}
		if got != *id {
			return fmt.Errorf("%s: id changed from %s to %s: an in-place update replaced it", address, *id, got)
		}
		return nil
	}
}

// stateHasNo fails when any attribute of any resource contains one of the strings.
func stateHasNo(needles ...string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				for _, n := range needles {
					if strings.Contains(v, n) {
						return fmt.Errorf("%s.%s holds a secret", addr, k)
					}
				}
			}
		}
		return nil
	}
}

// requireTerraformCLI skips a test that runs the Terraform CLI when there is none to run: the
// emulator-backed tests need no environment variable, only a terraform binary.
func requireTerraformCLI(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(tfcli.TerraformPath()); err != nil {
		t.Skipf("runs the Terraform CLI, and %q is not found: run make terraform-check, or set TF_ACC_TERRAFORM_PATH", tfcli.TerraformPath())
	}
}
