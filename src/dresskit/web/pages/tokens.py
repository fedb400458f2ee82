"""Personal API tokens of the signed-in account: create (shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
