"""Import and export in a real browser: a bad file's problem table; a good file imported.

The problem table names, for every problem, the file (inside the upload), the row, the
field, the value and what is accepted; a refused file writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from playwright.sync_api import BrowserContext, FilePayload, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    screenshot,
    sign_in,
    zipped_bundle,
)
from tests.web.conftest import EXAMPLES

#: (file, text in it, its replacement): three cells the bundle's rules refuse.
BROKEN: Final = (
    ("patients.csv", "SHENP,female", "SHENP,femal"),
    ("episodes.csv", "SHEN,SHENP,dress,2022-01-03", "SHEN,SHENP,dress,2022-13-03"),
    ("observations.csv", "SHEN,2022-01-04,,alt,1757,U/L", "SHEN,2022-01-04,,alt,1757,furlongs"),
)


def test_a_bad_file_is_refused_with_every_problem_in_a_table(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-south")
    page.get_by_role("link", name="Import / export").click()
    bad = zipped_bundle(EXAMPLES / "shen2024", BROKEN)
    page.get_by_label("File").set_input_files(
        FilePayload(name="shen-corrected.zip", mimeType="application/zip", buffer=bad)
    )
    with page.expect_response(lambda r: r.url.endswith("/exchange/import")) as answer:
        page.get_by_role("button", name="Import").click()
    assert answer.value.status == 422
    expect(page.get_by_role("heading", name="shen-corrected.zip was refused")).to_be_visible()
    table = page.locator("table.problems")
    expect(table.locator("caption")).to_have_text("3 problems")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["File", "Row", "Field", "Value", "Accepted"]
    rows = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    assert rows == [
        [
            "shen-corrected.zip/patients.csv",
            "1",
            "sex",
            "femal",
            "one of female, male, other, unknown",
        ],
        [
            "shen-corrected.zip/episodes.csv",
            "1",
            "onset_date",
            "2022-13-03",
            "a date written YYYY-MM-DD (ISO 8601) that exists in the calendar",
        ],
        [
            "shen-corrected.zip/observations.csv",
            "3",
            "unit",
            "furlongs",
            "a unit accepted for alt: U/L, [IU]/L, ukat/L",
        ],
    ]
    assert accessibility_problems(page) == []
    screenshot(page, "exchange-refused")

    # All or nothing: the episode is as it was.
    page.goto(f"{live.url}/patients/SHEN")
    header = page.locator("dl.header")
    expect(header).to_contain_text("female")
    expect(header).to_contain_text("2022-01-03")
    assert [e for e in errors if "status of 422" not in e] == []


def test_a_good_file_is_imported_and_importing_it_again_changes_nothing(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-south")
    page.goto(f"{live.url}/exchange")
    # The example with its patient and episode renamed: a new patient of site south.
    renamed = tuple(
        (path.name, old, new)
        for path in sorted((EXAMPLES / "shen2024").glob("*.csv"))
        for old, new in (("SHENP", "SHEN2P"), ("SHEN,", "SHEN2,"))
        if old in path.read_text(encoding="utf-8")
    )
    good = zipped_bundle(EXAMPLES / "shen2024", renamed)
    upload = FilePayload(name="shen2.zip", mimeType="application/zip", buffer=good)
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Import").click()
    result = page.get_by_role("status")
    expect(result).to_contain_text("shen2.zip imported into site south")
    expect(result).to_contain_text("Written: 1 patient, 1 episode")
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Unchanged")
    page.goto(f"{live.url}/patients/SHEN2")
    expect(page.get_by_role("heading", name="Episode SHEN2")).to_be_visible()
    assert errors == []
