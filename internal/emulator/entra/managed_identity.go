package entra

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// App Service and IMDS protocol versions, as MSAL's managedidentity package sends them.
const (
	appServiceAPIVersion = "2019-08-01"
	imdsAPIVersion       = "2018-02-01"
)

// serveManagedIdentity answers the two managed identity protocols MSAL for Go
// speaks against a configurable endpoint:
//
//   - App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER set): GET with
//     X-IDENTITY-HEADER, api-version=2019-08-01, resource and optionally
//     client_id / object_id; the answer carries expires_on in Unix seconds.
//   - IMDS (no environment): GET with "Metadata: true", api-version=2018-02-01.
//     MSAL always sends those to the fixed link-local address; the auth
//     package's tests point them here through its MSIEndpoint override.
//
// Both select a user-assigned identity by client_id or object_id (principal_id
// is an alias); resource ids are not modeled.
func (s *Service) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	q := r.URL.Query()
	secret := r.Header.Get("X-IDENTITY-HEADER")
	appService := secret != "" || q.Get("api-version") == appServiceAPIVersion
	if appService {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(s.identityHeader)) != 1 {
			s.writeAppServiceError(w, r, http.StatusUnauthorized, "The X-IDENTITY-HEADER is missing or does not match IDENTITY_HEADER.")
			return
		}
		if v := q.Get("api-version"); v != appServiceAPIVersion {
			s.writeAppServiceError(w, r, http.StatusBadRequest, "The api-version '"+v+"' is not supported; use "+appServiceAPIVersion+".")
			return
		}
	} else {
		if !strings.EqualFold(r.Header.Get("Metadata"), "true") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Required metadata header not specified"})
			return
		}
		if q.Get("api-version") == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Required query variable 'api-version' is missing"})
			return
		}
	}

	resource := strings.TrimSuffix(q.Get("resource"), "/.default")
	if resource == "" {
		s.writeIdentityError(w, r, appService, http.StatusBadRequest, "Required query variable 'resource' is missing")
		return
	}
	if q.Get("mi_res_id") != "" || q.Get("msi_res_id") != "" {
		s.writeIdentityError(w, r, appService, http.StatusBadRequest, "Selecting an identity by resource id is not supported by the emulator; use client_id or object_id.")
		return
	}
	identity, ok := s.findIdentity(q.Get("client_id"), firstNonEmpty(q.Get("object_id"), q.Get("principal_id")))
	if !ok {
		s.writeIdentityError(w, r, appService, http.StatusBadRequest, "No managed identity found for specified ClientId/ResourceId/PrincipalId.")
		return
	}
	if !strings.EqualFold(normalizeResource(resource), s.audience) {
		s.writeOAuthError(w, r, unknownResource(resource, s.tenantID))
		return
	}
	token, exp, err := s.issueAccessToken(tokenSubject{clientID: identity.clientID, objectID: identity.objectID, credentialKind: "2"})
	if err != nil {
		s.writeIdentityError(w, r, appService, http.StatusInternalServerError, "The token could not be signed.")
		return
	}
	answer := map[string]string{
		"access_token": token,
		"expires_on":   strconv.FormatInt(exp.Unix(), 10),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    identity.clientID,
	}
	if !appService {
		seconds := strconv.FormatInt(int64(s.lifetime.Seconds())-1, 10)
		answer["expires_in"] = seconds
		answer["ext_expires_in"] = seconds
		answer["not_before"] = strconv.FormatInt(s.now().Unix(), 10)
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Service) findIdentity(clientID, objectID string) (managedIdentity, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case clientID != "":
		if id, ok := s.identities[clientID]; ok {
			return id, true
		}
		// The system-assigned identity may also be named by its client id.
		if sys, ok := s.identities[""]; ok && sys.clientID == clientID {
			return sys, true
		}
		return managedIdentity{}, false
	case objectID != "":
		for _, id := range s.identities {
			if strings.EqualFold(id.objectID, objectID) {
				return id, true
			}
		}
		return managedIdentity{}, false
	default:
		id, ok := s.identities[""]
		return id, ok
	}
}

func (s *Service) writeIdentityError(w http.ResponseWriter, r *http.Request, appService bool, status int, message string) {
	if appService {
		s.writeAppServiceError(w, r, status, message)
		return
	}
	writeJSON(w, status, map[string]string{"error": "invalid_request", "error_description": message})
}

// writeAppServiceError answers in the shape App Service's identity endpoint uses.
func (s *Service) writeAppServiceError(w http.ResponseWriter, r *http.Request, status int, message string) {
	correlationID := r.Header.Get("x-ms-client-request-id")
	if correlationID == "" {
		correlationID = stableGUID("correlation", s.now().String(), message)
	}
	writeJSON(w, status, map[string]any{"statusCode": status, "message": message, "correlationId": correlationID})
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
