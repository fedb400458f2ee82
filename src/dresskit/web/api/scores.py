"""Stateless scoring: ``POST /api/v1/scores/{instrument}`` (the same JSON as the command line)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
