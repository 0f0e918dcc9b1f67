#!/usr/bin/env bash
# A page in headless Chromium (Debian's chromium, driven by its chromedriver
# through selenium) at an origin `imgup dev` allows uploads as the web client
# does: POST /posts, PUT to the presigned URL on the S3 endpoint, complete,
# fetch the served image; the same calls from an origin not allowed are
# blocked by the browser. Both the API's CORS and the bucket's must agree.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/imgup-dev.sh
cache=${IMGUP_CACHE:-$HOME/.cache/imgup}

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
venv=$cache/venv-e2e
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'selenium==4.*'
fi

cargo build -q -p imgup
bin=${CARGO_TARGET_DIR:-target}/debug/imgup
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

imgup_dev_ports
page=$(free_ports 1)
# The page's origin is allowed; http://localhost:$page (another host name, so
# another origin) is not.
(cd "$work" && exec "$bin" dev --api-port "$api" --auth-port "$auth" --s3-port "$s3" \
  --cors-allowed-origins "http://127.0.0.1:$page") >"$work/imgup.log" 2>&1 &
pids+=($!)
mkdir "$work/site" && echo '<!doctype html><title>imgup CORS check</title>' >"$work/site/index.html"
python3 -m http.server "$page" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  imgup_dev_ready && curl -sf "http://127.0.0.1:$page/" >/dev/null && break
  sleep 0.2
done
imgup_dev_ready || { cat "$work/imgup.log" >&2; exit 1; }
token=$(curl -fsS -X POST "http://127.0.0.1:$auth/auth/oauth/test-token?email=cors@example.com" | jq -r .access_token)

API=http://127.0.0.1:$api TOKEN=$token ALLOWED=http://127.0.0.1:$page/ OTHER=http://localhost:$page/ \
  "$venv/bin/python" - <<'PY'
import json, os, sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

# The web client's upload, as a page would write it; the PNG is drawn and
# encoded by the browser itself.
UPLOAD = """
const [api, token, done] = arguments;
(async () => {
  const steps = [];
  try {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 48;
    const g = canvas.getContext("2d");
    g.fillStyle = "#4f46e5"; g.fillRect(0, 0, 64, 48);
    g.fillStyle = "#f97316"; g.fillRect(0, 0, 32, 48);
    const png = await new Promise((r) => canvas.toBlob(r, "image/png"));
    const auth = { Authorization: `Bearer ${token}` };
    let res = await fetch(`${api}/posts`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ filename: "browser.png", contentType: "image/png", size: png.size }),
    });
    steps.push(["create", res.status]);
    const post = await res.json();
    res = await fetch(post.presignedUrl, { method: "PUT", headers: { "Content-Type": "image/png" }, body: png });
    steps.push(["put", res.status, res.headers.get("ETag") !== null]);
    res = await fetch(`${api}/posts/${post.id}/complete`, { method: "POST", headers: auth });
    steps.push(["complete", res.status]);
    const ready = await res.json();
    steps.push(["status", ready.status, ready.width, ready.height]);
    res = await fetch(ready.url);
    const served = await res.blob();
    steps.push(["get", res.status, res.headers.get("Content-Type"), served.size > 0]);
    res = await fetch(`${api}/posts/${post.id}`, { method: "DELETE", headers: auth });
    steps.push(["delete", res.status]);
  } catch (e) {
    steps.push(["error", String(e)]);
  }
  done(steps);
})();
"""

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_script_timeout(30)
failed = False
try:
    api, token = os.environ["API"], os.environ["TOKEN"]

    driver.get(os.environ["ALLOWED"])
    steps = driver.execute_async_script(UPLOAD, api, token)
    print("allowed origin:", json.dumps(steps))
    want = [["create", 201], ["put", 200, True], ["complete", 200],
            ["status", "ready", 64, 48], ["get", 200, "image/png", True], ["delete", 204]]
    if steps != want:
        print(f"  expected {json.dumps(want)}")
        failed = True

    driver.get(os.environ["OTHER"])
    steps = driver.execute_async_script(UPLOAD, api, token)
    print("other origin:", json.dumps(steps))
    if steps[0][0] != "error" or "Failed to fetch" not in steps[0][1]:
        print("  expected the browser to block the first call")
        failed = True
finally:
    driver.quit()
sys.exit(1 if failed else 0)
PY
echo "a page at an allowed origin uploads through the API and S3; another origin is blocked"
