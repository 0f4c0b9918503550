package untrusted

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzEchoesSecret(f *testing.F) {
	f.Add("prefix ", "Zx8Q~s3cret+with/odd&chars='<>", " suffix")
	f.Add("", "ab", "")
	f.Add("\\u00", "Grüße aus Köln", "%")
	f.Add("&#", "tab\tand\nnewline", "&amp")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		// Terraform values are Unicode each; bytes that are not UTF-8 could join the text around them.
		if strings.TrimSpace(secret) == "" || !utf8.ValidString(before) || !utf8.ValidString(secret) || !utf8.ValidString(after) {
			return
		}
		quoted, _ := json.Marshal(secret)
		for name, form := range map[string]string{
			"raw":          secret,
			"URL-encoded":  url.QueryEscape(secret),
			"path-escaped": url.PathEscape(secret),
			"JSON-escaped": string(quoted[1 : len(quoted)-1]),
			"HTML-escaped": html.EscapeString(secret),
			"upper case":   strings.ToUpper(secret),
		} {
			if !EchoesSecret(before+form+after, []string{secret}) {
				t.Fatalf("the %s form %q of %q is not found", name, form, secret)
			}
		}
	})
}

func TestRedirectErrorNamesStatusAndHostOnly(t *testing.T) {
	resp := &http.Response{StatusCode: http.StatusTemporaryRedirect, Header: http.Header{"Location": {"https://thief.example:8443/steal?secret=x"}}, Request: &http.Request{URL: &url.URL{Scheme: "https", Host: "org.example"}}}
	msg := NewRedirectError(resp, []string{"unrelated-secret-value"}).Error()
	if !strings.Contains(msg, "307") || !strings.Contains(msg, "thief.example:8443") || strings.Contains(msg, "steal") || strings.Contains(msg, "secret=") {
		t.Errorf("message %q", msg)
	}
	// A host that echoes a secret is not named.
	resp.Header.Set("Location", "https://wk-zqxwvu-secret.example.net/")
	e := NewRedirectError(resp, []string{"wk-ZQXWVU-secret"})
	if msg := e.Error(); !e.HostWithheld || strings.Contains(strings.ToLower(msg), "zqxwvu") || !strings.Contains(msg, "withheld") {
		t.Errorf("message %q names a host made of the secret", msg)
	}
}

func TestReadBodyCap(t *testing.T) {
	if _, err := ReadBody(strings.NewReader(strings.Repeat("x", 11)), 10); !IsTooLarge(err) || !strings.Contains(err.Error(), "10 bytes") {
		t.Errorf("11 bytes with a cap of 10: %v", err)
	}
	if b, err := ReadBody(strings.NewReader(strings.Repeat("x", 10)), 10); err != nil || len(b) != 10 {
		t.Errorf("10 bytes with a cap of 10: %d, %v", len(b), err)
	}
}

