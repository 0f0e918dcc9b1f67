#!/usr/bin/env bash
# The admin app's end-to-end test: builds the UI and the app, starts the real
# services (`imgup dev`: API, auth in development mode, S3, SQLite), and drives
# the app in a real WebKit window through tauri-driver under Xvfb.
# Screenshots land in $SCREENSHOTS when set (docs/screenshots holds a run's).
# `run.sh bench_grid.py` runs the grid benchmark in the same harness instead.
# Needs the Debian packages of .ci/install-desktop-deps.sh.
set -euo pipefail
script=${1:-test_admin.py}
cd "$(dirname "$0")/../.."
source scripts/lib/imgup-dev.sh
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
cache=${IMGUP_CACHE:-$HOME/.cache/imgup}

# The UI and the app with the UI inside it.
(cd admin-app && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
# APP_PROFILE=release measures the app as users run it (`imgup dev` stays a debug build).
if [ "${APP_PROFILE:-debug}" = release ]; then
  cargo build -q -p imgup
  cargo build -q --release -p imgup-admin --features imgup-admin/custom-protocol
  app=$target/release/imgup-admin
else
  cargo build -q -p imgup -p imgup-admin --features imgup-admin/custom-protocol
  app=$target/debug/imgup-admin
fi

# The WebDriver side: tauri-driver (crates.io) and selenium (PyPI).
if ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --locked --quiet
fi
venv=$cache/venv-e2e
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'selenium==4.*'
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The services.
imgup_dev_ports
# The app's user is an admin (it sees and filters a second user's posts).
(cd "$work" && ADMIN_EMAILS=admin-e2e@example.com exec "$target/debug/imgup" dev --api-port "$api" --auth-port "$auth" --s3-port "$s3") >"$work/imgup.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  imgup_dev_ready && break
  sleep 0.1
done
admin_token=$(sed -n 's/^ *export TOKEN=//p' "$work/imgup.log")

# A real image, drawn by ImageMagick (Debian's /usr/bin/convert, not any
# stand-in earlier on the PATH): a 640×400 gradient PNG without ancillary
# chunks, so that the cleaned original the API serves is the very file sent
# (IMAGE_SIZE=WxH for another size; IMAGE_FORMAT=jpeg for a photo-like
# plasma JPEG, as the grid benchmark uses).
size=${IMAGE_SIZE:-640x400}
case ${IMAGE_FORMAT:-png} in
  png)
    image=$work/sunset.png
    /usr/bin/convert -size "$size" gradient:'#f97316-#4f46e5' -strip -define png:exclude-chunk=all "$image" ;;
  jpeg)
    image=$work/photo.jpg
    /usr/bin/convert -size "$size" -seed 7 plasma:fractal -strip -quality 85 "$image" ;;
  *) echo "IMAGE_FORMAT is png or jpeg" >&2; exit 2 ;;
esac

# The app runs with a fresh home (settings, token file) and the services' URLs.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
export IMGUP_API_URL=http://127.0.0.1:$api IMGUP_AUTH_URL=http://127.0.0.1:$auth
export IMGUP_ADMIN_TOKEN_STORE=file
export ADMIN_TOKEN=$admin_token APP_BINARY=$app IMAGE=$image IMAGE_WIDTH=${size%%x*} IMAGE_HEIGHT=${size##*x}
xvfb-run -a -s "-screen 0 1200x800x24" bash -c '
  tauri-driver --port 4444 >"'"$work"'/driver.log" 2>&1 &
  driver=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:4444/status >/dev/null && break; sleep 0.1; done
  "'"$venv"'/bin/python" "'"$root"'/admin-app/e2e/'"$script"'"
  status=$?
  kill $driver 2>/dev/null
  exit $status
' || { echo "--- imgup dev log"; tail -20 "$work/imgup.log"; echo "--- driver log"; tail -40 "$work/driver.log"; exit 1; }

[ "$script" = test_admin.py ] || exit 0
# And the server agrees: nothing left.
left=$(curl -sf "http://127.0.0.1:$api/posts" -H "Authorization: Bearer $admin_token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
[ "$left" = 0 ] || { echo "the API still lists $left post(s) after the delete" >&2; exit 1; }
echo "admin app end-to-end: passed"
