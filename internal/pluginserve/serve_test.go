package pluginserve

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestCPUProfileWritesBothProfilesOfThisProcess(t *testing.T) {
	dir := t.TempDir()
	stop, err := startCPUProfile(dir)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	for _, name := range []string{"cpu", "heap"} {
		fi, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", name, os.Getpid())))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s profile: %v (size %d)", name, err, sizeOf(fi))
		}
	}
	if _, err := startCPUProfile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a profile folder that does not exist was accepted")
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

func TestLogsAreQuietOnlyWhenNoLogVariableIsSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		quiet   bool
	}{
		{"no log variable", []string{"PATH=/bin", "DATAVERSE_URL=https://x", "MY_TF_LOG=1"}, true},
		{"TF_LOG", []string{"PATH=/bin", "TF_LOG=DEBUG"}, false},
		{"TF_LOG_PROVIDER", []string{"TF_LOG_PROVIDER=TRACE"}, false},
		{"TF_LOG_PATH alone", []string{"TF_LOG_PATH=/tmp/tf.log"}, false},
		{"a level the user set for the SDK", []string{"TF_LOG_SDK_FRAMEWORK=TRACE"}, false},
		{"OpenTofu", []string{"TOFU_LOG=debug"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := map[string]string{}
			quietLogsNobodyReads(tc.environ, func(k, v string) error { set[k] = v; return nil })
			if !tc.quiet {
				if len(set) != 0 {
					t.Errorf("set %v although the environment asks for logs", set)
				}
				return
			}
			for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_DATAVERSE"} {
				if set[name] != "OFF" {
					t.Errorf("%s = %q, want OFF", name, set[name])
				}
			}
		})
	}
}
