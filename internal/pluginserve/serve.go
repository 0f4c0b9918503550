// Package pluginserve serves a framework provider to Terraform. The provider's main and the
// benchmark's no-op floor provider both use it, so that the floor pays for the same serving
// set-up as the provider.
package pluginserve

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// CPUProfileDirEnv names a folder where each provider process writes a CPU profile of its
// whole life (cpu-<pid>.pprof) and, as it ends, a heap profile (heap-<pid>.pprof), for
// `go tool pprof`. Terraform starts the provider itself, so
// an environment variable is the one way in.
const CPUProfileDirEnv = "DATAVERSE_CPU_PROFILE_DIR"

// Serve serves the provider at address until Terraform stops it.
func Serve(newProvider func() provider.Provider, address string, debug bool) error {
	// Under -debug the provider's own standard error is the developer's terminal.
	if !debug {
		quietLogsNobodyReads(os.Environ(), os.Setenv)
	}
	if dir := os.Getenv(CPUProfileDirEnv); dir != "" {
		stop, err := startCPUProfile(dir)
		if err != nil {
			return err
		}
		defer stop()
	}
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	return tf6server.Serve(address, func() tfprotov6.ProviderServer {
		return releasing(providerserver.NewProtocol6(newProvider())())
	}, opts...)
}

// loggerLevelVariables set the levels of the plug-in SDK's loggers (root, protocol, framework)
// and of this provider's own logger.
var loggerLevelVariables = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_DATAVERSE"}

// quietLogsNobodyReads switches the plug-in's loggers off when no TF_LOG* (or TOFU_LOG*)
// variable is set. Terraform then shows no provider log: it reads every line a provider writes
// to its standard error and drops it. Yet the SDK logs each call at TRACE by default, and in a
// no-change plan of 1200 resources formatting that JSON took half of the provider's CPU. Any
// such variable leaves the levels as the SDK sets them.
func quietLogsNobodyReads(environ []string, setenv func(key, value string) error) {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_LOG") || strings.HasPrefix(kv, "TOFU_LOG") {
			return
		}
	}
	for _, name := range loggerLevelVariables {
		_ = setenv(name, "OFF")
	}
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
