#!/usr/bin/env bash
# End-to-end on a local kind cluster: builds the images, loads them into
# kind, installs the operator chart, applies operator/samples/kind.yaml,
# waits for Ready and runs the upload flow with curl from the host. Then it
# checks what only a real API server shows (each step a function below):
#   - a deleted Service is recreated within seconds (Services are watched,
#     no waiting for the 5-minute resync);
#   - drift made while the operator is down (replicas, image of a managed
#     Deployment) is put back when it starts again;
#   - a storage resize: the claim grows where the storage class allows
#     expansion; where it does not (kind's `standard` as shipped), the
#     status says so (Ready=False, Rejected) while every other change is
#     still applied, instead of the stack freezing;
#   - an operator upgrade (`helm upgrade`, new image tag and values) keeps
#     the stack Ready without rolling its pods;
#   - deleting the stack's namespace finishes: the finalizer goes.
#
# Needs Docker, kind, kubectl, helm and curl. It cannot run on the project's
# own CI machines (they have no Docker engine); it runs on a workstation and
# in GitHub Actions (.github/workflows/kind-e2e.yml).
#   scripts/kind-e2e.sh                        # create/reuse cluster "imgup", run everything
#   KEEP=0 scripts/kind-e2e.sh                 # delete the cluster afterwards
#   IMGUP_E2E_SKIP_BUILD=1 scripts/kind-e2e.sh # the images are already built (CI builds them)
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLUSTER="${KIND_CLUSTER:-imgup}"
TAG=0.1.0                      # the tags the CRD defaults and the chart name
UPGRADE_TAG="$TAG-e2e-upgrade" # the "new" operator image of the upgrade step
NS=imgup
OP_NS=imgup-system
STACK=imgup                    # operator/samples/kind.yaml's stack
OP_LABELS=app.kubernetes.io/name=imgup-operator

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e: needs $tool on PATH" >&2; exit 1; }
done

diagnose() {
  echo "--- diagnostics" >&2
  kubectl -n "$NS" get imageuploadstacks,all,pvc -o wide >&2 || true
  kubectl -n "$NS" describe imageuploadstack "$STACK" >&2 || true
  kubectl -n "$OP_NS" logs deploy/imgup-operator --tail=100 >&2 || true
}
trap 'diagnose' ERR

# Stops the run with a message saying what did not happen.
fail() {
  echo "kind-e2e: FAIL: $*" >&2
  diagnose
  exit 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 2 s until it
# succeeds; returns 1 (quietly: the caller names the failure) at the deadline.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "kind-e2e: gave up after ${timeout}s waiting for: $what" >&2
      return 1
    fi
    sleep 2
  done
}

stack_get() { kubectl -n "$NS" get "ius/$STACK" -o "jsonpath=$1"; }
ready_field() { stack_get "{.status.conditions[?(@.type==\"Ready\")].$1}"; }
deploy_get() { kubectl -n "$NS" get "deploy/$1" -o "jsonpath=$2"; }

# The operator has seen the stack's current spec (observedGeneration).
observed() {
  local gen obs
  gen=$(stack_get '{.metadata.generation}') || return 1
  obs=$(stack_get '{.status.observedGeneration}') || return 1
  [ -n "$gen" ] && [ "$gen" = "$obs" ]
}
# Ready=True for the stack's current spec (a stale Ready from before the last
# change does not count).
ready_now() { observed && [ "$(ready_field status)" = True ]; }

wait_ready() { # SECONDS, what led here
  wait_until "$1" "stack Ready after $2" ready_now ||
    fail "the stack did not become Ready within $1 s after $2 (reason: $(ready_field reason || true): $(ready_field message || true))"
}

build() { # image package binary
  echo "--- building $1"
  tar -C "$ROOT" -c --exclude=./target --exclude=./.git --exclude=node_modules . |
    docker build -q -f operator/Dockerfile \
      --build-arg "PACKAGE=$2" --build-arg "BIN=$3" -t "ghcr.io/imgup/$1:$TAG" -
}

