"""The server-rendered pages, one module per area; each exposes ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from dresskit.web.pages import accounts, admin, audit, cohort, entry, exchange, patients, tokens

__all__ = ["routers"]

routers: list[APIRouter] = [
    accounts.router,
    patients.router,
    entry.router,
    cohort.router,
    exchange.router,
    audit.router,
    admin.router,
    tokens.router,
]
