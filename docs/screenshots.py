"""Take README screenshots of the main pages in both languages.

Usage: .venv/bin/python docs/screenshots.py   (starts its own server on a temporary demo database)
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import complete_second_step  # noqa: E402  (authority accounts sign in in two steps)

OUT = ROOT / "docs" / "screenshots"
PORT = 5077
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

PAGES = [
    ("login", None, "/login"),
    ("home-clerk", "clerk.tpe-sw-01", "/"),
    ("roster", "county.tpe", "/volunteers/?status=active"),
    ("volunteer", "clerk.tpe-sw-01", "FIRST_VOLUNTEER"),
    ("register-errors", "clerk.tpe-sw-01", "/volunteers/new"),
    ("units", "county.tpe", "/units/"),
    ("hours", "clerk.tpe-sw-01", "/hours/"),
    ("training-missing", "clerk.tpe-sw-01", "/training/missing"),
    ("honor-card-eligibility", "clerk.tpe-sw-01", "/honor-cards/eligibility"),
    ("imports", "clerk.tpe-sw-01", "/imports/"),
    ("volunteer-home", "volunteer", "/"),
    ("awards-unit", "clerk.tpe-sw-01", "/awards/?show=all"),
    ("awards-review", "ministry", "/awards/review"),
    ("awards-mine", "volunteer", "/awards/mine"),
]


def main():
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "INSTANCE_PATH": str(tmp)}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["demo-data"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(flask + ["run", "--port", str(PORT)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    time.sleep(2)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for lang, locale in (("zh", "zh-TW"), ("en", "en-US")):
                # county.tpe sets up two-step sign-in again, so the set-up page is shot in each language
                subprocess.run(flask + ["users", "reset-mfa", "county.tpe"], cwd=ROOT, env=env, check=True,
                               capture_output=True)
                for name, user, path in PAGES:
                    context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 760})
                    page = context.new_page()
                    if user:
                        page.goto(base + "/login")
                        page.fill("#username", user)
                        page.fill("#password", "demo-password-2026")
                        page.click("form.narrow-form button[type=submit], main form button[type=submit]")
                        page.wait_for_load_state("networkidle")
                        complete_second_step(page, base, user, on_setup_page=lambda p, lang=lang: p.screenshot(
                            path=str(OUT / f"mfa-setup-{lang}.png"), full_page=True))
                    if path == "FIRST_VOLUNTEER":
                        page.goto(base + "/volunteers/")
                        page.locator("table.data tbody a").first.click()
                    else:
                        page.goto(base + path)
                    if name == "register-errors":
                        page.fill("#id_number", "A123456788")
                        page.locator("#id_number").blur()
                        page.click("main form button[type=submit]")
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}-{lang}.png"), full_page=False)
                    context.close()
            browser.close()
    finally:
        server.terminate()
    print("screenshots in", OUT)


if __name__ == "__main__":
    main()
