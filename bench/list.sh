#!/usr/bin/env bash
# The console's list queries (GET /posts) at 1,000, 100,000 and 1,000,000
# posts: requests/s and p99 of each shape, with wrk, against imgup-api (release
# build) on the local Postgres. The library has 100 owners (in the users
# table), names from a few words, a third of the posts titled.
#   SIZES="1000 100000 1000000" DURATION=5s CONNECTIONS=8
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-1000 100000 1000000}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-8}
port=18183

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
scripts/ensure-postgres.sh
cargo build --quiet --release -p imgup-api --bin imgup-api --example mint_token
bin=${CARGO_TARGET_DIR:-target}/release

export JWT_SECRET=bench-secret-bench-secret-bench-secret
server=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
export DATABASE_URL=$server/imgup_list_bench
psql "$server/postgres" -qtc "DROP DATABASE IF EXISTS imgup_list_bench" >/dev/null
psql "$server/postgres" -qtc "CREATE DATABASE imgup_list_bench" >/dev/null
# Presigning is local: no S3 server is needed to list.
export S3_ENDPOINT=http://127.0.0.1:9 S3_ACCESS_KEY=bench S3_SECRET_KEY=bench-secret

BIND_ADDR=127.0.0.1:$port LOG_FORMAT=json RUST_LOG=warn "$bin/imgup-api" >/dev/null &
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
psql "$DATABASE_URL" -qtc "INSERT INTO users (email, name) SELECT 'owner' || n || '@example.com', 'Owner ' || n FROM generate_series(1, 100) n" >/dev/null
admin=$("$bin/examples/mint_token" root admin)
owner=$("$bin/examples/mint_token" 7)

seed() { # up to $1 posts
  psql "$DATABASE_URL" -qt >/dev/null <<SQL
INSERT INTO posts (user_id, image_key, title, filename, content_type, size_bytes, status, width, height)
SELECT CAST(1 + n % 100 AS TEXT), 'uploads/' || lpad(to_hex(n), 32, '0') || '.jpg',
       CASE WHEN n % 3 = 0 THEN 'Holiday ' || n END,
       (ARRAY['beach','harbour','receipt','cat','sunset','diagram','team-photo','logo'])[1 + n % 8] || '-' || n || '.jpg',
       'image/jpeg', 1000 + (n * 7919) % 5000000, 'ready', 640, 480
FROM generate_series((SELECT COALESCE(MAX(id), 0) + 1 FROM posts), $1) n;
ANALYZE posts;
SQL
}

queries=(
  "newest (admin)|$admin|/posts?limit=50"
  "one owner's, newest|$owner|/posts?limit=50"
  "largest first (admin)|$admin|/posts?limit=50&sort=size"
  "an owner's by name (admin)|$admin|/posts?limit=50&owner=owner7@example.com&sort=filename"
  "search, common word (admin)|$admin|/posts?limit=50&q=sunset"
  "search, rare (admin)|$admin|/posts?limit=50&q=r-4242"
)
declare -A results
for size in $sizes; do
  seeded=$(date +%s)
  seed "$size"
  echo "seeded $size posts in $(( $(date +%s) - seeded )) s" >&2
  for entry in "${queries[@]}"; do
    IFS='|' read -r name token path <<<"$entry"
    curl -sf -H "authorization: Bearer $token" "http://127.0.0.1:$port$path" >/dev/null
    out=$(wrk -t1 -c"$connections" -d"$duration" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port$path")
    non2xx=$(awk '/Non-2xx/ { print $4 }' <<<"$out")
    [ -z "$non2xx" ] || { echo "$name: $non2xx non-2xx responses" >&2; exit 1; }
    rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    results["$name|$size"]="$rps / $p99"
  done
done

echo
echo "GET /posts (50 a page, with ownerEmail), wrk -t1 -c$connections -d$duration, on $(nproc) cores: requests/s / p99"
echo
header="| query |"; rule="| --- |"
for size in $sizes; do header+=" $size posts |"; rule+=" ---: |"; done
echo "$header"; echo "$rule"
for entry in "${queries[@]}"; do
  name=${entry%%|*}
  row="| $name |"
  for size in $sizes; do row+=" ${results["$name|$size"]} |"; done
  echo "$row"
done
