"""Every page in a real browser: axe-core finds no serious or critical violation, and the
console stays clean (no script error, no Content-Security-Policy violation).

The pages are opened by the admin (who may open every one of them, at every site) in one
signed-in browser context per database; the pages met along a workflow (the job page, a
refused import, the conflict pages, a researcher's de-identified pages, the sign-in and
start pages) are checked by the tests of that workflow. Also here: a new account's setup
link, the patient list's filters and the episode page's interactive timeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    refused_loads,
    shot,
    sign_in,
)

#: (name, address, screenshot for docs/web.md or None) of every page the admin opens.
PAGES: Final = (
    ("start", "/", "start"),
    ("patients", "/patients", None),
    ("episode", "/patients/SIM01", None),
    ("new-patient", "/entry/patient", None),
    ("entry-episode", "/entry/SIM01", None),
    ("new-episode", "/entry/SIM01/new-episode", None),
    ("grid", "/entry/SIM14/observations/grid", None),
    ("new-drug-exposure", "/entry/SIM01/drug_exposures/new", None),
    ("new-treatment", "/entry/SIM01/treatments/new", None),
    ("new-finding", "/entry/SIM01/findings/new", None),
    ("new-drug-assessment", "/entry/SIM01/drug_assessments/new", None),
    ("new-observation", "/entry/SIM01/observations/new", None),
    ("edit-row", "/entry/SIM01/drug_exposures/*", None),
    ("cohort", "/cohort", None),
    ("exchange", "/exchange", None),
    ("audit", "/audit", None),
    ("audit-verified", "/audit/verify", "audit"),
    ("admin-users", "/admin/users", None),
    ("admin-sites", "/admin/sites", None),
    ("tokens", "/account/tokens", "tokens"),
    ("password", "/account/password", None),
    ("api-reference", "/api/v1/reference", None),
    ("not-found", "/patients/NO-SUCH-EPISODE", None),
)


@dataclass
class Visit:
    """The admin's signed-in page of this module, and every console error it logged."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def open(self, live: LiveServer, address: str) -> list[str]:
        """Open ``address`` (``*``: the first row's form of that table); return new errors."""
        seen = len(self.errors)
        if address.endswith("/*"):
            table = address.split("/")[-2]
            self.page.goto(live.url + address[: -len(f"/{table}/*")])
            self.page.locator(f"#{table}").get_by_role("link", name="Edit row 1").click()
            self.page.wait_for_url(re.compile(rf"/{table}/\d+$"))
        else:
            self.page.goto(live.url + address)  # returns once loaded, deferred scripts run
        if re.fullmatch(r"/patients/SIM\d\d", address):
            expect(self.page.locator("#timeline-charts .uplot").first).to_be_visible()
        return self.errors[seen:]


@pytest.fixture(scope="module")
def admin(live: LiveServer, browser: Browser) -> Iterator[Visit]:
    """The admin, signed in once per module and database."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    visit = Visit(page, page_errors(page))
    sign_in(page, live, "admin")
    yield visit
    context.close()


@pytest.mark.parametrize(
    ("address", "screenshot"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES]
)
def test_the_page_passes_axe_with_a_clean_console(
    live: LiveServer, admin: Visit, address: str, screenshot: str | None
) -> None:
    errors = admin.open(live, address)
    if address.endswith("NO-SUCH-EPISODE"):
        expect(admin.page.get_by_role("heading", name="No such episode")).to_be_visible()
        errors = refused_loads(errors, 404)
    assert errors == []
    if address == "/api/v1/reference" and not live.registry.url.startswith("sqlite"):
        return  # drawn from the OpenAPI document alone; axe takes 12 s on it: SQLite's run
    assert accessibility_problems(admin.page) == []
    if screenshot:
        shot(admin.page, screenshot)


def test_a_new_account_chooses_its_password_through_the_setup_link(
    live: LiveServer, admin: Visit, new_context: Callable[..., BrowserContext]
) -> None:
    page = admin.page
    admin.open(live, "/admin/users")
    seen = len(admin.errors)
    page.locator("#new-username").fill("nurse-north")
    page.locator("#new-role").select_option("coordinator")
    page.locator("form.narrow").get_by_label("north", exact=False).check()
    page.get_by_role("button", name="Add the account").click()
    created = page.get_by_role("status").filter(has_text="Account nurse-north added")
    expect(created).to_be_visible()
    link = created.locator("code").inner_text()
    assert re.fullmatch(r"https?://\S+/setup/\S+", link), link
    expect(page.locator("#user-nurse-north")).to_contain_text("no password yet")
    shot(page, "admin-users")

    newcomer = new_context().new_page()
    errors = page_errors(newcomer)
    newcomer.goto(live.url + link[link.index("/setup/") :])
    expect(newcomer.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert accessibility_problems(newcomer) == []
    newcomer.get_by_label("Password (12 to 256 characters)").fill("a long enough new secret")
    newcomer.get_by_label("Password again").fill("a long enough new secret")
    newcomer.get_by_role("button", name="Set password and sign in").click()
    newcomer.wait_for_url(f"{live.url}/")
    expect(newcomer.get_by_text("Signed in as")).to_contain_text("nurse-north, coordinator")
    # The link works once.
    newcomer.goto(live.url + link[link.index("/setup/") :])
    newcomer.get_by_label("Password (12 to 256 characters)").fill("another long secret")
    newcomer.get_by_label("Password again").fill("another long secret")
    newcomer.get_by_role("button", name="Set password and sign in").click()
    expect(newcomer.get_by_role("alert")).to_have_text(
        "this setup link is unknown, used or expired"
    )
    assert refused_loads(errors, 422) == []
    assert admin.errors[seen:] == []


def test_the_patient_list_filters_in_place_and_keeps_the_address(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-north")
    page.get_by_role("link", name="Patients").first.click()
    caption = page.locator("#patient-results caption")
    expect(caption).to_have_text("18 of 18 episodes")
    page.get_by_label("Suspect drug").select_option("carbamazepine")
    expect(caption).to_have_text(re.compile(r"^\d of 18 episodes$"))
    expect(page).to_have_url(re.compile(r"/patients\?.*drug=carbamazepine"))
    for row in page.locator("#patient-results tbody tr").all():
        expect(row).to_contain_text("carbamazepine")
    page.get_by_label("Sort by").select_option("age")
    expect(page.locator("#patient-results th[aria-sort]")).to_have_text("Age (years)")
    page.get_by_label("Order").select_option("desc")
    expect(page.locator("#patient-results th[aria-sort=descending]")).to_have_text("Age (years)")
    ages = [int(a) for a in page.locator("#patient-results tbody td.num").all_inner_texts()[::2]]
    assert ages == sorted(ages, reverse=True)
    page.get_by_role("link", name="Clear filters").click()
    expect(caption).to_have_text("18 of 18 episodes")
    shot(page, "patients")
    assert errors == []


def test_the_episode_page_draws_the_timeline_and_offers_the_figure(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(accept_downloads=True).new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-north")
    page.goto(f"{live.url}/patients")
    page.get_by_role("link", name="SIM01", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Episode SIM01")
    charts = page.locator("#timeline-charts .uplot")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    # Hovering a chart shows the values of that day in its legend.
    temperature = charts.filter(has_text="Temperature")
    temperature.locator(".u-over").hover()
    expect(temperature.locator(".u-legend")).to_contain_text("day ")
    shot(page.locator("#timeline"), "episode-timeline")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "episode")
    with page.expect_download() as figure:
        page.get_by_role("link", name="SVG").click()
    assert figure.value.suggested_filename == "timeline_SIM01_onset.svg"
    assert errors == []
