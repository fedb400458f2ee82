"""Edit conflicts between two browser sessions: both versions shown, merged, nothing lost.

Two people (a clinician and a coordinator of site north, each in a browser context of their
own) open the same episode; the first saves; the second's save is refused with both versions
set side by side, and the second merges them. Each test works on an episode of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.web.browser.conftest import (
    LiveServer,
    accessibility_problems,
    page_errors,
    refused_loads,
    shot,
    sign_in,
)


def two_editors(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> tuple[Page, Page, list[str]]:
    """Return the pages of two people of site north, signed in, and their console errors."""
    first = new_context().new_page()
    second = new_context().new_page()
    errors = page_errors(first)  # a live list: the second page's errors join it
    second.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    second.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(first, live, "clin-north")
    sign_in(second, live, "coord-north")
    return first, second, errors


def test_an_episode_edit_conflict_shows_both_versions_and_merges_them(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    mine, theirs, errors = two_editors(live, new_context)
    for page in (mine, theirs):
        page.goto(f"{live.url}/entry/SIM02")
    assert mine.locator("#f-last_follow_up_date").input_value() == "2013-01-10"

    theirs.locator("#f-last_follow_up_date").fill("2013-02-01")
    theirs.get_by_role("button", name="Save the episode").click()
    expect(theirs.get_by_role("status")).to_contain_text("SIM02 is now at version 2")

    # Read at version 1: the save is refused; nothing of theirs is overwritten.
    mine.locator("#f-admission_date").fill("2012-08-29")
    mine.locator("#f-last_follow_up_date").fill("2013-03-01")
    mine.get_by_role("button", name="Save the episode").click()
    expect(mine.get_by_role("heading", name="Edit conflict")).to_be_visible()
    expect(mine.get_by_role("alert")).to_contain_text("Nothing of yours was saved")
    differing = mine.locator("table.merge tbody tr.differs")
    expect(differing).to_have_count(2)
    follow_up = differing.filter(has_text="Last follow-up date")
    expect(follow_up.locator("td").nth(0)).to_have_text("2013-01-10")  # as read
    expect(follow_up.get_by_label("keep yours")).to_be_checked()
    expect(follow_up.locator("td").nth(1)).to_contain_text("2013-03-01")
    expect(follow_up.locator("td").nth(2)).to_contain_text("2013-02-01")
    same = mine.locator("table.merge tbody tr.same").filter(has_text="Outcome")
    expect(same).to_contain_text("recovered (the same in both)")
    assert accessibility_problems(mine) == []
    shot(mine, "entry-conflict")

    # Keep their follow-up date and my admission date.
    follow_up.get_by_label("keep theirs").check()
    mine.get_by_role("button", name="Save the fields as chosen").click()
    expect(mine.get_by_role("status")).to_contain_text("SIM02 is now at version 3")
    theirs.goto(f"{live.url}/entry/SIM02")
    assert theirs.locator("#f-admission_date").input_value() == "2012-08-29"
    assert theirs.locator("#f-last_follow_up_date").input_value() == "2013-02-01"
    assert refused_loads(errors, 409) == []


def test_a_grid_edit_conflict_is_merged_row_by_row(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    mine, theirs, errors = two_editors(live, new_context)
    for page in (mine, theirs):
        page.goto(f"{live.url}/entry/SIM14/observations/grid")
    # Row 1: weight 73 kg on 2015-11-12; row 2: temperature 38.4 °C at 06:00.
    assert mine.get_by_label("Row 1: Code").input_value() == "weight"
    assert mine.get_by_label("Row 2: Value").input_value() == "38.4"

    theirs.get_by_label("Row 1: Value").fill("72")
    theirs.get_by_role("button", name="Save all rows").click()
    expect(theirs.get_by_role("status").filter(has_text="Saved")).to_contain_text("version 2")

    mine.get_by_label("Row 1: Value").fill("74")
    mine.get_by_label("Row 2: Value").fill("38.6")
    mine.get_by_role("button", name="Save all rows").click()
    expect(mine.get_by_role("heading", name="Edit conflict: daily observations")).to_be_visible()
    rows = mine.locator("table.merge tbody tr")
    expect(rows).to_have_count(2)
    weight = rows.filter(has_text="weight")
    temperature = rows.filter(has_text="temperature")
    # Both changed the weight: mine is preselected, theirs offered; only I changed the
    # temperature: mine is preselected and marked so.
    expect(weight).to_contain_text("keep yours: 74 kg")
    expect(weight).to_contain_text("keep theirs: 72 kg")
    expect(temperature.get_by_label("keep yours")).to_be_checked()
    expect(temperature).to_contain_text("(only you changed this row)")
    assert accessibility_problems(mine) == []

    weight.get_by_label("keep theirs").check()
    mine.get_by_role("button", name="Merge and check in the grid").click()
    expect(mine.get_by_role("status").filter(has_text="Merged")).to_be_visible()
    assert mine.get_by_label("Row 1: Value").input_value() == "72"
    assert mine.get_by_label("Row 2: Value").input_value() == "38.6"
    mine.get_by_role("button", name="Save all rows").click()
    expect(mine.get_by_role("status").filter(has_text="Saved")).to_contain_text("version 3")

    theirs.goto(f"{live.url}/entry/SIM14/observations/grid")
    assert theirs.get_by_label("Row 1: Value").input_value() == "72"
    assert theirs.get_by_label("Row 2: Value").input_value() == "38.6"
    assert refused_loads(errors, 409) == []


def test_a_stale_delete_keeps_the_row_and_shows_it_as_it_is_now(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    mine, theirs, errors = two_editors(live, new_context)
    for page in (mine, theirs):
        page.goto(f"{live.url}/entry/SIM06")
    drugs = theirs.locator("#drug_exposures tbody tr")
    count = drugs.count()
    theirs.locator("#drug_exposures").get_by_role("link", name="Edit row 1").click()
    theirs.locator("#f-stop_date").fill(theirs.locator("#f-start_date").input_value())
    theirs.get_by_role("button", name="Save the row").click()
    expect(theirs.get_by_role("status")).to_contain_text("SIM06 is now at version 2")

    mine.locator("#drug_exposures").get_by_role("button", name="Delete row 1").click()
    expect(mine.get_by_role("alert")).to_contain_text("the row was not deleted")
    assert accessibility_problems(mine) == []
    mine.get_by_role("link", name="Back to episode SIM06").click()
    expect(mine.locator("#drug_exposures tbody tr")).to_have_count(count)
    assert refused_loads(errors, 409) == []
