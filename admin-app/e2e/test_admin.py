"""The admin app end to end, in a real WebKit window (tauri-driver +
WebKitWebDriver under Xvfb) against real services (`imgup dev`): sign in with
a development token (as an admin, with a second user's posts present), upload
a real image, see it ready with its thumbnail (the `thumb` variant, not the
original), find posts by search, owner and sort, see the usage and the
library's totals, disable the other user (whose sign-in is then refused),
preview the image (the `medium` variant, with its dimensions, fitted and at
1:1), retitle it, download it, delete it; upload a damaged PNG and see the
server's reason for rejecting it in the upload panel, the grid and the
preview; then start the app again while the auth service cannot be reached:
it names the service, keeps the session and, once the service answers,
goes on by itself.
Screenshots of each screen, light and dark, go to $SCREENSHOTS."""

import json
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["APP_BINARY"]
IMAGE = os.environ["IMAGE"]
SHOTS = os.environ.get("SCREENSHOTS")
EMAIL = "admin-e2e@example.com"  # in ADMIN_EMAILS (run.sh)
OTHER = "grace-e2e@example.com"
OTHERS_FILES = ["harbour.png", "receipt.png"]


def call(method, url, token=None, body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def seed_other_user():
    """A second person's pending posts, made through the API as they would make them."""
    grant = call("POST", f"{os.environ['IMGUP_AUTH_URL']}/auth/oauth/test-token?email={OTHER}")
    token = grant["access_token"]
    ids = []
    for name in OTHERS_FILES:
        post = call("POST", f"{os.environ['IMGUP_API_URL']}/posts", token,
                    {"filename": name, "contentType": "image/png", "size": 1234})
        ids.append(post["id"])
    return token, ids


def row_disabled(driver, email):
    return driver.execute_script(
        "const row = [...document.querySelectorAll('#people-table tr[data-person-id]')]"
        ".find((r) => r.querySelector('.person-email')?.textContent === arguments[0]);"
        "return row?.dataset.disabled === 'true'", email)


def cards(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#posts-grid [data-post-id]")


def card_titles(driver, in_order=False):
    # One script, not an element at a time: the grid may replace a card between two reads.
    titles = driver.execute_script(
        "return [...document.querySelectorAll('#posts-grid [data-post-id]:not([hidden]) .card-title')]"
        ".map((e) => e.textContent)")
    return titles if in_order else sorted(titles)


def card_owners(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#posts-grid [data-post-id]:not([hidden]) .owner')]"
        ".map((e) => e.getAttribute('title'))")


def search(driver, wait, field_id, text, expect):
    """Types `text` into a search field and waits until the grid shows the
    `expect`ed card titles (the app asks once typing pauses)."""
    field = driver.find_element(By.ID, field_id)
    # As a person would (clear() sends no input event): select all, delete, type.
    if field.get_attribute("value"):
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.BACKSPACE)
    if text:
        field.send_keys(text)
    try:
        wait.until(lambda d: d.find_element(By.ID, "posts-grid").get_attribute("aria-busy") == "false"
                   and card_titles(d) == sorted(expect))
    except TimeoutException:
        value = driver.execute_script(f"return document.getElementById('{field_id}').value")
        status = driver.find_element(By.ID, "posts-status").get_attribute("textContent")
        errors = driver.execute_script("return window.__errors || []")
        raise AssertionError(f"{field_id}={text!r} (the field holds {value!r}; {status!r}; page errors "
                             f"{errors}) shows {card_titles(driver)}, expected {sorted(expect)}")


def shot(name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        subprocess.run(["import", "-window", "root", os.path.join(SHOTS, f"{name}.png")], check=True)


def shots(driver, name):
    """The screen as it is, in light (`name-light.png`) and in dark
    (`name-dark.png`): the theme attribute Settings sets, set for the
    picture and put back after it."""
    if not SHOTS:
        return
    # The pointer out of the way, or a tooltip from the last click shows in the picture.
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(2, 2)
    actions.perform()
    was = driver.execute_script("return document.documentElement.getAttribute('data-theme')")
    for theme in ("light", "dark"):
        driver.execute_script("document.documentElement.setAttribute('data-theme', arguments[0])", theme)
        time.sleep(0.4)
        shot(f"{name}-{theme}")
    driver.execute_script(
        "arguments[0] === null ? document.documentElement.removeAttribute('data-theme')"
        " : document.documentElement.setAttribute('data-theme', arguments[0])", was)
    time.sleep(0.2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Forwarder:
    """A TCP forwarder from `port` on 127.0.0.1 to `target`: the auth service
    coming back, at the address the app was given while nothing listened there."""

    def __init__(self, port, target):
        self.server = socket.create_server(("127.0.0.1", port))
        self.target = target
        self.open = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.server.close()
        for s in self.open:
            s.close()


def new_session():
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": APP})
    driver = webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
    # The app runs on this machine: hand WebKit the path, not an upload.
    driver.file_detector = UselessFileDetector()
    return driver


def config_dir():
    """Where the app keeps settings.json and (IMGUP_ADMIN_TOKEN_STORE=file) its token."""
    return os.path.join(os.environ["XDG_CONFIG_HOME"], "dev.imgup.admin")


def damaged_png():
    """The first half of the test image: PNG magic and header, the data cut
    off. It passes every check made before sending; the server's decoder refuses it."""
    with open(IMAGE, "rb") as f:
        data = f.read()
    path = os.path.join(os.path.dirname(IMAGE), "damaged.png")
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    return path


def main():
    started = time.monotonic()
    driver = new_session()
    wait = WebDriverWait(driver, 30)
    _, other_ids = seed_other_user()
    try:
        email = wait.until(EC.element_to_be_clickable((By.ID, "test-token-email")))
        # Errors the page does not show are reported with a failure.
        driver.execute_script(
            "window.__errors = [];"
            "addEventListener('error', (e) => window.__errors.push(String(e.message)));"
            "addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason?.message ?? e.reason)));")
        print(f"usable window after {time.monotonic() - started:.2f} s (incl. WebDriver session)")
        # `imgup dev` configures no OAuth provider: none is offered, the test token is.
        offered = [b.get_attribute("data-provider") for b in driver.find_elements(By.CSS_SELECTOR, ".providers button")
                   if b.is_displayed()]
        assert offered == [], f"providers offered that the server has not configured: {offered}"
        time.sleep(0.3)
        shots(driver, "1-sign-in")

        email.clear()
        email.send_keys(EMAIL)
        driver.find_element(By.ID, "test-token-sign-in").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "signed-in-as"), EMAIL))
        # run.sh chose the file store by setting: the header says so, not "no keyring".
        note = driver.find_element(By.ID, "token-store").text
        assert note == "Saved in a private file (IMGUP_ADMIN_TOKEN_STORE=file)", note
        time.sleep(0.3)
        shots(driver, "2-posts-empty")

        driver.find_element(By.ID, "file-input").send_keys(IMAGE)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-list [data-upload]")))
        try:
            WebDriverWait(driver, 60).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, '#upload-list [data-upload][data-state="done"]'))
            )
        except TimeoutException:
            rows = driver.find_element(By.ID, "upload-list").text
            raise AssertionError(f"the upload did not finish: {rows!r}")
        card = wait.until(
            EC.presence_of_element_located((By.CSS_SELECTOR, '#posts-grid [data-post-id][data-status="ready"]'))
        )
        post_id = card.get_attribute("data-post-id")
        thumb = card.find_element(By.TAG_NAME, "img")
        driver.execute_script("arguments[0].scrollIntoView()", thumb)
        thumb_width = wait.until(
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumb))
        expected_width = int(os.environ["IMAGE_WIDTH"])
        expected_height = int(os.environ["IMAGE_HEIGHT"])
        # The card shows the thumb variant (long side 320), not the original.
        assert thumb.get_attribute("data-kind") == "thumb", thumb.get_attribute("data-kind")
        thumb_src = thumb.get_attribute("src")
        assert "/variants/" in thumb_src and "/thumb." in thumb_src, thumb_src
        thumb_height = driver.execute_script("return arguments[0].naturalHeight", thumb)
        assert thumb_width <= 320 and thumb_height <= 320, f"thumbnail {thumb_width}×{thumb_height}"
        long_side = max(expected_width, expected_height)
        want = (round(expected_width * min(320, long_side) / long_side),
                round(expected_height * min(320, long_side) / long_side))
        assert (thumb_width, thumb_height) == want, f"thumbnail {thumb_width}×{thumb_height}, expected {want}"
        # Loaded: the BlurHash placeholder behind it is gone.
        wait.until(lambda d: "thumb-loading" not in d.execute_script(
            "return arguments[0].parentElement.className", thumb))
        time.sleep(0.5)
        shots(driver, "3-uploaded")

        # Find: the server searches names and titles; an admin filters by owner.
        wait.until(lambda d: len(cards(d)) == 1 + len(OTHERS_FILES))
        everything = ["sunset.png", *OTHERS_FILES]
        search(driver, wait, "post-search", "SUNS", ["sunset.png"])
        shown = driver.execute_script("return [...document.querySelectorAll('#posts-grid [data-post-id]')]"
                                      ".map((c) => c.dataset.postId)")
        assert shown == [post_id], shown
        driver.find_element(By.TAG_NAME, "body").send_keys("/")
        assert driver.switch_to.active_element.get_attribute("id") == "post-search", "/ does not focus the search"
        time.sleep(0.3)
        shots(driver, "7-search")
        search(driver, wait, "post-search", "", everything)
        search(driver, wait, "post-owner", OTHER, OTHERS_FILES)
        owners = card_owners(driver)
        assert owners == [OTHER] * len(OTHERS_FILES), owners
        sort = driver.find_element(By.ID, "post-sort")
        sort.find_element(By.CSS_SELECTOR, 'option[value="name-desc"]').click()
        try:
            wait.until(lambda d: card_titles(d, in_order=True) == sorted(OTHERS_FILES, reverse=True))
        except TimeoutException:
            raise AssertionError(f"sorted by name, descending: {card_titles(driver, in_order=True)}")
        sort.find_element(By.CSS_SELECTOR, 'option[value="newest"]').click()
        search(driver, wait, "post-owner", "", everything)

        # Usage: the admin's own (no quota for admins) and the library's totals.
        driver.find_element(By.ID, "open-usage").click()
        total = wait.until(EC.visibility_of_element_located((By.ID, "stats-total")))
        assert total.text.startswith(f"{len(everything)} posts"), total.text
        mine = driver.find_element(By.ID, "usage-posts").text
        assert mine == "1 post (no limit)", mine
        time.sleep(0.3)
        shots(driver, "8-usage")
        driver.find_element(By.ID, "usage-close").click()
        wait.until(EC.invisibility_of_element_located((By.ID, "usage")))

        # People: disable the other user; their next sign-in is refused.
        driver.find_element(By.ID, "open-people").click()
        wait.until(EC.element_to_be_clickable((By.XPATH,
            f'//table[@id="people-table"]//tr[.//*[@class="person-email" and text()="{OTHER}"]]'
            '//button[@data-action="disable"]'))).click()
        wait.until(EC.element_to_be_clickable((By.ID, "confirm-person"))).click()
        wait.until(lambda d: row_disabled(d, OTHER))
        time.sleep(0.3)
        shots(driver, "9-people")
        try:
            call("POST", f"{os.environ['IMGUP_AUTH_URL']}/auth/oauth/test-token?email={OTHER}")
            raise AssertionError("a disabled user still got a token")
        except urllib.error.HTTPError as refused:
            assert refused.code == 403, refused.code
        driver.find_element(By.ID, "people-close").click()
        wait.until(EC.invisibility_of_element_located((By.ID, "people")))

        # The keyboard through the grid: one Tab stop, arrows move, Space selects;
        # Delete asks once for the selection, Undo brings it back, then it goes.
        driver.execute_script("document.querySelector('#posts-grid [tabindex=\"0\"]').focus()")
        keys = lambda *k: driver.switch_to.active_element.send_keys(*k)  # noqa: E731
        keys(Keys.ARROW_RIGHT)
        keys(" ")
        keys(Keys.ARROW_RIGHT)
        keys(" ")
        selected = driver.execute_script(
            "return [...document.querySelectorAll('#posts-grid [aria-selected=\"true\"] .card-title')]"
            ".map((e) => e.textContent)")
        assert sorted(selected) == OTHERS_FILES, selected
        assert driver.find_element(By.ID, "selection-count").text == "2 selected"
        time.sleep(0.3)
        shots(driver, "10-selected")
        keys(Keys.DELETE)
        confirm = wait.until(EC.element_to_be_clickable((By.ID, "confirm-bulk-delete")))
        assert "Delete 2 images?" in driver.find_element(By.CSS_SELECTOR, ".modal-small").text
        confirm.click()
        wait.until(EC.visibility_of_element_located((By.ID, "undo-bar")))
        assert card_titles(driver) == ["sunset.png"], card_titles(driver)
        driver.find_element(By.ID, "undo-delete").click()
        wait.until(lambda d: card_titles(d) == sorted(everything))
        for post in other_ids:  # nothing was deleted
            call("GET", f"{os.environ['IMGUP_API_URL']}/posts/{post}", os.environ["ADMIN_TOKEN"])
        # Now with the mouse: the checkbox that hovering a card shows.
        for name in OTHERS_FILES:
            card = driver.find_element(By.XPATH, f'//*[@id="posts-grid"]//li[.//*[@class="card-title" and text()="{name}"]]')
            ActionChains(driver).move_to_element(card).perform()
            card.find_element(By.CSS_SELECTOR, ".card-check").click()
        assert driver.find_element(By.ID, "selection-count").text == "2 selected"
        driver.find_element(By.ID, "bulk-delete").click()
        wait.until(EC.element_to_be_clickable((By.ID, "confirm-bulk-delete"))).click()
        WebDriverWait(driver, 20).until(EC.invisibility_of_element_located((By.ID, "undo-bar")))
        wait.until(lambda d: card_titles(d) == ["sunset.png"])
        for post in other_ids:
            try:
                call("GET", f"{os.environ['IMGUP_API_URL']}/posts/{post}", os.environ["ADMIN_TOKEN"])
                raise AssertionError(f"post {post} is still there after the bulk delete")
            except urllib.error.HTTPError as gone:
                assert gone.code == 404, gone.code
        card = driver.find_element(By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]')
        card = driver.find_element(By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]')

        # Dark, chosen in Settings, really restyles the page; then back to the system's.
        def choose_theme(option, picture=None):
            driver.find_element(By.ID, "open-settings").click()
            wait.until(EC.element_to_be_clickable(
                (By.CSS_SELECTOR, f'#theme-choice [data-theme-option="{option}"]'))).click()
            if picture:
                shots(driver, picture)
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
            wait.until(EC.invisibility_of_element_located((By.ID, "settings")))

        def background():
            colour = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
            return sum(int(c) for c in colour[colour.index("(") + 1:-1].split(",")[:3]), colour

        choose_theme("dark", picture="6-settings")
        assert driver.execute_script("return document.documentElement.dataset.theme") == "dark"
        # The dark set of variables (no light-dark(): plain custom properties) applies.
        dark, colour = background()
        assert dark < 3 * 80, f"dark theme chosen, but the page is {colour}"
        choose_theme("light")
        light, colour = background()
        assert light > 3 * 200, f"light theme chosen, but the page is {colour}"
        choose_theme("system")
        assert driver.execute_script("return document.documentElement.dataset.theme") is None

        card.click()
        wait.until(EC.visibility_of_element_located((By.ID, "preview")))
        # Settled: the fresh post fetched, the image decoded.
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#preview .preview-stage").get_attribute("aria-busy") == "false")
        image = wait.until(EC.presence_of_element_located((By.ID, "preview-image")))
        width = WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
        )
        # The medium variant (long side 1280, never upscaled), not the original.
        assert image.get_attribute("data-kind") == "medium", image.get_attribute("data-kind")
        medium_src = image.get_attribute("src")
        assert "/variants/" in medium_src and "/medium." in medium_src, medium_src
        expected = round(expected_width * min(1280, long_side) / long_side)
        assert width == expected, f"the preview rendered {width} px wide, the medium variant is {expected}"
        dimensions = driver.find_element(By.ID, "preview-dimensions").text
        assert dimensions == f"{expected_width} × {expected_height} px", f"dimensions shown: {dimensions!r}"
        assert driver.find_element(By.ID, "open-original").is_displayed(), "no Open original button"
        # Painted: the placeholder behind the image has been dropped.
        wait.until(lambda d: d.execute_script(
            "return arguments[0].parentElement.style.backgroundImage === ''", image))
        # Fit by default; `z` shows the image at 1:1 (its real pixel size), `z` again fits it.
        zoom = driver.find_element(By.ID, "preview-zoom")
        assert zoom.get_attribute("aria-pressed") == "false"
        driver.switch_to.active_element.send_keys("z")
        wait.until(lambda d: zoom.get_attribute("aria-pressed") == "true")
        stage = driver.find_element(By.ID, "preview-stage")
        assert stage.get_attribute("data-zoom") == "actual"
        shown, natural = driver.execute_script(
            "const i = arguments[0]; return [i.getBoundingClientRect().width * devicePixelRatio, i.naturalWidth]", image)
        assert round(shown) == natural, f"at 1:1 the image is {shown} device px wide, {natural} px in the file"
        time.sleep(0.3)
        shots(driver, "4-preview-1to1")
        driver.switch_to.active_element.send_keys("z")
        wait.until(lambda d: zoom.get_attribute("aria-pressed") == "false")
        time.sleep(1.5)
        shots(driver, "4-preview")

        # Retitle in place: Enter saves through the API; the card follows.
        driver.find_element(By.ID, "edit-title").click()
        title_input = wait.until(EC.visibility_of_element_located((By.ID, "title-input")))
        title_input.send_keys("Evening sky" + Keys.ENTER)
        wait.until(EC.text_to_be_present_in_element((By.ID, "preview-title"), "Evening sky"))
        saved_title = call("GET", f"{os.environ['IMGUP_API_URL']}/posts/{post_id}", os.environ["ADMIN_TOKEN"])["title"]
        assert saved_title == "Evening sky", saved_title
        # (behind the dialog the page is inert, so read the DOM, not what is displayed)
        card_title = f'#posts-grid [data-post-id="{post_id}"] .card-title'
        try:
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, card_title).get_attribute("textContent")
                       == "Evening sky")
        except TimeoutException:
            shown = driver.find_element(By.CSS_SELECTOR, card_title).get_attribute("textContent")
            raise AssertionError(f"the card still says {shown!r} after the retitle")

        # Download: the presigned GET with as_download, saved under ~/Downloads.
        driver.find_element(By.ID, "download-post").click()
        saved = os.path.join(os.environ["HOME"], "Downloads", "sunset.png")
        WebDriverWait(driver, 30).until(lambda d: os.path.exists(saved))
        with open(saved, "rb") as got, open(IMAGE, "rb") as sent:
            assert got.read() == sent.read(), "the downloaded file differs from the upload"
        # Then "Show in folder" is offered (not clicked: Xvfb has no file manager to show it).
        WebDriverWait(driver, 10).until(EC.visibility_of_element_located((By.ID, "show-in-folder")))

        driver.find_element(By.ID, "delete-post").click()
        confirm = wait.until(EC.element_to_be_clickable((By.ID, "confirm-delete")))
        time.sleep(0.3)
        shots(driver, "5-confirm-delete")
        confirm.click()
        wait.until(
            EC.invisibility_of_element_located((By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]'))
        )
        gone = driver.find_elements(By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]')
        assert not gone, "the deleted post is still listed"

        reason = rejected_upload(driver, wait)
        print(f"end-to-end: post {post_id} uploaded, thumbnail {thumb_width}×{thumb_height}, "
              f"previewed ({width} px, {dimensions}, 1:1), downloaded, deleted; a damaged PNG refused: {reason!r}")
    finally:
        driver.quit()
        for post in other_ids:  # (already gone when the test got that far)
            try:
                call("DELETE", f"{os.environ['IMGUP_API_URL']}/posts/{post}", os.environ["ADMIN_TOKEN"])
            except urllib.error.HTTPError:
                pass
    offline_start()
    print("end-to-end passed")


def rejected_upload(driver, wait):
    """A PNG cut in half passes the local checks, and the server's decoder
    refuses it: the upload row says why (and offers no Retry: that answer is
    final), the grid's card and the preview show the reason the API kept."""
    driver.find_element(By.ID, "file-input").send_keys(damaged_png())
    card = WebDriverWait(driver, 60).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, '#posts-grid [data-post-id][data-status="rejected"]')))
    listed = call("GET", f"{os.environ['IMGUP_API_URL']}/posts?status=rejected", os.environ["ADMIN_TOKEN"])["items"]
    assert [p["filename"] for p in listed] == ["damaged.png"], listed
    reason = listed[0]["rejectionReason"]
    assert reason, listed[0]
    shown = wait.until(lambda d: card.find_element(By.CSS_SELECTOR, ".card-reason").get_attribute("textContent"))
    assert shown == reason, f"the card says {shown!r}, the API {reason!r}"
    row = driver.find_element(By.CSS_SELECTOR, "#upload-list [data-upload]")
    if row.get_attribute("data-state") == "failed":  # (a 202 makes it "done", then the poller finds it rejected)
        text = row.find_element(By.CSS_SELECTOR, ".upload-text").text
        assert "refused it" in text and reason.rstrip(".") in text, text
        retry = row.find_element(By.CSS_SELECTOR, '[data-action="retry"]')
        assert not retry.is_displayed(), "Retry offered for a final answer"
    time.sleep(0.5)
    shots(driver, "11-rejected")
    card.click()
    wait.until(EC.visibility_of_element_located((By.ID, "preview")))
    meta = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#preview .meta"))
    wait.until(lambda d: "Why rejected" in meta.text and reason in meta.text)
    time.sleep(0.3)
    shots(driver, "11-rejected-preview")
    driver.find_element(By.ID, "delete-post").click()
    wait.until(EC.element_to_be_clickable((By.ID, "confirm-delete"))).click()
    wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, '#posts-grid [data-status="rejected"]')))
    return reason


