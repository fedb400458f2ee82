"""The cohort report in a real browser: choose, count, build in the background, download."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    screenshot,
    sign_in,
)

#: How long a report may take on a busy 2-core machine (it takes about 3 s alone).
REPORT_TIMEOUT_S = 90


def wait_for_job(page: Page) -> list[str]:
    """Wait until the job page says the report is done; return the progress texts seen."""
    progress = page.locator("#job-progress")
    seen: list[str] = []
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while progress.get_attribute("data-state") not in ("done", "failed"):
        text = progress.locator("p").first.inner_text()
        if text not in seen:
            seen.append(text)
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    expect(progress).to_have_attribute("data-state", "done")
    return seen


def test_a_cohort_report_is_built_in_the_background_and_downloaded(
    live: LiveServer, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    page = new_context(accept_downloads=True).new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-north")
    page.get_by_role("link", name="Cohort").first.click()
    expect(page.get_by_text("No report asked for yet.")).to_be_visible()
    page.get_by_label("dress", exact=True).check()
    page.get_by_label("Event:").fill("steroid")
    page.get_by_role("button", name="Count episodes").click()
    expect(page.get_by_role("status")).to_have_text("18 episodes match this choice.")
    assert page.get_by_label("dress", exact=True).is_checked()  # the choice is kept
    assert accessibility_problems(page) == []
    screenshot(page, "cohort")

    page.get_by_role("button", name="Build the report").click()
    page.wait_for_url(f"{live.url}/cohort/jobs/*")
    facts = page.locator("dl.job-facts")
    expect(facts).to_contain_text("sites north; phenotype dress")
    expect(facts).to_contain_text("steroid")
    seen = wait_for_job(page)
    assert seen, "the progress panel was shown while the job ran"
    expect(page).to_have_title("Report ready · dresskit")  # for a user in another tab
    downloads = page.locator("#job-progress ul.downloads a")
    expect(downloads).to_have_count(3)
    assert accessibility_problems(page) == []
    screenshot(page, "cohort-job")

    with page.expect_download() as html_download:
        page.get_by_role("link", name="HTML report").click()
    html = Path(html_download.value.path()).read_text(encoding="utf-8")
    assert html_download.value.suggested_filename.endswith("-report.html")
    assert "<html" in html.lower()
    assert "SIM01" in html  # identified, for a clinician
    with page.expect_download() as workbook_download:
        page.get_by_role("link", name="Every table").click()
    workbook = tmp_path / "report.xlsx"
    workbook_download.value.save_as(workbook)
    with zipfile.ZipFile(workbook) as archive:  # an .xlsx is a zip of XML parts
        assert "xl/workbook.xml" in archive.namelist()

    # The job is listed on the cohort page, done.
    page.get_by_role("link", name="Back to the cohort page").click()
    expect(page.locator("td.state-done")).to_have_count(1)
    assert errors == []
