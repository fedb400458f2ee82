"""Account administration (admin only): users, roles, sites.

``/admin/users`` lists every account (role, sites, active, locked) and changes them: add an
account (its one-time setup link is shown once, never stored), change a role, set the sites
granted, deactivate or reactivate (which also unlocks). ``/admin/sites`` lists the sites
with their patient counts and adds one. Every form carries the session's CSRF token, and
every change is written to the audit trail by :mod:`dresskit.registry.accounts`. An admin
cannot deactivate their own account or change their own role, so that the registry always
keeps the admin who is acting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import ROLE_DESCRIPTIONS, Permission, Role
from dresskit.registry.accounts import (
    accounts,
    add_site,
    create_user,
    grant_sites,
    patient_site_counts,
    set_active,
    set_role,
    sites,
)
from dresskit.web.auth import Visitor, check_csrf, engine_of, needs, require
from dresskit.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: What a finished change says (the ``done`` query parameter names one; nothing else shows).
_DONE: Final[dict[str, str]] = {
    "role": "Role changed",
    "sites": "Sites granted",
    "deactivated": "Account deactivated (its sessions ended)",
    "reactivated": "Account reactivated and unlocked",
    "site": "Site added",
}
_NAME: Final = 64
_USERNAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ADMIN: Final = [Depends(needs(Permission.MANAGE_ACCOUNTS))]
_CSRF = Annotated[str, Form(max_length=200)]
_Sites = Annotated[list[str], Form(max_length=200)]


def _problems(error: InputError | InputErrors) -> tuple[InputError, ...]:
    return error.errors if isinstance(error, InputErrors) else (error,)


def _users_page(
    request: Request,
    *,
    errors: tuple[InputError, ...] = (),
    created: dict[str, str] | None = None,
    done: str | None = None,
    who: str | None = None,
    status: int = 200,
) -> Response:
    engine = engine_of(request)
    now = datetime.now(tz=UTC)
    context: dict[str, Any] = {
        "accounts": [
            {
                "account": found,
                "locked": found.locked_until is not None and found.locked_until > now,
            }
            for found in accounts(engine)
        ],
        "roles": [(role.value, ROLE_DESCRIPTIONS[role]) for role in Role],
        "sites": sites(engine),
        "errors": errors,
        "created": created,
        "done": _DONE.get(done or ""),
        "who": who,
    }
    return render(request, "admin/users.html", context, status=status)


def _admin(request: Request, csrf_token: str | None = None) -> Visitor:
    visitor = require(request, Permission.MANAGE_ACCOUNTS)
    if csrf_token is not None:
        check_csrf(visitor, csrf_token)
    return visitor


def _not_yourself(visitor: Visitor, username: str, what: str) -> None:
    if username == visitor.username:
        raise InputError(
            "username",
            username,
            f"another account than your own (an admin cannot {what} their own account)",
        )


def _existing(username: str) -> str:
    """Return ``username`` if it can name an account (junk and NUL never reach the database)."""
    if not _USERNAME.fullmatch(username):
        raise InputError("username", username[:_NAME], "an existing account")
    return username


def _done(what: str, username: str | None = None) -> Response:
    query = {"done": what, **({"user": username} if username else {})}
    return RedirectResponse(f"/admin/users?{urlencode(query)}", status_code=303)


@router.get("/admin/users", dependencies=_ADMIN)
def users_page(request: Request, done: str | None = None, user: str | None = None) -> Response:
    """List every account, with the forms that change them."""
    _admin(request)
    return _users_page(request, done=done, who=(user or "")[:_NAME] or None)


@router.post("/admin/users", dependencies=_ADMIN)
def add_user(
    request: Request,
    username: Annotated[str, Form(max_length=_NAME)],
    role: Annotated[str, Form(max_length=20)],
    site: _Sites = [],  # noqa: B006 - FastAPI reads list defaults per request
    csrf_token: _CSRF = "",
) -> Response:
    """Add an account without a password; show its one-time setup link (once)."""
    visitor = _admin(request, csrf_token)
    name = username.strip().lower()
    try:
        token = create_user(engine_of(request), name, role=role, sites=site, actor=visitor.username)
    except (InputError, InputErrors) as error:
        return _users_page(request, errors=_problems(error), status=422)
    link = str(request.base_url).rstrip("/") + f"/setup/{token}"
    return _users_page(request, created={"username": name, "link": link})


@router.post("/admin/users/{username}/role", dependencies=_ADMIN)
def change_role(
    request: Request,
    username: str,
    role: Annotated[str, Form(max_length=20)],
    csrf_token: _CSRF = "",
) -> Response:
    """Change an account's role."""
    visitor = _admin(request, csrf_token)
    try:
        _not_yourself(visitor, username, "change the role of")
        set_role(engine_of(request), _existing(username), role, actor=visitor.username)
    except (InputError, InputErrors) as error:
        return _users_page(request, errors=_problems(error), status=422)
    return _done("role", username)


@router.post("/admin/users/{username}/sites", dependencies=_ADMIN)
def change_sites(
    request: Request,
    username: str,
    site: _Sites = [],  # noqa: B006
    csrf_token: _CSRF = "",
) -> Response:
    """Set the sites an account is granted (replacing the previous grant)."""
    visitor = _admin(request, csrf_token)
    try:
        grant_sites(engine_of(request), _existing(username), site, actor=visitor.username)
    except (InputError, InputErrors) as error:
        return _users_page(request, errors=_problems(error), status=422)
    return _done("sites", username)


@router.post("/admin/users/{username}/active", dependencies=_ADMIN)
def change_active(
    request: Request,
    username: str,
    active: Annotated[str, Form(max_length=5)],
    csrf_token: _CSRF = "",
) -> Response:
    """Deactivate (ending its sessions) or reactivate (and unlock) an account."""
    visitor = _admin(request, csrf_token)
    try:
        if active not in ("yes", "no"):
            raise InputError("active", active, "yes or no")
        if active == "no":
            _not_yourself(visitor, username, "deactivate")
        set_active(engine_of(request), _existing(username), active == "yes", actor=visitor.username)
    except (InputError, InputErrors) as error:
        return _users_page(request, errors=_problems(error), status=422)
    return _done("reactivated" if active == "yes" else "deactivated", username)


def _sites_page(
    request: Request,
    *,
    errors: tuple[InputError, ...] = (),
    done: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    engine = engine_of(request)
    counts = patient_site_counts(engine)
    context = {
        "sites": [(name, title, counts.get(name, 0)) for name, title in sites(engine)],
        "errors": errors,
        "done": _DONE.get(done or ""),
        "form": form or {"name": "", "title": ""},
    }
    return render(request, "admin/sites.html", context, status=status)


@router.get("/admin/sites", dependencies=_ADMIN)
def sites_page(request: Request, done: str | None = None) -> Response:
    """List the sites and how many patients each holds."""
    _admin(request)
    return _sites_page(request, done=done)


@router.post("/admin/sites", dependencies=_ADMIN)
def create_site(
    request: Request,
    name: Annotated[str, Form(max_length=_NAME)],
    title: Annotated[str, Form(max_length=200)],
    csrf_token: _CSRF = "",
) -> Response:
    """Add a site (a hospital or unit)."""
    visitor = _admin(request, csrf_token)
    try:
        add_site(engine_of(request), name.strip(), title.strip(), actor=visitor.username)
    except (InputError, InputErrors) as error:
        form = {"name": name, "title": title}
        return _sites_page(request, errors=_problems(error), form=form, status=422)
    return RedirectResponse("/admin/sites?done=site", status_code=303)
