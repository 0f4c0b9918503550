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
