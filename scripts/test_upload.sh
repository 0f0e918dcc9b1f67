#!/usr/bin/env bash
# The seed's upload walkthrough with curl and jq, against any running imgup
# (imgup dev, docker compose, a cluster): a development token from the auth
# service, then POST /posts → PUT to the presigned URL → complete → GET the
# image back → list → delete. Exits non-zero at the first step that fails.
#   API=http://localhost:8080 AUTH=http://localhost:8001 scripts/test_upload.sh [image.png]
set -euo pipefail
API=${API:-http://localhost:8080}
AUTH=${AUTH:-http://localhost:8001}
EMAIL=${EMAIL:-test_upload@example.com}
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image=${1:-}
if [ -z "$image" ]; then
  # A 1x1 PNG, so the walkthrough needs no file of its own.
  image=$work/pixel.png
  printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82' >"$image"
fi
case "${image,,}" in
  *.png) type=image/png ;; *.jpg|*.jpeg) type=image/jpeg ;; *.webp) type=image/webp ;;
  *.avif) type=image/avif ;; *.gif) type=image/gif ;; *) echo "unsupported file: $image" >&2; exit 1 ;;
esac
size=$(wc -c <"$image" | tr -d ' ')
name=$(basename "$image")

step() { printf '\n== %s\n' "$*"; }

step "1. development token for $EMAIL"
TOKEN=${TOKEN:-$(curl -fsS -X POST "$AUTH/auth/oauth/test-token?email=$EMAIL" | jq -r .access_token)}
curl -fsS "$AUTH/auth/me" -H "Authorization: Bearer $TOKEN" | jq .

step "2. POST /posts ($name, $type, $size bytes)"
post=$(curl -fsS -X POST "$API/posts" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "$(jq -n --arg f "$name" --arg t "$type" --argjson s "$size" '{filename: $f, contentType: $t, size: $s, title: "test_upload.sh"}')")
echo "$post" | jq '{id, objectKey, status}'
id=$(echo "$post" | jq -r .id)

step "3. PUT the file straight to S3"
curl -fsS -X PUT "$(echo "$post" | jq -r .presignedUrl)" -H "Content-Type: $type" --data-binary @"$image" -o /dev/null -w 'HTTP %{http_code}\n'

step "4. POST /posts/$id/complete"
ready=$(curl -fsS -X POST "$API/posts/$id/complete" -H "Authorization: Bearer $TOKEN")
echo "$ready" | jq '{id, status}'
[ "$(echo "$ready" | jq -r .status)" = ready ]

step "5. GET the image back through its presigned URL"
curl -fsS "$(echo "$ready" | jq -r .url)" -o "$work/back"
cmp "$image" "$work/back" && echo "identical ($size bytes)"

step "6. GET /images/{key}?as_download=true"
curl -fsS "$API/images/$(echo "$ready" | jq -r .objectKey)?as_download=true&filename=$name" \
  -H "Authorization: Bearer $TOKEN" | jq '{key, expiresIn, download}'

step "7. GET /posts"
curl -fsS "$API/posts?limit=5" -H "Authorization: Bearer $TOKEN" | jq '[.items[] | {id, status, filename}]'

step "8. DELETE /posts/$id"
curl -fsS -X DELETE "$API/posts/$id" -H "Authorization: Bearer $TOKEN" -o /dev/null -w 'HTTP %{http_code}\n'
status=$(curl -s -o /dev/null -w '%{http_code}' "$API/posts/$id" -H "Authorization: Bearer $TOKEN")
[ "$status" = 404 ] && echo "gone"

printf '\nupload walkthrough passed\n'