setup() {
  if [ "${IMGUP_E2E_SKIP_BUILD:-0}" != 1 ]; then
    build imgup-operator imgup-operator imgup-operator
    build imgup-api imgup-api imgup-api
    build imgup-auth imgup-auth imgup-auth
  fi

  if ! kind get clusters | grep -qx "$CLUSTER"; then
    kind create cluster --name "$CLUSTER" --config kind-config.yaml
  fi
  kubectl config use-context "kind-$CLUSTER"
  # kind skips an image the node already holds with the same ID.
  for image in imgup-operator imgup-api imgup-auth; do
    kind load docker-image --name "$CLUSTER" "ghcr.io/imgup/$image:$TAG"
  done

  echo "--- installing the operator"
  # No --reuse-values: a cluster reused from an earlier run gets the chart's
  # defaults back (the upgrade step below changes them).
  helm upgrade --install imgup-operator charts/imgup-operator \
    --namespace "$OP_NS" --create-namespace --wait --timeout 5m
  kubectl apply -f crds/imageuploadstacks.yaml   # helm installs CRDs once; keep them current

  # A stack left by an earlier run that stopped half-way (a resized volume,
  # a changed spec) would not match the sample: start from nothing.
  if kubectl get namespace "$NS" >/dev/null 2>&1; then
    echo "--- removing namespace $NS left by an earlier run"
    kubectl delete namespace "$NS" --timeout=5m ||
      fail "namespace $NS of an earlier run did not go within 5 minutes"
  fi

  echo "--- applying operator/samples/kind.yaml"
  kubectl create namespace "$NS"
  kubectl apply -f operator/samples/kind.yaml
  kubectl -n "$NS" wait --for=condition=Ready "imageuploadstack/$STACK" --timeout=15m
  kubectl -n "$NS" get ius -o wide
}

API=http://localhost:8080
AUTH=http://localhost:8001
json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p"; }
json_number() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p"; }

upload_flow() {
  echo "--- upload flow"
  for url in "$API/readyz" "$AUTH/readyz"; do
    curl -fsS --retry 30 --retry-delay 2 --retry-all-errors "$url" >/dev/null
  done

  TOKEN="$(curl -fsS -X POST "$AUTH/auth/oauth/test-token?email=e2e@example.com" | json_field access_token)"
  [ -n "$TOKEN" ] || fail "no token from the auth service"

  WORK="$(mktemp -d)"
  # A real 1x1 PNG.
  printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' |
    base64 -d >"$WORK/pixel.png"
  local size post_id put_url get_url
  size="$(wc -c <"$WORK/pixel.png" | tr -d ' ')"

  curl -fsS -X POST "$API/posts" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"filename\":\"pixel.png\",\"contentType\":\"image/png\",\"size\":$size,\"title\":\"kind e2e\"}" \
    >"$WORK/post.json"
  post_id="$(json_number id <"$WORK/post.json")"
  put_url="$(json_field presignedUrl <"$WORK/post.json" | sed 's/\\u0026/\&/g')"
  if [ -z "$post_id" ] || [ -z "$put_url" ]; then cat "$WORK/post.json" >&2; fail "POST /posts gave no id or presigned URL"; fi

  # Straight to S3 (MinIO through the node port), as a browser would.
  curl -fsS -X PUT -H 'Content-Type: image/png' --data-binary @"$WORK/pixel.png" "$put_url"
  curl -fsS -X POST "$API/posts/$post_id/complete" -H "Authorization: Bearer $TOKEN" >"$WORK/complete.json"
  grep -q '"status":"ready"' "$WORK/complete.json" || { cat "$WORK/complete.json" >&2; fail "the post did not become ready"; }

  get_url="$(curl -fsS "$API/posts/$post_id" -H "Authorization: Bearer $TOKEN" | json_field url | sed 's/\\u0026/\&/g')"
  curl -fsS "$get_url" -o "$WORK/back.png"
  cmp "$WORK/pixel.png" "$WORK/back.png" || fail "the image read back differs from the one uploaded"
  echo "--- upload flow passed: post $post_id stored and read back"
}

# A deleted Service comes back well within the 5-minute resync: the operator
# watches the Services it owns.
service_uid_is_not() { # service, uid
  local now
  now=$(kubectl -n "$NS" get "service/$1" -o 'jsonpath={.metadata.uid}' 2>/dev/null) || return 1
  [ -n "$now" ] && [ "$now" != "$2" ]
}
deleted_service_recreated() {
  local svc="$STACK-api" old start
  echo "--- deleting Service $svc: expect it back within 30 s"
  old=$(kubectl -n "$NS" get "service/$svc" -o 'jsonpath={.metadata.uid}')
  start=$SECONDS
  kubectl -n "$NS" delete "service/$svc" --wait=true
  wait_until 30 "Service $svc recreated" service_uid_is_not "$svc" "$old" ||
    fail "Service $svc was not recreated within 30 s of its deletion (is the operator watching Services?)"
  [ "$(kubectl -n "$NS" get "service/$svc" -o 'jsonpath={.spec.ports[0].nodePort}')" = 30080 ] ||
    fail "the recreated Service $svc lost its nodePort 30080"
  curl -fsS --retry 15 --retry-delay 2 --retry-all-errors "$API/readyz" >/dev/null ||
    fail "the api does not answer through the recreated Service"
  echo "--- Service $svc recreated after $((SECONDS - start)) s"
}

