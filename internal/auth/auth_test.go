package auth_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/entra"
	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/testcert"
)

// emulator is the token service on a loopback TLS server.
type emulator struct {
	svc *entra.Service
	// client trusts the server's certificate.
	client *http.Client
	// requests counts every request the server received, discovery included.
	requests atomic.Int64
}

func startEmulator(t *testing.T) *emulator {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	svc, err := entra.New(entra.Options{BaseURL: "https://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatalf("entra.New: %v", err)
	}
	e := &emulator{svc: svc}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		svc.Handler().ServeHTTP(w, r)
	})
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.client = srv.Client()
	return e
}

// config is the part of a configuration every application flow shares: the
// environment URL written with a trailing slash, as users often do.
func (e *emulator) config(clientID string) auth.Config {
	return auth.Config{
		EnvironmentURL: e.svc.Audience() + "/",
		TenantID:       e.svc.TenantID(),
		ClientID:       clientID,
		AuthorityHost:  e.svc.BaseURL(),
		HTTPClient:     e.client,
	}
}

// mustToken gets a token and checks the emulator accepts it for the environment.
func (e *emulator) mustToken(t *testing.T, ts auth.TokenSource, force bool) *entra.AccessTokenClaims {
	t.Helper()
	tok, err := ts.Token(context.Background(), force)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	claims, err := e.svc.VerifyAccessToken(tok, e.svc.Audience())
	if err != nil {
		t.Fatalf("the emulator refuses the token: %v", err)
	}
	return claims
}

func newSource(t *testing.T, cfg auth.Config, want auth.Method) auth.TokenSource {
	t.Helper()
	ts, method, err := auth.NewTokenSource(cfg)
	if err != nil {
		t.Fatalf("NewTokenSource: %v", err)
	}
	if method != want {
		t.Fatalf("method %q, want %q", method, want)
	}
	return ts
}

// assertMentions fails for each of wants that err's message does not contain.
func assertMentions(t *testing.T, err error, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// assertNoSecrets fails when err's message contains any of the secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error reveals a secret %q: %v", s, err)
		}
	}
}

func TestClientSecret(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	const clientID, secret = "11111111-0000-0000-0000-000000000001", "Zx8Q~correct-horse.battery_staple"
	e.svc.RegisterSecretClient(clientID, secret)

	t.Run("good secret", func(t *testing.T) {
		t.Parallel()
		cfg := e.config(clientID)
		cfg.ClientSecret = secret
		claims := e.mustToken(t, newSource(t, cfg, auth.MethodClientSecret), false)
		if claims.ClientID != clientID || claims.TenantID != e.svc.TenantID() {
			t.Errorf("token for %s in %s, want %s in %s", claims.ClientID, claims.TenantID, clientID, e.svc.TenantID())
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		const wrong = "Zx8Q~wrong-horse.battery_staple"
		cfg := e.config(clientID)
		cfg.ClientSecret = wrong
		_, err := newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
		if err == nil {
			t.Fatal("Token succeeded with a wrong secret")
		}
		assertMentions(t, err, "client secret authentication failed", "401", "invalid_client", "AADSTS7000215")
		assertNoSecrets(t, err, wrong, secret)
	})

	// The right secret for the wrong place fails with Entra's code for what it does not know.
	for _, tc := range []struct {
		name, code, unknown string
		change              func(*auth.Config)
	}{
		{"environment the tenant does not know", "AADSTS500011", "resource", func(c *auth.Config) { c.EnvironmentURL = "https://contoso.crm.dynamics.com" }},
		{"unknown tenant", "AADSTS90002", "tenant", func(c *auth.Config) { c.TenantID = "00000000-0000-0000-0000-0000000000ff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.config(clientID)
			cfg.ClientSecret = secret
			tc.change(&cfg)
			_, err := newSource(t, cfg, auth.MethodClientSecret).Token(context.Background(), false)
			if err == nil || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("error %v, want %s for an unknown %s", err, tc.code, tc.unknown)
			}
			assertNoSecrets(t, err, secret)
		})
	}
}

// testCertificate is a self-signed certificate with its RSA key in the forms
// a user may hold it.
type testCertificate struct {
	cert    *x509.Certificate
	key     *rsa.PrivateKey
	pemData []byte // certificate and unencrypted PKCS#8 key
}

func newTestCertificate(t *testing.T) testCertificate {
	t.Helper()
	cert, key := testcert.SelfSigned(t, "terraform-dataverse", time.Now())
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	return testCertificate{cert: cert, key: key, pemData: data}
}

