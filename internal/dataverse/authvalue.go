package dataverse

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxAuthValueLength is the length of serviceendpoint.authvalue, in UTF-16 code units as
// Dataverse counts string lengths.
const maxAuthValueLength = 2048

// EncodeAuthValue builds serviceendpoint.authvalue for the auth type.
//
// WebhookKey takes the bare, non-empty key and no pairs. HttpHeader and HttpQueryString take
// no key and one or more pairs, written as
// <settings><setting name="NAME" value="VALUE" /></settings> with one element per pair sorted
// by name, names and values XML-escaped. Errors are *AuthValueError and never contain a value.
func EncodeAuthValue(t AuthType, key string, pairs map[string]string) (string, error) {
	var out string
	switch t {
	case AuthTypeWebhookKey:
		if len(pairs) > 0 {
			return "", &AuthValueError{Reason: "a WebhookKey takes a single key, not name/value pairs"}
		}
		if strings.TrimSpace(key) == "" {
			return "", &AuthValueError{Reason: "the webhook key is empty"}
		}
		// Dataverse's sender trims the key before it sends it, so a padded key would not be
		// the one the endpoint expects.
		if strings.TrimSpace(key) != key {
			return "", &AuthValueError{Reason: "the webhook key starts or ends with white space, which Dataverse trims before sending it"}
		}
		if !utf8.ValidString(key) {
			return "", &AuthValueError{Reason: "the webhook key is not valid UTF-8"}
		}
		out = key
	case AuthTypeHTTPHeader, AuthTypeHTTPQueryString:
		if key != "" {
			return "", &AuthValueError{Reason: t.String() + " takes name/value pairs, not a single key"}
		}
		if len(pairs) == 0 {
			return "", &AuthValueError{Reason: t.String() + " needs at least one name/value pair"}
		}
		if err := checkPairs(t, pairs); err != nil {
			return "", err
		}
		out = encodeSettings(pairs)
	default:
		return "", &AuthValueError{Reason: "auth type " + t.String() + " is not a webhook auth type; expected one of " + strings.Join(AuthTypeNames(), ", ")}
	}
	if n := TextLength(out); n > maxAuthValueLength {
		return "", &AuthValueError{Reason: "the encoded value is longer than 2048 characters"}
	}
	return out, nil
}

func checkPairs(t AuthType, pairs map[string]string) error {
	seen := make(map[string]string, len(pairs))
	for name, value := range pairs {
		keyName := name
		if !utf8.ValidString(name) {
			// The name may be garbage; do not echo it.
			return &AuthValueError{Reason: "a setting name is not valid UTF-8"}
		}
		if strings.TrimSpace(name) == "" {
			return &AuthValueError{Reason: "a setting name is empty"}
		}
		// Dataverse's sender fails a blank name or value on every delivery and trims the others:
		// refuse both up front rather than send something other than what was configured.
		if strings.TrimSpace(name) != name {
			return &AuthValueError{Key: keyName, Reason: "the name starts or ends with white space, which Dataverse trims before sending it"}
		}
		if strings.TrimSpace(value) == "" {
			return &AuthValueError{Key: keyName, Reason: "the value is empty"}
		}
		if strings.TrimSpace(value) != value {
			return &AuthValueError{Key: keyName, Reason: "the value starts or ends with white space, which Dataverse trims before sending it"}
		}
		if !isXMLText(name) {
			return &AuthValueError{Key: keyName, Reason: "the name contains a character that XML cannot carry"}
		}
		if !utf8.ValidString(value) {
			return &AuthValueError{Key: keyName, Reason: "the value is not valid UTF-8"}
		}
		if !isXMLText(value) {
			return &AuthValueError{Key: keyName, Reason: "the value contains a character that XML cannot carry"}
		}
		if t == AuthTypeHTTPHeader {
			if !isToken(name) {
				return &AuthValueError{Key: keyName, Reason: "an HTTP header name must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)"}
			}
			if !isHeaderValue(value) {
				return &AuthValueError{Key: keyName, Reason: "an HTTP header value must not contain control characters such as line breaks"}
			}
			if IsRestrictedHeader(name) {
				return &AuthValueError{Key: keyName, Reason: "Dataverse's webhook sender cannot set this header (" +
					strings.Join(RestrictedHeaderNames(), ", ") + " are set by the HTTP stack), so every delivery would fail"}
			}
		}
		// Header names ignore case, so two that differ only in case name one header, and the
		// sender fails every delivery of a webhook with a repeated name; query parameters it
		// merges without regard to case, keeping one.
		folded := strings.ToLower(name)
		if other, dup := seen[folded]; dup {
			a, b := other, name
			if b < a {
				a, b = b, a
			}
			what := "header"
			if t == AuthTypeHTTPQueryString {
				what = "parameter"
			}
			return &AuthValueError{Key: b, Reason: "the " + what + " name repeats " + a + " (Dataverse compares the names without case)"}
		}
		seen[folded] = name
	}
	return nil
}

