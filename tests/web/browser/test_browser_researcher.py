"""A researcher sees no identifiers in a real browser: no id, record number or real date.

Everything the browser receives while a researcher (sites north and south) works is scanned:
the patient list, episode pages with their timeline data, the cohort page, a report job and
its downloaded report, the import/export page and the de-identified export. The identifiers
are those of the example bundles the registry holds: every episode and patient id, and every
ISO date of their tables.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    shot,
    sign_in,
)
from tests.web.conftest import EXAMPLES

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXAMPLES: Final = ("sim2022", "shen2024")


def _example_ids() -> set[str]:
    ids = set()
    for name in _EXAMPLES:
        for line in (EXAMPLES / name / "episodes.csv").read_text(encoding="utf-8").splitlines()[1:]:
            episode, patient = line.split(",")[:2]
            ids |= {episode, patient}
    return ids


def _example_dates() -> set[str]:
    return {
        found
        for name in _EXAMPLES
        for table in (EXAMPLES / name).glob("*.csv")
        for found in _ISO_DATE.findall(table.read_text(encoding="utf-8"))
    }


IDS: Final = frozenset(_example_ids())
DATES: Final = frozenset(_example_dates())
_ID_WORD: Final = re.compile(r"\b(" + "|".join(sorted(IDS, key=len, reverse=True)) + r")\b")


def identifiers_in(text: str) -> set[str]:
    """Return the example bundles' ids and dates found in ``text``."""
    return set(_ID_WORD.findall(text)) | (set(_ISO_DATE.findall(text)) & DATES)


def test_the_examples_have_identifiers_to_look_for() -> None:
    assert {"SIM01", "SIMP18", "SHEN", "SHENP"} <= IDS
    assert {"2012-05-21", "2022-01-03"} <= DATES
    assert identifiers_in("SIM01 on 2012-05-21, not SIM011 nor 1999-01-01") == {
        "SIM01",
        "2012-05-21",
    }


class Received:
    """Every page and JSON answer a page receives (what the researcher's browser is given)."""

    def __init__(self, page: Page) -> None:
        self.bodies: list[tuple[str, str]] = []
        page.on("response", self._keep)

    def _keep(self, response: Response) -> None:
        kind = response.headers.get("content-type", "")
        if "/static/" not in response.url and ("html" in kind or "json" in kind):
            self.bodies.append((response.url, response.text()))

    def identifiers(self) -> dict[str, set[str]]:
        """Return the identifiers found, by the address that sent them."""
        found = {url: identifiers_in(text) for url, text in self.bodies}
        return {url: ids for url, ids in found.items() if ids}

    def __iter__(self) -> Iterator[str]:
        return (url for url, _ in self.bodies)


@pytest.fixture
def researcher(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> tuple[Page, Received, list[str]]:
    """Return a page signed in as the researcher, what it receives, and its console errors."""
    page = new_context(accept_downloads=True).new_page()
    errors = page_errors(page)
    sign_in(page, live, "researcher")
    return page, Received(page), errors


def test_a_researcher_sees_no_identifier_in_the_list_or_the_episode_pages(
    live: LiveServer, researcher: tuple[Page, Received, list[str]]
) -> None:
    page, received, errors = researcher
    page.get_by_role("link", name="Patients").first.click()
    results = page.locator("#patient-results")
    expect(results.locator("caption")).to_have_text("19 of 19 episodes")
    expect(page.get_by_role("columnheader", name="Onset")).to_have_count(0)
    assert accessibility_problems(page) == []
    shot(page, "researcher-patients")
    links = results.locator("tbody th a")
    shown = links.all_inner_texts()
    assert all(re.fullmatch(r"[0-9a-f]{16}", name) for name in shown), shown

    page.get_by_label("south").check()  # htmx filters the list in place
    expect(results.locator("caption")).to_have_text("1 of 19 episodes")
    south = links.first.inner_text()
    for name in (shown[0], shown[-1], south):
        page.goto(f"{live.url}/patients/{name}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        expect(page.locator("dl.header")).to_contain_text("day 0")
        expect(page.locator("#timeline-charts .uplot").first).to_be_visible()  # its data
    assert accessibility_problems(page) == []

    assert any(url.endswith("/timeline.json?index=onset") for url in received)
    assert received.identifiers() == {}
    assert errors == []


def test_a_researcher_finds_no_episode_by_its_real_id(
    live: LiveServer, researcher: tuple[Page, Received, list[str]]
) -> None:
    page, _, errors = researcher
    page.goto(f"{live.url}/patients?q=SIM01")
    expect(page.locator("#patient-results caption")).to_have_text("0 of 19 episodes")
    with page.expect_response(f"{live.url}/patients/SIM01") as answer:
        page.goto(f"{live.url}/patients/SIM01")
    assert answer.value.status == 404
    assert [e for e in errors if "status of 404" not in e] == []


def test_a_researcher_builds_a_de_identified_report_and_export(
    live: LiveServer, researcher: tuple[Page, Received, list[str]]
) -> None:
    page, received, errors = researcher
    page.get_by_role("link", name="Cohort").first.click()
    expect(page.get_by_label("From year")).to_be_visible()  # whole years, not dates
    page.get_by_label("Event:").fill("onset")
    page.get_by_role("button", name="Build the report").click()
    page.wait_for_url(f"{live.url}/cohort/jobs/*")
    expect(page.locator("dl.job-facts")).to_contain_text("de-identified")
    expect(page.locator("#job-progress")).to_have_attribute("data-state", "done", timeout=90_000)
    with page.expect_download() as report_download:
        page.get_by_role("link", name="HTML report").click()
    report = Path(report_download.value.path()).read_text(encoding="utf-8")
    assert "unlisted-drug" in report or "dapsone" in report  # a real report, de-identified
    assert identifiers_in(report) == set()

    page.get_by_role("link", name="Import / export").first.click()
    expect(page.get_by_role("heading", name="Import", exact=True)).to_have_count(0)
    with page.expect_download() as export_download:
        page.get_by_role("button", name="Download").click()
    exported = Path(export_download.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        tables = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    assert "episodes.csv" in {Path(name).name for name in tables}
    assert {name: identifiers_in(text) for name, text in tables.items()} == {
        name: set() for name in tables
    }
    assert received.identifiers() == {}
    assert errors == []
