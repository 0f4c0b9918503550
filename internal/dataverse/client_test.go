package dataverse

import (
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantURL string
		wantErr string
	}{
		{"trailing slash trimmed", Config{EnvironmentURL: "https://org.crm.dynamics.com/", TokenSource: &staticTokens{}}, "https://org.crm.dynamics.com", ""},
		{"missing url", Config{TokenSource: &staticTokens{}}, "", "required"},
		{"not http", Config{EnvironmentURL: "ftp://org", TokenSource: &staticTokens{}}, "", "https://"},
		{"plain http to loopback", Config{EnvironmentURL: "http://127.0.0.1:8443", TokenSource: &staticTokens{}}, "http://127.0.0.1:8443", ""},
		{"plain http elsewhere", Config{EnvironmentURL: "http://org.crm.dynamics.com", TokenSource: &staticTokens{}}, "", "https://"},
		{"no host", Config{EnvironmentURL: "https://", TokenSource: &staticTokens{}}, "", "no host"},
		{"query", Config{EnvironmentURL: "https://org.example/?x=1", TokenSource: &staticTokens{}}, "", "scheme and host only"},
		{"user info is not echoed", Config{EnvironmentURL: "https://user:hunter22@org.example/?x=1", TokenSource: &staticTokens{}}, "", "user name or password; use https://org.example"},
		{"path", Config{EnvironmentURL: "https://org.example/api/data/v9.2", TokenSource: &staticTokens{}}, "", "without a path"},
		{"not a URL", Config{EnvironmentURL: "https://org.example/%zz?sig=hunter22", TokenSource: &staticTokens{}}, "", "not a URL"},
		{"white space trimmed", Config{EnvironmentURL: " https://org.example ", TokenSource: &staticTokens{}}, "https://org.example", ""},
		{"no token source", Config{EnvironmentURL: "https://org.example"}, "", "token source"},
		{"negative retries", Config{EnvironmentURL: "https://org.example", TokenSource: &staticTokens{}, MaxRetries: -1}, "", "retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter22") {
					t.Errorf("err %q echoes a password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.EnvironmentURL() != tt.wantURL {
				t.Errorf("EnvironmentURL() = %q, want %q", c.EnvironmentURL(), tt.wantURL)
			}
			if c.base.String() != tt.wantURL+"/api/data/v9.2/" {
				t.Errorf("base = %s", c.base)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(Config{EnvironmentURL: "https://org.example", TokenSource: &staticTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.maxAttempts != 10 || cap(c.slots) != 16 || c.requestTimeout != 2*time.Minute || c.pageSize != 5000 {
		t.Errorf("defaults: attempts %d, slots %d, timeout %s, page %d", c.maxAttempts, cap(c.slots), c.requestTimeout, c.pageSize)
	}
}
