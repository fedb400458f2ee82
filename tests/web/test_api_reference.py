"""The OpenAPI 3.1 document and the API reference page rendered from it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31

from tests.web.conftest import Registry

_METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document(registry: Registry) -> dict[str, Any]:
    answer = registry.client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def _operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def _schemas(node: Any):
    """Every Schema Object of the document (request, response, parameter, component)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield value
            elif key == "schemas" and isinstance(value, dict):
                yield from value.values()
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]):
    assert document["openapi"].startswith("3.1.")
    Draft202012Validator(OPENAPI_31).validate(document)
    for schema in _schemas(document):
        Draft202012Validator.check_schema(schema)


def test_every_operation_declares_its_errors_as_problems(document: dict[str, Any]):
    wrong = []
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        for status in ("401", "403"):
            if status not in responses:
                wrong.append(f"{method.upper()} {path}: no {status}")
        for status, response in responses.items():
            if status.startswith(("2", "3")):
                continue
            content = response.get("content", {})
            schema = content.get("application/problem+json", {}).get("schema", {})
            if set(content) != {"application/problem+json"} or "detail" not in json_text(schema):
                wrong.append(f"{method.upper()} {path} {status}: not a Problem")
        if (operation.get("parameters") or operation.get("requestBody")) and "422" not in responses:
            wrong.append(f"{method.upper()} {path}: no 422")
    assert wrong == []


def json_text(value: Any) -> str:
    import json

    return json.dumps(value)


def test_every_operation_names_how_to_sign_the_request(document: dict[str, Any]):
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"]["scheme"] == "bearer"
    assert schemes["session"]["in"] == "cookie"
    unsigned = [f"{m} {p}" for p, m, op in _operations(document) if not op.get("security")]
    assert unsigned == []


def test_the_reference_page_shows_every_operation_with_an_example(
    registry: Registry, document: dict[str, Any]
):
    page = registry.client("researcher").get("/api/v1/reference")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    for path, method, _ in _operations(document):
        shown = f"{method.upper()}</span> <code>{path.replace('{', '&#123;')}"
        assert f"{method.upper()}</span> <code>{path}</code>" in text or shown in text, (
            f"{method} {path}"
        )
    assert "curl --fail-with-body" in text
    assert "Authorization: Bearer $DRESSKIT_TOKEN" in text
    assert 'id="problem"' in text
    assert 'id="schema-' in text
    assert "cutaneous_eruption" in text  # an instrument's body schema


def test_the_reference_page_loads_nothing_from_elsewhere_and_runs_no_inline_script(
    registry: Registry,
):
    text = registry.client("researcher").get("/api/v1/reference").text
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert 'src="/static/' in tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text)
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert " style=" not in text
    assert " on" + "click=" not in text


def test_the_reference_page_needs_a_session_or_token(registry: Registry):
    assert registry.client().get("/api/v1/reference").status_code == 401
