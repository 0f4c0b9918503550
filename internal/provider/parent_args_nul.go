//go:build !darwin && !windows

package provider

import "strings"

// splitNULArgs splits a command line whose arguments each end with a NUL, as /proc and FreeBSD's
// kern.proc.args give it; none gives nil.
func splitNULArgs(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
}
