"""Script payloads in every free-text field are shown as text, never run, in a real browser.

Each payload, if it ever became markup, would set ``window.__xss`` (and an inline script would
also be refused by the Content-Security-Policy, which the console would report). The payloads
are typed into every free-text input of the data entry forms and the grid, put into the cells
and the name of an uploaded file, and into the text fields of the other pages; the pages that
show them back (refusals, stored rows, the episode page, the list, the audit trail, a report)
must show them literally, run nothing and log no error beyond the expected refusal status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from tests.web.browser.conftest import (
    LiveServer,
    page_errors,
    refused_loads,
    sign_in,
    zipped_bundle,
)
from tests.web.conftest import EXAMPLES

IMG: Final = "<img src=x onerror=window.__xss=1>"
SCRIPT: Final = "<script>window.__xss=1</script>"
PAYLOADS: Final = (IMG, SCRIPT)


def assert_inert(page: Page, errors: list[str], *statuses: int) -> None:
    """Check that no payload ran or became markup, and that nothing unexpected was logged."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("main img[src='x']").count() == 0
    assert (
        page.evaluate("Array.from(document.scripts).filter(s => s.text.includes('__xss')).length")
        == 0
    )
    assert refused_loads(errors, *statuses) == []


def shown(page: Page) -> str:
    """Return the page's visible text and the values of its fields (what the user reads)."""
    values: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('main input:not([type=hidden]), main select'))"
        ".map(field => field.value)"
    )
    return page.locator("main").inner_text() + "\n" + "\n".join(values)


def fill_text_fields(page: Page, values: dict[str, str], payload_cycle: int = 0) -> list[str]:
    """Fill the form's text inputs (``#f-*``): ``values`` where given, else a payload.

    Selects take ``values`` only. Return the payloads typed.
    """
    typed = []
    fields = page.locator("form.entry-form input[type=text][id^='f-']").all()
    for index, field in enumerate(fields):
        name = (field.get_attribute("id") or "")[2:]
        if name in values:
            field.fill(values[name])
        else:
            payload = PAYLOADS[(index + payload_cycle) % 2]
            field.fill(payload)
            typed.append(payload)
    for name, value in values.items():
        select = page.locator(f"select#f-{name}")
        if select.count():
            select.select_option(value)
        elif page.locator(f"input#f-{name}:not([type=text])").count():
            page.locator(f"#f-{name}").fill(value)
    return typed


#: Per table: values that make the rest of the row valid (the other text fields get payloads,
#: some of which the bundle's rules accept and store, some of which they refuse and name).
ROWS: Final = {
    "drug_exposures": {"role": "suspect", "start_date": "2013-02-01", "atc_code": ""},
    "findings": {"date": "2013-03-18", "code": "organ_involvement", "value": "liver"},
    "treatments": {
        "kind": "other",
        "start_date": "2013-03-20",
        "dose": "",
        "interval_days": "",
        "loading_dose": "",
    },
    "drug_assessments": {"drug": IMG, "instrument": "naranjo", "item": "previous_reports"},
    "observations": {"date": "2013-03-18", "code": "temperature"},
}