func TestEchoesSecretInTransformedForms(t *testing.T) {
	t.Parallel()
	const secret = "KEYsecretValue-1a2b3c4d5e6f"
	spelled := func(sep string) string { return strings.Join(strings.Split(secret, ""), sep) }
	chunks := func(n int, sep string) string {
		var parts []string
		for i := 0; i < len(secret); i += n {
			parts = append(parts, secret[i:min(i+n, len(secret))])
		}
		return strings.Join(parts, sep)
	}
	accented := strings.NewReplacer("e", "é", "a", "à", "c", "ç", "K", "Ḱ").Replace(secret)
	var combining strings.Builder
	for _, r := range secret {
		combining.WriteRune(r)
		combining.WriteRune('\u0301')
	}
	for name, form := range map[string]string{
		"base64":                 base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64 URL, unpadded":   base64.RawURLEncoding.EncodeToString([]byte("x" + secret)),
		"spaced out":             spelled(" "),
		"in chunks of 7":         chunks(7, "…"),
		"backwards":              func() string { r := []rune(secret); slices.Reverse(r); return string(r) }(),
		"with combining accents": combining.String(),
		"with accented letters":  accented,
		"in hexadecimal":         hex.EncodeToString([]byte(secret)),
		"in .NET's hex pairs":    strings.ToUpper(strings.Join(hexPairs(secret), "-")),
		"in spaced hex pairs":    "x" + strings.Join(hexPairs(secret), " "),
	} {
		if !EchoesSecret("Invalid authvalue: "+form+".", []string{secret}) {
			t.Errorf("the %s form %q is not found", name, form)
		}
	}
	// Words run together without their spaces; a secret made of words must not match them.
	if EchoesSecret("the GitHub Actions ID token request to https://pipelines.example answered 401 Unauthorized",
		[]string{"ghs_wrongRequestTokenValue123"}) {
		t.Error("ordinary words matched a secret made of words")
	}
	if EchoesSecret("Invalid authvalue: "+base64.StdEncoding.EncodeToString([]byte("something else entirely")), []string{secret}) {
		t.Error("base64 of other text matched the secret")
	}
	// A character put before the encoding, or many words before it, do not hide it.
	encoded := base64.StdEncoding.EncodeToString([]byte(secret))
	for name, text := range map[string]string{
		"shifted by one":         "A" + encoded,
		"shifted by three":       "xyz" + encoded,
		"after a hundred words":  strings.Repeat("filler-word-1234 ", 100) + encoded,
		"longer than is checked": strings.Repeat("harmless text ", MaxCheckedText/14+1),
	} {
		if !EchoesSecret(text, []string{secret}) {
			t.Errorf("%s: not found", name)
		}
	}
}

// The client checks the query of every request it sends against its secrets and tokens.
func BenchmarkEchoesSecretOnARequestQuery(b *testing.B) {
	token := "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + strings.Repeat("eyJzdWIiOiJhYmMxMjMiLCJuYW1lIjoiSm9obiBEb2UifQ", 20) + "." +
		strings.Repeat("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", 8)
	secrets := []string{token, token + "x", "Zx8Q~s3cret+with/odd&chars='<>"}
	query := "$select=sdkmessageprocessingstepid,name,mode,stage,rank,filteringattributes&$filter=" +
		strings.Repeat("_eventhandler_value%20eq%20%40h1%20or%20", 20)
	for b.Loop() {
		if EchoesSecret(query, secrets) {
			b.Fatal("the query holds no secret")
		}
	}
}

// Two lists of secrets never share a cached matcher, even when one secret holds the separator
// another list would be joined with.
func TestEchoesSecretKeepsListsOfSecretsApart(t *testing.T) {
	t.Parallel()
	if EchoesSecret("id=k3y", []string{"k3y\x00zz"}) {
		t.Fatal("a run of a secret holding NUL matched text without it")
	}
	if !EchoesSecret("id=k3y", []string{"k3y", "zz"}) {
		t.Error("the whole short secret k3y is not found after a list that joins to the same text was checked")
	}
}

// HoldsSecret reads text of any length, such as a test's log, where EchoesSecret counts text
// longer than it reads as an echo.
func TestHoldsSecretReadsLongText(t *testing.T) {
	t.Parallel()
	const secret = "q7Kz.w2Vx_9pLr-4Mn8Tb6Y"
	filler := strings.Repeat("2026-12-07T02:00:00Z [DEBUG] provider: plain log line\n", 2000)
	if HoldsSecret(filler, []string{secret}) {
		t.Error("a log without the secret holds it")
	}
	if !EchoesSecret(filler, []string{secret}) {
		t.Error("EchoesSecret read text longer than MaxCheckedText")
	}
	for _, at := range []int{0, len(filler) / 2, len(filler)} {
		if !HoldsSecret(filler[:at]+url.QueryEscape(secret)+filler[at:], []string{secret}) {
			t.Errorf("the secret at byte %d of %d is not found", at, len(filler))
		}
	}
}

