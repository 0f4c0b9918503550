package dataverse

import (
	"net"
	"net/url"
	"strings"
)

// EnvironmentURLProblem says what is wrong with an environment URL.
type EnvironmentURLProblem int

const (
	EnvironmentURLMissing  EnvironmentURLProblem = iota + 1
	EnvironmentURLNotAURL                        // url.Parse refuses it
	EnvironmentURLUserInfo                       // it carries a user name or password
	EnvironmentURLNotHTTPS                       // another scheme, or http beyond this machine
	EnvironmentURLNoHost                         // no host
	EnvironmentURLPath                           // a path: the client adds APIPath itself
	EnvironmentURLQuery                          // a query or a fragment
)

// EnvironmentURLError is an environment URL refused, with what of it may be shown: scheme,
// host and path, never its user information, query or fragment, any of which may hold a
// credential.
type EnvironmentURLError struct {
	Problem EnvironmentURLProblem
	// Shown is the URL as a message may quote it; Origin its scheme and host, the fix of a
	// path, query or user information; Host the host and port.
	Shown, Origin, Host string
}

func (e *EnvironmentURLError) Error() string {
	switch e.Problem {
	case EnvironmentURLMissing:
		return "dataverse: the environment URL is required"
	case EnvironmentURLNotAURL:
		return "dataverse: the environment URL is not a URL"
	case EnvironmentURLUserInfo:
		return "dataverse: the environment URL must not carry a user name or password; use " + e.Origin
	case EnvironmentURLNotHTTPS:
		return "dataverse: the environment URL " + quote(e.Shown) + " must start with https://"
	case EnvironmentURLNoHost:
		return "dataverse: the environment URL " + quote(e.Shown) + " has no host"
	case EnvironmentURLPath:
		return "dataverse: the environment URL " + quote(e.Shown) + " must be scheme and host only, without a path (" + APIPath + " is added); use " + e.Origin
	default:
		return "dataverse: the environment URL must be scheme and host only, without a query or fragment; use " + e.Origin
	}
}

func quote(s string) string { return `"` + s + `"` }

// ParseEnvironmentURL checks an environment URL and returns it as the client uses it: scheme
// and host (and port), without a trailing slash. It must be https, as bearer tokens must not
// cross a network in clear text; plain http is taken only to this machine (a local test
// server). The error is an *EnvironmentURLError.
func ParseEnvironmentURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &EnvironmentURLError{Problem: EnvironmentURLMissing}
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the input in its error, password included: name neither.
		return "", &EnvironmentURLError{Problem: EnvironmentURLNotAURL}
	}
	refused := func(p EnvironmentURLProblem) (string, error) {
		return "", &EnvironmentURLError{Problem: p,
			Shown:  (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
			Origin: (&url.URL{Scheme: u.Scheme, Host: u.Host}).String(), Host: u.Host}
	}
	switch {
	case u.User != nil:
		return refused(EnvironmentURLUserInfo)
	case u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())):
		return refused(EnvironmentURLNotHTTPS)
	case u.Host == "" || u.Hostname() == "":
		return refused(EnvironmentURLNoHost)
	case u.Path != "" && u.Path != "/":
		return refused(EnvironmentURLPath)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return refused(EnvironmentURLQuery)
	}
	return u.Scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
