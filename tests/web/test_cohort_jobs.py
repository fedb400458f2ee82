"""The cohort page: choose episodes, build the report in the background, download it."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete, update

from dresskit.registry.accounts import create_api_token
from dresskit.registry.report_jobs import create_job, get_job
from dresskit.registry.schema import table
from dresskit.web import jobs
from tests.web.conftest import Registry, Signed
from tests.web.test_role_matrix import IDENTIFIERS

_STATE: Final = re.compile(r'data-state="(\w+)"')


def wait_for(client: TestClient, job_url: str, *, timeout: float = 90.0) -> str:
    """Poll the job's progress panel until it is finished; return its HTML."""
    deadline = time.monotonic() + timeout
    while True:
        panel = client.get(f"{job_url}/progress")
        assert panel.status_code == 200, panel.text
        state = _STATE.search(panel.text)
        assert state is not None
        if state.group(1) in ("done", "failed"):
            return str(panel.text)
        assert time.monotonic() < deadline, f"job still {state.group(1)}"
        time.sleep(0.1)


def ask(client: TestClient, registry: Registry, **fields: str) -> str:
    """Ask for a report through the form; return the job page's URL."""
    answer = client.post(
        "/cohort/jobs", data={"csrf_token": registry.csrf(client), "index": "ivig", **fields}
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(r"/cohort/jobs/[0-9a-f]{32}", location)
    return str(location)


@dataclass
class Built:
    """A finished job of clin-north and the client that asked for it."""

    url: str
    client: TestClient
    panel: str


@pytest.fixture(scope="module")
def built(registry: Registry, signed: Signed) -> Built:
    client = signed("clin-north")
    url = ask(client, registry, phenotype="dress")
    return Built(url, client, wait_for(client, url))


def test_a_report_job_runs_to_done_and_offers_html_and_xlsx(built: Built) -> None:
    assert 'data-state="done"' in built.panel
    assert "hx-trigger" not in built.panel  # a finished job is no longer polled
    page = built.client.get(built.url)
    assert page.status_code == 200
    assert "phenotype dress" in page.text
    assert "identified" in page.text
    html = built.client.get(f"{built.url}/files/report.html")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"].startswith("attachment;")
    assert "SIM01" in html.text  # a clinician's report is identified
    workbook = built.client.get(f"{built.url}/files/report.xlsx")
    assert workbook.status_code == 200
    sheets = load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames
    assert "course_table" in sheets


def test_the_report_is_written_whole_under_the_job_folder(built: Built, registry: Registry) -> None:
    job_id = built.url.rsplit("/", 1)[1]
    folder = registry.tmp / "jobs" / job_id
    assert (folder / "report.html").is_file()
    assert (folder / "tables" / "course_table.csv").is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_building_a_report_is_in_the_audit_trail(
    built: Built, registry: Registry, signed: Signed
) -> None:
    auditor = signed("auditor")
    job_id = built.url.rsplit("/", 1)[1]
    page = auditor.get("/audit", params={"entity": "report", "entity_id": job_id})
    assert page.status_code == 200
    assert "clin-north" in page.text
    assert "export" in page.text


@pytest.mark.parametrize("username", ["clin-south", "researcher"])
def test_another_user_cannot_see_or_download_a_job(
    built: Built, registry: Registry, username: str, signed: Signed
) -> None:
    other = signed(username)
    assert other.get(built.url).status_code == 404
    assert other.get(f"{built.url}/progress").status_code == 404
    assert other.get(f"{built.url}/files/report.html").status_code == 404


def test_an_admin_may_open_anyones_job(built: Built, registry: Registry, signed: Signed) -> None:
    admin = signed("admin")
    assert admin.get(built.url).status_code == 200
    assert admin.get(f"{built.url}/files/report.xlsx").status_code == 200


@pytest.mark.parametrize(
    "name",
    ["..%2Fweb.sqlite3", "report.htm", "tables%2Fcourse_table.csv", "REPORT.HTML", "report.pdf"],
)
def test_only_the_known_files_of_a_job_are_served(built: Built, name: str) -> None:
    # report.pdf: not asked for, so not written.
    assert built.client.get(f"{built.url}/files/{name}").status_code == 404


@pytest.mark.parametrize("job_id", ["0" * 32, "../../etc", "x" * 300])
def test_an_unknown_or_malformed_job_id_is_404(
    registry: Registry, job_id: str, signed: Signed
) -> None:
    client = signed("clin-north")
    assert client.get(f"/cohort/jobs/{job_id}").status_code == 404


def test_a_researchers_report_has_no_identifier_and_no_real_date(
    registry: Registry, signed: Signed
) -> None:
    client = signed("researcher")
    url = ask(client, registry, onset_from="2000", onset_to="2030")
    panel = wait_for(client, url)
    assert 'data-state="done"' in panel, panel
    html = client.get(f"{url}/files/report.html").text
    assert "de-identified" in html
    leaked = sorted(value for value in IDENTIFIERS if value in html)
    assert leaked == []
    workbook = client.get(f"{url}/files/report.xlsx").content
    cells = " ".join(
        str(cell)
        for sheet in load_workbook(io.BytesIO(workbook), read_only=True).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    assert sorted(value for value in IDENTIFIERS if value in cells) == []


def test_a_researcher_chooses_onset_by_whole_years_only(registry: Registry, signed: Signed) -> None:
    client = signed("researcher")
    answer = client.post(
        "/cohort/jobs",
        data={"csrf_token": registry.csrf(client), "onset_from": "2012-05-21", "index": "ivig"},
    )
    assert answer.status_code == 422
    assert "onset_from" in answer.text
    assert "whole years" in answer.text


def test_count_says_how_many_episodes_the_choice_selects(
    registry: Registry, signed: Signed
) -> None:
    client = signed("admin")
    token = registry.csrf(client)
    everything = client.post("/cohort/count", data={"csrf_token": token})
    assert "<strong>19</strong> episodes match" in everything.text
    south = client.post("/cohort/count", data={"csrf_token": token, "site": "south"})
    assert "<strong>1</strong> episode match" in south.text
    dated = client.post(
        "/cohort/count",
        data={"csrf_token": token, "onset_from": "2022-01-01", "onset_to": "2022-12-31"},
    )
    assert "<strong>1</strong> episode match" in dated.text
    scored = client.post(
        "/cohort/count", data={"csrf_token": token, "diagnosis_class": ["possible", "definite"]}
    )
    assert "<strong>7</strong> episodes match" in scored.text  # RegiSCAR from their data


def test_a_site_not_granted_is_refused_naming_the_field(registry: Registry, signed: Signed) -> None:
    client = signed("clin-north")
    answer = client.post(
        "/cohort/count", data={"csrf_token": registry.csrf(client), "site": "south"}
    )
    assert answer.status_code == 422
    row = re.search(r"<tr>\s*<td></td>.*?</tr>", answer.text, re.S)
    assert row is not None
    assert "<code>sites</code>" in row.group(0)
    assert "<code>south</code>" in row.group(0)
    assert "a site granted to you (north)" in row.group(0)


def test_asking_for_a_report_needs_the_csrf_token(registry: Registry, signed: Signed) -> None:
    client = signed("clin-north")
    assert client.post("/cohort/jobs", data={"index": "ivig"}).status_code == 403


def test_a_role_without_reports_may_not_open_the_cohort_page(
    registry: Registry, signed: Signed
) -> None:
    assert signed("coord-north").get("/cohort").status_code == 403


def test_an_index_event_no_episode_has_fails_the_job_saying_why(
    registry: Registry, signed: Signed
) -> None:
    client = signed("clin-south")
    url = ask(client, registry, index="tocilizumab")
    panel = wait_for(client, url)
    assert 'data-state="failed"' in panel
    assert "index" in panel
    assert "tocilizumab" in panel


def test_a_waiting_job_is_polled_and_refreshes_itself_without_javascript(
    registry: Registry, signed: Signed
) -> None:
    job = create_job(registry.engine, "clin-north", {"cohort": {}, "index": "ivig"})
    try:
        page = signed("clin-north").get(f"/cohort/jobs/{job.id}")
        assert f'hx-get="/cohort/jobs/{job.id}/progress"' in page.text
        assert 'hx-trigger="every 2s"' in page.text
        assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page.text
    finally:
        _forget(registry, job.id)


def test_a_job_no_process_works_on_is_marked_failed(registry: Registry, signed: Signed) -> None:
    job = create_job(registry.engine, "clin-north", {"cohort": {}, "index": "ivig"})
    jobs_table = table("report_jobs")
    long_ago = datetime.now(tz=UTC) - jobs.STALE_AFTER - timedelta(minutes=1)
    stamp = long_ago.isoformat()
    try:
        with registry.engine.begin() as connection:
            connection.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job.id)
                .values(
                    created_at=long_ago,
                    progress=json.dumps({"step": "x", "percent": 10, "heartbeat": stamp}),
                )
            )
        panel = signed("clin-north").get(f"/cohort/jobs/{job.id}/progress").text
        assert 'data-state="failed"' in panel
        assert "server stopped" in panel
    finally:
        _forget(registry, job.id)


