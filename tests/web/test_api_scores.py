"""Stateless scoring through the API: the command line's JSON in and out, errors as problems."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dresskit.cli import app as cli
from dresskit.datasets import load_published_cases
from dresskit.registry.accounts import create_api_token, revoke_api_token, tokens_of
from dresskit.scoring.catalogue import INSTRUMENTS
from tests.web.conftest import Registry

BOCQUET = {
    "cutaneous_eruption": "yes",
    "systemic_involvement": ["hepatitis"],
    "haematological": {"eosinophils_per_ul": 1140},
}


def _client(registry: Registry, username: str = "clin-north") -> TestClient:
    """A client sending a personal token of ``username`` (one per registry and user)."""
    return registry.api_client(username)


def test_a_published_case_scores_as_the_command_line_prints_it(registry: Registry, tmp_path):
    case = load_published_cases("regiscar")[0]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case.input), encoding="utf-8")
    printed = CliRunner().invoke(cli, ["score", "regiscar", "--input", str(path), "--json"])
    assert printed.exit_code == 0, printed.output
    answer = _client(registry).post("/api/v1/scores/regiscar", json=case.input)
    assert answer.status_code == 200
    assert answer.json() == json.loads(printed.output)


def test_the_published_case_envelope_is_accepted_as_by_the_command_line(registry: Registry):
    case = load_published_cases("naranjo")[0]
    envelope = {"instrument": "naranjo", "input": case.input, "example_from": "x"}
    answer = _client(registry).post("/api/v1/scores/naranjo", json=envelope)
    assert answer.status_code == 200
    assert answer.json()["instrument"] == "naranjo"


def test_a_per_drug_instrument_answers_one_result_per_drug(registry: Registry):
    drug = {
        "drug": "allopurinol",
        "delay": "suggestive",
        "drug_present": "definite",
        "prechallenge": "not_done_unknown",
        "dechallenge": "neutral",
        "notoriety": "strongly_associated",
    }
    answer = _client(registry).post("/api/v1/scores/alden", json={"drugs": [drug]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["instrument"] == "alden"
    assert [r["subject"] for r in answer.json()["drugs"]] == ["allopurinol"]


def test_an_unknown_instrument_is_a_404_naming_those_accepted(registry: Registry):
    answer = _client(registry).post("/api/v1/scores/scorad", json={})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == "instrument"
    assert problem["errors"][0]["value"] == "scorad"
    assert all(name in problem["detail"] for name in INSTRUMENTS)


def test_bad_answers_are_a_422_naming_each_field_value_and_what_is_accepted(registry: Registry):
    body = {**BOCQUET, "cutaneous_eruption": "maybe", "haematological": {"eosinophils_per_ul": -4}}
    answer = _client(registry).post("/api/v1/scores/bocquet", json=body)
    assert answer.status_code == 422
    errors = {e["field"]: e for e in answer.json()["errors"]}
    assert errors["cutaneous_eruption"]["value"] == "maybe"
    assert "'yes', 'no' or 'unknown'" in errors["cutaneous_eruption"]["accepted"]
    assert errors["haematological.eosinophils_per_ul"]["value"] == -4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"cutaneous_eruption": "yes", "cutaneous_eruption": "no"}', "cutaneous_eruption"),
        (b'{"a": NaN}', "a"),
        (b"[1, 2", "<document>"),
        (b"\xff\xfe", "<document>"),
    ],
)
def test_json_the_command_line_refuses_is_refused_naming_the_field(
    registry: Registry, body: bytes, field: str
):
    answer = _client(registry).post(
        "/api/v1/scores/bocquet", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(registry: Registry):
    answer = _client(registry).post(
        "/api/v1/scores/bocquet",
        content=b'{"x": "' + b"a" * (1024**2 + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_xss_in_the_answers_comes_back_as_json_text(registry: Registry):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    drug = {
        "drug": payload,
        "delay": "suggestive",
        "drug_present": "definite",
        "prechallenge": "not_done_unknown",
        "dechallenge": "neutral",
        "notoriety": "unknown",
    }
    answer = _client(registry).post("/api/v1/scores/alden", json={"drugs": [drug]})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["drugs"][0]["subject"] == payload


def test_the_instruments_are_listed_with_their_paths(registry: Registry):
    answer = _client(registry).get("/api/v1/instruments")
    assert answer.status_code == 200
    assert [i["name"] for i in answer.json()] == list(INSTRUMENTS)
    assert next(i for i in answer.json() if i["name"] == "alden")["per_drug"] is True


def test_scoring_needs_a_token_or_a_session(registry: Registry):
    answer = registry.client().post("/api/v1/scores/bocquet", json=BOCQUET)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_wrong_token_is_a_401(registry: Registry):
    client = registry.client()
    for header in ("Bearer dk_not-a-token", "Bearer ", "Basic Y2xpbjpwdw==", "Bearer " + "x" * 500):
        answer = client.post(
            "/api/v1/scores/bocquet", json=BOCQUET, headers={"authorization": header}
        )
        assert answer.status_code == 401, header


def test_a_revoked_token_is_a_401_at_once(registry: Registry):
    token = create_api_token(registry.engine, "researcher", "to be revoked")
    client = registry.client()
    headers = {"authorization": f"Bearer {token}"}
    assert client.post("/api/v1/scores/bocquet", json=BOCQUET, headers=headers).status_code == 200
    made = next(t for t in tokens_of(registry.engine, "researcher") if t.name == "to be revoked")
    revoke_api_token(registry.engine, "researcher", made.id)
    assert client.post("/api/v1/scores/bocquet", json=BOCQUET, headers=headers).status_code == 401


def test_a_role_without_the_score_permission_is_refused(registry: Registry):
    answer = _client(registry, "auditor").post("/api/v1/scores/bocquet", json=BOCQUET)
    assert answer.status_code == 403


def test_a_session_scores_with_its_csrf_token_only(registry: Registry):
    client = registry.client("clin-north")
    assert client.post("/api/v1/scores/bocquet", json=BOCQUET).status_code == 403
    headers = {"x-csrf-token": registry.csrf(client)}
    assert client.post("/api/v1/scores/bocquet", json=BOCQUET, headers=headers).status_code == 200


def test_each_instrument_has_its_exact_schema_in_the_openapi_document(registry: Registry):
    document = registry.client().get("/api/v1/openapi.json").json()
    for name, entry in INSTRUMENTS.items():
        body = document["paths"][f"/api/v1/scores/{name}"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert set(schema["required"]) == set(entry.input_model.model_json_schema()["required"])
        assert "$defs" not in json.dumps(schema)
