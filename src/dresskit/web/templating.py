"""The Jinja2 environment of the pages: autoescaping on, the visitor and CSRF token in scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from dresskit import __version__
from dresskit.registry.access import Permission
from dresskit.web.auth import visitor_of

__all__ = ["TEMPLATES", "render"]

TEMPLATES: Final = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True  # every template, whatever its name ends with
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["Permission"] = Permission


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the visitor, its CSRF token and ``context``."""
    visitor = visitor_of(request)
    values = {
        "visitor": visitor,
        "csrf_token": visitor.csrf_token if visitor is not None else None,
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)