def test_too_many_unfinished_jobs_are_refused(registry: Registry, signed: Signed) -> None:
    waiting = [
        create_job(registry.engine, "admin", {"cohort": {}, "index": "ivig"})
        for _ in range(jobs.MAX_UNFINISHED_JOBS)
    ]
    try:
        client = signed("admin")
        answer = client.post("/cohort/jobs", data={"csrf_token": registry.csrf(client)})
        assert answer.status_code == 429
        assert "wait until one finishes" in answer.text
    finally:
        for job in waiting:
            _forget(registry, job.id)


def _forget(registry: Registry, job_id: str) -> None:
    jobs_table = table("report_jobs")
    with registry.engine.begin() as connection:
        connection.execute(delete(jobs_table).where(jobs_table.c.id == job_id))
    assert get_job(registry.engine, job_id) is None


def _sqlite_only(registry: Registry) -> None:
    if not registry.url.startswith("sqlite"):
        pytest.skip("the PDF is laid out the same whatever the database: once is enough")


def test_a_pdf_asked_for_is_made(registry: Registry, signed: Signed) -> None:
    _sqlite_only(registry)
    client = signed("clin-south")
    url = ask(client, registry, pdf="1")
    panel = wait_for(client, url)
    assert "report.pdf" in panel, panel
    pdf = client.get(f"{url}/files/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_a_pdf_that_fails_leaves_html_and_xlsx_and_says_why(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, signed: Signed
) -> None:
    _sqlite_only(registry)
    failing = "import sys; sys.stderr.write('OSError: cannot load library pango'); sys.exit(1)"
    monkeypatch.setattr(jobs, "_PDF_PROGRAM", failing)
    client = signed("clin-south")
    url = ask(client, registry, pdf="1")
    panel = wait_for(client, url)
    assert 'data-state="done"' in panel
    assert "PDF not made: cannot load library pango" in panel
    assert "report.pdf" not in panel
    assert "report.xlsx" in panel


