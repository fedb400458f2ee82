"""Personal API tokens of the signed-in account: create (shown once), list, revoke.

The new token is shown on the page that answers the form, once: it is not put in a URL, a
cookie or the session, and the page is not cached (``Cache-Control: no-store``). Every form
carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from dresskit.errors import InputError
from dresskit.registry.accounts import create_api_token, revoke_api_token, tokens_of
from dresskit.web.auth import Visitor, check_csrf, engine_of, needs, require
from dresskit.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(needs(None))])


def _page(
    request: Request,
    visitor: Visitor,
    *,
    made: str | None = None,
    made_name: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "tokens": tokens_of(engine_of(request), visitor.username),
        "made": made,
        "made_name": made_name,
        "error": error,
    }
    return render(request, "tokens/tokens.html", context, status=status)


@router.get("/account/tokens")
def tokens_page(request: Request) -> Response:
    """List the account's API tokens, with the form to make one."""
    visitor = require(request)
    return _page(request, visitor)


@router.post("/account/tokens")
def token_make(
    request: Request,
    name: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Make a token and show it, this once."""
    visitor = require(request)
    check_csrf(visitor, csrf_token)
    try:
        token = create_api_token(engine_of(request), visitor.username, name.strip())
    except InputError as error:
        return _page(request, visitor, error=str(error.expected), status=422)
    return _page(request, visitor, made=token, made_name=name.strip(), status=201)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Revoke one of the account's tokens, then show the list again."""
    visitor = require(request)
    check_csrf(visitor, csrf_token)
    try:
        revoke_api_token(engine_of(request), visitor.username, token_id)
    except InputError:
        return _page(
            request,
            visitor,
            error="none of your tokens that is not revoked has this id",
            status=404,
        )
    return RedirectResponse("/account/tokens", status_code=303)
