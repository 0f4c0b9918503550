package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/auth"
)

// signInTimeout bounds the first sign-in, which Configure waits for.
const signInTimeout = 2 * time.Minute

// entraErrorCode finds Entra ID's error code (AADSTS followed by digits) in an error text.
var entraErrorCode = regexp.MustCompile(`AADSTS\d+`)

// settingByEntraCode is the setting that Entra ID's error code points at. The codes of a
// refused credential (AADSTS7000215 an invalid client secret, AADSTS7000222 an expired one,
// AADSTS700027 a certificate not registered on the application) are not listed: like a failure
// without a code, they point at whichever setting carries the credential (auth.Config.Credential),
// a certificate's path or its inline value.
var settingByEntraCode = map[string]auth.Setting{
	"AADSTS700016": auth.ClientID,       // application not found in the tenant
	"AADSTS90002":  auth.TenantID,       // tenant not found
	"AADSTS900023": auth.TenantID,       // tenant identifier is not valid
	"AADSTS500011": auth.EnvironmentURL, // no service principal for the resource
	"AADSTS70021":  auth.UseOIDC,        // no federated credential matches the token
}

// checkSignIn fetches the first token while the provider is configured, so a credential Entra
// ID refuses is reported once, as a provider configuration error naming the setting, rather
// than by every resource as a failure of whatever it was doing. The token is cached for the
// requests that follow, so this costs no extra request.
func checkSignIn(ctx context.Context, tokens auth.TokenSource, method auth.Method, credential auth.Setting, diags *diag.Diagnostics) {
	ctx, cancel := context.WithTimeout(ctx, signInTimeout)
	defer cancel()
	_, err := tokens.Token(ctx, false)
	if err == nil {
		return
	}
	text := err.Error()
	if certificateNotTrusted(err) {
		// No provider setting fixes it: the sign-in endpoint, or a proxy in front of it, has a
		// certificate this machine does not trust.
		diags.AddError("Could not sign in to Microsoft Entra ID",
			fmt.Sprintf("Signing in with %s failed: %s\n\n%s", method, text, untrustedCertificateFix("the sign-in endpoint")))
		return
	}
	if method != auth.MethodAzureCLI && unreachable(text) {
		// No credential is at fault: the request never reached a service that could judge it.
		pointedAt, fix := auth.AuthorityHost, "This machine could not reach the Entra ID sign-in endpoint, so no credential was checked. "+
			"Check its network, firewall and proxy (HTTPS_PROXY, NO_PROXY), and the provider setting authority_host (or its environment variable)."
		switch {
		case method == auth.MethodOIDC && strings.Contains(text, "ID token request to"):
			// The pipeline's own token endpoint, asked for the assertion before Entra ID is.
			pointedAt, fix = auth.OIDCRequestURL, "This machine could not reach the pipeline's ID token endpoint, so no credential was checked. "+
				"Check oidc_request_url (or its environment variable, which the pipeline sets), and the network and proxy (HTTPS_PROXY, NO_PROXY)."
		case method == auth.MethodManagedIdentity:
			pointedAt, fix = auth.UseMSI, "This machine could not reach the managed identity endpoint, which only Azure hosts with a managed identity serve "+
				"(virtual machines and scale sets, App Service and Functions, Container Apps, self-hosted agents on them). "+
				"Sign in another way here, or run where a managed identity is assigned."
		}
		diags.AddAttributeError(path.Root(attributeOf(pointedAt)), "Could not sign in to Microsoft Entra ID",
			fmt.Sprintf("Signing in with %s failed: %s\n\n%s", method, text, fix))
		return
	}
	code := entraErrorCode.FindString(text)
	pointedAt, ok := settingByEntraCode[code]
	if !ok {
		pointedAt = credential
	}
	setting := attributeOf(pointedAt)
	detail := fmt.Sprintf("Signing in with %s failed: %s", method, text)
	if code != "" {
		detail += fmt.Sprintf("\n\nEntra ID's error code is %s; it points at the provider setting %s (or its environment variable). "+
			"Look the code up in Microsoft's Entra ID error reference for its cause.", code, setting)
	} else {
		detail += fmt.Sprintf("\n\nCheck the provider setting %s (or its environment variable).", setting)
	}
	if setting == "" {
		diags.AddError("Could not sign in to Microsoft Entra ID", detail)
		return
	}
	diags.AddAttributeError(path.Root(setting), "Could not sign in to Microsoft Entra ID", detail)
}

// untrustedCertificateFix says how to trust the CA of an endpoint whose certificate failed.
func untrustedCertificateFix(endpoint string) string {
	return "The TLS certificate of " + endpoint + " is not trusted on this machine. An emulator, or a proxy that " +
		"inspects TLS, needs its CA trusted: on Linux, point SSL_CERT_FILE at a PEM file holding it (the emulator's " +
		"--env-file writes that variable); on macOS and Windows, add the CA to the system's certificate store."
}

// unreachable reports a failure to connect at all: a name that does not resolve, a refused or
// unroutable connection. MSAL's errors carry it as text only.
func unreachable(text string) bool {
	for _, sign := range []string{"dial tcp", "dial udp", "no such host", "connection refused", "network is unreachable", "no route to host"} {
		if strings.Contains(text, sign) {
			return true
		}
	}
	return false
}

// certificateNotTrusted reports a TLS failure to verify the server's certificate; MSAL's errors
// carry it as text as often as wrapped.
func certificateNotTrusted(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &invalid) || errors.As(err, &verification) ||
		strings.Contains(err.Error(), "x509: certificate signed by unknown authority") ||
		strings.Contains(err.Error(), "tls: failed to verify certificate")
}

// addAuthSetupError reports a failure to set up authentication on each provider attribute it
// names (a *auth.ConfigError), so Terraform shows the attribute to fix; other failures, and a
// configuration error no single attribute fixes, are reported on the provider block.
func addAuthSetupError(diags *diag.Diagnostics, err error) {
	const summary = "Could not set up Dataverse authentication"
	var cfgErr *auth.ConfigError
	if !errors.As(err, &cfgErr) {
		diags.AddError(summary, err.Error())
		return
	}
	detail := cfgErr.Explain(describeSetting)
	reported := false
	for _, a := range cfgErr.Settings() {
		if s, ok := settingFor(a); ok {
			diags.AddAttributeError(path.Root(s.name), summary, detail)
			reported = true
		}
	}
	if !reported {
		diags.AddError(summary, detail)
	}
}

// describeSetting names an attribute with the environment variables that supply it, as in
// "tenant_id (or DATAVERSE_TENANT_ID / ARM_TENANT_ID / AZURE_TENANT_ID)"; with an Azure DevOps
// service connection, with the pipeline variable that supplies it there.
func describeSetting(a auth.Setting, azureDevOps bool) string {
	s, ok := settingFor(a)
	if !ok {
		return string(a)
	}
	vars := s.env
	if azureDevOps && s.azureDevOpsEnv != "" {
		vars = []string{s.azureDevOpsEnv}
	}
	if len(vars) == 0 {
		return s.name
	}
	return fmt.Sprintf("%s (or %s)", s.name, strings.Join(vars, " / "))
}
