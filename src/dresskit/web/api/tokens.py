"""Personal API tokens through the API, and the rendered API reference page."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
