package entra

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// federatedTokenLifetime is how long the GitHub Actions and Azure DevOps
// stand-ins' tokens live, about as long as the real ones.
const federatedTokenLifetime = 10 * time.Minute

// GitHubActionsRequest returns the pair a GitHub Actions job finds in
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN. Like the
// real URL it already carries a query, so clients append "&audience=...".
func (s *Service) GitHubActionsRequest() (requestURL, token string) {
	return s.FederatedIssuer() + "/github?api-version=2.0", s.githubRequestToken
}

// AzureDevOpsRequest returns the pair an Azure DevOps pipeline finds in
// SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN.
func (s *Service) AzureDevOpsRequest() (requestURL, systemAccessToken string) {
	return s.FederatedIssuer() + "/ado", s.adoRequestToken
}

// bearerMatches reports whether the request's Authorization header is
// "Bearer <want>", the scheme compared without regard to case.
func bearerMatches(r *http.Request, want string) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "bearer") && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// serveGitHubActions issues an ID token as GitHub Actions does: GET with
// "Authorization: bearer <request token>" and an optional audience query
// parameter, answering {"value": "<jwt>"}.
func (s *Service) serveGitHubActions(w http.ResponseWriter, r *http.Request) {
	if !bearerMatches(r, s.githubRequestToken) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	audience := r.URL.Query().Get("audience")
	if audience == "" {
		audience = "https://github.com/contoso" // GitHub's default: the repository owner's URL
	}
	token, err := s.mintFederatedToken(GitHubActionsSubject, audience, federatedTokenLifetime, map[string]any{
		"repository":       "contoso/infra",
		"repository_owner": "contoso",
		"ref":              "refs/heads/main",
		"event_name":       "push",
		"workflow":         "deploy",
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "The token could not be signed."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": token})
}

// serveAzureDevOps issues an ID token as Azure DevOps' oidctoken endpoint
// does: POST ?api-version=7.1&serviceConnectionId=<id> with
// "Authorization: Bearer <SYSTEM_ACCESSTOKEN>", answering {"oidcToken": "<jwt>"}.
func (s *Service) serveAzureDevOps(w http.ResponseWriter, r *http.Request) {
	if !bearerMatches(r, s.adoRequestToken) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "TF400813: The user is not authorized to access this resource."})
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "No api-version was supplied for the POST request."})
		return
	}
	connection := q.Get("serviceConnectionId")
	if connection == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The serviceConnectionId query parameter is required."})
		return
	}
	token, err := s.mintFederatedToken(AzureDevOpsSubjectPrefix+connection, TokenExchangeAudience, federatedTokenLifetime, nil)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "The token could not be signed."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"oidcToken": token})
}