func (c testCertificate) pkcs12(t *testing.T, enc *pkcs12.Encoder, password string) []byte {
	t.Helper()
	data, err := enc.Encode(c.key, c.cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientCertificate(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	const clientID = "22222222-0000-0000-0000-000000000002"
	cert := newTestCertificate(t)
	e.svc.RegisterCertificateClient(clientID, cert.cert)
	const password = "p12-pa55word!"
	modern := cert.pkcs12(t, pkcs12.Modern, password)
	passwordless := cert.pkcs12(t, pkcs12.Passwordless, "")
	legacy := cert.pkcs12(t, pkcs12.LegacyDES, password)

	tests := []struct {
		name     string
		path     string
		content  string
		password string
	}{
		{name: "PEM file", path: writeFile(t, "cert.pem", cert.pemData)},
		{name: "base64 PEM", content: base64.StdEncoding.EncodeToString(cert.pemData)},
		{name: "PKCS#12 file with password (AES, PBKDF2)", path: writeFile(t, "cert.pfx", modern), password: password},
		{name: "PKCS#12 file without password", path: writeFile(t, "nopass.pfx", passwordless)},
		{name: "base64 PKCS#12 with password, wrapped lines", content: wrapLines(base64.StdEncoding.EncodeToString(modern), 76), password: password},
		{name: "base64 PKCS#12 without password", content: base64.StdEncoding.EncodeToString(passwordless)},
		{name: "legacy PKCS#12 (3DES)", content: base64.StdEncoding.EncodeToString(legacy), password: password},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.config(clientID)
			cfg.ClientCertificatePath = tc.path
			cfg.ClientCertificate = tc.content
			cfg.ClientCertificatePassword = tc.password
			claims := e.mustToken(t, newSource(t, cfg, auth.MethodClientCertificate), false)
			if claims.ClientID != clientID {
				t.Errorf("token for %s, want %s", claims.ClientID, clientID)
			}
		})
	}
}

func TestClientCertificateLoadErrors(t *testing.T) {
	t.Parallel()
	cert := newTestCertificate(t)
	const password = "p12-pa55word!"
	modern := cert.pkcs12(t, pkcs12.Modern, password)
	encryptedPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.cert.Raw})
	encryptedPEM = append(encryptedPEM, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("opaque")})...)
	base := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", TenantID: "t", ClientID: "c"}

	tests := []struct {
		name      string
		path      string
		content   string
		password  string
		wantInErr string
	}{
		{name: "wrong PKCS#12 password", content: base64.StdEncoding.EncodeToString(modern), password: "not-the-password", wantInErr: "ClientCertificatePassword does not open"},
		{name: "PKCS#12 password missing", content: base64.StdEncoding.EncodeToString(modern), wantInErr: "set ClientCertificatePassword"},
		{name: "not base64", content: "%%% not base64 %%%", wantInErr: "must be base64"},
		{name: "missing file", path: filepath.Join(t.TempDir(), "absent.pem"), wantInErr: "cannot read ClientCertificatePath"},
		{name: "endless file", path: "/dev/zero", wantInErr: "cannot read ClientCertificatePath: the file is larger than 1024 KiB"},
		{name: "PEM without key", content: base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.cert.Raw})), wantInErr: "no private key"},
		{name: "encrypted PEM key", path: writeFile(t, "enc.pem", encryptedPEM), wantInErr: "encrypted PEM private keys are not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			cfg.ClientCertificatePath = tc.path
			cfg.ClientCertificate = tc.content
			cfg.ClientCertificatePassword = tc.password
			_, _, err := auth.NewTokenSource(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantInErr)
			}
			var cfgErr *auth.ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.Method != auth.MethodClientCertificate {
				t.Errorf("error %T is not a client certificate *ConfigError", err)
			}
			assertNoSecrets(t, err, tc.password, tc.content)
		})
	}
}

func wrapLines(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	b.WriteString(s)
	return b.String()
}

