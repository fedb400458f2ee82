"""Browser tests: Playwright driving Debian's Chromium against a live ``dresskit serve``.

The server runs uvicorn in a thread on a free loopback port, over the prepared registry of
tests/web/conftest.py (SQLite and PostgreSQL). Chromium is the system's (``scripts/browser.sh``
installs Debian's package; ``DRESSKIT_CHROMIUM`` names another binary): Playwright's own
browser download is never used. Screenshots for docs/web.md are written by the tests to
docs/images/web/ (``DRESSKIT_SCREENSHOTS=1``).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    sync_playwright,
)

from dresskit.web import WebSettings, create_app
from tests.web.conftest import PASSWORD, Registry, _registry

SCREENSHOTS: Final = Path(__file__).parents[3] / "docs" / "images" / "web"

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    """Return the system Chromium (never a Playwright download); fail when there is none."""
    found = (
        os.environ.get("DRESSKIT_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("Chromium not found: run scripts/browser.sh (apt-get install chromium)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """uvicorn serving the app in a background thread."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(registry.engine, WebSettings(work_dir=registry.tmp / "jobs"))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server over a prepared registry of each database kind, per module."""
    for registry in _registry(request.param, tmp_path_factory.mktemp("live")):
        with LiveServer(registry) as server:
            yield server


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """The Playwright driver (one per session)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
    )
    yield launched
    launched.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Return a factory of fresh browser contexts (separate cookie jars), closed afterwards."""
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def sign_in(page: Page, live: LiveServer, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form and wait for the start page."""
    page.goto(f"{live.url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot for docs/web.md when ``DRESSKIT_SCREENSHOTS=1``."""
    if os.environ.get("DRESSKIT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def page_errors(page: Page) -> list[str]:
    """Collect console errors and CSP violations of ``page`` from now on (a live list)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def accessibility_problems(page: Page) -> list[str]:
    """Run axe-core (WCAG 2.x A/AA rules) on ``page``; return its serious and critical violations.

    axe-core comes inside the axe-playwright-python package (no download).
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    problems = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in ("serious", "critical"):
            targets = [str(node.get("target")) for node in violation.get("nodes", [])][:5]
            problems.append(f"{violation['id']} ({violation['impact']}): {', '.join(targets)}")
    return problems


def shot(target: Page | Locator, name: str) -> None:
    """Save what the window shows (a page) or one part of it (a locator) for docs/web.md.

    Unlike ``conftest.screenshot`` (the whole page), so that long pages stay small images.
    Only when ``DRESSKIT_SCREENSHOTS=1``.
    """
    if os.environ.get("DRESSKIT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def refused_loads(errors: list[str], *statuses: int) -> list[str]:
    """Return the console errors, less Chromium's note on an expected refusal status.

    Chromium logs "Failed to load resource: the server responded with a status of 422" for
    every page answered 4xx, such as a refused form or an edit conflict (409).
    """
    expected = tuple(f"the server responded with a status of {status}" for status in statuses)
    return [e for e in errors if not any(words in e for words in expected)]


def zipped_bundle(folder: Path, changes: tuple[tuple[str, str, str], ...] = ()) -> bytes:
    """Return the bundle in ``folder`` as a .zip, with each ``(file, old, new)`` change made."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for path in sorted(folder.glob("*.csv")):
            text = path.read_text(encoding="utf-8")
            for name, old, new in changes:
                if name == path.name:
                    assert old in text, (name, old)
                    text = text.replace(old, new)
            archive.writestr(path.name, text)
    return packed.getvalue()
