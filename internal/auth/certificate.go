package auth

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"software.sslmate.com/src/go-pkcs12"
)

// certificateCredential loads the configured certificate and its private key.
func certificateCredential(cfg Config) (confidential.Credential, error) {
	source := ClientCertificatePath
	if cfg.ClientCertificatePath == "" {
		source = ClientCertificate
	}
	// fail reports a problem of the setting invalid; format has a %[1]s for the certificate's
	// setting, and a %[2]s for the password's.
	fail := func(invalid Setting, format string, args ...any) error {
		return &ConfigError{Method: MethodClientCertificate, Invalid: invalid, render: func(describe DescribeSetting) string {
			named := append([]any{describe(source, false), describe(ClientCertificatePassword, false)}, args...)
			return Redact("client certificate authentication: "+fmt.Sprintf(format, named...),
				cfg.ClientCertificate, cfg.ClientCertificatePassword)
		}}
	}

	var data []byte
	var err error
	if source == ClientCertificatePath {
		if data, err = readFileUpTo(cfg.ClientCertificatePath, maxCertificateFileBytes); err != nil {
			return confidential.Credential{}, fail(source, "cannot read %[1]s: %[3]v", err)
		}
	} else if data, err = decodeCertificateContent(cfg.ClientCertificate); err != nil {
		return confidential.Credential{}, fail(source, "%[1]s must be base64 of a PEM or PKCS#12 certificate: %[3]v", err)
	}

	certs, key, err := parseCertificate(data, cfg.ClientCertificatePassword)
	switch {
	case errors.Is(err, errEncryptedPEM):
		return confidential.Credential{}, fail(source, "cannot load the certificate from %[1]s: encrypted PEM private keys are not supported; "+
			"use an unencrypted PEM key or a PKCS#12 file with %[2]s")
	case errors.Is(err, pkcs12.ErrIncorrectPassword) && cfg.ClientCertificatePassword == "":
		return confidential.Credential{}, fail(ClientCertificatePassword, "the PKCS#12 certificate from %[1]s is protected by a password: set %[2]s")
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return confidential.Credential{}, fail(ClientCertificatePassword, "%[2]s does not open the PKCS#12 certificate from %[1]s")
	case err != nil:
		return confidential.Credential{}, fail(source, "cannot load the certificate from %[1]s: %[3]v", err)
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		return confidential.Credential{}, fail(source, "the certificate from %[1]s cannot sign client assertions: %[3]v (MSAL needs an RSA key matching the certificate)", err)
	}
	return cred, nil
}

// errEncryptedPEM refuses a PEM private key under a passphrase, which MSAL cannot read.
var errEncryptedPEM = errors.New("encrypted PEM private key")

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
			return nil, nil, errEncryptedPEM
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
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("reading PKCS#12: %w", err)
	}
	return append([]*x509.Certificate{leaf}, chain...), key, nil
}

// maxCertificateFileBytes bounds a certificate file: a PKCS#12 or PEM file with its chain is a few
// kilobytes, and a path to something endless (/dev/zero, say) must not exhaust memory.
const maxCertificateFileBytes = 1 << 20

// readFileUpTo reads the file at path, refusing one larger than limit bytes.
func readFileUpTo(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // a path the configuration names, read as configured
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the file is larger than %d KiB", limit>>10)
	}
	return data, nil
}