func TestOIDC(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	const clientID = "33333333-0000-0000-0000-000000000003"
	const k8sSubject = "system:serviceaccount:infra:terraform"
	e.svc.RegisterFederatedClient(clientID, e.svc.FederatedIssuer(), k8sSubject)
	e.svc.RegisterFederatedClient(clientID, e.svc.FederatedIssuer(), entra.GitHubActionsSubject)
	e.svc.RegisterFederatedClient(clientID, e.svc.FederatedIssuer(), entra.AzureDevOpsSubjectPrefix+"conn-42")
	mint := func(t *testing.T, subject string) string {
		tok, err := e.svc.MintFederatedToken(subject, entra.TokenExchangeAudience, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	t.Run("direct token", func(t *testing.T) {
		t.Parallel()
		cfg := e.config(clientID)
		cfg.OIDCToken = mint(t, k8sSubject)
		e.mustToken(t, newSource(t, cfg, auth.MethodOIDC), false)
	})

	t.Run("token file read again on every request", func(t *testing.T) {
		t.Parallel()
		path := writeFile(t, "token", []byte(mint(t, k8sSubject)+"\n"))
		cfg := e.config(clientID)
		cfg.UseOIDC = true
		cfg.OIDCTokenFilePath = path
		ts := newSource(t, cfg, auth.MethodOIDC)
		e.mustToken(t, ts, false)

		// The file rotates to a token whose subject the application does not trust.
		stranger := mint(t, "system:serviceaccount:infra:stranger")
		if err := os.WriteFile(path, []byte(stranger), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ts.Token(context.Background(), true)
		if err == nil || !strings.Contains(err.Error(), "AADSTS70021") {
			t.Fatalf("after rotation: error %v, want AADSTS70021 for the new subject", err)
		}
		assertNoSecrets(t, err, stranger)
	})

	t.Run("token file too large", func(t *testing.T) {
		t.Parallel()
		cfg := e.config(clientID)
		cfg.UseOIDC = true
		cfg.OIDCTokenFilePath = writeFile(t, "token", bytes.Repeat([]byte("x"), 64<<10+1))
		_, err := newSource(t, cfg, auth.MethodOIDC).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
			t.Fatalf("error %v, want the file refused as too large", err)
		}
	})

	t.Run("GitHub Actions", func(t *testing.T) {
		t.Parallel()
		cfg := e.config(clientID)
		cfg.UseOIDC = true
		cfg.OIDCRequestURL, cfg.OIDCRequestToken = e.svc.GitHubActionsRequest()
		e.mustToken(t, newSource(t, cfg, auth.MethodOIDC), false)
	})

	t.Run("GitHub Actions with a wrong request token", func(t *testing.T) {
		t.Parallel()
		cfg := e.config(clientID)
		cfg.OIDCRequestURL, _ = e.svc.GitHubActionsRequest()
		cfg.OIDCRequestToken = "ghs_wrongRequestTokenValue123"
		_, err := newSource(t, cfg, auth.MethodOIDC).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "GitHub Actions") {
			t.Fatalf("error %v, want the GitHub Actions request's 401", err)
		}
		assertNoSecrets(t, err, cfg.OIDCRequestToken)
	})

	// azureDevOps is the configuration of a pipeline signing in through the service connection.
	azureDevOps := func(connectionID string) auth.Config {
		cfg := e.config(clientID)
		cfg.UseOIDC = true
		cfg.OIDCRequestURL, cfg.OIDCRequestToken = e.svc.AzureDevOpsRequest()
		cfg.ADOServiceConnectionID = connectionID
		return cfg
	}

	t.Run("Azure DevOps", func(t *testing.T) {
		t.Parallel()
		e.mustToken(t, newSource(t, azureDevOps("conn-42"), auth.MethodOIDC), false)
	})

	t.Run("Azure DevOps connection without a federated credential", func(t *testing.T) {
		t.Parallel()
		cfg := azureDevOps("conn-7")
		_, err := newSource(t, cfg, auth.MethodOIDC).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "AADSTS70021") || !strings.Contains(err.Error(), "sc://contoso/infra/conn-7") {
			t.Fatalf("error %v, want AADSTS70021 naming the connection's subject", err)
		}
		assertNoSecrets(t, err, cfg.OIDCRequestToken)
	})
}

