//go:build windows

package provider

import (
	"encoding/binary"
	"math"
	"unsafe"

	"golang.org/x/sys/windows"
)

// maxCommandLine bounds the command line read, in bytes: Windows allows 32,767 UTF-16 units.
const maxCommandLine = 1 << 16

// parentArgs is the command line of process pid, split as the C runtime splits it, or nil. It
// asks NtQueryInformationProcess for it (Windows 8.1 and newer), or reads it from the process's
// parameters where that answer is missing (Wine). Only its flags are looked at; it may hold -var
// values, so it is never logged.
func parentArgs(pid int) []string {
	if pid <= 0 || uint64(pid) > math.MaxUint32 {
		return nil
	}
	id := uint32(pid) //nolint:gosec // in range, checked above
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.PROCESS_VM_READ, false, id)
	if err != nil {
		if h, err = windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, id); err != nil {
			return nil
		}
	}
	defer windows.CloseHandle(h) //nolint:errcheck // a read-only handle
	line, ok := commandLineInformation(h)
	if !ok {
		if line, ok = commandLineOfParameters(h); !ok {
			return nil
		}
	}
	args, err := windows.DecomposeCommandLine(line)
	if err != nil {
		return nil
	}
	return args
}

// commandLineInformation asks for the command line: a UNICODE_STRING followed by the text it
// points at, sized by a first call.
func commandLineInformation(h windows.Handle) (string, bool) {
	var size uint32
	_ = windows.NtQueryInformationProcess(h, windows.ProcessCommandLineInformation, nil, 0, &size)
	if size < uint32(unsafe.Sizeof(windows.NTUnicodeString{})) || size > maxCommandLine+64 {
		return "", false
	}
	// The answer is in this process: its Buffer points into buf, after the header.
	buf := make([]uint64, (size+7)/8)
	if windows.NtQueryInformationProcess(h, windows.ProcessCommandLineInformation, unsafe.Pointer(&buf[0]), size, &size) != nil { //nolint:gosec // Windows' own answer layout
		return "", false
	}
	base := unsafe.Pointer(&buf[0])
	answer := unsafe.Slice((*byte)(base), min(uintptr(size), uintptr(len(buf))*8)) //nolint:gosec // buf's own bytes
	return unicodeStringIn(answer, uintptr(base))
}

// commandLineOfParameters reads the command line from the process's memory: its PEB names its
// RTL_USER_PROCESS_PARAMETERS, which hold the CommandLine string. Addresses in the other process
// are read as numbers at the offsets of the structures, never held as Go pointers.
func commandLineOfParameters(h windows.Handle) (string, bool) {
	var basic [unsafe.Sizeof(windows.PROCESS_BASIC_INFORMATION{})]byte
	if windows.NtQueryInformationProcess(h, windows.ProcessBasicInformation, unsafe.Pointer(&basic[0]), uint32(len(basic)), nil) != nil { //nolint:gosec // read as bytes

		return "", false
	}
	peb := addressAt(basic[:], unsafe.Offsetof(windows.PROCESS_BASIC_INFORMATION{}.PebBaseAddress))
	params, ok := readAddress(h, peb+unsafe.Offsetof(windows.PEB{}.ProcessParameters))
	if !ok {
		return "", false
	}
	var line [unsafe.Sizeof(windows.NTUnicodeString{})]byte
	if !readMemory(h, params+unsafe.Offsetof(windows.RTL_USER_PROCESS_PARAMETERS{}.CommandLine), line[:]) {
		return "", false
	}
	length := binary.LittleEndian.Uint16(line[:])
	text := addressAt(line[:], unsafe.Offsetof(windows.NTUnicodeString{}.Buffer))
	if length == 0 || length%2 != 0 || text == 0 {
		return "", false
	}
	raw := make([]byte, length)
	if !readMemory(h, text, raw) {
		return "", false
	}
	return utf16LE(raw), true
}

func readAddress(h windows.Handle, at uintptr) (uintptr, bool) {
	var b [unsafe.Sizeof(uintptr(0))]byte
	if !readMemory(h, at, b[:]) {
		return 0, false
	}
	return addressAt(b[:], 0), true
}

func readMemory(h windows.Handle, at uintptr, into []byte) bool {
	if at == 0 {
		return false
	}
	var n uintptr
	return windows.ReadProcessMemory(h, at, &into[0], uintptr(len(into)), &n) == nil && n == uintptr(len(into))
}
