"""The audit trail through the API: records and chain verification (``view_audit``).

Records come newest first, filtered by actor, action, entity and days
(:func:`dresskit.registry.audit_search.search`, as the audit page); the chain check is
:func:`dresskit.registry.audit.verify` (every hash recomputed, the recorded head compared).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from dresskit.registry import audit
from dresskit.registry.access import Permission
from dresskit.registry.audit_search import AuditFilter, search
from dresskit.web.api.models import (
    API_SECURITY,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
    problem_responses,
)
from dresskit.web.auth import engine_of, needs, require

__all__ = ["AuditEntry", "ChainVerdict", "router"]

router = APIRouter(
    tags=["audit"], dependencies=[*API_SECURITY, Depends(needs(Permission.VIEW_AUDIT))]
)


class AuditEntry(BaseModel):
    """One audit record: who did what to which entity, when, and the values changed."""

    id: int
    at: datetime
    actor: str
    action: str = Field(description="create, update, delete, import, export, view, sign_in, ...")
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None = Field(description="The values before the change.")
    after: dict[str, Any] | None = Field(description="The values after the change.")
    previous_hash: str
    hash: str = Field(description="SHA-256 over the previous hash and this record.")


class ChainVerdict(BaseModel):
    """Whether the audit chain is intact, and if not where it breaks and why."""

    intact: bool
    checked: int = Field(description="Records checked.")
    broken_at: int | None = Field(description="The id of the first record that does not fit.")
    reason: str
    newest_hash: str | None = Field(description="Note it elsewhere to check later against.")


def _entry(record: audit.AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at if record.at.tzinfo else record.at.replace(tzinfo=UTC),
        "actor": record.actor,
        "action": record.action,
        "entity": record.entity,
        "entity_id": record.entity_id,
        "before": json.loads(record.before) if record.before else None,
        "after": json.loads(record.after) if record.after else None,
        "previous_hash": record.previous_hash,
        "hash": record.hash,
    }


def _text(description: str) -> Any:
    return Query(min_length=1, max_length=200, description=description)


@router.get(
    "/audit",
    summary="List audit records, newest first",
    response_model=Page[AuditEntry],
    responses=problem_responses(422),
)
def audit_records(
    request: Request,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    actor: Annotated[str | None, _text("Only this actor (a username).")] = None,
    action: Annotated[str | None, _text("Only this action (create, view, export, ...).")] = None,
    entity: Annotated[str | None, _text("Only this kind of entity (episode, user, ...).")] = None,
    entity_id: Annotated[str | None, _text("Only this entity id.")] = None,
    first_day: Annotated[
        date | None, Query(alias="from", description="From this day (UTC), inclusive.")
    ] = None,
    last_day: Annotated[
        date | None, Query(alias="to", description="To this day (UTC), inclusive.")
    ] = None,
) -> dict[str, Any]:
    """List audit records, newest first."""
    require(request, Permission.VIEW_AUDIT)
    before = decode_cursor(cursor, kinds=(int,))[0] if cursor is not None else None
    chosen = AuditFilter(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        on_or_after=first_day,
        on_or_before=last_day,
    )
    page = search(engine_of(request), chosen, limit=limit, before_id=before)
    following = page.next_before_id
    return {
        "items": [_entry(record) for record in page.records],
        "next_cursor": encode_cursor([following]) if following is not None else None,
    }


@router.get(
    "/audit/verify",
    summary="Verify the audit chain",
    response_model=ChainVerdict,
    responses=problem_responses(422),
)
def audit_verify(
    request: Request,
    expected_head: Annotated[
        str | None,
        Query(
            pattern="^[0-9a-f]{64}$",
            description="A newest hash noted earlier: the check also fails if it is gone.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Verify the audit chain: every hash recomputed, the recorded head compared."""
    require(request, Permission.VIEW_AUDIT)
    engine = engine_of(request)
    check = audit.verify(engine, expected_head=expected_head)
    newest = search(engine, AuditFilter(), limit=1).records
    return {
        "intact": check.intact,
        "checked": check.checked,
        "broken_at": check.broken_at,
        "reason": check.reason or ("intact" if check.intact else ""),
        "newest_hash": newest[0].hash if newest else None,
    }
