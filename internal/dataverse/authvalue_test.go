package dataverse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeAuthValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		authType AuthType
		key      string
		pairs    map[string]string
		want     string
	}{
		{"webhook key", AuthTypeWebhookKey, "00000000-0000-0000-0000-000000000001", nil, "00000000-0000-0000-0000-000000000001"},
		{"header pairs sorted", AuthTypeHTTPHeader, "", map[string]string{"Key2": "Value2", "Key1": "Value1"},
			`<settings><setting name="Key1" value="Value1" /><setting name="Key2" value="Value2" /></settings>`},
		{"query string escaped", AuthTypeHTTPQueryString, "", map[string]string{"a&b": `<"x'y">`, "tab": "1\t2\n3"},
			`<settings><setting name="a&amp;b" value="&lt;&quot;x'y&quot;&gt;" /><setting name="tab" value="1&#x9;2&#xA;3" /></settings>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EncodeAuthValue(tt.authType, tt.key, tt.pairs)
			if err != nil {
				t.Fatalf("EncodeAuthValue: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			key, pairs, err := DecodeAuthValue(tt.authType, got)
			if err != nil {
				t.Fatalf("DecodeAuthValue: %v", err)
			}
			if key != tt.key || (len(tt.pairs) > 0 && !reflect.DeepEqual(pairs, tt.pairs)) || (len(tt.pairs) == 0 && pairs != nil) {
				t.Errorf("decoded %q %v, want %q %v", key, pairs, tt.key, tt.pairs)
			}
		})
	}
}

func TestEncodeAuthValueRejects(t *testing.T) {
	t.Parallel()
	const secret = "TOP-SECRET-VALUE"
	tests := []struct {
		name     string
		authType AuthType
		key      string
		pairs    map[string]string
		wantKey  string
	}{
		{"empty webhook key", AuthTypeWebhookKey, "", nil, ""},
		{"webhook key with pairs", AuthTypeWebhookKey, secret, map[string]string{"a": secret}, ""},
		{"pairs with a key", AuthTypeHTTPHeader, secret, map[string]string{"a": secret}, ""},
		{"no pairs", AuthTypeHTTPQueryString, "", nil, ""},
		{"empty name", AuthTypeHTTPQueryString, "", map[string]string{"": secret}, ""},
		{"blank name", AuthTypeHTTPQueryString, "", map[string]string{" ": secret}, ""},
		{"name with outer space", AuthTypeHTTPQueryString, "", map[string]string{" token": secret}, " token"},
		{"empty value", AuthTypeHTTPQueryString, "", map[string]string{"flag": ""}, "flag"},
		{"blank value", AuthTypeHTTPHeader, "", map[string]string{"X-Key": "  "}, "X-Key"},
		{"value with outer space", AuthTypeHTTPQueryString, "", map[string]string{"k": secret + " "}, "k"},
		{"header name with space", AuthTypeHTTPHeader, "", map[string]string{"X Key": secret}, "X Key"},
		{"header name with colon", AuthTypeHTTPHeader, "", map[string]string{"X-Key:": secret}, "X-Key:"},
		{"header value with newline", AuthTypeHTTPHeader, "", map[string]string{"X-Key": secret + "\r\nInjected: 1"}, "X-Key"},
		{"header names differing in case", AuthTypeHTTPHeader, "", map[string]string{"X-Key": secret, "x-key": secret}, "x-key"},
		{"parameter names differing in case", AuthTypeHTTPQueryString, "", map[string]string{"Token": secret, "token": secret}, "token"},
		// .NET's header collection refuses these names: every delivery would fail (0x80050203).
		{"restricted header", AuthTypeHTTPHeader, "", map[string]string{"Content-Type": secret}, "Content-Type"},
		{"restricted header in lower case", AuthTypeHTTPHeader, "", map[string]string{"user-agent": secret}, "user-agent"},
		{"padded webhook key", AuthTypeWebhookKey, secret + " ", nil, ""},
		{"blank webhook key", AuthTypeWebhookKey, "  ", nil, ""},
		{"value XML cannot carry", AuthTypeHTTPQueryString, "", map[string]string{"k": secret + "\x01"}, "k"},
		{"invalid UTF-8 value", AuthTypeHTTPQueryString, "", map[string]string{"k": secret + "\xff"}, "k"},
		{"too long", AuthTypeHTTPQueryString, "", map[string]string{"k": secret + strings.Repeat("x", 2048)}, ""},
		{"too long key", AuthTypeWebhookKey, secret + strings.Repeat("é", 2040), nil, ""},
		{"not a webhook auth type", AuthType(2), secret, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := EncodeAuthValue(tt.authType, tt.key, tt.pairs)
			var avErr *AuthValueError
			if !errors.As(err, &avErr) {
				t.Fatalf("err = %v, want *AuthValueError", err)
			}
			if avErr.Key != tt.wantKey {
				t.Errorf("Key = %q, want %q", avErr.Key, tt.wantKey)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the value", err)
			}
		})
	}
}

func TestEncodeAuthValueLengthLimit(t *testing.T) {
	t.Parallel()
	overhead := len(`<settings><setting name="k" value="" /></settings>`)
	exact := strings.Repeat("v", maxAuthValueLength-overhead)
	if _, err := EncodeAuthValue(AuthTypeHTTPQueryString, "", map[string]string{"k": exact}); err != nil {
		t.Errorf("a value of exactly 2048 characters was rejected: %v", err)
	}
	if _, err := EncodeAuthValue(AuthTypeHTTPQueryString, "", map[string]string{"k": exact + "v"}); err == nil {
		t.Error("2049 characters were accepted")
	}
	// Dataverse counts UTF-16 code units: an emoji is two.
	if _, err := EncodeAuthValue(AuthTypeWebhookKey, strings.Repeat("😀", 1025), nil); err == nil {
		t.Error("2050 UTF-16 units were accepted")
	}
}

func TestDecodeAuthValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    map[string]string
		wantErr bool
	}{
		{"tooling form", `<settings><setting name="A" value="1" /><setting name="B" value="2" /></settings>`, map[string]string{"A": "1", "B": "2"}, false},
		{"single quotes, whitespace, apos", "<settings>\n  <setting value='it&apos;s' name='A'/>\n</settings>", map[string]string{"A": "it's"}, false},
		{"numeric references", `<settings><setting name="A" value="&#60;&#x3E;" /></settings>`, map[string]string{"A": "<>"}, false},
		{"bare text", "hunter2", nil, true},
		{"empty", "", nil, true},
		{"no settings", "<settings></settings>", nil, true},
		{"wrong root", `<config><setting name="A" value="1" /></config>`, nil, true},
		{"missing value", `<settings><setting name="A" /></settings>`, nil, true},
		{"extra attribute", `<settings><setting name="A" value="1" kind="x" /></settings>`, nil, true},
		{"nested", `<settings><setting name="A" value="1"><x/></setting></settings>`, nil, true},
		{"text inside", `<settings>oops<setting name="A" value="1" /></settings>`, nil, true},
		{"duplicate", `<settings><setting name="A" value="1" /><setting name="A" value="2" /></settings>`, nil, true},
		{"two roots", `<settings><setting name="A" value="1" /></settings><settings/>`, nil, true},
		{"unclosed", `<settings><setting name="A" value="1" />`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, pairs, err := DecodeAuthValue(AuthTypeHTTPHeader, tt.value)
			if tt.wantErr {
				var avErr *AuthValueError
				if !errors.As(err, &avErr) {
					t.Fatalf("err = %v, want *AuthValueError", err)
				}
				if tt.value != "" && strings.Contains(err.Error(), tt.value) {
					t.Errorf("error %q quotes the value", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(pairs, tt.want) {
				t.Errorf("got %v, %v; want %v", pairs, err, tt.want)
			}
		})
	}
}

// FuzzAuthValueRoundTrip checks that whatever EncodeAuthValue accepts, DecodeAuthValue returns
// unchanged, and that rejected input never panics. Pairs come from one string: "\x1f" separates
// pairs, "=" splits name from value.
func FuzzAuthValueRoundTrip(f *testing.F) {
	seeds := []struct {
		authType int
		key      string
		pairs    string
	}{
		{4, "00000000-0000-0000-0000-000000000001", ""},
		{4, "", ""},
		{5, "", "Key1=Value1\x1fKey2=Value2"},
		{5, "", "X-Key=a\r\nb"},
		{5, "", "Bad Name=1"},
		{6, "", "a&b=<\"x'y\">\x1ftab=1\t2\n3\r"},
		{6, "", "=empty name"},
		{6, "", "k=" + strings.Repeat("x", 2100)},
		{6, "", "k=\x00"},
		{6, "", "ünïcödé=😀 &#x41; ]]>"},
		{6, "k", "a=b"},
		{2, "k", ""},
	}
	for _, s := range seeds {
		f.Add(s.authType, s.key, s.pairs)
	}
	f.Fuzz(func(t *testing.T, authType int, key, rawPairs string) {
		var pairs map[string]string
		if rawPairs != "" {
			pairs = map[string]string{}
			for _, p := range strings.Split(rawPairs, "\x1f") {
				name, value, _ := strings.Cut(p, "=")
				pairs[name] = value
			}
		}
		encoded, err := EncodeAuthValue(AuthType(authType), key, pairs)
		if err != nil {
			var avErr *AuthValueError
			if !errors.As(err, &avErr) {
				t.Fatalf("error %T is not *AuthValueError", err)
			}
			return
		}
		if n := TextLength(encoded); n > maxAuthValueLength {
			t.Fatalf("accepted a value of %d characters", n)
		}
		gotKey, gotPairs, err := DecodeAuthValue(AuthType(authType), encoded)
		if err != nil {
			t.Fatalf("DecodeAuthValue(%q): %v", encoded, err)
		}
		if gotKey != key {
			t.Fatalf("key %q came back as %q", key, gotKey)
		}
		if len(pairs) == 0 {
			if gotPairs != nil {
				t.Fatalf("pairs appeared from nothing: %v", gotPairs)
			}
			return
		}
		if !reflect.DeepEqual(gotPairs, pairs) {
			t.Fatalf("pairs %q came back as %q (encoded %q)", pairs, gotPairs, encoded)
		}
	})
}
