"""Import and export pages: upload a file and read its problem table; (de-identified) exports."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
