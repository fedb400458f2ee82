"""The permission each page and endpoint requires, read from the routes themselves.

A route declares its permission with :func:`dresskit.web.auth.needs` (a dependency that runs
before the request is validated). :func:`route_permissions` lists every route of an
application with it, so docs/security.md prints the very table the application enforces, and
the role-matrix test calls every route as every role against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi.routing import APIRoute

from dresskit.registry.access import ROLE_PERMISSIONS, Permission, Role

__all__ = [
    "RouteRule",
    "allowed_roles",
    "markdown_table",
    "requirement_text",
    "route_permissions",
]

Requirement = tuple[Permission, ...] | Literal["signed-in", "public"]


@dataclass(frozen=True, slots=True, order=True)
class RouteRule:
    """One method and path of the application, and what it requires."""

    path: str
    method: str
    requirement: Requirement


def _declared(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None and hasattr(dependency.call, "permissions"):
            yield dependency.call
        yield from _declared(dependency)


def _routes() -> Iterator[tuple[str, APIRoute]]:
    from dresskit.web import api, pages

    for router in pages.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield "", route
    for router in api.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield api.PREFIX, route


def route_permissions() -> list[RouteRule]:
    """Return every page and endpoint (methods apart) with the permission it declares.

    The OpenAPI document (``GET /api/v1/openapi.json``) and the static files are public too.
    """
    rules = [RouteRule("/api/v1/openapi.json", "GET", "public")]
    for prefix, route in _routes():
        declared = list(_declared(route.dependant))
        requirement: Requirement
        if not declared:
            requirement = "public"
        else:
            permissions = tuple(declared[0].permissions)
            requirement = permissions if permissions else "signed-in"
        for method in sorted((route.methods or set()) - {"HEAD"}):
            rules.append(RouteRule(prefix + route.path, method, requirement))
    return sorted(rules)


def allowed_roles(requirement: Requirement) -> set[Role]:
    """Return the roles a requirement lets in (every role for public and signed-in)."""
    if isinstance(requirement, tuple):
        return {role for role in Role if set(requirement) & ROLE_PERMISSIONS[role]}
    return set(Role)


def requirement_text(requirement: Requirement) -> str:
    """Return a requirement as printed: ``edit``, ``view_identified or view_deidentified``."""
    if isinstance(requirement, tuple):
        return " or ".join(p.value for p in requirement)
    return requirement


def markdown_table() -> str:
    """Return the route table as the Markdown table docs/security.md prints.

    Regenerate the page's table with ``python -c "from dresskit.web.route_table import
    markdown_table; print(markdown_table())"``.
    """
    roles = list(Role)
    lines = [
        "| method | path | requires | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|---|" + "---|" * len(roles),
    ]
    for rule in route_permissions():
        allowed = allowed_roles(rule.requirement)
        cells = " | ".join("yes" if role in allowed else "no" for role in roles)
        needed = requirement_text(rule.requirement)
        lines.append(f"| `{rule.method}` | `{rule.path}` | `{needed}` | {cells} |")
    return "\n".join(lines) + "\n"
