"""The REST API under ``/api/v1`` (OpenAPI 3.1 at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from fastapi import APIRouter

from dresskit.web.api import audit, exchange, records, reports, scores, tokens, write

__all__ = ["PREFIX", "router", "routers"]

PREFIX = "/api/v1"

#: The API's routers, one per area (their paths are relative to :data:`PREFIX`).
routers: list[APIRouter] = [
    m.router for m in (scores, records, write, reports, exchange, audit, tokens)
]

router = APIRouter(prefix=PREFIX)
for _area in routers:
    router.include_router(_area)
