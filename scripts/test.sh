#!/usr/bin/env bash
# Runs every test of the workspace against real parts: the local Postgres (each
# test gets a fresh database), the local Redis, in-process S3 servers, a real OIDC issuer.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
scripts/ensure-postgres.sh
# The shared rate-limit tests use the local Redis (127.0.0.1:6379).
scripts/ensure-redis.sh
# The metrics tests read `GET /metrics` with the Prometheus project's own parser.
scripts/ensure-metrics-parser.sh
# Test images are made and inspected with ImageMagick, exiftool and libvips.
scripts/install-image-tools.sh
# The sign-in tests run a real OIDC issuer (oauth2-mock-server) under Node.
oidc=services/testkit/oidc-server
if [ ! -d "$oidc/node_modules/oauth2-mock-server" ]; then
  npm ci --prefix "$oidc" --no-audit --no-fund --loglevel=error
fi
# Checks outside cargo first, so that the test runner's summary closes the output:
# the operator's manifests against the official schemas and the Helm library,
# the compose file with the Compose CLI, the curl walkthrough against `imgup dev`
# a browser's upload from an allowed origin (headless Chromium), and
# schemathesis over the API's OpenAPI document.
# The GitHub Actions workflows with actionlint (and shellcheck over their run: steps).
scripts/check-workflows.sh
scripts/check-operator-manifests.sh
scripts/check-compose.sh
scripts/smoke-dev.sh
scripts/check-cors-browser.sh
scripts/check-openapi-conformance.sh
# The admin app: its UI logic (vitest), then the app itself in a real WebKit
# window against `imgup dev` (tauri-driver under Xvfb).
scripts/install-desktop-deps.sh
(cd admin-app && npm ci --no-audit --no-fund --loglevel=error && npm test --silent)
admin-app/e2e/run.sh
admin-app/e2e/keyring.sh
# The operator's Garage setup runs against a real Garage server (crates.io
# `garage`, built once into the cache).
GARAGE_BIN=$(scripts/ensure-garage.sh)
export GARAGE_BIN
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
