// Package pluginserve serves a framework provider to Terraform. The provider's main and the
// benchmark's no-op floor provider both use it, so that the floor pays for the same serving
// set-up as the provider.
package pluginserve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// CPUProfileDirEnv names a folder where each provider process writes a CPU profile of its
// whole life (cpu-<pid>.pprof) and, as it ends, a heap profile (heap-<pid>.pprof), for
// `go tool pprof`. Terraform starts the provider itself, so
// an environment variable is the one way in.
const CPUProfileDirEnv = "DATAVERSE_CPU_PROFILE_DIR"

// Serve serves the provider at address until Terraform stops it.
func Serve(newProvider func() provider.Provider, address string, debug bool) error {
	if dir := os.Getenv(CPUProfileDirEnv); dir != "" {
		stop, err := startCPUProfile(dir)
		if err != nil {
			return err
		}
		defer stop()
	}
	return providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{Address: address, Debug: debug})
}

func startCPUProfile(dir string) (func(), error) {
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid()))) //nolint:gosec // the folder the developer chose
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CPUProfileDirEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w", CPUProfileDirEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
		if h, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", os.Getpid()))); err == nil { //nolint:gosec // as above
			_ = pprof.Lookup("heap").WriteTo(h, 0)
			_ = h.Close()
		}
	}, nil
}
