"""The audit trail through the API: filters, newest first, pagination, chain verification."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Registry


def _client(registry: Registry, username: str = "auditor") -> TestClient:
    """A client sending a personal token of ``username`` (one per registry and user)."""
    return registry.api_client(username)


def test_records_come_newest_first_and_every_page_once(registry: Registry):
    client = _client(registry)
    first = client.get("/api/v1/audit?limit=3").json()
    ids = [r["id"] for r in first["items"]]
    assert ids == sorted(ids, reverse=True)
    seen = list(ids)
    cursor = first["next_cursor"]
    while cursor is not None:
        page = client.get(f"/api/v1/audit?limit=3&cursor={cursor}").json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert seen[-1] == 1


def test_records_are_filtered_by_actor_action_and_entity(registry: Registry):
    client = _client(registry)
    imports = client.get("/api/v1/audit?actor=test&action=import&limit=500").json()["items"]
    assert len(imports) == 2
    assert all((r["actor"], r["action"]) == ("test", "import") for r in imports)
    sites = client.get("/api/v1/audit?entity=site&entity_id=north").json()["items"]
    assert [r["after"]["title"] for r in sites] == ["North University Hospital"]


def test_records_are_filtered_by_day(registry: Registry):
    client = _client(registry)
    newest = client.get("/api/v1/audit?limit=1").json()["items"][0]
    today = newest["at"][:10]
    listed = client.get("/api/v1/audit", params={"from": today, "to": today, "limit": 500})
    assert newest["id"] in [r["id"] for r in listed.json()["items"]]
    assert client.get("/api/v1/audit?to=2000-01-01").json()["items"] == []


def test_a_range_of_days_that_ends_before_it_starts_is_refused(registry: Registry):
    answer = _client(registry).get("/api/v1/audit?from=2024-02-01&to=2024-01-01")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "to"


def test_a_bad_time_or_cursor_is_a_422_naming_it(registry: Registry):
    client = _client(registry)
    assert client.get("/api/v1/audit?from=yesterday").json()["errors"][0]["field"] == "from"
    nul = client.get("/api/v1/audit", params={"actor": "a\x00b"})
    assert nul.json()["errors"][0]["field"] == "actor"
    assert client.get("/api/v1/audit?cursor=WyJ4Il0").json()["errors"][0]["field"] == "cursor"


def test_the_chain_verifies_and_names_its_newest_hash(registry: Registry):
    client = _client(registry)
    verdict = client.get("/api/v1/audit/verify").json()
    assert verdict["intact"] is True
    assert verdict["broken_at"] is None
    assert verdict["checked"] > 0
    noted = verdict["newest_hash"]
    again = client.get(f"/api/v1/audit/verify?expected_head={noted}").json()
    assert again["intact"] is True
    gone = client.get("/api/v1/audit/verify?expected_head=" + "0" * 64).json()
    assert gone["intact"] is False
    assert "missing" in gone["reason"]


def test_only_roles_that_read_the_audit_trail_may(registry: Registry):
    assert _client(registry, "clin-north").get("/api/v1/audit").status_code == 403
    assert _client(registry, "researcher").get("/api/v1/audit/verify").status_code == 403
    assert _client(registry, "admin").get("/api/v1/audit").status_code == 200
