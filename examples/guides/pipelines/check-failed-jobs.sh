#!/usr/bin/env bash
# Fails the pipeline run when a check block fails, such as one on dataverse_webhook_failed_jobs:
# Terraform itself only warns. Run it in the configuration's folder after terraform apply (or on a
# schedule). Each failure becomes an error annotation on GitHub Actions and Azure DevOps.
set -euo pipefail
terraform=${TERRAFORM:-terraform}

# A refresh-only plan reads the data sources and evaluates the checks without proposing changes.
"$terraform" plan -refresh-only -input=false -lock=false -no-color -json >checks.jsonl
failures=$(jq -r 'select(.type == "diagnostic" and .diagnostic.summary == "Check block assertion failed") | .diagnostic.detail' checks.jsonl)
rm -f checks.jsonl
if [ -z "$failures" ]; then
  echo "Every check passed."
  exit 0
fi
while IFS= read -r line; do
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    echo "::error title=Dataverse check failed::$line"
  elif [ -n "${TF_BUILD:-}" ]; then
    echo "##vso[task.logissue type=error]$line"
  else
    echo "check failed: $line"
  fi
done <<<"$failures"
exit 1
