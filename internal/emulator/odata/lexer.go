package odata

import (
	"math"
	"strconv"
	"strings"
	"time"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokAlias
	tokString
	tokGUID
	tokDateTime
	tokNumber
	tokOpen
	tokClose
	tokComma
	tokSlash
	tokError // a lexical error; always the last token
)

// token is one lexical unit; val holds the decoded literal for string, GUID,
// date-time and number tokens.
type token struct {
	kind tokenKind
	text string
	pos  int
	val  any
	err  error // for tokError
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipDigits returns the index after the run of digits at j in src (j itself when there is none).
func skipDigits(src string, j int) int {
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	return j
}

// punctuation is the token of each single-byte punctuation mark.
var punctuation = map[byte]tokenKind{'(': tokOpen, ')': tokClose, ',': tokComma, '/': tokSlash}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// IsGUID reports whether s is a GUID in the 8-4-4-4-12 hexadecimal form the
// Web API uses, in either case and without braces.
func IsGUID(s string) bool {
	return len(s) == len(guidShape) && hasShape(s, guidShape)
}

// Shapes for hasShape: 'h' stands for a hexadecimal digit, 'd' for a decimal one, and any
// other byte for itself.
const (
	guidShape = "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh"
	dateShape = "dddd-dd-dd"
)

// hasShape reports whether s begins with the shape.
func hasShape(s, shape string) bool {
	if len(s) < len(shape) {
		return false
	}
	for i := 0; i < len(shape); i++ {
		switch shape[i] {
		case 'h':
			if !isHex(s[i]) {
				return false
			}
		case 'd':
			if !isDigit(s[i]) {
				return false
			}
		default:
			if s[i] != shape[i] {
				return false
			}
		}
	}
	return true
}

// boundaryAt reports whether a literal ending at i is not glued to an
// identifier character, so "1abc" or a GUID followed by letters is rejected.
func boundaryAt(src string, i int) bool {
	return i >= len(src) || !isIdentPart(src[i])
}

// tokenize splits src into tokens ending with tokEOF, or fails with the first
// lexical error.
func tokenize(src string) ([]token, error) {
	toks := scan(src)
	if last := toks[len(toks)-1]; last.kind == tokError {
		return nil, last.err
	}
	return toks, nil
}

// scan splits src into tokens. It never fails: a lexical error becomes a
// final tokError, so the parser reports whichever problem comes first in
// reading order (an unknown function before the odd characters in its
// arguments).
func scan(src string) []token {
	toks, err := scanTokens(src)
	if err != nil {
		pos := len(src)
		if len(toks) > 0 {
			pos = toks[len(toks)-1].pos
		}
		toks = append(toks, token{kind: tokError, pos: pos, err: err})
	}
	return toks
}

func scanTokens(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tokEOF, pos: i})
			return toks, nil
		}
		start := i
		c := src[i]
		switch kind, isPunct := punctuation[c]; {
		case isPunct:
			toks = append(toks, token{kind: kind, text: string(c), pos: start})
			i++
		case c == '\'':
			s, end, err := lexString(src, i)
			if err != nil {
				return toks, err
			}
			toks = append(toks, token{kind: tokString, text: src[start:end], pos: start, val: s})
			i = end
		case c == '@':
			i++
			if i >= len(src) || !isIdentStart(src[i]) {
				return toks, syntaxError(src, start)
			}
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokAlias, text: src[start:i], pos: start})
		case isHex(c) && i+36 <= len(src) && IsGUID(src[i:i+36]) && boundaryAt(src, i+36):
			i += 36
			toks = append(toks, token{kind: tokGUID, text: src[start:i], pos: start, val: src[start:i]})
		case isDigit(c) && looksLikeDate(src[i:]):
			t, end, err := lexDateTime(src, i)
			if err != nil {
				return toks, err
			}
			toks = append(toks, token{kind: tokDateTime, text: src[start:end], pos: start, val: t})
			i = end
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			v, end, err := lexNumber(src, i)
			if err != nil {
				return toks, err
			}
			toks = append(toks, token{kind: tokNumber, text: src[start:end], pos: start, val: v})
			i = end
		case c == '-' && strings.HasPrefix(src[i:], "-INF") && boundaryAt(src, i+4):
			i += 4
			toks = append(toks, token{kind: tokNumber, text: "-INF", pos: start, val: math.Inf(-1)})
		case isIdentStart(c):
			// Dots are kept inside the word so that qualified names such as
			// Microsoft.Dynamics.CRM.Today are reported as what they are.
			for i < len(src) && (isIdentPart(src[i]) || src[i] == '.') {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: src[start:i], pos: start})
		default:
			return toks, syntaxError(src, start)
		}
	}
}

