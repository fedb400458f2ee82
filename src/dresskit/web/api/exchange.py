"""Import (bundle, FHIR R4, REDCap) and export through the API."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
