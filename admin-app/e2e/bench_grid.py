"""How the admin app copes with hundreds of posts, in the real WebKit window
against `imgup dev`: seeds POSTS ready posts (each processed by the API:
decoded, cleaned, its variants rendered), signs in as their owner, scrolls the
grid to the end (pages load on demand) while measuring main-thread lag, and
reports the time to every card, the lag, and the app's resident memory.
`IMAGE_SIZE=2400x1600 IMAGE_FORMAT=jpeg admin-app/e2e/run.sh bench_grid.py`
is the README's second row."""

import json
import os
import statistics
import subprocess
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["APP_BINARY"]
API = os.environ["IMGUP_API_URL"]
AUTH = os.environ["IMGUP_AUTH_URL"]
IMAGE = os.environ["IMAGE"]
POSTS = int(os.environ.get("POSTS", "300"))
EMAIL = "bench@example.com"


def call(method, url, token=None, body=None, data=None, content_type=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request) as response:
        raw = response.read()
        return json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else None


TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def seed(token, image, ext):
    content_type = TYPES[ext]
    ids = []
    for n in range(POSTS):
        post = call("POST", f"{API}/posts", token,
                    {"filename": f"photo-{n:04}{ext}", "contentType": content_type, "size": len(image)})
        call("PUT", post["presignedUrl"], data=image, content_type=content_type)
        # 200 ready, or 202 processing: the API's workers finish it by themselves.
        call("POST", f"{API}/posts/{post['id']}/complete", token)
        ids.append(post["id"])
    # Every post ready before the app starts (none processing while measured).
    for post_id in ids:
        for _ in range(1200):
            status = call("GET", f"{API}/posts/{post_id}", token)["status"]
            if status != "processing":
                break
            time.sleep(0.1)
        assert status == "ready", f"post {post_id} is {status}"


PROCESSES = ("imgup-admin", "WebKitWebProces", "WebKitNetworkPr")


def app_processes():
    """Pid and name of the app and of the WebKit helpers it spawned (its process tree)."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()]
    children, names = {}, {}
    for pid, ppid, comm in rows:
        children.setdefault(int(ppid), []).append(int(pid))
        names[int(pid)] = comm
    found, todo = [], [pid for pid, comm in names.items() if comm.startswith("imgup-admin")]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return [(pid, names[pid]) for pid in found if names[pid].startswith(PROCESSES)]


def memory_by_process():
    """Resident memory (MiB) of the app and of its WebKit helper processes, as
    RSS (what the issue measures: shared libraries count once per process)
    and PSS (each shared page split between the processes that map it)."""
    sizes = {kind: dict.fromkeys(PROCESSES, 0.0) for kind in ("rss", "pss")}
    for pid, comm in app_processes():
        name = next(n for n in PROCESSES if comm.startswith(n))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    field, value = line.split()[:2]
                    if field in ("Rss:", "Pss:"):
                        sizes[field[:-1].lower()][name] += int(value) / 1024
        except FileNotFoundError:
            pass
    return sizes


def largest_mappings(top=12):
    """BENCH_SMAPS=1: where each process's resident memory lies (the largest
    mappings by RSS, anonymous ones summed as [anon])."""
    for pid, comm in app_processes():
        by_name = {}
        name = None
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                    name = parts[5] if len(parts) > 5 else "[anon]"
                elif parts[0] == "Rss:":
                    by_name[name] = by_name.get(name, 0) + int(parts[1])
        biggest = sorted(by_name.items(), key=lambda kv: -kv[1])[:top]
        print(f"  {comm} ({pid}): " + ", ".join(f"{os.path.basename(n)} {kb / 1024:.0f}" for n, kb in biggest))


def breakdown(sizes):
    return ", ".join(f"{name} {mib:.0f}" for name, mib in sizes.items())


def main():
    token = call("POST", f"{AUTH}/auth/oauth/test-token?email={EMAIL}")["access_token"]
    with open(IMAGE, "rb") as f:
        image = f.read()
    started = time.monotonic()
    seed(token, image, os.path.splitext(IMAGE)[1].lower())
    print(f"seeded {POSTS} ready posts in {time.monotonic() - started:.1f} s")

    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": APP})
    driver = webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
    wait = WebDriverWait(driver, 60)
    try:
        wait.until(EC.element_to_be_clickable((By.ID, "test-token-email"))).send_keys(EMAIL)
        time.sleep(1.0)
        idle = memory_by_process()
        if os.environ.get("BENCH_SMAPS"):
            largest_mappings()
        signed_in = time.monotonic()
        driver.find_element(By.ID, "test-token-sign-in").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#posts-grid [data-post-id]")))
        first_page = time.monotonic() - signed_in

        # The page scrolls itself, 300 px every 16 ms, until every card is
        # there and the end is reached, while a timer chain measures how late
        # the page's main thread answers (under Xvfb WebKit paces
        # requestAnimationFrame itself, so frames are no measure there).
        # WebDriver only looks in now and then, so its calls do not disturb it.
        driver.execute_script("""
            const want = arguments[0];
            window.__lags = []; window.__done = false;
            let expected = performance.now() + 4;
            const probe = () => {
              const now = performance.now();
              window.__lags.push(Math.max(0, now - expected));
              expected = now + 4;
              if (!window.__done) setTimeout(probe, 4);
            };
            setTimeout(probe, 4);
            const scroller = setInterval(() => {
              window.scrollBy(0, 300);
              const cards = document.querySelectorAll('#posts-grid [data-post-id]').length;
              const atEnd = innerHeight + scrollY >= document.body.scrollHeight - 2;
              if (cards >= want && atEnd) { window.__done = true; clearInterval(scroller); }
            }, 16);""", POSTS)
        WebDriverWait(driver, 120, poll_frequency=0.25).until(
            lambda d: d.execute_script("return window.__done"))
        all_cards = time.monotonic() - signed_in
        count = driver.execute_script("return document.querySelectorAll('#posts-grid [data-post-id]').length")
        time.sleep(1.0)  # the last thumbnails decode
        lags = sorted(driver.execute_script("return window.__lags"))
        loaded, widest, kinds = driver.execute_script("""
            const imgs = [...document.querySelectorAll('#posts-grid [data-post-id] img')]
                         .filter(i => i.complete && i.naturalWidth > 0);
            return [imgs.length, Math.max(0, ...imgs.map(i => i.naturalWidth)),
                    [...new Set(imgs.map(i => i.dataset.kind))].join(',')]""")
        assert count >= POSTS, f"only {count} of {POSTS} cards after scrolling"
        p95 = lags[int(len(lags) * 0.95) - 1]
        print(f"first page shown {first_page * 1000:.0f} ms after sign-in; all {count} cards "
              f"after {all_cards:.1f} s of scrolling; {loaded} thumbnails decoded "
              f"({kinds or 'none'}, at most {widest} px wide)")
        print(f"main-thread lag while scrolling ({len(lags)} probes): median {statistics.median(lags):.1f} ms, "
              f"p95 {p95:.1f} ms, longest {lags[-1]:.1f} ms, over 50 ms: {sum(lag > 50 for lag in lags)}")
        after = memory_by_process()
        for kind in ("rss", "pss"):
            print(f"resident memory ({kind.upper()}, app + WebKit processes): "
                  f"{sum(idle[kind].values()):.0f} MiB at the sign-in screen, "
                  f"{sum(after[kind].values()):.0f} MiB with {count} posts scrolled through")
            print(f"  by process, MiB: sign-in {breakdown(idle[kind])}; after {breakdown(after[kind])}")
        if os.environ.get("BENCH_SMAPS"):
            largest_mappings()
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
