"""Writing the registry: patients, episodes and their rows, under ETag / If-Match locking."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
