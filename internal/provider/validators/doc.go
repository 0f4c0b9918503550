// Package validators holds the provider's attribute validators and the plan-time rules they
// share with the resources' own checks (a webhook URL's problems and warnings).
package validators
