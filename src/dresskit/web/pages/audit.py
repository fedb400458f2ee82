"""The audit trail page: filter, read, verify the chain.

``/audit`` lists the records of the append-only, hash-chained audit trail newest first, 50 a
page, filtered by actor, action, entity, entity id and a range of days (UTC);
``/audit/verify`` recomputes every hash (:func:`dresskit.registry.audit.verify`) and shows
whether the chain is intact, or the first record that breaks it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dresskit.errors import InputError
from dresskit.registry.access import Permission
from dresskit.registry.audit import verify
from dresskit.registry.audit_search import AuditFilter, known_values, search
from dresskit.web.auth import engine_of, needs, require
from dresskit.web.templating import render

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

#: Records on one page.
PAGE_SIZE: Final = 50
_DETAIL: Final = 2000

_Text = Annotated[str, Query(max_length=200)]


def _day(field: str, text: str) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(field, text, "a day as YYYY-MM-DD") from None


def _short(text: str | None) -> str:
    if text is None:
        return ""
    return text if len(text) <= _DETAIL else text[:_DETAIL] + " …"


def _listing(
    request: Request,
    form: dict[str, str],
    before: str,
    *,
    check: Any = None,
) -> Response:
    engine = engine_of(request)
    problems: list[InputError] = []
    start = end = None
    try:
        start = _day("from", form["from"])
    except InputError as error:
        problems.append(error)
    try:
        end = _day("to", form["to"])
    except InputError as error:
        problems.append(error)
    before_id = None
    if before.strip():
        if before.strip().isdigit() and len(before.strip()) < 19:
            before_id = int(before.strip())
        else:
            problems.append(InputError("before", before, "a record number from this page"))
    records: tuple[Any, ...] = ()
    older = None
    if not problems:
        chosen = AuditFilter(
            actor=form["actor"].strip() or None,
            action=form["action"].strip() or None,
            entity=form["entity"].strip() or None,
            entity_id=form["entity_id"].strip() or None,
            on_or_after=start,
            on_or_before=end,
        )
        try:
            page = search(engine, chosen, limit=PAGE_SIZE, before_id=before_id)
            records, older = page.records, page.next_before_id
        except InputError as error:
            problems.append(error)
    query = {name: value for name, value in form.items() if value}
    context = {
        "form": form,
        "choices": known_values(engine),
        "records": [
            {"record": record, "before": _short(record.before), "after": _short(record.after)}
            for record in records
        ],
        "errors": problems,
        "older": f"/audit?{urlencode({**query, 'before': older})}" if older else None,
        "newest": f"/audit?{urlencode(query)}" if before_id is not None else None,
        "verify_url": f"/audit/verify?{urlencode(query)}" if query else "/audit/verify",
        "check": check,
    }
    return render(request, "audit/index.html", context, status=422 if problems else 200)


def _audit_filters(
    actor: _Text = "",
    action: _Text = "",
    entity: _Text = "",
    entity_id: _Text = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
) -> dict[str, str]:
    """Read the filters of the listing (the page and the chain check take the same ones)."""
    return {
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "from": from_,
        "to": to,
    }


_AuditFilters = Annotated[dict[str, str], Depends(_audit_filters)]


@router.get("/audit", dependencies=[Depends(needs(Permission.VIEW_AUDIT))])
def audit_page(
    request: Request,
    form: _AuditFilters,
    before: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """List the audit records matching the filters, newest first."""
    require(request, Permission.VIEW_AUDIT)
    return _listing(request, form, before)


@router.get("/audit/verify", dependencies=[Depends(needs(Permission.VIEW_AUDIT))])
def audit_verify(request: Request, form: _AuditFilters) -> Response:
    """Verify the whole chain and show the result above the (filtered) records."""
    require(request, Permission.VIEW_AUDIT)
    return _listing(request, form, "", check=verify(engine_of(request)))
