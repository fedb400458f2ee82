"""Every page and endpoint, as every role: each is allowed exactly what the access table says.

The route table is read from the application (:func:`dresskit.web.route_table.route_permissions`:
the permission each route declares) and printed in docs/security.md (checked here too). Each
route is called as each role (and signed out): a role the table allows is never refused (no
401/403), a role it does not allow is refused with 403, and without a session a page sends to
the sign-in page and an endpoint answers 401. A researcher's answers are scanned for the
example bundles' identifiers and dates.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from dresskit.registry.access import Role
from dresskit.registry.accounts import account
from dresskit.registry.scoped import episodes_of
from dresskit.web.route_table import (
    RouteRule,
    allowed_roles,
    requirement_text,
    route_permissions,
)
from tests.web.conftest import BY_ROLE, EXAMPLES, Registry

DOC: Final = Path(__file__).parents[2] / "docs" / "security.md"

#: The only routes open without signing in.
PUBLIC: Final = {
    ("GET", "/"),  # sends to the sign-in page
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/setup/{token}"),
    ("POST", "/setup/{token}"),
    ("GET", "/api/v1/openapi.json"),
}

_PARAM: Final = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def _identifiers() -> set[str]:
    """Every id and date of the example bundles (none may reach a researcher)."""
    found: set[str] = set()
    for bundle in ("sim2022", "shen2024"):
        for name in ("patients.csv", "episodes.csv", "observations.csv", "treatments.csv"):
            with (EXAMPLES / bundle / name).open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    for column, value in row.items():
                        if value and (column.endswith("_id") or column.endswith("date")):
                            found.add(value)
    return found


IDENTIFIERS: Final = _identifiers()


def _sample(name: str, role: Role, registry: Registry) -> str:
    if name in {"ref", "shown", "episode"}:
        user = account(registry.engine, BY_ROLE[role.value])
        assert user is not None
        visible = [e for e in episodes_of(registry.engine, user) if e.episode_id == "SIM01"]
        return visible[0].shown_episode if visible else "SIM01"
    return {
        "instrument": "regiscar",
        "job_id": "0" * 32,
        "name": "report.html",
        "token_id": "999999",
        "token": "not-a-setup-token",
        "table": "treatments",
        "key": "999999",
        "kind": "svg",
    }.get(name, "x")


def _call(client: TestClient, rule: RouteRule, path: str, csrf: str | None) -> Response:
    headers = {"x-csrf-token": csrf} if csrf else {}
    if rule.method == "GET":
        return client.get(path)
    data = {"csrf_token": csrf} if csrf else {}
    return client.request(rule.method, path, data=data, headers=headers)


def _rules() -> list[RouteRule]:
    # Sign-out last: it ends the session the other calls use.
    return sorted(route_permissions(), key=lambda r: r.path == "/sign-out")


def test_every_route_but_the_sign_in_declares_what_it_requires() -> None:
    undeclared = {
        (rule.method, rule.path) for rule in route_permissions() if rule.requirement == "public"
    }
    assert undeclared == PUBLIC


def test_the_security_page_prints_the_route_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- route-table:start -->")[1].split("<!-- route-table:end -->")[0]
    printed = {
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")[:3])
        for line in table.splitlines()
        if line.startswith("| `")
    }
    expected = {
        (rule.method, rule.path, requirement_text(rule.requirement)) for rule in route_permissions()
    }
    assert printed == expected


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_allowed_exactly_what_the_table_says(registry: Registry, role: Role) -> None:
    client = registry.client(BY_ROLE[role.value])
    csrf = registry.csrf(client)
    wrong = []
    leaks = []
    for rule in _rules():
        path = _PARAM.sub(lambda m: _sample(m.group(1), role, registry), rule.path)
        answer = _call(client, rule, path, csrf)
        allowed = role in allowed_roles(rule.requirement)
        if allowed and answer.status_code in (401, 403):
            wrong.append(f"{rule.method} {path}: {answer.status_code}, should be allowed")
        if not allowed and answer.status_code != 403:
            wrong.append(f"{rule.method} {path}: {answer.status_code}, should be 403")
        if role == Role.RESEARCHER and answer.status_code == 200:
            kind = answer.headers.get("content-type", "")
            if kind.startswith(("text/", "application/json", "application/problem+json")):
                body = answer.text
                leaks += [f"{path}: {i}" for i in IDENTIFIERS if i in body]
        assert answer.status_code < 500, f"{rule.method} {path}: {answer.text[:500]}"
    assert wrong == []
    assert leaks == []


def test_without_a_session_pages_send_to_sign_in_and_endpoints_answer_401(
    registry: Registry,
) -> None:
    client = registry.client()
    wrong = []
    for rule in _rules():
        if (rule.method, rule.path) in PUBLIC:
            continue
        path = _PARAM.sub(lambda m: _sample(m.group(1), Role.ADMIN, registry), rule.path)
        answer = _call(client, rule, path, None)
        expected = 401 if rule.path.startswith("/api/") else 303
        if answer.status_code != expected:
            wrong.append(f"{rule.method} {path}: {answer.status_code}, should be {expected}")
    assert wrong == []