// Managed identity tests set IDENTITY_ENDPOINT and IDENTITY_HEADER, which
// MSAL reads from the process environment, so they cannot run in parallel.
func TestManagedIdentity(t *testing.T) {
	e := startEmulator(t)
	const userAssigned = "44444444-0000-0000-0000-000000000004"
	e.svc.RegisterManagedIdentity("")
	e.svc.RegisterManagedIdentity(userAssigned)
	clearIdentityEnv := func(t *testing.T) {
		for _, name := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
			t.Setenv(name, "")
		}
	}
	appService := func(t *testing.T) {
		clearIdentityEnv(t)
		t.Setenv("IDENTITY_ENDPOINT", e.svc.ManagedIdentityEndpoint())
		t.Setenv("IDENTITY_HEADER", e.svc.IdentityHeader())
	}
	msiConfig := func(clientID string) auth.Config {
		return auth.Config{EnvironmentURL: e.svc.Audience(), UseMSI: true, ClientID: clientID, HTTPClient: e.client}
	}

	t.Run("system-assigned, App Service", func(t *testing.T) {
		appService(t)
		e.svc.ResetCounters()
		ts := newSource(t, msiConfig(""), auth.MethodManagedIdentity)
		claims := e.mustToken(t, ts, false)
		if claims.ClientID != e.svc.SystemAssignedClientID() {
			t.Errorf("token for %s, want the system-assigned identity %s", claims.ClientID, e.svc.SystemAssignedClientID())
		}
		e.mustToken(t, ts, false)
		if got := e.svc.TokenRequests(); got != 1 {
			t.Errorf("two Token calls made %d requests, want 1", got)
		}
		// MSAL keeps managed identity tokens in a process-wide cache; a
		// forced refresh must still reach the endpoint.
		e.mustToken(t, ts, true)
		if got := e.svc.TokenRequests(); got != 2 {
			t.Errorf("a forced refresh made %d requests in all, want 2", got)
		}
	})

	t.Run("user-assigned, App Service", func(t *testing.T) {
		appService(t)
		claims := e.mustToken(t, newSource(t, msiConfig(userAssigned), auth.MethodManagedIdentity), false)
		if claims.ClientID != userAssigned {
			t.Errorf("token for %s, want the user-assigned identity %s", claims.ClientID, userAssigned)
		}
	})

	t.Run("unknown user-assigned identity", func(t *testing.T) {
		appService(t)
		_, err := newSource(t, msiConfig("44444444-0000-0000-0000-0000000000ff"), auth.MethodManagedIdentity).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "No managed identity found") {
			t.Fatalf("error %v, want the endpoint's 'No managed identity found'", err)
		}
		assertNoSecrets(t, err, e.svc.IdentityHeader())
	})

	t.Run("MSIEndpoint override, IMDS protocol", func(t *testing.T) {
		// Without IDENTITY_* MSAL speaks IMDS to its fixed address; the
		// override sends those requests to the emulator instead.
		clearIdentityEnv(t)
		cfg := msiConfig(userAssigned)
		cfg.MSIEndpoint = e.svc.ManagedIdentityEndpoint()
		claims := e.mustToken(t, newSource(t, cfg, auth.MethodManagedIdentity), false)
		if claims.ClientID != userAssigned {
			t.Errorf("token for %s, want %s", claims.ClientID, userAssigned)
		}
	})
}

// fakeAz writes an executable script standing in for the Azure CLI. It
// records its arguments in a file next to it and runs body.
func fakeAz(t *testing.T, body string) (command, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	command = filepath.Join(dir, "az")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %q\n%s\n", argsFile, body)
	if err := os.WriteFile(command, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return command, argsFile
}

func TestAzureCLI(t *testing.T) {
	t.Parallel()
	const cliToken = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJjbGkifQ.c2lnbmF0dXJl"
	expires := time.Now().Add(time.Hour).Truncate(time.Second)

	t.Run("expires_on and tenant", func(t *testing.T) {
		t.Parallel()
		command, argsFile := fakeAz(t, fmt.Sprintf(`echo '{"accessToken":"%s","expiresOn":"ignored","expires_on":%d,"tenant":"t","tokenType":"Bearer"}'`, cliToken, expires.Unix()))
		cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com/", TenantID: "tenant-1", UseCLI: true, CLICommand: command}
		ts := newSource(t, cfg, auth.MethodAzureCLI)
		tok, err := ts.Token(context.Background(), false)
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		if tok != cliToken {
			t.Errorf("token %q, want the CLI's", tok)
		}
		args, err := os.ReadFile(argsFile)
		if err != nil {
			t.Fatal(err)
		}
		want := "account\nget-access-token\n--resource\nhttps://contoso.crm.dynamics.com\n--output\njson\n--tenant\ntenant-1\n"
		if string(args) != want {
			t.Errorf("az ran with\n%s\nwant\n%s", args, want)
		}
	})

	t.Run("expiresOn in local time, no tenant", func(t *testing.T) {
		t.Parallel()
		local := expires.Local().Format("2006-01-02 15:04:05.000000")
		command, argsFile := fakeAz(t, fmt.Sprintf(`echo '{"accessToken":"%s","expiresOn":"%s","tokenType":"Bearer"}'`, cliToken, local))
		cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseCLI: true, CLICommand: command}
		ts := newSource(t, cfg, auth.MethodAzureCLI)
		if _, err := ts.Token(context.Background(), false); err != nil {
			t.Fatalf("Token: %v", err)
		}
		// The expiry was read: a second call is served from the cache, so az runs once.
		if err := os.Remove(argsFile); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Token(context.Background(), false); err != nil {
			t.Fatalf("Token: %v", err)
		}
		if _, err := os.Stat(argsFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("az ran again for a cached token")
		}
	})

	t.Run("failure shows stderr without tokens", func(t *testing.T) {
		t.Parallel()
		command, _ := fakeAz(t, fmt.Sprintf(`echo "ERROR: AADSTS70043: The refresh token has expired. Token: %s Authorization: Bearer abcdefghijklmnop. Please run 'az login'." >&2; exit 1`, cliToken))
		cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseCLI: true, CLICommand: command}
		_, err := newSource(t, cfg, auth.MethodAzureCLI).Token(context.Background(), false)
		if err == nil {
			t.Fatal("Token succeeded although az failed")
		}
		assertMentions(t, err, "Azure CLI authentication failed", "AADSTS70043", "az login", "exit status 1")
		assertNoSecrets(t, err, cliToken, "abcdefghijklmnop")
	})

	t.Run("az not installed", func(t *testing.T) {
		t.Parallel()
		cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseCLI: true, CLICommand: "az-that-does-not-exist"}
		_, err := newSource(t, cfg, auth.MethodAzureCLI).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "was not found on PATH") {
			t.Fatalf("error %v, want one saying az is not installed", err)
		}
	})

	// az's output is held in memory: a CLI printing without end is stopped at a bound, not read
	// to the end of its minute.
	for stream, redirect := range map[string]string{"stdout": "", "stderr": " >&2"} {
		t.Run("endless "+stream, func(t *testing.T) {
			t.Parallel()
			command, _ := fakeAz(t, "yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"+redirect)
			cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseCLI: true, CLICommand: command}
			start := time.Now()
			_, err := newSource(t, cfg, auth.MethodAzureCLI).Token(context.Background(), false)
			if err == nil || !strings.Contains(err.Error(), "printed more than") || !strings.Contains(err.Error(), stream) {
				t.Fatalf("error %v, want one saying az printed too much on %s", err, stream)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %s: az was not stopped at the bound", took)
			}
			if n := len(err.Error()); n > 10_000 {
				t.Errorf("the error is %d bytes", n)
			}
		})
	}

	t.Run("output that is not a token", func(t *testing.T) {
		t.Parallel()
		command, _ := fakeAz(t, `echo 'Please run az login'`)
		cfg := auth.Config{EnvironmentURL: "https://contoso.crm.dynamics.com", UseCLI: true, CLICommand: command}
		_, err := newSource(t, cfg, auth.MethodAzureCLI).Token(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), "other than JSON") {
			t.Fatalf("error %v, want one about az's output", err)
		}
	})
}