# Drift made while no operator runs is put back when one starts: after a
# restart it cannot trust what it remembered, so it applies every object once.
no_operator_pods() { [ -z "$(kubectl -n "$OP_NS" get pods -l "$OP_LABELS" -o name)" ]; }
deployment_is() { # deployment, image, replicas
  [ "$(deploy_get "$1" '{.spec.template.spec.containers[0].image}')" = "$2" ] &&
    [ "$(deploy_get "$1" '{.spec.replicas}')" = "$3" ]
}
drift_repaired_across_restart() {
  local deploy="$STACK-api" image replicas
  echo "--- drift while the operator is down: expect $deploy put back when it starts"
  image=$(deploy_get "$deploy" '{.spec.template.spec.containers[0].image}')
  replicas=$(deploy_get "$deploy" '{.spec.replicas}')
  kubectl -n "$OP_NS" scale deploy/imgup-operator --replicas=0
  wait_until 120 "operator pods gone" no_operator_pods || fail "the operator's pods did not stop within 2 minutes"

  kubectl -n "$NS" scale "deploy/$deploy" --replicas=$((replicas + 2))
  kubectl -n "$NS" patch "deploy/$deploy" --type=json \
    -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.invalid/imgup-drift:0"}]'
  deployment_is "$deploy" registry.invalid/imgup-drift:0 $((replicas + 2)) || fail "could not make the drift"

  kubectl -n "$OP_NS" scale deploy/imgup-operator --replicas=1
  kubectl -n "$OP_NS" rollout status deploy/imgup-operator --timeout=3m
  wait_until 120 "$deploy back to $image x$replicas" deployment_is "$deploy" "$image" "$replicas" ||
    fail "$deploy still drifted 2 minutes after the operator restarted: image $(deploy_get "$deploy" '{.spec.template.spec.containers[0].image}'), replicas $(deploy_get "$deploy" '{.spec.replicas}')"
  kubectl -n "$NS" rollout status "deploy/$deploy" --timeout=5m
  wait_ready 300 "the drift was repaired"
  echo "--- drift repaired: $deploy back to $image, $replicas replica(s)"
}