# The same jobs through the API.


def _api_headers(registry: Registry, client: TestClient) -> dict[str, str]:
    return {"x-csrf-token": registry.csrf(client)}


def _follow(client: TestClient, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        answer = client.get(url, headers=headers or {})
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        if job["state"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_the_api_accepts_a_job_with_202_and_its_location(
    registry: Registry, signed: Signed
) -> None:
    client = signed("clin-south")
    answer = client.post(
        "/api/v1/reports",
        json={"index": "tocilizumab"},
        headers=_api_headers(registry, client),
    )
    assert answer.status_code == 202, answer.text
    location = answer.headers["location"]
    assert location == answer.json()["url"]
    assert location.startswith("/api/v1/reports/")
    assert answer.json()["state"] == "queued"
    job = _follow(client, location)
    assert job["state"] == "failed"
    assert "tocilizumab" in job["error"]


def test_the_api_follows_a_finished_job_and_serves_its_files(built: Built) -> None:
    job_id = built.url.rsplit("/", 1)[1]
    job = built.client.get(f"/api/v1/reports/{job_id}").json()
    assert job["state"] == "done"
    assert job["percent"] == 100
    assert job["deidentified"] is False
    assert [f["name"] for f in job["files"]] == ["report.html", "report.xlsx", "definitions.html"]
    html = built.client.get(job["files"][0]["url"])
    assert html.status_code == 200
    assert "SIM01" in html.text


def test_the_api_answers_404_for_another_users_job(built: Built, signed: Signed) -> None:
    job_id = built.url.rsplit("/", 1)[1]
    other = signed("clin-south")
    answer = other.get(f"/api/v1/reports/{job_id}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert other.get(f"/api/v1/reports/{job_id}/files/report.html").status_code == 404


def test_the_api_names_every_refused_field_value_and_what_is_accepted(
    registry: Registry, signed: Signed
) -> None:
    client = signed("clin-north")
    answer = client.post(
        "/api/v1/reports",
        json={"sites": ["south"], "phenotypes": ["<b>x</b>"], "index": "ivig"},
        headers=_api_headers(registry, client),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e for e in answer.json()["errors"]}
    assert errors["sites"]["value"] == "south"
    assert "north" in errors["sites"]["accepted"]
    assert errors["phenotypes"]["value"] == "<b>x</b>"
    assert "dress" in errors["phenotypes"]["accepted"]


def test_an_api_write_with_the_session_but_no_csrf_header_is_refused(signed: Signed) -> None:
    assert signed("clin-north").post("/api/v1/reports", json={}).status_code == 403


def test_an_api_role_without_reports_is_refused_before_its_body_is_read(
    registry: Registry, signed: Signed
) -> None:
    client = signed("auditor")
    answer = client.post(
        "/api/v1/reports", content=b"not json", headers=_api_headers(registry, client)
    )
    assert answer.status_code == 403


def test_a_personal_token_asks_for_a_de_identified_job_as_its_owner(
    registry: Registry, signed: Signed
) -> None:
    token = create_api_token(registry.engine, "researcher", "test")
    client = registry.client()
    bearer = {"authorization": f"Bearer {token}"}
    answer = client.post(
        "/api/v1/reports", json={"onset_from": "2012-05-21", "index": "ivig"}, headers=bearer
    )
    assert answer.status_code == 422  # a day, not a whole year: de-identified access
    answer = client.post("/api/v1/reports", json={"index": "tocilizumab"}, headers=bearer)
    assert answer.status_code == 202
    assert answer.json()["deidentified"] is True
    assert signed("clin-south").get(answer.headers["location"]).status_code == 404
    assert _follow(client, answer.headers["location"], bearer)["state"] == "failed"


@pytest.mark.parametrize("path", ["0" * 32, "zz", "x/files/y", "0" * 32 + "/files/report.html"])
def test_unknown_jobs_and_files_are_404_problems(signed: Signed, path: str) -> None:
    answer = signed("clin-north").get(f"/api/v1/reports/{path}")
    assert answer.status_code == 404
    assert answer.json()["status"] == 404


def test_the_openapi_document_declares_the_report_routes_and_their_problems(
    signed: Signed,
) -> None:
    document = signed("clin-north").get("/api/v1/openapi.json").json()
    create = document["paths"]["/api/v1/reports"]["post"]
    assert {"202", "400", "401", "403", "422", "429"} <= set(create["responses"])
    follow = document["paths"]["/api/v1/reports/{job_id}"]["get"]
    assert "application/problem+json" in follow["responses"]["404"]["content"]