func TestChooseMethod(t *testing.T) {
	t.Parallel()
	const env = "https://contoso.crm.dynamics.com"
	app := auth.Config{EnvironmentURL: env, TenantID: "tenant", ClientID: "client"}
	with := func(mutate func(*auth.Config)) auth.Config {
		c := app
		mutate(&c)
		return c
	}
	tests := []struct {
		name        string
		cfg         auth.Config
		want        auth.Method
		wantErr     string // the whole message
		wantMissing []auth.Setting
	}{
		{name: "client secret", cfg: with(func(c *auth.Config) { c.ClientSecret = "s" }), want: auth.MethodClientSecret},
		{name: "certificate wins over secret", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.ClientCertificatePath = "/c.pem" }), want: auth.MethodClientCertificate},
		{name: "secret wins over OIDC", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.OIDCToken = "t" }), want: auth.MethodClientSecret},
		{name: "OIDC from a token file", cfg: with(func(c *auth.Config) { c.OIDCTokenFilePath = "/var/run/token" }), want: auth.MethodOIDC},
		{name: "OIDC from a request URL", cfg: with(func(c *auth.Config) { c.OIDCRequestURL = "https://x"; c.OIDCRequestToken = "t" }), want: auth.MethodOIDC},
		{name: "use_msi wins over a secret", cfg: with(func(c *auth.Config) { c.UseMSI = true; c.ClientSecret = "s" }), want: auth.MethodManagedIdentity},
		{name: "use_msi needs no tenant", cfg: auth.Config{EnvironmentURL: env, UseMSI: true}, want: auth.MethodManagedIdentity},
		{name: "use_cli", cfg: auth.Config{EnvironmentURL: env, UseCLI: true}, want: auth.MethodAzureCLI},
		{name: "use_oidc wins over a certificate", cfg: with(func(c *auth.Config) { c.UseOIDC = true; c.OIDCToken = "t"; c.ClientCertificate = "x" }), want: auth.MethodOIDC},

		{name: "secret without tenant", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.TenantID = "" }),
			wantErr:     "client secret authentication needs TenantID",
			wantMissing: []auth.Setting{"TenantID"}},
		{name: "certificate without tenant and client", cfg: auth.Config{EnvironmentURL: env, ClientCertificatePath: "/c.pem"},
			wantErr:     "client certificate authentication needs TenantID and ClientID",
			wantMissing: []auth.Setting{"TenantID", "ClientID"}},
		{name: "certificate path and content", cfg: with(func(c *auth.Config) { c.ClientCertificatePath = "/c.pem"; c.ClientCertificate = "eA==" }),
			wantErr: "client certificate authentication takes ClientCertificatePath or ClientCertificate, not both"},
		{name: "use_oidc without a token", cfg: with(func(c *auth.Config) { c.UseOIDC = true }),
			wantErr:     "OIDC authentication needs one of OIDCToken, OIDCTokenFilePath, or OIDCRequestURL with OIDCRequestToken",
			wantMissing: []auth.Setting{"OIDCToken", "OIDCTokenFilePath", "OIDCRequestURL", "OIDCRequestToken"}},
		{name: "request URL without its token", cfg: with(func(c *auth.Config) { c.OIDCRequestURL = "https://x" }),
			wantErr:     "OIDC authentication needs OIDCRequestToken",
			wantMissing: []auth.Setting{"OIDCRequestToken"}},
		{name: "service connection without the request pair", cfg: with(func(c *auth.Config) { c.UseOIDC = true; c.ADOServiceConnectionID = "conn"; c.ClientID = "" }),
			wantErr:     "OIDC authentication needs ClientID, OIDCRequestURL and OIDCRequestToken",
			wantMissing: []auth.Setting{"ClientID", "OIDCRequestURL", "OIDCRequestToken"}},
		{name: "managed identity without environment", cfg: auth.Config{UseMSI: true},
			wantErr:     "managed identity authentication needs EnvironmentURL",
			wantMissing: []auth.Setting{"EnvironmentURL"}},
		{name: "Azure CLI without environment", cfg: auth.Config{UseCLI: true, TenantID: "tenant"},
			wantErr:     "Azure CLI authentication needs EnvironmentURL",
			wantMissing: []auth.Setting{"EnvironmentURL"}},
		{name: "two switches", cfg: auth.Config{EnvironmentURL: env, UseCLI: true, UseMSI: true},
			wantErr: "UseCLI and UseMSI each choose an authentication method; set only one of them"},
		{name: "nothing", cfg: auth.Config{EnvironmentURL: env},
			wantErr: "no authentication method is configured: set ClientSecret, ClientCertificatePath or ClientCertificate (each with TenantID and ClientID), UseOIDC with a federated token, UseMSI for a managed identity, or UseCLI for the Azure CLI"},
		{name: "tenant and client alone are no credential", cfg: app,
			wantErr: "no authentication method is configured: set ClientSecret, ClientCertificatePath or ClientCertificate (each with TenantID and ClientID), UseOIDC with a federated token, UseMSI for a managed identity, or UseCLI for the Azure CLI"},
		{name: "environment URL over http", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.EnvironmentURL = "http://contoso.crm.dynamics.com" }),
			wantErr: `client secret authentication: EnvironmentURL must be an https URL such as https://contoso.crm.dynamics.com, got "http://contoso.crm.dynamics.com"`},
		{name: "authority host without scheme", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.AuthorityHost = "login.microsoftonline.us" }),
			wantErr: `client secret authentication: AuthorityHost must be an https URL such as https://login.microsoftonline.com, got "login.microsoftonline.us"`},
		{name: "OIDC request URL over http", cfg: with(func(c *auth.Config) {
			c.OIDCRequestURL, c.OIDCRequestToken = "http://ci-token.example.net/idtoken?api-version=2.0", "request-token"
		}),
			wantErr: `OIDC authentication: OIDCRequestURL must be an https URL, as the pipeline gives it (ACTIONS_ID_TOKEN_REQUEST_URL, or Azure DevOps' SYSTEM_OIDCREQUESTURI); the request carries the pipeline's request token; got "http://ci-token.example.net/idtoken (its user information, query or fragment not shown)"`},
		{name: "tenant with a path", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.TenantID = "contoso.onmicrosoft.com/../common?x=1" }),
			wantErr: `client secret authentication: TenantID must be the directory (tenant) ID, a GUID, or one of the tenant's domains such as contoso.onmicrosoft.com; got 37 characters that are neither (not shown: a secret set in the wrong place would be)`},
		{name: "Azure CLI tenant that reads as a flag", cfg: auth.Config{EnvironmentURL: env, UseCLI: true, TenantID: "--debug"},
			wantErr: `Azure CLI authentication: TenantID must be the directory (tenant) ID, a GUID, or one of the tenant's domains such as contoso.onmicrosoft.com; got 7 characters that are neither (not shown: a secret set in the wrong place would be)`},
		{name: "tenant as a domain", cfg: with(func(c *auth.Config) { c.ClientSecret = "s"; c.TenantID = "Contoso.onmicrosoft.com" }), want: auth.MethodClientSecret},
		{name: "OIDC request URL with its query", cfg: with(func(c *auth.Config) {
			c.OIDCRequestURL, c.OIDCRequestToken = "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0", "request-token"
		}), want: auth.MethodOIDC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ChooseMethod(tc.cfg)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ChooseMethod = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error\n  %v\nwant\n  %s", err, tc.wantErr)
			}
			var cfgErr *auth.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("error %T is not a *ConfigError", err)
			}
			if tc.wantMissing != nil && !slices.Equal(cfgErr.Missing, tc.wantMissing) {
				t.Errorf("Missing = %v, want %v", cfgErr.Missing, tc.wantMissing)
			}
			if _, _, err := auth.NewTokenSource(tc.cfg); err == nil || err.Error() != tc.wantErr {
				t.Errorf("NewTokenSource error %v, want the same as ChooseMethod", err)
			}
		})
	}
}

