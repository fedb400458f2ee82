"""Signing in and out in a real browser."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    screenshot,
    sign_in,
)


def test_sign_in_and_out_in_the_browser(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    page.goto(f"{live.url}/sign-in")
    screenshot(page, "sign-in")
    sign_in(page, live, "clin-north")
    assert page.get_by_text("Signed in as").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live.url}/sign-in")
    page.goto(f"{live.url}/")
    assert page.url.startswith(f"{live.url}/sign-in")
    assert errors == []


def test_a_wrong_password_is_refused_in_the_browser(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    page.goto(f"{live.url}/sign-in")
    page.get_by_label("Username").fill("clin-north")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("the username or password")


def test_the_sign_in_and_start_pages_pass_axe(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    page.goto(f"{live.url}/sign-in")
    assert accessibility_problems(page) == []
    sign_in(page, live, "admin")
    assert accessibility_problems(page) == []
