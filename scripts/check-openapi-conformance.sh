#!/usr/bin/env bash
# Schemathesis (PyPI) over the API's /openapi.json against `imgup dev`: every
# answer must be one the document lists for its route (status_code_conformance)
# and none a 5xx (not_a_server_error), with an admin's token, with none, and
# with the examples, edge cases and fuzzed inputs it derives from the schemas.
#   MAX_EXAMPLES=N (default 50) per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/imgup-dev.sh
cache=${IMGUP_CACHE:-$HOME/.cache/imgup}
venv=$cache/venv-schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis==4.32.5'
fi

cargo build -q -p imgup
bin=${CARGO_TARGET_DIR:-target}/debug/imgup
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
imgup_dev_ports
(cd "$work" && exec "$bin" dev --api-port "$api" --auth-port "$auth" --s3-port "$s3") >"$work/imgup.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  imgup_dev_ready && break
  sleep 0.2
done
imgup_dev_ready || { cat "$work/imgup.log" >&2; exit 1; }
token=$(sed -n 's/^ *export TOKEN=//p' "$work/imgup.log")

# (from the scratch folder: schemathesis keeps its example database in the
# working directory)
run() {
  (cd "$work" && NO_COLOR=1 "$venv/bin/st" run "http://127.0.0.1:$api/openapi.json" \
    --checks not_a_server_error,status_code_conformance \
    --phases examples,coverage,fuzzing --max-examples "${MAX_EXAMPLES:-50}" \
    --seed 1 --workers 2 --warnings off "$@")
}
status=0
echo "== with an admin's token"
run -H "Authorization: Bearer $token" || status=1
echo "== without a token"
run || status=1
if grep -q "panicked" "$work/imgup.log"; then
  grep -B2 -A5 "panicked" "$work/imgup.log" >&2
  status=1
fi
exit $status
