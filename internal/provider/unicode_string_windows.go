//go:build windows

package provider

import (
	"encoding/binary"
	"unicode/utf16"
	"unsafe"
)

// Windows' UNICODE_STRING: a uint16 Length in bytes, a uint16 MaximumLength, then (aligned) the
// address of the text. Windows is little-endian everywhere.
const (
	pointerSize         = unsafe.Sizeof(uintptr(0))
	unicodeStringBuffer = pointerSize     // offset of Buffer
	unicodeStringSizeOf = 2 * pointerSize // size of the structure
)

// unicodeStringIn reads the UNICODE_STRING at the start of answer, an answer Windows wrote into
// memory at address base whose text it puts after the structure. The text is read only from
// answer: a Buffer or Length that leaves it gives no string rather than a read of stray memory.
func unicodeStringIn(answer []byte, base uintptr) (string, bool) {
	if uintptr(len(answer)) < unicodeStringSizeOf {
		return "", false
	}
	length := uintptr(binary.LittleEndian.Uint16(answer))
	start := addressAt(answer, unicodeStringBuffer) - base // wraps to a huge number below base
	if length == 0 || length%2 != 0 || start < unicodeStringSizeOf || start > uintptr(len(answer)) || length > uintptr(len(answer))-start {
		return "", false
	}
	return utf16LE(answer[start : start+length]), true
}

// utf16LE decodes little-endian UTF-16 text, up to a NUL.
func utf16LE(raw []byte) string {
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	for i, u := range units {
		if u == 0 {
			units = units[:i]
			break
		}
	}
	return string(utf16.Decode(units))
}

// addressAt reads a pointer-sized number from b at offset.
func addressAt(b []byte, offset uintptr) uintptr {
	if pointerSize == 4 {
		return uintptr(binary.LittleEndian.Uint32(b[offset:]))
	}
	return uintptr(binary.LittleEndian.Uint64(b[offset:]))
}
