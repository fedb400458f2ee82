"""Patient list and the patient / episode page (course at a glance, interactive timeline)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