def offline_start():
    """Started again (the session kept in its file) with the auth service at
    an address where nothing answers: the app names it and tries again by
    itself; when the service answers there (a forwarder to the real one),
    it goes on to the posts without a new sign-in."""
    assert os.path.exists(os.path.join(config_dir(), "token")), "the session was not kept"
    port = free_port()
    down = f"http://127.0.0.1:{port}"
    with open(os.path.join(config_dir(), "settings.json"), "w") as f:
        json.dump({"apiUrl": os.environ["IMGUP_API_URL"], "authUrl": down}, f)
    auth = urllib.parse.urlsplit(os.environ["IMGUP_AUTH_URL"])
    driver = new_session()
    forwarder = None
    try:
        wait = WebDriverWait(driver, 30)
        what = wait.until(EC.visibility_of_element_located((By.ID, "offline-what"))).text
        assert down in what and "auth service" in what, what
        assert "sign-in is kept" in what, what
        assert not driver.find_elements(By.ID, "test-token-email"), "dropped to the sign-in screen"
        wait.until(EC.text_to_be_present_in_element((By.ID, "offline-status"), "Trying again in"))
        time.sleep(0.3)
        shots(driver, "12-offline")
        forwarder = Forwarder(port, (auth.hostname, auth.port))
        # The next try (2 s, then 4 s, …) finds it: the posts, signed in as before.
        WebDriverWait(driver, 40).until(EC.text_to_be_present_in_element((By.ID, "signed-in-as"), EMAIL))
        assert not driver.find_elements(By.ID, "offline")
        print(f"offline start-up: named {down}, went on once it answered")
    finally:
        driver.quit()
        if forwarder:
            forwarder.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - print and fail the script
        print(f"end-to-end FAILED: {err}", file=sys.stderr)
        raise