func TestNewTokenSourceMakesNoRequest(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	requestURL, requestToken := e.svc.GitHubActionsRequest()
	cert := newTestCertificate(t)
	configs := map[string]auth.Config{
		"secret":      func() auth.Config { c := e.config("c"); c.ClientSecret = "s"; return c }(),
		"certificate": func() auth.Config { c := e.config("c"); c.ClientCertificate = string(cert.pemData); return c }(),
		"oidc": func() auth.Config {
			c := e.config("c")
			c.OIDCRequestURL, c.OIDCRequestToken = requestURL, requestToken
			return c
		}(),
		"msi endpoint": {EnvironmentURL: e.svc.Audience(), UseMSI: true, MSIEndpoint: e.svc.ManagedIdentityEndpoint(), HTTPClient: e.client},
	}
	for name, cfg := range configs {
		if _, _, err := auth.NewTokenSource(cfg); err != nil {
			t.Errorf("%s: NewTokenSource: %v", name, err)
		}
	}
	if got := e.requests.Load(); got != 0 {
		t.Fatalf("NewTokenSource made %d requests, want none", got)
	}
}

// offsetClock is the real clock moved forward by a settable amount, so the
// cache can be aged while MSAL and the emulator keep real time.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func TestTokenCaching(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	const clientID, secret = "55555555-0000-0000-0000-000000000005", "cache-test-secret-value"
	e.svc.RegisterSecretClient(clientID, secret)
	clock := &offsetClock{}
	cfg := e.config(clientID)
	cfg.ClientSecret = secret
	cfg.Now = clock.Now
	ts := newSource(t, cfg, auth.MethodClientSecret)
	ctx := context.Background()

	// Concurrent first callers share one request.
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	errs := make([]error, len(tokens))
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], errs[i] = ts.Token(ctx, false)
		}()
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: token %.12q error %v, want the shared token", i, tokens[i], errs[i])
		}
	}
	if got := e.svc.TokenRequests(); got != 1 {
		t.Fatalf("16 concurrent first calls made %d token requests, want 1", got)
	}

	second, err := ts.Token(ctx, false)
	if err != nil || second != tokens[0] {
		t.Fatalf("second call: %v; want the cached token", err)
	}
	if got := e.svc.TokenRequests(); got != 1 {
		t.Fatalf("a second call made %d token requests in all, want 1", got)
	}

	forced, err := ts.Token(ctx, true)
	if err != nil {
		t.Fatalf("forced refresh: %v", err)
	}
	if got := e.svc.TokenRequests(); got != 2 {
		t.Fatalf("a forced refresh made %d token requests in all, want 2", got)
	}
	if forced == tokens[0] {
		t.Error("a forced refresh returned the refused token")
	}
	if again, _ := ts.Token(ctx, false); again != forced {
		t.Error("the cache does not hold the token from the forced refresh")
	}

	// 54 minutes into a one-hour token the cache still serves it; at 56 it
	// is within five minutes of expiry and is replaced.
	clock.Advance(54 * time.Minute)
	if _, err := ts.Token(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.TokenRequests(); got != 2 {
		t.Fatalf("a token with 6 minutes left was refetched (%d requests)", got)
	}
	clock.Advance(2 * time.Minute)
	if _, err := ts.Token(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.TokenRequests(); got != 3 {
		t.Fatalf("a token with 4 minutes left was not refreshed (%d requests, want 3)", got)
	}
}

func TestTokenHonoursCancellation(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	cfg := e.config("66666666-0000-0000-0000-000000000006")
	cfg.ClientSecret = "secret-for-cancel-test"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newSource(t, cfg, auth.MethodClientSecret).Token(ctx, false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestConfigErrorExplain checks that a caller's names for the settings replace the plain
// ones, the Azure DevOps case told apart, while Error keeps the plain names.
func TestConfigErrorExplain(t *testing.T) {
	t.Parallel()
	const env = "https://contoso.crm.dynamics.com"
	describe := func(s auth.Setting, azureDevOps bool) string {
		if azureDevOps {
			return "<" + string(s) + " in Azure DevOps>"
		}
		return "<" + string(s) + ">"
	}
	tests := []struct {
		name        string
		cfg         auth.Config
		plain, told string
		settings    []auth.Setting
	}{
		{"missing tenant", auth.Config{EnvironmentURL: env, ClientID: "c", ClientSecret: "s"},
			"client secret authentication needs TenantID", "client secret authentication needs <TenantID>", []auth.Setting{auth.TenantID}},
		{"service connection", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", ADOServiceConnectionID: "sc"},
			"OIDC authentication needs OIDCRequestURL and OIDCRequestToken",
			"OIDC authentication needs <OIDCRequestURL in Azure DevOps> and <OIDCRequestToken in Azure DevOps>",
			[]auth.Setting{auth.OIDCRequestURL, auth.OIDCRequestToken}},
		{"no token", auth.Config{EnvironmentURL: env, TenantID: "t", UseOIDC: true},
			"OIDC authentication needs ClientID and one of OIDCToken, OIDCTokenFilePath, or OIDCRequestURL with OIDCRequestToken",
			"OIDC authentication needs <ClientID> and one of <OIDCToken>, <OIDCTokenFilePath>, or <OIDCRequestURL> with <OIDCRequestToken>",
			[]auth.Setting{auth.ClientID, auth.OIDCToken, auth.OIDCTokenFilePath, auth.OIDCRequestURL, auth.OIDCRequestToken}},
		{"bad authority", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", ClientSecret: "s", AuthorityHost: "ftp://x"},
			`client secret authentication: AuthorityHost must be an https URL such as https://login.microsoftonline.com, got "ftp://x"`,
			`client secret authentication: <AuthorityHost> must be an https URL such as https://login.microsoftonline.com, got "ftp://x"`,
			[]auth.Setting{auth.AuthorityHost}},
		{"two switches", auth.Config{EnvironmentURL: env, UseMSI: true, UseOIDC: true},
			"UseMSI and UseOIDC each choose an authentication method; set only one of them",
			"<UseMSI> and <UseOIDC> each choose an authentication method; set only one of them",
			[]auth.Setting{auth.UseMSI, auth.UseOIDC}},
		{"certificate given twice", auth.Config{EnvironmentURL: env, TenantID: "t", ClientID: "c", ClientCertificatePath: "/c.pem", ClientCertificate: "eA=="},
			"client certificate authentication takes ClientCertificatePath or ClientCertificate, not both",
			"client certificate authentication takes <ClientCertificatePath> or <ClientCertificate>, not both",
			[]auth.Setting{auth.ClientCertificatePath, auth.ClientCertificate}},
		{"nothing", auth.Config{EnvironmentURL: env},
			"no authentication method is configured: set ClientSecret, ClientCertificatePath or ClientCertificate (each with TenantID and ClientID), UseOIDC with a federated token, UseMSI for a managed identity, or UseCLI for the Azure CLI",
			"no authentication method is configured: set <ClientSecret>, <ClientCertificatePath> or <ClientCertificate> (each with <TenantID> and <ClientID>), <UseOIDC> with a federated token, <UseMSI> for a managed identity, or <UseCLI> for the Azure CLI",
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.ChooseMethod(tc.cfg)
			var cfgErr *auth.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			if err.Error() != tc.plain {
				t.Errorf("Error() = %q, want %q", err, tc.plain)
			}
			if got := cfgErr.Explain(describe); got != tc.told {
				t.Errorf("Explain = %q, want %q", got, tc.told)
			}
			if got := cfgErr.Settings(); !slices.Equal(got, tc.settings) {
				t.Errorf("Settings() = %v, want %v", got, tc.settings)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"
	tests := []struct {
		in       string
		secrets  []string
		gone     []string
		retained []string
	}{
		{in: "token " + jwt + " refused", gone: []string{jwt}, retained: []string{"token", "refused"}},
		{in: "Authorization: Bearer abcdefgh12345678", gone: []string{"abcdefgh12345678"}, retained: []string{"Bearer"}},
		{in: `{"access_token":"opaque-value","expires_in":3599}`, gone: []string{"opaque-value"}, retained: []string{"expires_in"}},
		{in: "client_secret=hunter2hunter2&scope=x", gone: []string{"hunter2hunter2"}, retained: []string{"scope=x"}},
		{in: "the value my-s3cret leaked", secrets: []string{"my-s3cret"}, gone: []string{"my-s3cret"}, retained: []string{"leaked"}},
	}
	for _, tc := range tests {
		out := auth.Redact(tc.in, tc.secrets...)
		for _, g := range tc.gone {
			if strings.Contains(out, g) {
				t.Errorf("Redact(%q) = %q still holds %q", tc.in, out, g)
			}
		}
		for _, r := range tc.retained {
			if !strings.Contains(out, r) {
				t.Errorf("Redact(%q) = %q lost %q", tc.in, out, r)
			}
		}
	}
}
