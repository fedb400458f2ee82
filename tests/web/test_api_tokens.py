"""Personal API tokens: made from a session and shown once, listed, revoked; the tokens page."""

from __future__ import annotations

import re

from tests.web.conftest import Registry

_SHOWN = re.compile(r'<code id="new-token">(dk_[A-Za-z0-9_-]+)</code>')


def test_a_session_makes_a_token_shown_once_that_then_works(registry: Registry):
    client = registry.client("coord-north")
    csrf = {"x-csrf-token": registry.csrf(client)}
    made = client.post("/api/v1/tokens", json={"name": "ward laptop"}, headers=csrf)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("dk_")
    listed = client.get("/api/v1/tokens").json()
    assert listed[0]["name"] == "ward laptop"
    assert "token" not in listed[0]
    assert token not in client.get("/api/v1/tokens").text
    bearer = registry.client()
    answer = bearer.get("/api/v1/instruments", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_making_a_token_from_a_session_needs_its_csrf_token(registry: Registry):
    client = registry.client("coord-north")
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403


def test_a_token_cannot_make_another_token(registry: Registry):
    client = registry.client("clin-south")
    made = client.post(
        "/api/v1/tokens", json={"name": "first"}, headers={"x-csrf-token": registry.csrf(client)}
    ).json()
    bearer = registry.client()
    bearer.headers["authorization"] = f"Bearer {made['token']}"
    assert bearer.post("/api/v1/tokens", json={"name": "second"}).status_code == 403


def test_a_token_name_is_checked(registry: Registry):
    client = registry.client("coord-north")
    csrf = {"x-csrf-token": registry.csrf(client)}
    for name in ("", "x" * 101, "tab\there"):
        answer = client.post("/api/v1/tokens", json={"name": name}, headers=csrf)
        assert answer.status_code == 422, name
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_revoked_token_stops_working_and_only_its_owner_may_revoke_it(registry: Registry):
    owner = registry.client("researcher")
    csrf = {"x-csrf-token": registry.csrf(owner)}
    made = owner.post("/api/v1/tokens", json={"name": "to revoke"}, headers=csrf).json()
    stranger = registry.client("clin-north")
    other_csrf = {"x-csrf-token": registry.csrf(stranger)}
    assert stranger.delete(f"/api/v1/tokens/{made['id']}", headers=other_csrf).status_code == 404
    assert owner.delete(f"/api/v1/tokens/{made['id']}", headers=csrf).status_code == 204
    assert owner.delete(f"/api/v1/tokens/{made['id']}", headers=csrf).status_code == 404
    bearer = registry.client()
    answer = bearer.get("/api/v1/tokens", headers={"authorization": f"Bearer {made['token']}"})
    assert answer.status_code == 401
    listed = {t["id"]: t for t in owner.get("/api/v1/tokens").json()}
    assert listed[made["id"]]["revoked_at"] is not None


def test_the_tokens_page_makes_shows_once_and_revokes(registry: Registry):
    client = registry.client("auditor")
    csrf = registry.csrf(client)
    page = client.post("/account/tokens", data={"name": "<b>bold</b>", "csrf_token": csrf})
    assert page.status_code == 201
    token = _SHOWN.search(page.text)
    assert token is not None
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "<b>bold</b>" not in page.text
    again = client.get("/account/tokens")
    assert token.group(1) not in again.text
    assert again.headers["cache-control"] == "no-store"
    revoke = re.search(r'action="/account/tokens/(\d+)/revoke"', again.text)
    assert revoke is not None
    done = client.post(f"/account/tokens/{revoke.group(1)}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert "revoked" in client.get("/account/tokens").text


def test_the_tokens_page_forms_need_the_csrf_token(registry: Registry):
    client = registry.client("auditor")
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 403
    assert client.post("/account/tokens/1/revoke", data={"csrf_token": "forged"}).status_code == 403


def test_the_tokens_page_needs_a_session(registry: Registry):
    answer = registry.client().get("/account/tokens")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")
