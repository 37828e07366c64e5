"""Real Chromium (Debian's package, no browser download) driven by Playwright, against the
real stack started from the Procfile on free ports."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import REPO_ROOT
from tests.stack import Stack

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background connections, no first-run, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
REPLY_TIMEOUT = 20_000

pytestmark = pytest.mark.live


# Module scope: Playwright's sync API runs an event loop in this thread until it stops, which
# would break asyncio.run() in the tests collected after this folder.
@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        message = f"Chromium introuvable ({CHROMIUM}) : « make browser » l'installe"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack")).start()
    yield stack
    stack.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(REPLY_TIMEOUT)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
