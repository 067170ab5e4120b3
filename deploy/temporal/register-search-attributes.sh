#!/bin/sh
# One-shot setup job (temporalio/admin-tools image): registers the custom search attributes
# that the purchase and approval workflows upsert, so operators can find purchases in the Web UI.
# Idempotent: attributes that already exist are left alone. TEMPORAL_ADDRESS points the CLI
# at the server; TEMPORAL_NAMESPACE picks the namespace (auto-setup creates `default`).
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"

attempt=0
until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 90 ]; then
    echo "namespace '$namespace' is not there after 180 s" >&2
    exit 1
  fi
  echo "waiting for namespace '$namespace'..."
  sleep 2
done

for name in CustomerId ProductId PurchaseStage PurchaseOutcome ApprovalStatus; do
  if temporal operator search-attribute list --namespace "$namespace" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword
    echo "search attribute $name registered (Keyword)"
  fi
done
