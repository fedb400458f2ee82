"""The application factory: ``create_app(engine)`` wires pages, API, static files and errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from dresskit import __version__
from dresskit.errors import InputError, InputErrors
from dresskit.web.auth import ForbiddenError, NotSignedInError
from dresskit.web.problems import input_problem, problem, validation_problem
from dresskit.web.security import SecurityHeaders
from dresskit.web.settings import WebSettings
from dresskit.web.templating import render

__all__ = ["app_from_environment", "create_app"]

_STATIC = Path(__file__).parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _methods_by_path() -> Callable[[str], list[str]]:
    """Return a function giving the methods every route matching a path accepts."""
    from dresskit.web.route_table import route_permissions

    patterns: dict[str, set[str]] = {}
    for rule in route_permissions():
        patterns.setdefault(rule.path, set()).add(rule.method)
    compiled = [
        (
            re.compile(
                _PARAMETER.sub(_pattern_of, re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
            ),
            methods,
        )
        for path, methods in patterns.items()
    ]

    def methods_of(path: str) -> list[str]:
        found: set[str] = set()
        for pattern, methods in compiled:
            if pattern.fullmatch(path):
                found |= methods
        if "GET" in found:
            found.add("HEAD")
        return sorted(found)

    return methods_of


_PARAMETER = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def _pattern_of(match: re.Match[str]) -> str:
    return ".+" if match.group(2) == ":path" else "[^/]+"


def create_app(engine: Engine, settings: WebSettings | None = None) -> FastAPI:
    """Return the web application over the registry at ``engine``.

    The database must be migrated (``dresskit db init``); ``dresskit serve`` does so.
    """
    from dresskit.web.api import router as api_router
    from dresskit.web.pages import routers as page_routers

    app = FastAPI(
        title="dresskit API",
        version=__version__,
        summary="Scores, courses, reports and the registry of DRESS and severe drug eruptions",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the reference page is rendered here, not loaded from a CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings or WebSettings()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.include_router(api_router)
    for router in page_routers:
        app.include_router(router)

    @app.exception_handler(NotSignedInError)
    async def _not_signed_in(request: Request, _: NotSignedInError) -> Response:
        if _is_api(request):
            return problem(
                401,
                "Not signed in",
                "send a personal API token as 'Authorization: Bearer dk_...'",
                headers={"www-authenticate": 'Bearer realm="dresskit"'},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, error: ForbiddenError) -> Response:
        if _is_api(request):
            return problem(403, "Forbidden", error.reason)
        return render(
            request, "error.html", {"title": "Not allowed", "detail": error.reason}, status=403
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
        if _is_api(request):
            return validation_problem(error)
        detail = "; ".join(str(e.get("msg", "")) for e in error.errors())
        return render(request, "error.html", {"title": "Bad request", "detail": detail}, status=422)

    @app.exception_handler(InputError)
    @app.exception_handler(InputErrors)
    async def _refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, InputError | InputErrors)
        if _is_api(request):
            return input_problem(error)
        return render(request, "error.html", {"title": "Refused", "detail": str(error)}, status=422)

    allowed_methods = _methods_by_path()

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        if error.status_code == 405:
            # Several routers may serve one path (GET from one, POST from another): say every
            # method the path has, not only those of the first route that matched.
            methods = allowed_methods(request.url.path)
            error = HTTPException(405, "Method Not Allowed", headers={"allow": ", ".join(methods)})
        if _is_api(request):
            return problem(
                error.status_code, str(error.detail), str(error.detail), headers=error.headers
            )
        return render(
            request,
            "error.html",
            {"title": str(error.detail), "detail": ""},
            status=error.status_code,
        )

    return app


def app_from_environment() -> FastAPI:
    """Return the application over ``DRESSKIT_DATABASE_URL`` (uvicorn's ``--factory``).

    Each worker process of ``dresskit serve --workers N`` builds its application here.
    ``DRESSKIT_INSECURE_COOKIES=1`` stands for ``--insecure-cookies``.
    """
    import os

    from dresskit.registry.db import engine_for

    insecure = os.environ.get("DRESSKIT_INSECURE_COOKIES") == "1"
    return create_app(engine_for(None), WebSettings(secure_cookies=not insecure))
