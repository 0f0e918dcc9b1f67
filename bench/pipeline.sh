#!/usr/bin/env bash
# The image pipeline through the API: a 24-megapixel camera JPEG from
# `POST /posts/{id}/complete` until `ready` (S3 round trips included), beside
# libvips doing the same image work on the same file in the same run (orient +
# strip the original, render the 320 and 1280 variants); imgup-api's peak
# resident memory processing one image, then IMAGE_WORKERS images at once.
# Prints a Markdown table. Needs libvips-tools, ImageMagick and the local Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
api_port=18190
s3_port=18192
for tool in vips vipsthumbnail /usr/bin/convert exiftool; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install libvips-tools imagemagick libimage-exiftool-perl)" >&2; exit 1; }
done
scripts/ensure-postgres.sh
cargo build --quiet --release -p imgup-api --bin imgup-api --example mint_token
cargo build --quiet --release -p imgup-embedded-s3 --example serve
bin=${CARGO_TARGET_DIR:-target}/release

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
photos=${IMGUP_CACHE:-$HOME/.cache/imgup}/bench-images
mkdir -p "$photos"
[ -s "$photos/camera.jpg" ] || /usr/bin/convert -size 6000x4000 plasma:fractal -seed 42 -quality 90 "$photos/camera.jpg"
if [ ! -s "$photos/camera-rotated.jpg" ]; then
  cp "$photos/camera.jpg" "$photos/camera-rotated.jpg"
  exiftool -q -overwrite_original -n -Orientation=6 -GPSLatitude=37.56 -GPSLatitudeRef=N -Make=Bench "$photos/camera-rotated.jpg"
fi

export JWT_SECRET=bench-secret-bench-secret-bench-secret
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imgup_bench_pipeline}
psql "${DATABASE_URL%/*}/postgres" -qtc "DROP DATABASE IF EXISTS imgup_bench_pipeline" >/dev/null 2>&1 || true
psql "${DATABASE_URL%/*}/postgres" -qtc "CREATE DATABASE imgup_bench_pipeline" >/dev/null 2>&1 || true
export S3_ENDPOINT=http://127.0.0.1:$s3_port S3_ACCESS_KEY=bench S3_SECRET_KEY=bench-secret
export MAX_UPLOAD_BYTES=104857600 COMPLETE_WAIT_MS=60000
"$bin/examples/serve" "$work/s3" $s3_port "$S3_ACCESS_KEY" "$S3_SECRET_KEY" uploads >/dev/null & pids+=($!)
BIND_ADDR=127.0.0.1:$api_port LOG_FORMAT=json RUST_LOG=warn "$bin/imgup-api" >/dev/null & pids+=($!)
api_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.1; done
api=http://127.0.0.1:$api_port
token=$("$bin/examples/mint_token")
ms() { date +%s%N | awk '{ printf "%d", $1 / 1000000 }'; }

# Creates a post for $1 and PUTs it; prints the post id.
uploaded() {
  local size post url id
  size=$(stat -c%s "$1")
  post=$(curl -sf -X POST "$api/posts" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"filename":"camera.jpg","contentType":"image/jpeg","size":'"$size"'}')
  url=$(jq -r .presignedUrl <<<"$post"); id=$(jq -r .id <<<"$post")
  curl -sf -X PUT -H 'content-type: image/jpeg' --data-binary @"$1" "$url" >/dev/null
  echo "$id"
}
# `complete` for post $1, in ms; fails unless the post is ready.
completed_ms() {
  local start out
  start=$(ms)
  out=$(curl -sf -X POST "$api/posts/$1/complete" -H "authorization: Bearer $token")
  [ "$(jq -r .status <<<"$out")" = ready ] || { echo "post $1 is not ready: $out" >&2; exit 1; }
  echo $(( $(ms) - start ))
}
vips_ms() {
  local start
  start=$(ms)
  vips autorot "$1" "$work/vips-original.jpg[strip]"
  vipsthumbnail "$1" -s 320 -o "$work/vips-thumb.webp[Q=80,strip]"
  vipsthumbnail "$1" -s 1280 -o "$work/vips-medium.webp[Q=80,strip]"
  echo $(( $(ms) - start ))
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
rss() { awk -v f="$2" '$1 == f":" { printf "%.0f MB", $2 / 1024 }' "/proc/$1/status"; }

rows=()
for photo in camera camera-rotated; do
  file=$photos/$photo.jpg
  ours=() theirs=()
  for _ in $(seq 1 "$rounds"); do
    theirs+=("$(vips_ms "$file")")
    id=$(uploaded "$file")
    ours+=("$(completed_ms "$id")")
  done
  v=$(median "${theirs[@]}"); o=$(median "${ours[@]}")
  label="6000×4000 JPEG, orientation $([ $photo = camera ] && echo 1 || echo 6)"
  rows+=("| $label | $v ms | $o ms | $(awk -v o="$o" -v v="$v" 'BEGIN { printf "%.2f×", o / v }') |")
done
one_peak=$(rss $api_pid VmHWM)

# IMAGE_WORKERS (default: the cores) images completed at once.
workers=${IMAGE_WORKERS:-$(nproc)}
ids=()
for _ in $(seq 1 "$workers"); do ids+=("$(uploaded "$photos/camera-rotated.jpg")"); done
running=()
for id in "${ids[@]}"; do completed_ms "$id" >/dev/null & running+=($!); done
wait "${running[@]}"
sleep 0.2
all_peak=$(rss $api_pid VmHWM)

echo
echo "median of $rounds interleaved rounds on $(nproc) cores; imgup: complete → ready through imgup-api (release), embedded S3 on loopback; libvips $(vips --version | awk '{print $2}' | cut -d- -f1): vips autorot [strip] + vipsthumbnail -s 320 and -s 1280 to WebP"
echo
echo "| image | libvips (image work only) | imgup, complete → ready | ratio |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "imgup-api peak RSS: $one_peak processing one image at a time, $all_peak after $workers at once (IMAGE_WORKERS=$workers)"
