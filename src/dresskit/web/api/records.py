"""Reading the registry: patients, episodes, their rows and the derived course."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
