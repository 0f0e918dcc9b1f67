#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind (repeatable on a
# busy machine, unlike wall time): `POST /uploads` of imgup-api (release
# build, rate limit and metrics on, as bench/load.sh runs it) against the
# bare axum handler. Each server runs under callgrind, instrumentation off;
# after a warm-up, it is switched on for exactly $REQUESTS requests
# on one keep-alive connection, then the profile is dumped.
# PLAIN=1 runs imgup-api with the rate limit and metrics off.
# Prints instructions and allocations per request, and writes the
# per-function profiles to $OUT (callgrind_annotate --inclusive=yes reads them).
# Needs valgrind and the local Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${REQUESTS:-2000}
out=${OUT:-${CARGO_TARGET_DIR:-target}/callgrind}
api_port=18190
bare_port=18191
s3_port=18192

command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
scripts/ensure-postgres.sh
cargo build --quiet --release -p imgup-api --bin imgup-api --example bare_handler --example mint_token
cargo build --quiet --release -p imgup-embedded-s3 --example serve
bin=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$out"
rm -f "$out"/callgrind.*

export JWT_SECRET=bench-secret-bench-secret-bench-secret
export RATE_LIMIT_USER_PER_MINUTE=1000000000
# PLAIN=1: the same build with the rate limit and metrics off, for what they cost.
if [ "${PLAIN:-0}" = 1 ]; then
  export RATE_LIMIT_USER_PER_MINUTE=0 METRICS_ENABLED=false
fi
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imgup_bench}
export S3_ENDPOINT=http://127.0.0.1:$s3_port S3_ACCESS_KEY=bench S3_SECRET_KEY=bench-secret
export LOG_FORMAT=json RUST_LOG=${RUST_LOG:-info}
psql "${DATABASE_URL%/*}/postgres" -qtc "CREATE DATABASE imgup_bench" 2>/dev/null || true

pids=()
s3_dir=$(mktemp -d)
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$s3_dir"' EXIT
"$bin/examples/serve" "$s3_dir" $s3_port "$S3_ACCESS_KEY" "$S3_SECRET_KEY" uploads >/dev/null & pids+=($!)
grind() { # name, port, program...
  local name=$1 port=$2
  shift 2
  BIND_ADDR=127.0.0.1:$port valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out/callgrind.$name" "$@" >/dev/null 2>"$out/valgrind.$name.log" &
  pids+=($!)
}
grind api $api_port "$bin/imgup-api"
grind bare $bare_port "$bin/examples/bare_handler"
token=$("$bin/examples/mint_token")

# One keep-alive connection, a fixed number of requests (what is counted is
# the server's work, so the client's speed does not matter).
drive() { # port, path, count, token
  python3 - "$@" <<'PY'
import http.client, sys, time
port, path, count, token = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = b'{"filename":"holiday-photo.jpg","contentType":"image/jpeg","size":123456}'
headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
for _ in range(600):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        break
    except OSError:
        time.sleep(0.1)
for _ in range(count):
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path}: {response.status}")
PY
}
measure() { # name, port, path
  local name=$1 port=$2 path=$3 pid
  pid=$(pgrep -f "callgrind-out-file=$out/callgrind.$name" | head -1)
  drive "$port" "$path" 200 "$token" # warm-up: connections, caches, lazy statics
  callgrind_control -i on "$pid" >/dev/null
  drive "$port" "$path" "$requests" "$token"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$pid" >/dev/null
  sleep 1
}
measure bare $bare_port /echo
measure api $api_port /uploads

# Instructions (the profile's total) and calls to malloc, calloc and realloc
# (read from the call graph), each divided by the number of requests.
per_request() { # profile file
  python3 - "$1.1" "$requests" <<'PY'
import re, sys
path, n = sys.argv[1], int(sys.argv[2])
# libc's, and jemalloc's (imgup-api's global allocator) under its prefix.
ALLOCATORS = {"malloc", "calloc", "realloc", "_rjem_malloc", "_rjem_calloc", "_rjem_realloc",
              "_rjem_mallocx", "_rjem_rallocx"}
names, total, allocs, target = {}, 0, 0, None
for line in open(path, errors="replace"):
    if line.startswith("summary:") or line.startswith("totals:"):
        total = int(line.split()[1])
    # Function names are compressed: "(id) name" the first time, "(id)" after.
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        if m.group(1):
            target = names.get(m.group(2), "")
        continue
    if line.startswith("calls=") and target in ALLOCATORS:
        allocs += int(line.split("=")[1].split()[0])
print(total // n, round(allocs / n, 1))
PY
}
echo
echo "callgrind, $requests requests on one keep-alive connection, release builds"
echo
echo "| server | instructions / request | × bare | allocations / request |"
echo "| --- | ---: | ---: | ---: |"
read -r bare_ir bare_alloc < <(per_request "$out/callgrind.bare")
read -r api_ir api_alloc < <(per_request "$out/callgrind.api")
echo "| bare axum handler (POST /echo) | $bare_ir | 1.00 | $bare_alloc |"
echo "| imgup-api POST /uploads | $api_ir | $(awk -v a="$api_ir" -v b="$bare_ir" 'BEGIN { printf "%.2f", a / b }') | $api_alloc |"
echo
echo "profiles: $out/callgrind.{bare,api}.1  (callgrind_annotate --inclusive=yes FILE | head -80)"
