package auth

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"software.sslmate.com/src/go-pkcs12"
)

// certificateCredential loads the configured certificate and its private key.
func certificateCredential(cfg Config) (confidential.Credential, error) {
	fail := func(attribute string, format string, args ...any) error {
		return &ConfigError{Method: MethodClientCertificate, Invalid: attribute, message: Redact(
			"client certificate authentication: "+fmt.Sprintf(format, args...),
			cfg.ClientCertificate, cfg.ClientCertificatePassword)}
	}

	attribute := "client_certificate_path"
	var data []byte
	if cfg.ClientCertificatePath != "" {
		var err error
		data, err = os.ReadFile(cfg.ClientCertificatePath)
		if err != nil {
			return confidential.Credential{}, fail(attribute, "cannot read client_certificate_path: %v", err)
		}
	} else {
		attribute = "client_certificate"
		var err error
		data, err = decodeCertificateContent(cfg.ClientCertificate)
		if err != nil {
			return confidential.Credential{}, fail(attribute, "client_certificate must be base64 of a PEM or PKCS#12 certificate: %v", err)
		}
	}

	certs, key, err := parseCertificate(data, cfg.ClientCertificatePassword)
	if err != nil {
		return confidential.Credential{}, fail(attribute, "cannot load the certificate from %s: %v", attribute, err)
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		return confidential.Credential{}, fail(attribute, "the certificate from %s cannot sign client assertions: %v (MSAL needs an RSA key matching the certificate)", attribute, err)
	}
	return cred, nil
}

// decodeCertificateContent accepts base64 (standard or URL alphabet, line
// breaks allowed) of PEM or PKCS#12 bytes, or PEM text as it is.
func decodeCertificateContent(content string) ([]byte, error) {
	if strings.Contains(content, "-----BEGIN") {
		return []byte(content), nil
	}
	compact := strings.Join(strings.Fields(content), "")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if data, err := enc.DecodeString(compact); err == nil {
			return data, nil
		}
	}
	return nil, errors.New("the value does not decode as base64")
}

// parseCertificate reads PEM (certificates and an unencrypted private key)
// or PKCS#12, with or without a password. PKCS#12 files written by current
// tools (AES and PBKDF2, as OpenSSL 3 and Windows produce) need a decoder
// that knows those algorithms, which golang.org/x/crypto/pkcs12 does not.
func parseCertificate(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		if bytes.Contains(data, []byte("ENCRYPTED PRIVATE KEY")) {
			return nil, nil, errors.New("encrypted PEM private keys are not supported; use an unencrypted PEM key or a PKCS#12 file with client_certificate_password")
		}
		certs, key, err := confidential.CertFromPEM(data, "")
		if err != nil {
			return nil, nil, fmt.Errorf("reading PEM: %w", err)
		}
		return certs, key, nil
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			if password == "" {
				return nil, nil, errors.New("the PKCS#12 certificate is protected by a password: set client_certificate_password")
			}
			return nil, nil, errors.New("client_certificate_password does not open the PKCS#12 certificate")
		}
		return nil, nil, fmt.Errorf("reading PKCS#12: %w", err)
	}
	return append([]*x509.Certificate{leaf}, chain...), key, nil
}