func encodeSettings(pairs map[string]string) string {
	names := slices.Sorted(maps.Keys(pairs))
	var b strings.Builder
	b.WriteString("<settings>")
	for _, name := range names {
		b.WriteString(`<setting name="`)
		writeXMLAttr(&b, name)
		b.WriteString(`" value="`)
		writeXMLAttr(&b, pairs[name])
		b.WriteString(`" />`)
	}
	b.WriteString("</settings>")
	return b.String()
}

// writeXMLAttr escapes s for a double-quoted attribute. Tab, CR and LF are written as character
// references because an XML parser turns literal ones into spaces.
func writeXMLAttr(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
}

// DecodeAuthValue is the inverse of EncodeAuthValue: the bare key for WebhookKey, the pairs for
// HttpHeader and HttpQueryString. It reads back what EncodeAuthValue writes, and tolerates
// spacing, comments and attribute order besides; it is not Dataverse's check of a document
// (which, for one, fails every delivery of a settings element holding a comment).
func DecodeAuthValue(t AuthType, v string) (key string, pairs map[string]string, err error) {
	switch t {
	case AuthTypeWebhookKey:
		if v == "" {
			return "", nil, &AuthValueError{Reason: "the webhook key is empty"}
		}
		return v, nil, nil
	case AuthTypeHTTPHeader, AuthTypeHTTPQueryString:
		pairs, err := decodeSettings(v)
		if err != nil {
			return "", nil, err
		}
		return "", pairs, nil
	default:
		return "", nil, &AuthValueError{Reason: "auth type " + t.String() + " is not a webhook auth type"}
	}
}

var errNotSettings = &AuthValueError{Reason: `the value is not a <settings><setting name="…" value="…" /></settings> document`}

func decodeSettings(v string) (map[string]string, error) {
	dec := xml.NewDecoder(strings.NewReader(v))
	dec.Strict = true
	pairs := map[string]string{}
	depth := 0
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The decoder's message may quote the document, which holds secrets.
			return nil, errNotSettings
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && tok.Name.Local == "settings" && tok.Name.Space == "" && !sawRoot:
				sawRoot = true
			case depth == 2 && tok.Name.Local == "setting" && tok.Name.Space == "":
				name, value, ok := settingAttrs(tok.Attr)
				if !ok {
					return nil, errNotSettings
				}
				if name == "" {
					return nil, &AuthValueError{Reason: "a setting name is empty"}
				}
				if _, dup := pairs[name]; dup {
					return nil, &AuthValueError{Key: name, Reason: "the setting appears more than once"}
				}
				pairs[name] = value
			default:
				return nil, errNotSettings
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				return nil, errNotSettings
			}
		case xml.Comment, xml.ProcInst:
			// Nothing to read back; whether Dataverse's sender accepts them is not decided here.
		default:
			return nil, errNotSettings
		}
	}
	if !sawRoot || depth != 0 {
		return nil, errNotSettings
	}
	if len(pairs) == 0 {
		return nil, &AuthValueError{Reason: "the settings document has no setting"}
	}
	return pairs, nil
}

func settingAttrs(attrs []xml.Attr) (name, value string, ok bool) {
	var haveName, haveValue bool
	for _, a := range attrs {
		if a.Name.Space != "" {
			return "", "", false
		}
		switch a.Name.Local {
		case "name":
			name, haveName = a.Value, true
		case "value":
			value, haveValue = a.Value, true
		default:
			return "", "", false
		}
	}
	return name, value, haveName && haveValue
}

// isToken reports whether s is an RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0:
		default:
			return false
		}
	}
	return true
}

// isHeaderValue rejects the control characters RFC 7230 forbids in a field value (HTAB is allowed).
func isHeaderValue(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}

// isXMLText reports whether every rune of s is an XML 1.0 Char.
func isXMLText(s string) bool {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case 0x20 <= r && r <= 0xD7FF:
		case 0xE000 <= r && r <= 0xFFFD:
		case 0x10000 <= r && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// TextLength is the length of s as Dataverse counts a text column's: in UTF-16 code units, so a
// character outside the Basic Multilingual Plane, such as most emoji, counts 2.
func TextLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// AuthValueSecrets lists the forms in which an auth value could be echoed back by the server,
// so errors can mask them.
func AuthValueSecrets(t AuthType, v string) []string {
	if v == "" {
		return nil
	}
	secrets := withJSONForms(nil, v)
	if _, pairs, err := DecodeAuthValue(t, v); err == nil {
		for _, value := range pairs {
			if value == "" {
				continue
			}
			var b strings.Builder
			writeXMLAttr(&b, value)
			secrets = withJSONForms(secrets, value)
			secrets = withJSONForms(secrets, b.String())
		}
	}
	// Longest first, so a value that contains another is masked whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(secrets)
}

// withJSONForms appends s and the forms it takes inside a JSON string, with and without HTML
// escaping, since a server may echo the raw request body.
func withJSONForms(dst []string, s string) []string {
	dst = append(dst, s)
	for _, escapeHTML := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escapeHTML)
		if err := enc.Encode(s); err == nil {
			quoted := strings.TrimSuffix(buf.String(), "\n")
			if len(quoted) >= 2 {
				dst = append(dst, quoted[1:len(quoted)-1])
			}
		}
	}
	return dst
}