# Storage resize. The StatefulSet's claim template is immutable, so the
# operator patches the claim itself; the storage class decides whether that
# is allowed (allowVolumeExpansion). Either way the stack must not freeze.
claim_requests() { # claim, size
  [ "$(kubectl -n "$NS" get "pvc/$1" -o 'jsonpath={.spec.resources.requests.storage}')" = "$2" ]
}
rejected_naming() { # text Ready's message must contain
  observed && [ "$(ready_field reason)" = Rejected ] && ready_field message | grep -qF "$1"
}
api_env_is() { # name, value
  [ "$(deploy_get "$STACK-api" "{.spec.template.spec.containers[0].env[?(@.name==\"$1\")].value}")" = "$2" ]
}
resize_size() { # size [api env JSON]
  kubectl -n "$NS" patch "ius/$STACK" --type=merge \
    -p "{\"spec\":{\"storage\":{\"minio\":{\"size\":\"$1\"}},\"api\":{\"env\":${2:-null}}}}"
}
storage_resize() {
  local sts="$STACK-minio" claim class expandable
  claim="$(kubectl -n "$NS" get "sts/$sts" -o 'jsonpath={.spec.volumeClaimTemplates[0].metadata.name}')-$sts-0"
  class=$(kubectl -n "$NS" get "pvc/$claim" -o 'jsonpath={.spec.storageClassName}')
  expandable=$(kubectl get storageclass "$class" -o 'jsonpath={.allowVolumeExpansion}')
  claim_requests "$claim" 1Gi || fail "$claim does not start at the sample's 1Gi"

  if [ "$expandable" != true ]; then
    echo "--- resize on storage class $class (no expansion): expect Rejected naming $claim, other changes applied"
    resize_size 2Gi '[{"name":"IMGUP_E2E_MARK","value":"resize"}]'
    wait_until 120 "Ready=False Rejected naming $claim" rejected_naming "$claim" ||
      fail "a resize the storage class refuses is not reported (Ready: $(ready_field reason || true): $(ready_field message || true))"
    wait_until 120 "api env IMGUP_E2E_MARK=resize" api_env_is IMGUP_E2E_MARK resize ||
      fail "a change made with a refused resize was not applied: the stack froze"
    claim_requests "$claim" 1Gi || fail "$claim changed although its class refuses expansion"
    echo "--- refused resize reported: $(ready_field message)"

    echo "--- back to 1Gi: expect Ready again"
    resize_size 1Gi
    wait_ready 300 "the refused resize was reverted"
    api_env_is IMGUP_E2E_MARK "" || fail "IMGUP_E2E_MARK was not removed from the api"

    # The class's expansion switch is mutable; turn it on to test the resize
    # itself, and put it back afterwards.
    kubectl patch storageclass "$class" -p '{"allowVolumeExpansion":true}'
  fi

  echo "--- resize $claim to 2Gi on storage class $class (expansion allowed)"
  resize_size 2Gi
  wait_until 120 "$claim requests 2Gi" claim_requests "$claim" 2Gi ||
    fail "$claim was not resized to 2Gi within 2 minutes (requests $(kubectl -n "$NS" get "pvc/$claim" -o 'jsonpath={.spec.resources.requests.storage}'))"
  wait_ready 300 "the resize"
  if [ "$expandable" != true ]; then
    kubectl patch storageclass "$class" --type=json -p '[{"op":"remove","path":"/allowVolumeExpansion"}]'
  fi
  echo "--- resize passed: $claim requests 2Gi, stack Ready"
}

# An operator upgrade (another image tag, changed values) rolls the operator
# and leaves the stack Ready, without rolling the stack's pods.
stays_ready() { # seconds
  local deadline=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$deadline" ]; do
    ready_now || return 1
    sleep 2
  done
}
operator_upgrade() {
  local api_gen auth_gen image
  echo "--- operator upgrade: image tag $UPGRADE_TAG, logLevel debug"
  api_gen=$(deploy_get "$STACK-api" '{.metadata.generation}')
  auth_gen=$(deploy_get "$STACK-auth" '{.metadata.generation}')
  docker tag "ghcr.io/imgup/imgup-operator:$TAG" "ghcr.io/imgup/imgup-operator:$UPGRADE_TAG"
  kind load docker-image --name "$CLUSTER" "ghcr.io/imgup/imgup-operator:$UPGRADE_TAG"
  helm upgrade imgup-operator charts/imgup-operator --namespace "$OP_NS" --reuse-values \
    --set image.tag="$UPGRADE_TAG" --set logLevel=debug --wait --timeout 5m ||
    fail "helm upgrade of the operator did not finish"
  kubectl -n "$OP_NS" rollout status deploy/imgup-operator --timeout=3m
  image=$(kubectl -n "$OP_NS" get deploy/imgup-operator -o 'jsonpath={.spec.template.spec.containers[0].image}')
  [ "$image" = "ghcr.io/imgup/imgup-operator:$UPGRADE_TAG" ] || fail "the operator runs $image after the upgrade"
  # The new leader takes the Lease and applies every object once.
  stays_ready 45 || fail "the stack left Ready after the operator upgrade (reason: $(ready_field reason || true): $(ready_field message || true))"
  if [ "$(deploy_get "$STACK-api" '{.metadata.generation}')" != "$api_gen" ] ||
    [ "$(deploy_get "$STACK-auth" '{.metadata.generation}')" != "$auth_gen" ]; then
    fail "the operator upgrade changed the api or auth Deployment (a needless rollout)"
  fi
  echo "--- operator upgraded to $UPGRADE_TAG; the stack stayed Ready"
}

# Deleting the namespace deletes the stack; the cleanup finalizer must be
# removed even though the terminating namespace refuses new objects (Events).
namespace_deletion_completes() {
  echo "--- deleting namespace $NS: expect it gone within 3 minutes"
  kubectl delete namespace "$NS" --wait=false
  if ! kubectl wait --for=delete "namespace/$NS" --timeout=3m; then
    kubectl get namespace "$NS" -o jsonpath='{.status}' >&2 || true
    kubectl -n "$NS" get ius -o jsonpath='{range .items[*]}{.metadata.name}: finalizers {.metadata.finalizers}{"\n"}{end}' >&2 || true
    fail "namespace $NS is still terminating after 3 minutes (was the imgup.dev/cleanup finalizer removed?)"
  fi
  echo "--- namespace $NS deleted"
}

setup
upload_flow
deleted_service_recreated
drift_repaired_across_restart
storage_resize
operator_upgrade
namespace_deletion_completes
echo "--- kind e2e passed"

if [ "${KEEP:-1}" = "0" ]; then
  kind delete cluster --name "$CLUSTER"
fi
