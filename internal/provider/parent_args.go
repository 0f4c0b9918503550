//go:build !darwin && !windows

package provider

import (
	"os"
	"strconv"
	"strings"
)

// parentArgs is the command line of process pid, from /proc, or nil where there is none. Only its flags are looked at; it may hold -var values, so it is never logged.
func parentArgs(pid int) []string {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
}
