"""Entering a new patient from scratch in a real browser, and watching the scores fill in.

A clinician fills in the patient and episode form, types daily observations into the grid
with the keyboard, pastes more rows copied from a spreadsheet (tab-separated), adds a drug
and findings; after every save the RegiSCAR / J-SCAR / Bocquet panel shows what the course
now gives, item by item, with the data behind each answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    refused_loads,
    screenshot,
    shot,
    sign_in,
)

#: Rows as a spreadsheet copies them: a header row, then tab-separated cells (the first
#: with a date that does not exist, corrected in the grid before saving).
PASTED = (
    "date\ttime\tcode\tvalue\tunit\ttext\n"
    "2023-03-32\t\teosinophils\t2.1\t10*9/L\t\n"
    "2023-03-12\t08:00\talt\t240\tU/L\t\n"
)


def scores(page: Page) -> dict[str, str]:
    """Return each instrument's class and total as the scores panel shows them."""
    return {
        card.get_attribute("data-instrument") or "": card.locator(".score-total").inner_text()
        for card in page.locator("#scores .score-card").all()
    }


def item_row(page: Page, instrument: str, label: str) -> list[str]:
    """Return the cells (item, answer, points, evidence) of one item of the scores panel."""
    row = page.locator(f"#scores .score-card[data-instrument={instrument}] tbody tr").filter(
        has_text=label
    )
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def add_row(page: Page, table: str, values: dict[str, str]) -> None:
    """Add one row to a table of the episode through its form (from the episode's page)."""
    page.locator(f"#{table}").get_by_role("link", name="Add a row").click()
    for name, value in values.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Add the row").click()
    expect(page.get_by_role("status").filter(has_text="Saved: episode")).to_be_visible()


def test_a_new_patient_entered_from_scratch_fills_in_the_scores(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page = context.new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-north")

    # The patient and the first episode.
    page.get_by_role("link", name="New patient").first.click()
    assert page.locator("#f-site").input_value() == "north"  # the only site granted
    page.locator("#f-patient_id").fill("TST01")
    page.locator("#f-sex").select_option("female")
    page.locator("#f-age_years").fill("47")
    page.locator("#f-episode_id").fill("TST01-1")
    page.locator("#f-phenotype").select_option("dress")
    page.locator("#f-onset_date").fill("2023-03-10")
    page.locator("#f-outcome").select_option("recovered")
    page.locator("#f-last_follow_up_date").fill("2023-06-30")
    assert accessibility_problems(page) == []
    screenshot(page, "entry-patient")
    page.get_by_role("button", name="Create the patient").click()
    expect(page.get_by_role("heading", name="Episode TST01-1")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("is now at version 1")
    # Nothing recorded yet: every item is unknown; RegiSCAR counts unknown fever and
    # resolution as -1 each (Kardaun 2007), and everything can still change.
    assert scores(page) == {
        "regiscar": "No Case · total -2 (range -4 to 9)",
        "jscar": "Not Met · total 0 (range 0 to 7)",
        "bocquet": "Not Met · total 0 (range 0 to 3)",
    }
    assert item_row(page, "regiscar", "Fever")[1:] == ["unknown", "-1", "nothing recorded"]
    expect(page.locator("#scores .unknown").first).to_contain_text("Still open")
    assert accessibility_problems(page) == []

    # Daily observations: one row typed with the keyboard, two more pasted.
    page.get_by_role("link", name="Daily observations grid").click()
    page.get_by_label("Row 1: Date").click()
    page.keyboard.type("2023-03-10")
    for text in ("18:00", "temperature", "39.4"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    # The unit list follows the code: °C, the code's stored unit, is chosen at once.
    assert page.get_by_label("Row 1: Unit").input_value() == "Cel"
    page.keyboard.press("Enter")  # down one row, same column
    expect(page.get_by_label("Row 2: Value")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Row 1: Value")).to_be_focused()
    page.evaluate("text => navigator.clipboard.writeText(text)", PASTED)
    page.get_by_label("Row 2: Date").click()
    page.keyboard.press("Control+V")
    expect(page.get_by_role("status").filter(has_text="rows pasted")).to_have_text(
        "2 rows pasted: check them, then save."
    )
    pasted = [
        [
            page.get_by_label(f"Row {row}: {column}").input_value()
            for column in ("Date", "Code", "Unit")
        ]
        for row in (2, 3)
    ]
    assert pasted == [["2023-03-32", "eosinophils", "10*9/L"], ["2023-03-12", "alt", "U/L"]]
    page.get_by_role("button", name="Save all rows").click()
    # Refused as an import would refuse it, the problem beside its cell; nothing saved.
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: 1 problem")
    date_cell = page.get_by_label("Row 2: Date")
    expect(date_cell).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#g-1-date-error")).to_contain_text("got “2023-03-32”")
    shot(page, "entry-grid-problem")
    date_cell.fill("2023-03-11")
    page.get_by_role("button", name="Save all rows").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text("version 2")
    assert accessibility_problems(page) == []
    assert item_row(page, "regiscar", "Fever")[1:] == [
        "yes",
        "0",
        "2023-03-10 temperature = 39.4 Cel",
    ]
    assert item_row(page, "regiscar", "Eosinophilia")[1:3] == ["yes_1500_or_more", "2"]
    assert scores(page) == {
        "regiscar": "No Case · total 1 (range -4 to 9)",
        "jscar": "Not Met · total 3 (range 0 to 7)",
        "bocquet": "Not Met · total 1 (range 0 to 3)",
    }

    # The suspect drug and the rash: the latency makes J-SCAR's first item.
    page.get_by_role("link", name="Back to episode TST01-1").click()
    add_row(
        page,
        "drug_exposures",
        {
            "drug": "carbamazepine",
            "atc_code": "N03AF01",
            "role": "suspect",
            "start_date": "2023-01-20",
            "stop_date": "2023-03-10",
        },
    )
    add_row(page, "findings", {"date": "2023-03-10", "code": "rash", "value": "present"})
    assert item_row(page, "jscar", "Maculopapular rash")[1:] == [
        "yes",
        "1",
        "carbamazepine: 49 days",
    ]
    assert scores(page)["jscar"] == "Not Met · total 4 (range 0 to 7)"
    assert scores(page)["bocquet"] == "Not Met · total 2 (range 0 to 3)"

    # Liver involvement with ALT 240 U/L (>= 2 x ULN): Bocquet's systemic criterion is met.
    add_row(page, "findings", {"date": "2023-03-12", "code": "organ_involvement", "value": "liver"})
    assert scores(page)["bocquet"].startswith("Met · total 3")
    assert scores(page)["regiscar"].startswith("Possible · total 2")
    # The panel also refreshes alone (htmx), without leaving the page.
    with page.expect_response(re.compile(r"/entry/TST01-1/scores$")) as refreshed:
        page.get_by_role("button", name="Recompute").click()
    assert refreshed.value.ok
    bocquet_class = page.locator("#scores .score-card[data-instrument=bocquet] .score-class")
    expect(bocquet_class).to_have_text("met")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "entry-hub")
    assert refused_loads(errors, 422) == []  # 422: the refused grid


def test_the_grid_adds_rows_past_the_last_one(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "coord-north")
    page.goto(f"{live.url}/entry/SIM05/observations/grid")
    rows = page.locator("table.grid tbody tr[data-row]")
    before = rows.count()
    page.get_by_label(f"Row {before}: Date").click()
    page.keyboard.press("Enter")  # past the last row: ten more rows appear
    expect(rows).to_have_count(before + 10)
    expect(page.get_by_label(f"Row {before + 1}: Date")).to_be_focused()
    assert errors == []
