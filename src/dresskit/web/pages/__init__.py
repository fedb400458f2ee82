"""The server-rendered pages, one module per area; each exposes ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from dresskit.web.pages import accounts

__all__ = ["routers"]

routers: list[APIRouter] = [accounts.router]
