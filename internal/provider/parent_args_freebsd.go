//go:build freebsd

package provider

import "golang.org/x/sys/unix"

// parentArgs is the command line of process pid, from the kern.proc.args sysctl (FreeBSD rarely
// mounts /proc), or nil. Only its flags are looked at; it may hold -var values, so it is never
// logged.
func parentArgs(pid int) []string {
	raw, err := unix.SysctlRaw("kern.proc.args", pid)
	if err != nil {
		return nil
	}
	return splitNULArgs(raw)
}
