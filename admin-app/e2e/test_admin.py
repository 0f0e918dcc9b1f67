"""The admin app end to end, in a real WebKit window (tauri-driver +
WebKitWebDriver under Xvfb) against real services (`imgup dev`): sign in with
a development token (as an admin, with a second user's posts present), upload
a real image, see it ready with its thumbnail (the `thumb` variant, not the
original), find posts by search, owner and sort, see the usage and the
library's totals, disable the other user (whose sign-in is then refused),
preview the image (the `medium` variant, with its dimensions), retitle it,
download it, delete it.
Screenshots of each screen go to $SCREENSHOTS."""

import json
import os
import urllib.error
import urllib.request
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
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


def main():
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": APP})
    started = time.monotonic()
    driver = webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
    # The app runs on this machine: hand WebKit the path, not an upload.
    driver.file_detector = UselessFileDetector()
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
        shot("1-sign-in")

        email.clear()
        email.send_keys(EMAIL)
        driver.find_element(By.ID, "test-token-sign-in").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "signed-in-as"), EMAIL))
        time.sleep(0.3)
        shot("2-posts-empty")

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
        shot("3-uploaded")

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
        shot("7-search")
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
        shot("8-usage")
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
        shot("9-people")
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
        shot("10-selected")
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
        def choose_theme(option):
            driver.find_element(By.ID, "open-settings").click()
            wait.until(EC.element_to_be_clickable(
                (By.CSS_SELECTOR, f'#theme-choice [data-theme-option="{option}"]'))).click()
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
            wait.until(EC.invisibility_of_element_located((By.ID, "settings")))

        choose_theme("dark")
        assert driver.execute_script("return document.documentElement.dataset.theme") == "dark"
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]]
        assert sum(channels) < 3 * 80, f"dark theme chosen, but the page is {background}"
        time.sleep(0.5)
        shot("6-dark")
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
        time.sleep(1.5)
        shot("4-preview")

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

        driver.find_element(By.ID, "delete-post").click()
        confirm = wait.until(EC.element_to_be_clickable((By.ID, "confirm-delete")))
        time.sleep(0.3)
        shot("5-confirm-delete")
        confirm.click()
        wait.until(
            EC.invisibility_of_element_located((By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]'))
        )
        gone = driver.find_elements(By.CSS_SELECTOR, f'#posts-grid [data-post-id="{post_id}"]')
        assert not gone, "the deleted post is still listed"
        print(f"end-to-end passed: post {post_id} uploaded, thumbnail {thumb_width}×{thumb_height}, "
              f"previewed ({width} px, {dimensions}), downloaded, deleted")
    finally:
        driver.quit()
        for post in other_ids:  # (already gone when the test got that far)
            try:
                call("DELETE", f"{os.environ['IMGUP_API_URL']}/posts/{post}", os.environ["ADMIN_TOKEN"])
            except urllib.error.HTTPError:
                pass


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - print and fail the script
        print(f"end-to-end FAILED: {err}", file=sys.stderr)
        raise
