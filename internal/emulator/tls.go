package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files a state directory keeps the certificates in.
const (
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
)

// certificates are the emulator's CA and the server certificate it signed.
type certificates struct {
	caPEM     []byte
	serverPEM []byte
	keyPEM    []byte
	server    tls.Certificate
	ca        *x509.Certificate
}

// loadOrCreateCertificates reuses the certificates in dir when they are valid
// for at least another day and name host (when set); otherwise (or when dir is
// empty) it makes new ones and, with a dir, writes them there.
func loadOrCreateCertificates(dir string, now time.Time, host string) (*certificates, error) {
	if dir != "" {
		c, err := loadCertificates(dir, now, host)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, errCertificateStale) {
			return nil, err
		}
	}
	c, err := newCertificates(now, host)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		for name, data := range map[string][]byte{caCertFile: c.caPEM, serverCertFile: c.serverPEM, serverKeyFile: c.keyPEM} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				return nil, fmt.Errorf("write %s: %w", name, err)
			}
		}
		// The CA key is not needed again (a new CA is made when the server
		// certificate expires), so it is never written.
		_ = os.Remove(filepath.Join(dir, caKeyFile))
	}
	return c, nil
}

var errCertificateStale = errors.New("certificate expires soon or does not name the host")

func loadCertificates(dir string, now time.Time, host string) (*certificates, error) {
	read := func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, name)) //nolint:gosec // the operator chose the state directory
	}
	caPEM, err := read(caCertFile)
	if err != nil {
		return nil, err
	}
	serverPEM, err := read(serverCertFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := read(serverKeyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(serverPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("server certificate in %s: %w", dir, err)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return nil, fmt.Errorf("CA certificate in %s: no PEM block", dir)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate in %s: %w", dir, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("server certificate in %s: %w", dir, err)
	}
	if now.Add(24*time.Hour).After(leaf.NotAfter) || now.Add(24*time.Hour).After(ca.NotAfter) {
		return nil, errCertificateStale
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: now}); err != nil {
		return nil, fmt.Errorf("server certificate in %s does not chain to its CA: %w", dir, err)
	}
	if host != "" && leaf.VerifyHostname(host) != nil {
		return nil, errCertificateStale
	}
	pair.Leaf = leaf
	return &certificates{caPEM: caPEM, serverPEM: serverPEM, keyPEM: keyPEM, server: pair, ca: ca}, nil
}

func newCertificates(now time.Time, host string) (*certificates, error) {
	ca, err := newCA(now)
	if err != nil {
		return nil, err
	}
	return ca.issue(now, host)
}

// CA is a certificate authority that issues emulator server certificates. Several emulators
// in one process can share one, so that a single SSL_CERT_FILE trusts them all (Go reads
// that variable once per process).
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA makes a new CA, valid for five years.
func NewCA() (*CA, error) { return newCA(time.Now()) }

// CertPEM is the CA certificate, for a file that SSL_CERT_FILE names.
func (ca *CA) CertPEM() []byte { return append([]byte(nil), ca.pem...) }

func newCA(now time.Time) (*CA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Dataverse Emulator CA", Organization: []string{"dataverse-emulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{cert: cert, key: caKey, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}, nil
}

// issue signs a server certificate for the loopback names, and host when set.
func (ca *CA) issue(now time.Time, host string) (*certificates, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	serverTemplate := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"dataverse-emulator"}},
		NotBefore:    now.Add(-time.Hour),
		// Clients reject server certificates valid for more than 398 days.
		NotAfter:    now.AddDate(0, 0, 390),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		serverTemplate.DNSNames = append(serverTemplate.DNSNames, host)
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode server key: %w", err)
	}
	c := &certificates{
		caPEM:     ca.CertPEM(),
		serverPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverDER}),
		keyPEM:    pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		ca:        ca.cert,
	}
	c.server, err = tls.X509KeyPair(c.serverPEM, c.keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load server key pair: %w", err)
	}
	return c, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("emulator: no randomness: " + err.Error())
	}
	return n
}

// ServerTLSConfig issues a fresh server certificate from ca for the loopback names and host
// (when set), for a test server that stands beside the emulator (a hostile Web API, or a proxy
// opening a host's connections) and must be trusted the same way.
func (ca *CA) ServerTLSConfig(host string) (*tls.Config, error) {
	c, err := ca.issue(time.Now(), host)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{c.server}, MinVersion: tls.VersionTLS12}, nil
}
