"""The REST API under ``/api/v1`` (OpenAPI 3.1 at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from fastapi import APIRouter

from dresskit.web.api import audit, exchange, records, reports, scores, tokens, write

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
for _module in (scores, records, write, reports, exchange, audit, tokens):
    router.include_router(_module.router)
