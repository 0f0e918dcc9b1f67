#!/usr/bin/env bash
# Starts `imgup dev` in an empty folder and runs the seed's curl walkthrough
# (scripts/test_upload.sh) against it. The default (embedded SQLite) is covered
# by imgup/tests/dev.rs; this run keeps metadata in Postgres (--database-url).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/imgup-dev.sh
cargo build -q -p imgup
bin=${CARGO_TARGET_DIR:-target}/debug/imgup
dir=$(mktemp -d)
imgup_dev_ports
db="imgup_smoke_$$"
base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
(cd "$dir" && exec "$bin" dev --database-url "${base%/*}/$db" --api-port "$api" --auth-port "$auth" --s3-port "$s3") >"$dir/imgup.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql "$base" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  imgup_dev_ready && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/imgup.log" >&2; exit 1; }
  sleep 0.2
done
API=http://127.0.0.1:$api AUTH=http://127.0.0.1:$auth scripts/test_upload.sh
