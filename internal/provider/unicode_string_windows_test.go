//go:build windows

package provider

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// unicodeStringAnswer lays out an answer as Windows writes it at base: the structure, then the
// text, with the given Length and Buffer.
func unicodeStringAnswer(text string, length uint16, buffer uintptr) []byte {
	b := make([]byte, unicodeStringSizeOf)
	binary.LittleEndian.PutUint16(b, length)
	binary.LittleEndian.PutUint16(b[2:], length)
	if pointerSize == 4 {
		binary.LittleEndian.PutUint32(b[unicodeStringBuffer:], uint32(buffer))
	} else {
		binary.LittleEndian.PutUint64(b[unicodeStringBuffer:], uint64(buffer))
	}
	for _, u := range utf16.Encode([]rune(text)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func TestUnicodeStringInReadsOnlyItsAnswer(t *testing.T) {
	t.Parallel()
	const base = 0x7ff0_0000
	line := `terraform.exe destroy -var "a=ü"`
	n := uint16(2 * len(utf16.Encode([]rune(line))))
	after := base + unicodeStringSizeOf
	for _, tc := range []struct {
		name   string
		answer []byte
		want   string
		ok     bool
	}{
		{"as Windows writes it", unicodeStringAnswer(line, n, after), line, true},
		{"text past the answer", unicodeStringAnswer(line, n+2, after), "", false},
		{"buffer before the answer", unicodeStringAnswer(line, n, base-64), "", false},
		{"buffer on the structure", unicodeStringAnswer(line, n, base), "", false},
		{"buffer far away", unicodeStringAnswer(line, n, base+1<<20), "", false},
		{"odd length", unicodeStringAnswer(line, n-1, after), "", false},
		{"empty", unicodeStringAnswer("", 0, after), "", false},
		{"shorter than the structure", unicodeStringAnswer(line, n, after)[:unicodeStringSizeOf-1], "", false},
	} {
		got, ok := unicodeStringIn(tc.answer, base)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: unicodeStringIn = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
