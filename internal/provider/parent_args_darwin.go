//go:build darwin

package provider

import (
	"bytes"
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"
)

// parentArgs is the command line of process pid, from the kern.procargs2 sysctl, or nil. The
// sysctl gives argc as a 32-bit integer, the executable's path, NUL padding, then the arguments
// and the environment, each ended by a NUL. Only the flags are looked at; the command line may
// hold -var values, so it is never logged.
func parentArgs(pid int) []string {
	buf, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil || len(buf) < 4 {
		return nil
	}
	argc := int(binary.LittleEndian.Uint32(buf[:4]))
	rest := buf[4:]
	end := bytes.IndexByte(rest, 0)
	if end < 0 || argc <= 0 {
		return nil
	}
	rest = bytes.TrimLeft(rest[end:], "\x00")
	args := strings.SplitN(string(rest), "\x00", argc+1)
	if len(args) < argc {
		return nil
	}
	return args[:argc]
}
