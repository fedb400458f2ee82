"""Sign-in, sessions, CSRF and security headers (docs/security.md)."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, Registry


def test_pages_redirect_to_sign_in_without_a_session(registry: Registry) -> None:
    answer = registry.client().get("/patients?q=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fpatients%3Fq%3Dx"


def test_sign_in_rotates_the_session_cookie(registry: Registry) -> None:
    client = registry.client()
    client.cookies.set("dresskit_session", "chosen-by-an-attacker", domain="testserver.local")
    answer = client.post("/sign-in", data={"username": "clin-north", "password": PASSWORD})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert "chosen-by-an-attacker" not in cookie


def test_a_wrong_password_does_not_say_whether_the_user_exists(registry: Registry) -> None:
    client = registry.client()
    known = client.post("/sign-in", data={"username": "clin-north", "password": "x" * 12})
    unknown = client.post("/sign-in", data={"username": "nobody", "password": "x" * 12})
    assert known.status_code == unknown.status_code == 401
    assert "username or password is wrong" in known.text
    assert "username or password is wrong" in unknown.text


def test_sign_out_needs_the_csrf_token(registry: Registry) -> None:
    client = registry.client("clin-north")
    refused = client.post("/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    token = registry.csrf(client)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303


def test_every_response_carries_the_security_headers(registry: Registry) -> None:
    answer = registry.client().get("/sign-in")
    policy = answer.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"


def test_next_after_sign_in_never_leaves_the_site(registry: Registry) -> None:
    client = registry.client()
    answer = client.post(
        "/sign-in",
        data={"username": "clin-north", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert answer.headers["location"] == "/"
