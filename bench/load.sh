#!/usr/bin/env bash
# Load benchmark: POST /uploads and GET /images/{key} of imgup-api (release
# build) beside a bare axum JSON handler measured in the same run, with wrk.
# The same build runs three times: as deployed (rate limit and metrics on),
# with both off (what they cost), and with the rate limit's counters in Redis
# (when one answers at $BENCH_REDIS_URL, default the local one).
# Prints a Markdown table: requests/s, p99 latency, resident memory.
# Needs wrk (Debian: apt-get install wrk) and the local Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
api_port=18180
bare_port=18181
plain_port=18183
redis_port=18184
redis_url=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
scripts/ensure-postgres.sh
cargo build --quiet --release -p imgup-api --bin imgup-api --example bare_handler --example mint_token
cargo build --quiet --release -p imgup-embedded-s3 --example serve
bin=${CARGO_TARGET_DIR:-target}/release
s3_port=18182

export JWT_SECRET=bench-secret-bench-secret-bench-secret
# Rate limiting on, with the limit far above the load (the limiter's cost is measured, not its refusals).
export RATE_LIMIT_USER_PER_MINUTE=${RATE_LIMIT_USER_PER_MINUTE:-1000000000}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imgup_bench}
# A real S3 endpoint (the embedded one, with SigV4 checks): GET /images/{key}
# serves only images that were uploaded and checked.
export S3_ENDPOINT=http://127.0.0.1:$s3_port S3_ACCESS_KEY=bench S3_SECRET_KEY=bench-secret
psql "${DATABASE_URL%/*}/postgres" -qtc "CREATE DATABASE imgup_bench" 2>/dev/null || true

pids=()
s3_dir=$(mktemp -d)
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$s3_dir"' EXIT
"$bin/examples/serve" "$s3_dir" $s3_port "$S3_ACCESS_KEY" "$S3_SECRET_KEY" uploads >/dev/null & pids+=($!)
BIND_ADDR=127.0.0.1:$bare_port "$bin/examples/bare_handler" & pids+=($!)
bare_pid=$!
export LOG_FORMAT=json RUST_LOG=${RUST_LOG:-info}
BIND_ADDR=127.0.0.1:$api_port "$bin/imgup-api" >/dev/null & pids+=($!)
api_pid=$!
BIND_ADDR=127.0.0.1:$plain_port RATE_LIMIT_USER_PER_MINUTE=0 METRICS_ENABLED=false \
  "$bin/imgup-api" >/dev/null & pids+=($!)
with_redis=false
if redis-cli -u "$redis_url" ping >/dev/null 2>&1; then
  with_redis=true
  BIND_ADDR=127.0.0.1:$redis_port REDIS_URL=$redis_url RATE_LIMIT_REDIS_PREFIX="imgup:bench:$$:" \
    "$bin/imgup-api" >/dev/null & pids+=($!)
fi
up() { curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; }
for _ in $(seq 1 100); do
  up $api_port && up $plain_port && { ! $with_redis || up $redis_port; } && curl -sf -o /dev/null -X POST \
    -H 'content-type: application/json' -d '{"filename":"a","contentType":"b","size":1}' \
    "http://127.0.0.1:$bare_port/echo" && break
  sleep 0.1
done
sleep 1
rss() { awk -v f="$2" '$1 == f":" { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
idle_api=$(rss $api_pid VmRSS)
idle_bare=$(rss $bare_pid VmRSS)

token=$("$bin/examples/mint_token")
# One real image through the raw flow; its first GET checks it, every later one is the hot path.
image=services/testkit/assets/photo.jpg
ticket=$(curl -sf -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"filename":"a.jpg","contentType":"image/jpeg","size":'"$(stat -c%s $image)"'}' "http://127.0.0.1:$api_port/uploads")
key=$(sed -E 's/.*"objectKey":"([^"]+)".*/\1/' <<<"$ticket")
put_url=$(sed -E 's/.*"presignedUrl":"([^"]+)".*/\1/' <<<"$ticket")
curl -sf -X PUT -H 'content-type: image/jpeg' --data-binary @$image "$put_url" >/dev/null
for port in $api_port $plain_port; do
  curl -sf -H "authorization: Bearer $token" "http://127.0.0.1:$port/images/$key" >/dev/null
done

run() { # name, extra wrk args...
  local name=$1; shift
  local out
  out=$(wrk -t1 -c"$connections" -d"$duration" --latency "$@")
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $4 }' <<<"$out")
  [ -z "$non2xx" ] || { echo "$name: $non2xx non-2xx responses" >&2; exit 1; }
  echo "$name|$rps|$p99"
}

# Interleaved rounds, reported as the median of each: on a 2-core machine one
# run varies by several percent with scheduling alone.
rounds=${ROUNDS:-3}
bare_runs=() uploads_runs=() images_runs=() plain_uploads_runs=() plain_images_runs=() redis_runs=()
auth=(-H "Authorization: Bearer $token")
for _ in $(seq 1 "$rounds"); do
  bare_runs+=("$(run "bare axum handler (POST /echo)" -s bench/upload.lua "http://127.0.0.1:$bare_port/echo")")
  uploads_runs+=("$(run "POST /uploads" -s bench/upload.lua "${auth[@]}" "http://127.0.0.1:$api_port/uploads")")
  plain_uploads_runs+=("$(run "POST /uploads, rate limit and metrics off" -s bench/upload.lua "${auth[@]}" "http://127.0.0.1:$plain_port/uploads")")
  images_runs+=("$(run "GET /images/{key}" "${auth[@]}" "http://127.0.0.1:$api_port/images/$key")")
  plain_images_runs+=("$(run "GET /images/{key}, metrics off" "${auth[@]}" "http://127.0.0.1:$plain_port/images/$key")")
  if $with_redis; then
    redis_runs+=("$(run "POST /uploads, rate limit in Redis" -s bench/upload.lua "${auth[@]}" "http://127.0.0.1:$redis_port/uploads")")
  fi
done
median() { printf '%s\n' "$@" | sort -t'|' -k2,2n | sed -n "$(( ($# + 1) / 2 ))p"; }
bare=$(median "${bare_runs[@]}")
uploads=$(median "${uploads_runs[@]}")
images=$(median "${images_runs[@]}")
plain_uploads=$(median "${plain_uploads_runs[@]}")
plain_images=$(median "${plain_images_runs[@]}")
peak_api=$(rss $api_pid VmHWM)
peak_bare=$(rss $bare_pid VmHWM)

bare_rps=$(cut -d'|' -f2 <<<"$bare")
echo
echo "wrk -t1 -c$connections -d$duration, median of $rounds interleaved rounds, on $(nproc) cores; imgup-api with RUST_LOG=${RUST_LOG:-info}, LOG_FORMAT=json"
echo
echo "| endpoint | requests/s | % of bare | p99 latency | RSS idle | RSS peak |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
IFS='|' read -r n r p <<<"$bare"; echo "| $n | $r | 100 % | $p | $idle_bare | $peak_bare |"
IFS='|' read -r n r p <<<"$uploads"; echo "| $n | $r | $((100 * r / bare_rps)) % | $p | $idle_api | $peak_api |"
IFS='|' read -r n r p <<<"$images"; echo "| $n | $r | $((100 * r / bare_rps)) % | $p | (same process) | (same process) |"
rows=("$plain_uploads" "$plain_images")
if $with_redis; then rows+=("$(median "${redis_runs[@]}")"); fi
for row in "${rows[@]}"; do
  IFS='|' read -r n r p <<<"$row"; echo "| $n | $r | $((100 * r / bare_rps)) % | $p | | |"
done