// A character that starts an escape, put just before a short secret's escaped form, joins the
// form's first characters into a different escape; the form is still found as written.
func TestShortSecretFoundAfterAStrayEscapeCharacter(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"00!", "41 b&", "ab\"c"} {
		quoted, _ := json.Marshal(secret)
		for name, text := range map[string]string{
			"% before path-escaped":  "%" + url.PathEscape(secret),
			"% before query-escaped": "%" + url.QueryEscape(secret),
			`\ before JSON-escaped`:  `\` + string(quoted[1:len(quoted)-1]),
			"& before HTML-escaped":  "&" + html.EscapeString(secret),
		} {
			if !EchoesSecret("value="+text, []string{secret}) {
				t.Errorf("%s: %q of %q is not found", name, text, secret)
			}
		}
	}
	if EchoesSecret("value=%30%30", []string{"00!"}) {
		t.Error("escaped text that is not the secret matched it")
	}
}

// An empty secret is no secret: it does not make every text an echo.
func TestEmptySecretEchoesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text    string
		secrets []string
		want    bool
	}{
		{"the request was malformed", []string{""}, false},
		{"key correct-horse-battery-staple", []string{"", "correct-horse-battery-staple"}, true},
	} {
		if got := EchoesSecret(tc.text, tc.secrets); got != tc.want {
			t.Errorf("EchoesSecret(%q, %q) = %v, want %v", tc.text, tc.secrets, got, tc.want)
		}
	}
}

// PlainText makes text one line fit to show; WithoutControls keeps its lines, for state.
func TestCleaningOfServerText(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		clean func(string) string
		cases map[string]string
	}{
		"PlainText": {PlainText, map[string]string{
			"  two\n\tlines  ":                       "two lines",
			"\x1b[2Jcleared":                         "[2Jcleared",
			"link \x1b]8;;https://e.example\x07text": "link ]8;;https://e.exampletext",
			"bidi \u202eoverride\u202c end":          "bidi override end",
			"invalid \xff\xfe UTF-8":                 "invalid UTF-8",
			"AADSTS7000215: Invalid client secret.":  "AADSTS7000215: Invalid client secret.",
		}},
		"WithoutControls": {WithoutControls, map[string]string{
			"two\n\tlines, kept":                            "two\n\tlines, kept",
			"windows\r\nline ends kept":                     "windows\r\nline ends kept",
			"a lone\rcarriage return":                       "a lonecarriage return",
			"line1\n\x1b]0;PWNED\x07\x1b[2JError: forged":   "line1\n]0;PWNED[2JError: forged",
			"C1 \u009b2J and DEL\x7f":                       "C1 2J and DEL",
			"bidi \u202eoverride\u202c \u2066isolate\u2069": "bidi override isolate",
			"Grüße, 日本語, emoji \U0001F469\u200d\U0001F4BB":  "Grüße, 日本語, emoji \U0001F469\u200d\U0001F4BB",
		}},
	} {
		for in, want := range c.cases {
			if got := c.clean(in); got != want {
				t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
			}
		}
	}
}

func hexPairs(s string) []string {
	var out []string
	for _, b := range []byte(s) {
		out = append(out, hex.EncodeToString([]byte{b}))
	}
	return out
}

// A secret with fewer letters and digits than SkeletonRun is still found split or reversed.
func TestShortSecretFoundSplitOrReversed(t *testing.T) {
	t.Parallel()
	const secret = "Kx7#pQ2!vR9m"
	r := []rune(secret)
	slices.Reverse(r)
	for name, text := range map[string]string{
		"split across lines": "value " + secret[:6] + "\n" + secret[6:] + " rejected",
		"reversed":           "value " + string(r) + " rejected",
	} {
		if !EchoesSecret(text, []string{secret}) {
			t.Errorf("%s: %q not found", name, text)
		}
	}
	if EchoesSecret("AADSTS7000215: Invalid client secret provided.", []string{secret}) {
		t.Error("a message without the secret matched it")
	}
	// Secrets made of words: ordinary messages hold the words, run together once their spaces
	// and punctuation go, and must still be shown.
	for _, text := range []string{
		"AADSTS7000215: Invalid client secret value provided. Ensure the secret being sent in the request is the client secret value.",
		"An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'Name' was found.",
	} {
		for _, wordy := range []string{"Secret-Value", "secret_id!", "request-is", "Input-Param"} {
			if EchoesSecret(text, []string{wordy}) {
				t.Errorf("the secret %q matched the message %q", wordy, text)
			}
		}
	}
}
