#!/usr/bin/env bash
# End-to-end on a local kind cluster: builds the images, loads them into
# kind, installs the operator chart, applies operator/samples/kind.yaml,
# waits for Ready and runs the upload flow with curl from the host.
#
# Needs Docker, kind, kubectl, helm and curl. It cannot run on the project's
# CI machines (they have no Docker engine); run it on a workstation.
#   scripts/kind-e2e.sh            # create/reuse cluster "imgup", run the flow
#   KEEP=0 scripts/kind-e2e.sh     # delete the cluster afterwards
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLUSTER="${KIND_CLUSTER:-imgup}"
TAG=0.1.0                      # the tags the CRD defaults and the chart name
NS=imgup
OP_NS=imgup-system

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e: needs $tool on PATH" >&2; exit 1; }
done

diagnose() {
  echo "--- diagnostics" >&2
  kubectl -n "$NS" get imageuploadstacks,all,pvc -o wide >&2 || true
  kubectl -n "$NS" describe imageuploadstack imgup >&2 || true
  kubectl -n "$OP_NS" logs deploy/imgup-operator --tail=100 >&2 || true
}
trap 'diagnose' ERR

build() { # image package binary
  echo "--- building $1"
  tar -C "$ROOT" -c --exclude=./target --exclude=./.git --exclude=node_modules . |
    docker build -q -f operator/Dockerfile \
      --build-arg "PACKAGE=$2" --build-arg "BIN=$3" -t "ghcr.io/imgup/$1:$TAG" -
}
build imgup-operator imgup-operator imgup-operator
build imgup-api imgup-api imgup-api
build imgup-auth imgup-auth imgup-auth

if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config kind-config.yaml
fi
kubectl config use-context "kind-$CLUSTER"
for image in imgup-operator imgup-api imgup-auth; do
  kind load docker-image --name "$CLUSTER" "ghcr.io/imgup/$image:$TAG"
done

echo "--- installing the operator"
helm upgrade --install imgup-operator charts/imgup-operator \
  --namespace "$OP_NS" --create-namespace --wait --timeout 5m
kubectl apply -f crds/imageuploadstacks.yaml   # helm installs CRDs once; keep them current

echo "--- applying operator/samples/kind.yaml"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f operator/samples/kind.yaml
kubectl -n "$NS" wait --for=condition=Ready imageuploadstack/imgup --timeout=15m
kubectl -n "$NS" get ius -o wide

echo "--- upload flow"
API=http://localhost:8080
AUTH=http://localhost:8001
for url in "$API/readyz" "$AUTH/readyz"; do
  curl -fsS --retry 30 --retry-delay 2 --retry-all-errors "$url" >/dev/null
done
json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p"; }
json_number() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p"; }

TOKEN="$(curl -fsS -X POST "$AUTH/auth/oauth/test-token?email=e2e@example.com" | json_field access_token)"
[ -n "$TOKEN" ] || { echo "no token from the auth service" >&2; exit 1; }

WORK="$(mktemp -d)"
# A real 1x1 PNG.
printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' |
  base64 -d >"$WORK/pixel.png"
SIZE="$(wc -c <"$WORK/pixel.png" | tr -d ' ')"

curl -fsS -X POST "$API/posts" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"filename\":\"pixel.png\",\"contentType\":\"image/png\",\"size\":$SIZE,\"title\":\"kind e2e\"}" \
  >"$WORK/post.json"
POST_ID="$(json_number id <"$WORK/post.json")"
PUT_URL="$(json_field presignedUrl <"$WORK/post.json" | sed 's/\\u0026/\&/g')"
if [ -z "$POST_ID" ] || [ -z "$PUT_URL" ]; then cat "$WORK/post.json" >&2; exit 1; fi

# Straight to S3 (MinIO through the node port), as a browser would.
curl -fsS -X PUT -H 'Content-Type: image/png' --data-binary @"$WORK/pixel.png" "$PUT_URL"
curl -fsS -X POST "$API/posts/$POST_ID/complete" -H "Authorization: Bearer $TOKEN" >"$WORK/complete.json"
grep -q '"status":"ready"' "$WORK/complete.json" || { cat "$WORK/complete.json" >&2; exit 1; }

GET_URL="$(curl -fsS "$API/posts/$POST_ID" -H "Authorization: Bearer $TOKEN" | json_field url | sed 's/\\u0026/\&/g')"
curl -fsS "$GET_URL" -o "$WORK/back.png"
cmp "$WORK/pixel.png" "$WORK/back.png"
echo "--- upload flow passed: post $POST_ID stored and read back"

if [ "${KEEP:-1}" = "0" ]; then
  kind delete cluster --name "$CLUSTER"
fi
