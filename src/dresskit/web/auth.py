"""Who is asking: the signed-in session or API token of a request, and what it may do.

A browser signs in and carries the session cookie (:data:`SESSION_COOKIE`: HttpOnly, Secure,
SameSite=Strict); every state-changing form carries the session's CSRF token, and a script
calling the API with the cookie sends it in ``X-CSRF-Token`` (OWASP's synchroniser token
pattern). An API client sends ``Authorization: Bearer dk_...`` (a personal token) and needs no
CSRF token, since browsers never add that header by themselves.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from fastapi import Request
from sqlalchemy import Engine

from dresskit.registry.access import Permission, Role, allowed
from dresskit.registry.accounts import Account, session_for, token_account
from dresskit.web.settings import WebSettings

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ForbiddenError",
    "NotSignedInError",
    "Visitor",
    "check_csrf",
    "engine_of",
    "needs",
    "require",
    "settings_of",
    "visitor_of",
]

SESSION_COOKIE: Final = "dresskit_session"
CSRF_HEADER: Final = "x-csrf-token"
_UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotSignedInError(Exception):
    """The request has no live session or token (pages: sign-in; API: 401)."""


class ForbiddenError(Exception):
    """The account may not do this (403), or the CSRF token is missing or wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Visitor:
    """The account behind a request and how it proved itself."""

    account: Account
    via: Literal["session", "token"]
    csrf_token: str | None

    @property
    def username(self) -> str:
        """The account's username (the actor of the audit trail)."""
        return self.account.username

    @property
    def role(self) -> Role:
        """The account's role."""
        return self.account.role

    def may(self, permission: Permission) -> bool:
        """Return whether the account's role has ``permission``."""
        return allowed(self.account.role, permission)

    @property
    def identified(self) -> bool:
        """Whether this visitor sees identified data (else de-identified only)."""
        return self.may(Permission.VIEW_IDENTIFIED)


def engine_of(request: Request) -> Engine:
    """Return the registry engine of the application serving ``request``."""
    engine: Engine = request.app.state.engine
    return engine


def settings_of(request: Request) -> WebSettings:
    """Return the settings of the application serving ``request``."""
    settings: WebSettings = request.app.state.settings
    return settings


def visitor_of(request: Request) -> Visitor | None:
    """Return who is asking (token first, then session cookie), or None; cached per request."""
    if hasattr(request.state, "visitor"):
        cached: Visitor | None = request.state.visitor
        return cached
    found: Visitor | None = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        account = token_account(engine_of(request), header[7:].strip())
        found = Visitor(account, "token", None) if account is not None else None
    else:
        session = session_for(engine_of(request), request.cookies.get(SESSION_COOKIE))
        if session is not None:
            found = Visitor(session.account, "session", session.csrf_token)
    request.state.visitor = found
    return found


def check_csrf(visitor: Visitor, sent: str | None) -> None:
    """Refuse a state-changing request from a session without its CSRF token.

    Raises
    ------
    ForbiddenError
        When the token is missing or differs (compared in constant time).
    """
    if visitor.via == "token":
        return
    expected = visitor.csrf_token or ""
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ForbiddenError("the form's security token is missing or out of date: reload the page")


def require(request: Request, permission: Permission | None = None) -> Visitor:
    """Return the visitor if signed in and allowed ``permission``; check CSRF on API writes.

    Form posts check their token themselves (:func:`check_csrf` with the form field), since
    the form body is read by the route.

    Raises
    ------
    NotSignedInError
        Without a live session or token.
    ForbiddenError
        When the role lacks ``permission``.
    """
    visitor = visitor_of(request)
    if visitor is None:
        raise NotSignedInError()
    if permission is not None and not visitor.may(permission):
        raise ForbiddenError(f"the {visitor.role.value} role may not do this ({permission.value})")
    is_api = request.url.path.startswith("/api/")
    if is_api and request.method in _UNSAFE:
        check_csrf(visitor, request.headers.get(CSRF_HEADER))
    return visitor


def needs(*permissions: Permission | None) -> Callable[[Request], Visitor]:
    """Return a FastAPI dependency requiring a signed-in visitor with one of ``permissions``.

    Declared on a route (``dependencies=[Depends(needs(Permission.EDIT))]``), it runs before
    the request's parameters and body are validated, so a role without the permission is
    refused (403) whatever it sends, and the route table of docs/security.md is read from the
    routes themselves (the dependency carries its ``permissions``). Several permissions: any
    one of them suffices (a patient list needs identified or de-identified viewing). None
    (or nothing): any signed-in visitor.
    """
    return _needs(tuple(p for p in permissions if p is not None))


@cache
def _needs(permissions: tuple[Permission, ...]) -> Callable[[Request], Visitor]:

    def dependency(request: Request) -> Visitor:
        visitor = require(request)
        if permissions and not any(visitor.may(p) for p in permissions):
            wanted = " or ".join(p.value for p in permissions)
            raise ForbiddenError(f"the {visitor.role.value} role may not do this ({wanted})")
        return visitor

    dependency.permissions = permissions  # type: ignore[attr-defined]
    names = "_or_".join(p.value for p in permissions) or "sign_in"
    dependency.__name__ = f"needs_{names}"
    return dependency
