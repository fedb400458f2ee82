"""Data entry: patient, episode, drugs, daily observations grid, treatments, findings."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
