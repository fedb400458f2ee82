"""The API's writes: patients, episodes and rows under ETag / If-Match, as problem+json.

Clients sign with personal API tokens (no CSRF token then). Every test that writes creates a
patient of its own, so the example patients stay as imported.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from dresskit.registry.accounts import create_api_token
from tests.web.conftest import Registry


def _api(registry: Registry, username: str) -> TestClient:
    client = registry.client()
    token = create_api_token(registry.engine, username, "entry tests")
    client.headers["authorization"] = f"Bearer {token}"
    return client


def _new(client: TestClient, ident: str) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/patients",
        json={
            "site": "north",
            "patient": {"patient_id": f"AP-{ident}", "sex": "female", "age_years": 39},
            "episode": {
                "episode_id": f"AE-{ident}",
                "phenotype": "dress",
                "onset_date": "2024-05-01",
                "outcome": "ongoing",
                "last_follow_up_date": "2024-06-30",
            },
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["etag"] == '"1"'
    assert answer.headers["location"] == f"/api/v1/episodes/AE-{ident}"
    body: dict[str, Any] = answer.json()
    return body


def test_a_patient_is_created_with_its_first_episode(registry: Registry) -> None:
    body = _new(_api(registry, "clin-north"), "create")
    assert body == {
        "patient": "AP-create",
        "episode": "AE-create",
        "site": "north",
        "version": 1,
        "warnings": [],
    }


def test_a_patient_in_a_site_not_granted_is_refused(registry: Registry) -> None:
    answer = _api(registry, "coord-north").post(
        "/api/v1/patients",
        json={
            "site": "south",
            "patient": {"patient_id": "AP-x", "sex": "male"},
            "episode": {
                "episode_id": "AE-x",
                "phenotype": "dress",
                "onset_date": "2024-05-01",
                "outcome": "ongoing",
                "last_follow_up_date": "2024-06-30",
            },
        },
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    (error,) = answer.json()["errors"]
    assert (error["field"], error["value"]) == ("site", "south")
    assert "north" in error["accepted"]


def test_a_change_without_if_match_is_refused_with_428(registry: Registry) -> None:
    client = _api(registry, "clin-north")
    _new(client, "428")
    answer = client.patch("/api/v1/episodes/AE-428", json={"outcome": "recovered"})
    assert answer.status_code == 428
    assert answer.json()["errors"][0]["field"] == "If-Match"


def test_a_stale_if_match_is_refused_with_412_naming_the_current_version(
    registry: Registry,
) -> None:
    client = _api(registry, "clin-north")
    _new(client, "412")
    first = client.patch(
        "/api/v1/episodes/AE-412", json={"outcome": "recovered"}, headers={"if-match": '"1"'}
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    assert first.json()["version"] == 2
    stale = client.patch(
        "/api/v1/episodes/AE-412", json={"outcome": "ongoing"}, headers={"if-match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert stale.headers["etag"] == '"2"'
    assert "nothing was written" in stale.json()["detail"]


def test_observations_are_appended_and_replaced_in_canonical_units(registry: Registry) -> None:
    client = _api(registry, "clin-north")
    _new(client, "rows")
    appended = client.post(
        "/api/v1/episodes/AE-rows/observations",
        json={
            "items": [
                {"date": "2024-05-02", "code": "temperature", "value": 101.3, "unit": "[degF]"},
                {"date": "2024-05-02", "code": "alt", "value": 2, "unit": "ukat/L"},
            ]
        },
        headers={"if-match": '"1"'},
    )
    assert appended.status_code == 200, appended.text
    assert appended.json()["rows"] == 2
    assert appended.headers["etag"] == '"2"'
    listed = client.get("/api/v1/episodes/AE-rows/observations").json()["items"]
    assert [(o["code"], o["value"], o["unit"]) for o in listed] == [
        ("temperature", 38.5, "Cel"),
        ("alt", 120.0, "U/L"),
    ]
    replaced = client.put(
        "/api/v1/episodes/AE-rows/observations",
        json={
            "items": [{"date": "2024-05-03", "code": "eosinophils", "value": 1800, "unit": "/uL"}]
        },
        headers={"if-match": '"2"'},
    )
    assert replaced.status_code == 200
    assert replaced.json()["rows"] == 1


def test_a_refused_row_is_named_by_its_place_in_items(registry: Registry) -> None:
    client = _api(registry, "clin-north")
    _new(client, "refused")
    answer = client.post(
        "/api/v1/episodes/AE-refused/treatments",
        json={
            "items": [
                {
                    "kind": "ivig",
                    "agent": "ivig",
                    "start_date": "2024-05-03",
                    "dose": 0.4,
                    "dose_unit": "g/kg/d",
                },
                {
                    "kind": "steroid",
                    "agent": "aspirin",
                    "start_date": "2024-05-03",
                    "dose": 40,
                    "dose_unit": "mg/d",
                },
            ]
        },
        headers={"if-match": '"1"'},
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    # Named as the import names it: the drug's canonical name (aspirin's generic name).
    assert {(e["source"], e["row"], e["field"], e["value"]) for e in errors} == {
        ("treatments", 2, "agent", "acetylsalicylic acid")
    }
    assert "prednisolone" in errors[0]["accepted"]
    assert client.get("/api/v1/episodes/AE-refused").headers["etag"] == '"1"'


@pytest.mark.parametrize("path", ["findings", "drug-exposures", "treatments", "observations"])
def test_an_episode_of_another_site_is_not_found(registry: Registry, path: str) -> None:
    answer = _api(registry, "coord-north").put(
        f"/api/v1/episodes/SHEN/{path}", json={"items": []}, headers={"if-match": '"1"'}
    )
    assert answer.status_code == 404


@pytest.mark.parametrize("username", ["researcher", "auditor"])
def test_roles_without_edit_may_not_write(registry: Registry, username: str) -> None:
    answer = _api(registry, username).patch(
        "/api/v1/episodes/SIM01", json={"outcome": "died"}, headers={"if-match": '"1"'}
    )
    assert answer.status_code == 403


def test_a_session_write_needs_the_csrf_header(registry: Registry) -> None:
    client = registry.client("clin-north")
    answer = client.patch(
        "/api/v1/episodes/SIM01", json={"outcome": "died"}, headers={"if-match": '"1"'}
    )
    assert answer.status_code == 403


def test_every_write_declares_its_error_statuses(registry: Registry) -> None:
    document = registry.client().get("/api/v1/openapi.json").json()
    for path, method in [
        ("/api/v1/episodes/{ref}", "patch"),
        ("/api/v1/episodes/{ref}/observations", "put"),
        ("/api/v1/episodes/{ref}/drug-exposures", "post"),
    ]:
        responses = document["paths"][path][method]["responses"]
        assert {"401", "403", "404", "412", "422", "428"} <= set(responses)
        assert "application/problem+json" in responses["412"]["content"]
    assert "201" in document["paths"]["/api/v1/patients"]["post"]["responses"]
