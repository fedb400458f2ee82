"""Reading the registry through the API: sites, pseudonyms, pagination, ETags, the course."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dresskit.cli import app as cli
from dresskit.registry.audit import records
from tests.web.conftest import Registry
from tests.web.test_role_matrix import IDENTIFIERS

_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _client(registry: Registry, username: str = "clin-north") -> TestClient:
    """A client sending a personal token of ``username`` (one per registry and user)."""
    return registry.api_client(username)


def _all_pages(client: TestClient, url: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    separator = "&" if "?" in url else "?"
    answer = client.get(url).json()
    items += answer["items"]
    while answer["next_cursor"] is not None:
        answer = client.get(f"{url}{separator}cursor={answer['next_cursor']}").json()
        items += answer["items"]
    return items


def _shown(registry: Registry, username: str, episode_id: str) -> str:
    """The name ``username`` knows an episode by (its pseudonym for the researcher)."""
    from dresskit.registry.accounts import account
    from dresskit.registry.scoped import episodes_of

    user = account(registry.engine, username)
    assert user is not None
    return next(
        e.shown_episode for e in episodes_of(registry.engine, user) if e.episode_id == episode_id
    )


def test_a_clinician_lists_the_patients_of_its_site_only_page_by_page(registry: Registry):
    patients = _all_pages(_client(registry), "/api/v1/patients?limit=5")
    names = [p["patient"] for p in patients]
    assert len(names) == 18
    assert len(set(names)) == 18
    assert names == sorted(names)
    assert {p["site"] for p in patients} == {"north"}
    assert "SHENP" not in names


def test_the_patient_list_filters_like_the_episode_list(registry: Registry):
    client = _client(registry)
    dress = client.get("/api/v1/patients?phenotype=dress&limit=500").json()["items"]
    assert all(e["phenotype"] == "dress" for p in dress for e in p["episodes"])
    dated = client.get("/api/v1/patients?since=2013-01-01&until=2013-12-31&limit=500").json()
    onsets = [e["onset_date"] for p in dated["items"] for e in p["episodes"]]
    assert onsets
    assert all("2013-01-01" <= o <= "2013-12-31" for o in onsets)
    one = client.get("/api/v1/patients?patient=SIMP03").json()["items"]
    assert [p["patient"] for p in one] == ["SIMP03"]


def test_an_unknown_outcome_is_refused_naming_what_is_accepted(registry: Registry):
    answer = _client(registry).get("/api/v1/patients?outcome=cured")
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["value"]) == ("outcome", "cured")
    assert "recovered" in error["accepted"]


@pytest.mark.parametrize("query", ["limit=100000", "limit=0", "limit=-1", "limit=abc"])
def test_a_limit_outside_1_to_500_is_a_422_problem(registry: Registry, query: str):
    answer = _client(registry).get(f"/api/v1/patients?{query}")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "cursor", ["zzz", "WyJTSU1QMDIiXQ==x", "eyJhIjoxfQ", "WzEsMl0", "W3RydWVd", "%00", "a" * 1200]
)
def test_a_malformed_cursor_is_a_422_problem_naming_it(registry: Registry, cursor: str):
    for path in ("/api/v1/patients", "/api/v1/episodes/SIM01/observations"):
        answer = _client(registry).get(path, params={"cursor": cursor})
        assert answer.status_code == 422, path
        assert answer.json()["errors"][0]["field"] == "cursor"


def test_a_researcher_sees_pseudonyms_and_no_dates(registry: Registry):
    client = _client(registry, "researcher")
    patients = _all_pages(client, "/api/v1/patients?limit=500")
    assert len(patients) == 19
    assert {p["site"] for p in patients} == {"north", "south"}
    assert all(re.fullmatch("[0-9a-f]{16}", p["patient"]) for p in patients)
    assert all(e["onset_date"] is None for p in patients for e in p["episodes"])
    text = json.dumps(patients)
    assert not _ISO_DATE.search(text)
    assert not [i for i in IDENTIFIERS if i in text]


def test_a_researcher_may_not_filter_by_date(registry: Registry):
    answer = _client(registry, "researcher").get("/api/v1/patients?since=2012-01-01")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "since"


def test_an_episode_carries_its_version_as_etag(registry: Registry):
    answer = _client(registry).get("/api/v1/episodes/SIM01")
    assert answer.status_code == 200
    episode = answer.json()
    assert answer.headers["etag"] == f'"{episode["version"]}"'
    assert (episode["episode"], episode["patient"], episode["site"]) == ("SIM01", "SIMP01", "north")
    assert episode["onset_date"] == "2012-05-21"
    assert episode["onset_day"] == 0
    assert episode["rows"]["observations"] > 0


def test_another_sites_episode_is_not_found_like_one_that_does_not_exist(registry: Registry):
    client = _client(registry)
    other = client.get("/api/v1/episodes/SHEN")
    missing = client.get("/api/v1/episodes/NOSUCH")
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]
    assert client.get("/api/v1/episodes/SHEN/course").status_code == 404
    assert client.get("/api/v1/episodes/SHEN/observations").status_code == 404


def test_a_researcher_asking_by_the_real_id_gets_404(registry: Registry):
    client = _client(registry, "researcher")
    for path in ("SIM01", "SIM01/course", "SIM01/findings"):
        assert client.get(f"/api/v1/episodes/{path}").status_code == 404


def test_a_researchers_episode_has_days_but_no_dates_or_ids(registry: Registry):
    shown = _shown(registry, "researcher", "SIM01")
    answer = _client(registry, "researcher").get(f"/api/v1/episodes/{shown}")
    assert answer.status_code == 200
    episode = answer.json()
    assert episode["episode"] == shown
    assert episode["identified"] is False
    assert episode["onset_date"] is None
    assert episode["last_follow_up_day"] == 95
    assert episode["birth_year"] is None
    assert not _ISO_DATE.search(answer.text)
    assert not [i for i in IDENTIFIERS if i in answer.text]


def test_rows_are_paginated_and_carry_days_and_unit_symbols(registry: Registry):
    client = _client(registry)
    rows = _all_pages(client, "/api/v1/episodes/SIM01/observations?limit=50")
    assert len(rows) == client.get("/api/v1/episodes/SIM01").json()["rows"]["observations"]
    eosinophils = next(r for r in rows if r["code"] == "eosinophils")
    assert eosinophils["unit"] == "10*9/L"
    assert eosinophils["unit_symbol"] == "×10⁹/L"
    assert all(r["day"] is not None and r["date"] is not None for r in rows)
    for table in ("treatments", "drug-exposures", "findings"):
        assert client.get(f"/api/v1/episodes/SIM01/{table}").status_code == 200


def test_a_researchers_rows_have_no_free_text_dates_or_ids(registry: Registry):
    shown = _shown(registry, "researcher", "SIM01")
    client = _client(registry, "researcher")
    findings = client.get(f"/api/v1/episodes/{shown}/findings").json()["items"]
    lymph_nodes = [f for f in findings if f["code"] == "lymph_nodes"]
    assert lymph_nodes
    assert all(f["detail"] is None for f in lymph_nodes)
    for table in ("observations", "treatments", "drug-exposures", "findings"):
        answer = client.get(f"/api/v1/episodes/{shown}/{table}?limit=500")
        assert answer.status_code == 200
        assert all(row["episode"] == shown for row in answer.json()["items"])
        assert not _ISO_DATE.search(answer.text)
        assert not [i for i in IDENTIFIERS if i in answer.text]


def test_the_course_is_the_command_lines_course(registry: Registry):
    printed = CliRunner().invoke(
        cli, ["course", "--db", registry.url, "SIM01", "--index", "ivig", "--json"]
    )
    assert printed.exit_code == 0, printed.output
    expected = json.loads(printed.output)
    answer = _client(registry).get("/api/v1/episodes/SIM01/course?index=ivig")
    assert answer.status_code == 200
    course = answer.json()
    for key in ("scores", "culprits", "ivig_total", "index_date", "steroid_days_before_index"):
        assert course[key] == expected[key], key
    assert [o["days"] for o in course["outcomes"]] == [o["days"] for o in expected["outcomes"]]
    assert course["steroid_response"]["states"] == expected["steroid_response"]["states"]
    assert [d["date"] for d in course["days"]] == [d["date"] for d in expected["days"]]


def test_a_researchers_course_scores_as_the_clinicians_without_ids_or_dates(registry: Registry):
    clinician = _client(registry).get("/api/v1/episodes/SIM01/course").json()
    shown = _shown(registry, "researcher", "SIM01")
    answer = _client(registry, "researcher").get(f"/api/v1/episodes/{shown}/course")
    assert answer.status_code == 200
    course = answer.json()
    assert [(s["total"], s["class"]) for s in course["scores"]] == [
        (s["total"], s["class"]) for s in clinician["scores"]
    ]
    assert [o["days"] for o in course["outcomes"]] == [o["days"] for o in clinician["outcomes"]]
    assert course["episode_id"] == shown
    assert course["onset"] is None
    assert all(day["date"] is None for day in course["days"])
    assert not _ISO_DATE.search(answer.text)
    assert not [i for i in IDENTIFIERS if i in answer.text]
    assert "axillary" not in answer.text  # a finding's free-text detail


def test_an_unknown_index_event_is_refused_listing_those_the_episode_has(registry: Registry):
    answer = _client(registry).get("/api/v1/episodes/SIM01/course?index=dialysis")
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["value"]) == ("index", "dialysis")
    assert "onset" in error["accepted"]


def test_identified_views_are_audited_and_de_identified_ones_are_not(registry: Registry):
    before = len(records(registry.engine))
    _client(registry).get("/api/v1/episodes/SIM02/course")
    written = records(registry.engine)[before:]
    assert [(r.actor, r.action, r.entity, r.entity_id) for r in written] == [
        ("clin-north", "view", "episode", "SIM02")
    ]
    before = len(records(registry.engine))
    shown = _shown(registry, "researcher", "SIM02")
    _client(registry, "researcher").get(f"/api/v1/episodes/{shown}")
    assert len(records(registry.engine)) == before


def test_a_role_that_sees_no_patients_is_refused(registry: Registry):
    client = _client(registry, "auditor")
    assert client.get("/api/v1/patients").status_code == 403
    assert client.get("/api/v1/episodes/SIM01").status_code == 403
