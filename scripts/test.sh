#!/usr/bin/env bash
# Runs every test of the workspace against real parts: the local Postgres (each
# test gets a fresh database) and in-process S3 servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
scripts/ensure-postgres.sh
# The sign-in tests run a real OIDC issuer (oauth2-mock-server) under Node.
oidc=services/auth/tests/oidc-server
if [ ! -d "$oidc/node_modules/oauth2-mock-server" ]; then
  npm ci --prefix "$oidc" --no-audit --no-fund --loglevel=error
fi
if [ -x scripts/check-operator-manifests.sh ] && [ -d operator ]; then
  operator_checks=1
fi
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
if [ -n "${operator_checks:-}" ]; then
  scripts/check-operator-manifests.sh
fi
