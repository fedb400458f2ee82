"""Sign-in, sign-out, password change, the one-time setup link, and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dresskit.errors import InputError
from dresskit.registry.accounts import (
    SignInError,
    authenticate,
    change_password,
    end_session,
    start_session,
    use_setup_token,
)
from dresskit.web.auth import (
    SESSION_COOKIE,
    check_csrf,
    engine_of,
    needs,
    require,
    settings_of,
    visitor_of,
)
from dresskit.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after sign-in: never another site (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _signed_in(request: Request, username: str, target: str) -> Response:
    cookie, _ = start_session(
        engine_of(request), username, replacing=request.cookies.get(SESSION_COOKIE)
    )
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        secure=settings_of(request).secure_cookies,
        samesite="strict",
        path="/",
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    """Show the sign-in form."""
    return render(request, "sign_in.html", {"next": _safe_next(next), "error": None})


@router.post("/sign-in")
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the credentials; start a new session (the old cookie's session ends)."""
    try:
        account = authenticate(engine_of(request), username.strip().lower(), password)
    except SignInError as error:
        context = {"next": _safe_next(next), "error": str(error), "username": username}
        return render(request, "sign_in.html", context, status=401)
    return _signed_in(request, account.username, next)


@router.post("/sign-out", dependencies=[Depends(needs(None))])
def sign_out(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session and clear its cookie."""
    visitor = require(request)
    check_csrf(visitor, csrf_token)
    end_session(engine_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", dependencies=[Depends(needs(None))])
def password_page(request: Request) -> Response:
    """Show the password change form."""
    require(request)
    return render(request, "password.html", {"error": None, "done": False})


@router.post("/account/password", dependencies=[Depends(needs(None))])
def password_change(
    request: Request,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    repeat: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change the password; every session of the account ends, so sign in again."""
    visitor = require(request)
    check_csrf(visitor, csrf_token)
    if new != repeat:
        return render(
            request,
            "password.html",
            {"error": "the two new passwords differ", "done": False},
            status=422,
        )
    try:
        change_password(engine_of(request), visitor.username, current, new)
    except (SignInError, InputError) as error:
        return render(request, "password.html", {"error": str(error), "done": False}, status=422)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/setup/{token}")
def setup_page(request: Request, token: str) -> Response:
    """Show the form choosing the first password (one-time setup link)."""
    return render(request, "setup.html", {"token": token, "error": None})


@router.post("/setup/{token}")
def setup(
    request: Request,
    token: str,
    new: Annotated[str, Form(max_length=1000)],
    repeat: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Set the first password (the link works once), then sign in."""
    if new != repeat:
        return render(
            request, "setup.html", {"token": token, "error": "the two passwords differ"}, status=422
        )
    try:
        username = use_setup_token(engine_of(request), token, new)
    except (SignInError, InputError) as error:
        return render(request, "setup.html", {"token": token, "error": str(error)}, status=422)
    return _signed_in(request, username, "/")


@router.get("/")
def home(request: Request) -> Response:
    """Show the start page: what this account may do."""
    if visitor_of(request) is None:
        return RedirectResponse("/sign-in", status_code=303)
    require(request)
    return render(request, "home.html")
