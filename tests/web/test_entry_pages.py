"""Data entry pages: forms with CSRF, the site rule, roles, units, inline problems, escaping.

The module's registry keeps the example patients unchanged: every test that writes enters a
patient of its own first (ids made from the test's name).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Registry


def _new_patient(registry: Registry, client: TestClient, ident: str, **episode: str) -> str:
    """Enter a patient through the form; return the episode id (version 1)."""
    answer = client.post(
        "/entry/patient",
        data={
            "csrf_token": registry.csrf(client),
            "site": "north",
            "patient_id": f"P-{ident}",
            "sex": "female",
            "age_years": "47",
            "episode_id": f"E-{ident}",
            "phenotype": "dress",
            "onset_date": "2024-03-01",
            "outcome": "ongoing",
            "last_follow_up_date": "2024-04-30",
            **episode,
        },
    )
    assert answer.status_code == 200, answer.text
    return f"E-{ident}"


def _field_errors(page: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'class="field-error"[^>]*>([^<]*)<', page)]


def test_a_new_patient_opens_its_episode_with_the_scores(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "new")
    page = client.get(f"/entry/{episode}")
    assert page.status_code == 200
    assert "RegiSCAR DRESS validation score" in page.text
    assert "J-SCAR criteria for DIHS" in page.text
    assert "Bocquet criteria" in page.text
    assert 'name="version" value="1"' in page.text


def test_a_form_without_its_csrf_token_is_refused(registry: Registry) -> None:
    client = registry.client("clin-north")
    answer = client.post(
        "/entry/SIM01/findings",
        data={"version": "1", "date": "2012-05-22", "code": "rash", "value": "present"},
    )
    assert answer.status_code == 403
    assert client.get("/entry/SIM01").text.count("Findings") >= 1


@pytest.mark.parametrize("path", ["/entry/SHEN", "/entry/SHEN/observations/grid"])
def test_a_coordinator_of_north_does_not_see_an_episode_of_south(
    registry: Registry, path: str
) -> None:
    assert registry.client("coord-north").get(path).status_code == 404


def test_a_coordinator_of_north_cannot_write_to_an_episode_of_south(registry: Registry) -> None:
    client = registry.client("coord-north")
    answer = client.post(
        "/entry/SHEN/findings",
        data={
            "csrf_token": registry.csrf(client),
            "version": "1",
            "date": "2022-01-05",
            "code": "rash",
            "value": "present",
        },
    )
    assert answer.status_code == 404
    assert "SHEN" not in answer.text


@pytest.mark.parametrize("username", ["researcher", "auditor"])
def test_roles_without_edit_may_not_enter_data(registry: Registry, username: str) -> None:
    client = registry.client(username)
    assert client.get("/entry/patient").status_code == 403
    assert client.get("/entry/SIM01").status_code == 403
    refused = client.post("/entry/SIM01/episode", data={"version": "1", "outcome": "died"})
    assert refused.status_code == 403


def test_a_new_patient_in_a_site_not_granted_is_refused_beside_the_site(
    registry: Registry,
) -> None:
    client = registry.client("coord-north")
    answer = client.post(
        "/entry/patient",
        data={
            "csrf_token": registry.csrf(client),
            "site": "south",
            "patient_id": "P-south",
            "sex": "male",
            "episode_id": "E-south",
            "phenotype": "dress",
            "onset_date": "2024-01-01",
            "outcome": "ongoing",
            "last_follow_up_date": "2024-02-01",
        },
    )
    assert answer.status_code == 422
    assert any("one of your sites: north" in e for e in _field_errors(answer.text))


def test_problems_of_a_new_patient_are_shown_beside_each_field(registry: Registry) -> None:
    client = registry.client("clin-north")
    answer = client.post(
        "/entry/patient",
        data={
            "csrf_token": registry.csrf(client),
            "site": "north",
            "patient_id": "P bad",
            "sex": "femme",
            "episode_id": "E-bad",
            "phenotype": "dress",
            "onset_date": "2024-02-30",
            "outcome": "ongoing",
            "last_follow_up_date": "2024-03-01",
        },
    )
    assert answer.status_code == 422
    for field in ("patient_id", "sex", "onset_date"):
        assert f'id="f-{field}-error"' in answer.text
    assert any(
        "female, male, other, unknown" in e and "femme" in e for e in _field_errors(answer.text)
    )
    assert 'value="femme"' in answer.text  # the value typed is kept, to correct it


def test_the_grid_saves_every_row_converting_units(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "grid")
    answer = client.post(
        f"/entry/{episode}/observations/grid",
        data={
            "csrf_token": registry.csrf(client),
            "version": "1",
            "date": ["2024-03-02", "", "2024-03-03"],
            "time": ["", "", "08:00"],
            "code": ["temperature", "", "alt"],
            "value": ["102.2", "", "3"],
            "unit": ["[degF]", "", "ukat/L"],
            "text": ["", "", ""],
        },
    )
    assert answer.status_code == 200, answer.text
    assert "now at version 2" in answer.text
    assert 'value="39"' in answer.text
    assert 'value="180"' in answer.text
    assert "2024-03-02 temperature = 39 Cel" in answer.text  # RegiSCAR's fever evidence


def test_the_grid_shows_each_problem_beside_its_cell(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "gridbad")
    answer = client.post(
        f"/entry/{episode}/observations/grid",
        data={
            "csrf_token": registry.csrf(client),
            "version": "1",
            "date": ["2024-03-02", "", "2024-06-01"],
            "time": ["", "", ""],
            "code": ["alt", "", "alt"],
            "value": ["40", "", "1,5"],
            "unit": ["mg/dL", "", "U/L"],
            "text": ["", "", ""],
        },
    )
    assert answer.status_code == 422
    assert 'id="g-0-unit-error"' in answer.text  # row 1: a unit not on the list of alt
    assert 'id="g-2-value-error"' in answer.text  # row 3 (row 2 empty): "1,5"
    assert 'id="g-2-date-error"' in answer.text  # row 3: after the last follow-up
    errors = " ".join(_field_errors(answer.text))
    assert "U/L, [IU]/L, ukat/L" in errors
    assert "“1,5”" in errors
    assert "2024-04-30" in errors
    assert 'value="1,5"' in answer.text  # kept as typed
    assert "now at version" not in answer.text


def test_a_row_is_added_edited_and_deleted(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "rows")
    token = registry.csrf(client)
    added = client.post(
        f"/entry/{episode}/drug_exposures",
        data={
            "csrf_token": token,
            "version": "1",
            "drug": "allopurinol",
            "role": "suspect",
            "start_date": "2024-01-20",
        },
    )
    assert added.status_code == 200
    assert "now at version 2" in added.text
    key = re.search(rf'href="/entry/{episode}/drug_exposures/(\d+)"', added.text)
    assert key is not None
    form = client.get(f"/entry/{episode}/drug_exposures/{key.group(1)}")
    assert 'value="allopurinol"' in form.text
    edited = client.post(
        f"/entry/{episode}/drug_exposures/{key.group(1)}",
        data={
            "csrf_token": token,
            "version": "2",
            "drug": "allopurinol",
            "role": "suspect",
            "start_date": "2024-01-20",
            "stop_date": "2024-03-01",
        },
    )
    assert edited.status_code == 200
    assert "now at version 3" in edited.text
    assert "2024-03-01" in edited.text
    deleted = client.post(
        f"/entry/{episode}/drug_exposures/{key.group(1)}/delete",
        data={"csrf_token": token, "version": "3"},
    )
    assert deleted.status_code == 200
    assert "now at version 4" in deleted.text
    assert f"/entry/{episode}/drug_exposures/{key.group(1)}" not in deleted.text


def test_a_row_problem_is_shown_beside_its_field(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "rowbad")
    answer = client.post(
        f"/entry/{episode}/treatments",
        data={
            "csrf_token": registry.csrf(client),
            "version": "1",
            "kind": "steroid",
            "agent": "prednisolone",
            "start_date": "2024-03-02",
            "dose": "1",
            "dose_unit": "mg/kg/d",
        },
    )
    assert answer.status_code == 422
    assert 'id="f-dose_unit-error"' in answer.text
    assert any("weight observation" in e for e in _field_errors(answer.text))


def test_a_free_text_payload_is_stored_and_shown_as_text(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _new_patient(registry, client, "xss")
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    answer = client.post(
        f"/entry/{episode}/findings",
        data={
            "csrf_token": registry.csrf(client),
            "version": "1",
            "date": "2024-03-02",
            "code": "lymph_nodes",
            "value": "enlarged",
            "detail": payload,
        },
    )
    assert answer.status_code == 200, answer.text
    page = client.get(f"/entry/{episode}").text
    assert payload not in page
    assert (
        "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    )


def test_the_scores_part_renders_alone(registry: Registry) -> None:
    answer = registry.client("clin-north").get("/entry/SIM01/scores")
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="scores"')
    assert "<html" not in answer.text


def test_another_episode_of_the_patient_is_entered_from_the_hub(registry: Registry) -> None:
    client = registry.client("clin-north")
    first = _new_patient(registry, client, "second")
    answer = client.post(
        f"/entry/{first}/new-episode",
        data={
            "csrf_token": registry.csrf(client),
            "episode_id": "E-second-2",
            "phenotype": "maculopapular_exanthema",
            "onset_date": "2024-06-01",
            "outcome": "recovered",
            "last_follow_up_date": "2024-06-20",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Episode E-second-2" in answer.text
    assert f'href="/entry/{first}"' in answer.text  # the patient's other episode
