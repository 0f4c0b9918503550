//go:build !darwin && !windows && !freebsd

package provider

import (
	"os"
	"strconv"
)

// parentArgs is the command line of process pid, from /proc, or nil where there is none. Only
// its flags are looked at; it may hold -var values, so it is never logged.
func parentArgs(pid int) []string {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil
	}
	return splitNULArgs(raw)
}