def test_payloads_typed_into_the_entry_forms_are_shown_as_text(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-north")

    # A new patient: every text field refused, each payload named and kept in its field.
    page.goto(f"{live.url}/entry/patient")
    typed = fill_text_fields(page, {"sex": "female", "phenotype": "dress"})
    assert len(typed) == 4  # patient id, birth year, age, episode id
    page.get_by_role("button", name="Create the patient").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    for payload in PAYLOADS:
        assert f"got “{payload}”" in page.locator("main").inner_text()
    assert_inert(page, errors, 422)

    # Another episode of SIM04: its id field.
    page.goto(f"{live.url}/entry/SIM04/new-episode")
    fill_text_fields(page, {})
    page.get_by_role("button", name="Create the episode").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    assert IMG in shown(page)
    assert_inert(page, errors, 422)

    # A row of each table of SIM04: payloads stored (drug, agent, detail) or refused.
    for table, values in ROWS.items():
        page.goto(f"{live.url}/entry/SIM04/{table}/new")
        typed = fill_text_fields(page, values)
        assert typed, table
        page.get_by_role("button", name="Add the row").click()
        page.wait_for_load_state()
        text = shown(page)
        assert all(payload in text for payload in typed), (table, typed)
        assert_inert(page, errors, 422)

    # The grid: every text cell of a row.
    page.goto(f"{live.url}/entry/SIM04/observations/grid")
    rows = page.locator("table.grid tbody tr[data-row]").count()
    blank = rows - 12 + 1  # the first of the empty rows below the stored ones
    for index, column in enumerate(("Date", "Time", "Code", "Value", "Text result")):
        page.get_by_label(f"Row {blank}: {column}").fill(PAYLOADS[index % 2])
    page.get_by_role("button", name="Save all rows").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: 5 problems")
    for payload in PAYLOADS:
        assert f"got “{payload}”" in page.locator("main").inner_text()
    assert_inert(page, errors, 422)

    # What was stored is shown as text wherever it appears.
    for path in ("/entry/SIM04", "/patients/SIM04", "/patients?q=SIM04"):
        page.goto(f"{live.url}{path}")
        if path == "/patients/SIM04":
            expect(page.locator("#timeline-charts .uplot").first).to_be_visible()
        assert IMG in page.locator("main").inner_text(), path
        assert_inert(page, errors, 422)
    page.goto(f"{live.url}/entry/SIM04")
    stored = "".join(
        page.locator(f"#{table} table").inner_text()
        for table in ("drug_exposures", "treatments", "findings")
    )
    assert IMG in stored
    assert SCRIPT in stored


def test_payloads_in_an_uploaded_file_and_its_name_are_shown_as_text(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    errors = page_errors(page)
    sign_in(page, live, "clin-south")
    shen = EXAMPLES / "shen2024"
    in_cells = (
        ("drug_exposures.csv", "buspirone", IMG),
        ("findings.csv", "pleural effusion", SCRIPT),
    )
    refused = (
        ("patients.csv", "SHENP,female", f"SHENP,{IMG}"),
        ("observations.csv", "1757,U/L", f"1757,{SCRIPT}"),
    )
    name = f"{IMG}{SCRIPT}.zip"

    page.goto(f"{live.url}/exchange")
    bad = zipped_bundle(shen, in_cells + refused)
    page.get_by_label("File").set_input_files(
        FilePayload(name=name, mimeType="application/zip", buffer=bad)
    )
    page.get_by_role("button", name="Import").click()
    values = page.locator("table.problems td.value").all_inner_texts()
    assert [value.strip() for value in values] == [IMG, SCRIPT]
    # The file is named by the last part of its name, unusual characters replaced.
    expect(page.get_by_role("heading", name="script_.zip was refused")).to_be_visible()
    assert_inert(page, errors, 422)

    page.get_by_label("File").set_input_files(
        FilePayload(name=name, mimeType="application/zip", buffer=zipped_bundle(shen, in_cells))
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("imported into site south")
    # The drug is not in the vocabulary: the warning quotes it, as text.
    assert IMG in page.locator("table.warnings").inner_text()
    assert_inert(page, errors, 422)
    page.goto(f"{live.url}/patients/SHEN")
    expect(page.locator("#timeline-charts .uplot").first).to_be_visible()
    assert IMG in page.locator("#culprits").inner_text()
    assert_inert(page, errors, 422)
    page.goto(f"{live.url}/entry/SHEN")
    assert SCRIPT in page.locator("#findings").inner_text()
    assert_inert(page, errors, 422)


def test_payloads_in_the_other_pages_text_fields_are_shown_as_text(
    live: LiveServer, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(accept_downloads=True).new_page()
    errors = page_errors(page)
    sign_in(page, live, "admin")

    page.goto(f"{live.url}/patients")
    page.get_by_label("Search").fill(IMG)
    with page.expect_response(lambda r: "/patients?" in r.url):
        page.get_by_label("Search").press("End")  # htmx asks when a key is let go
    expect(page.locator("#patient-results caption")).not_to_have_text(re.compile("^19 of"))
    found = page.locator("#patient-results tbody tr:has(th)")  # episodes with such a drug
    assert found.count() == 0 or IMG in found.first.inner_text()
    assert page.get_by_label("Search").input_value() == IMG
    assert_inert(page, errors)

    page.goto(f"{live.url}/account/tokens")
    page.get_by_label("Name").fill(IMG)
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_role("status")).to_contain_text(f"Your new token “{IMG}”")
    expect(page.locator("main table")).to_contain_text(IMG)
    assert_inert(page, errors)

    page.goto(f"{live.url}/admin/sites")
    page.locator("#site-name").fill(SCRIPT)
    page.locator("#site-title").fill(IMG)
    page.get_by_role("button", name="Add the site").click()
    expect(page.locator("table.problems")).to_contain_text(SCRIPT)
    page.locator("#site-name").fill("xss")
    page.locator("#site-title").fill(IMG)
    page.get_by_role("button", name="Add the site").click()
    expect(page.locator("main table")).to_contain_text(IMG)
    assert_inert(page, errors, 422)

    page.goto(f"{live.url}/admin/users")
    page.locator("#new-username").fill(IMG)
    page.locator("#new-role").select_option("clinician")
    page.get_by_role("button", name="Add the account").click()
    expect(page.locator("table.problems")).to_contain_text(IMG)
    assert_inert(page, errors, 422)

    page.goto(f"{live.url}/audit")
    page.get_by_label("Actor").fill(IMG)
    page.get_by_label("Entity id").fill(SCRIPT)
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_label("Actor").input_value() == IMG
    assert page.get_by_label("Entity id").input_value() == SCRIPT
    page.goto(f"{live.url}/audit?entity=site")
    for details in page.locator("table.audit details").all():
        details.locator("summary").click()
    assert IMG in page.locator("table.audit").inner_text()  # the site's title, recorded
    assert_inert(page, errors, 422)

    # The index event is free text: any treatment's agent. With a treatment named by the
    # payload, the report is built with it as day 0; the job page and the report quote it.
    page.goto(f"{live.url}/entry/SIM05/treatments/new")
    fill_text_fields(page, {**ROWS["treatments"], "agent": IMG, "start_date": "2013-06-25"})
    page.get_by_role("button", name="Add the row").click()
    expect(page.get_by_role("status")).to_contain_text("SIM05 is now at version")
    page.goto(f"{live.url}/cohort")
    page.get_by_label("Event:").fill(IMG)
    page.get_by_role("button", name="Build the report").click()
    page.wait_for_url(f"{live.url}/cohort/jobs/*")
    expect(page.locator("dl.job-facts")).to_contain_text(IMG)
    progress = page.locator("#job-progress")
    expect(progress).to_have_attribute("data-state", "done", timeout=90_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="HTML report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in report
    assert IMG not in report
    assert_inert(page, errors, 422)
