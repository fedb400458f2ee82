"""The REST API under ``/api/v1`` (OpenAPI 3.1 at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