// lexString decodes the quoted string whose opening quote is src[i]; a
// doubled quote stands for one quote. Bytes are copied as they are, so text
// that is not valid UTF-8 survives unchanged.
func lexString(src string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for {
		k := strings.IndexByte(src[j:], '\'')
		if k < 0 {
			return "", 0, badQuery("There is an unterminated string literal at position %d in '%s'.", i, src)
		}
		b.WriteString(src[j : j+k])
		j += k + 1
		if j < len(src) && src[j] == '\'' {
			b.WriteByte('\'')
			j++
			continue
		}
		return b.String(), j, nil
	}
}

func looksLikeDate(s string) bool { return hasShape(s, dateShape) }

// lexDateTime reads an Edm.Date (2024-01-02, taken as midnight UTC) or an
// Edm.DateTimeOffset (2024-01-02T03:04:05.123Z, 2024-01-02T03:04+02:00).
func lexDateTime(src string, i int) (time.Time, int, error) {
	j := i + 10
	if j >= len(src) || src[j] != 'T' {
		if !boundaryAt(src, j) {
			return time.Time{}, 0, syntaxError(src, j)
		}
		t, err := time.Parse(time.DateOnly, src[i:j])
		if err != nil {
			return time.Time{}, 0, badQuery("Unrecognized 'Edm.Date' literal '%s' at position %d in '%s'.", src[i:j], i, src)
		}
		return t, j, nil
	}
	j++
	for j < len(src) && (isDigit(src[j]) || src[j] == ':' || src[j] == '.') {
		j++
	}
	switch {
	case j < len(src) && src[j] == 'Z':
		j++
	case j < len(src) && (src[j] == '+' || src[j] == '-'):
		j++
		for j < len(src) && (isDigit(src[j]) || src[j] == ':') {
			j++
		}
	default:
		// A '+' left unencoded in a URL arrives as a space, which is the
		// usual way an offset goes missing.
		return time.Time{}, 0, badQuery("Unrecognized 'Edm.DateTimeOffset' literal '%s' at position %d in '%s': a time zone (Z or ±hh:mm, with '+' encoded as %%2B in a URL) is required.", src[i:j], i, src)
	}
	if !boundaryAt(src, j) {
		return time.Time{}, 0, syntaxError(src, j)
	}
	text := src[i:j]
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t, j, nil
		}
	}
	return time.Time{}, 0, badQuery("Unrecognized 'Edm.DateTimeOffset' literal '%s' at position %d in '%s'.", text, i, src)
}

// lexNumber reads -?digits(.digits)?([eE][+-]?digits)?. An integer that does
// not fit in 64 bits becomes a float, as OData promotes it to a decimal.
func lexNumber(src string, i int) (any, int, error) {
	j := i
	if src[j] == '-' {
		j++
	}
	j = skipDigits(src, j)
	isFloat := false
	if j < len(src) && src[j] == '.' {
		j++
		end := skipDigits(src, j)
		if end == j {
			return nil, 0, syntaxError(src, j)
		}
		j, isFloat = end, true
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		end := skipDigits(src, j)
		if end == j {
			return nil, 0, syntaxError(src, j)
		}
		j, isFloat = end, true
	}
	if !boundaryAt(src, j) {
		return nil, 0, syntaxError(src, j)
	}
	text := src[i:j]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, j, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, 0, badQuery("The numeric literal '%s' at position %d in '%s' is out of range.", text, i, src)
	}
	return f, j, nil
}
