#!/usr/bin/env bash
# How long `imgup dev` takes on an empty folder, from exec until both the API
# and auth answer /readyz (S3 and SQLite up, migrations applied). Median of 5.
# Usage: bench/dev-startup.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/imgup-dev.sh
profile=${1:-release}
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build -q -p imgup "${flag[@]}"
bin=${CARGO_TARGET_DIR:-target}/$profile/imgup
imgup_dev_ports
times=()
for _ in 1 2 3 4 5; do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  (cd "$dir" && exec "$bin" dev --api-port "$api" --auth-port "$auth" --s3-port "$s3") >/dev/null 2>&1 &
  pid=$!
  until imgup_dev_ready; do
    kill -0 "$pid" 2>/dev/null || { echo "imgup dev exited" >&2; exit 1; }
    sleep 0.002
  done
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
  kill "$pid"; wait "$pid" || true
  rm -rf "$dir"
done
printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | xargs -I{} echo "imgup dev ($profile) ready on an empty folder: {} ms (median of 5: ${times[*]})"
