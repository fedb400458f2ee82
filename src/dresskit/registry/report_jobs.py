"""Background report jobs as the registry keeps them (table ``report_jobs``).

A job is ``queued`` when asked for, ``running`` while built, then ``done`` or ``failed``.
Its row is the one place its state lives, so a status page survives a reload, another
worker process, or a restart (a job that stopped being worked on is found by its
heartbeat, the time of its last progress, and said to have failed). ``progress`` holds JSON:
the current step, the percentage, the heartbeat, and once done the files written and the
notes (such as a PDF that could not be laid out, with the reason). Building the report is
written to the audit trail when the job finishes (action ``export``, entity ``report``), in
the same transaction that marks it done.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

from sqlalchemy import Engine, func, select, update

from dresskit.registry import audit
from dresskit.registry.db import writing
from dresskit.registry.schema import table

__all__ = [
    "FINAL_STATES",
    "JobState",
    "ReportJob",
    "create_job",
    "fail_job",
    "finish_job",
    "get_job",
    "is_job_id",
    "jobs_of",
    "set_progress",
    "unfinished_count",
]

JobState = Literal["queued", "running", "done", "failed"]
FINAL_STATES: Final = frozenset({"done", "failed"})
_JOB_ID: Final = re.compile(r"[0-9a-f]{32}")
_MAX_ERROR: Final = 4000


@dataclass(frozen=True, slots=True)
class ReportJob:
    """One report job as stored.

    Attributes
    ----------
    id
        32 random hexadecimal characters (unguessable; also the name of its folder).
    username
        Who asked for it (only they, or an admin, may see it).
    state
        ``queued``, ``running``, ``done`` or ``failed``.
    step, percent
        What is being done, and how far along (0-100).
    parameters
        What was asked: the cohort filter, the index event, whether a PDF is wanted.
    files
        The files written (names within the job's folder), once done.
    notes
        What the owner should know about a finished job (a PDF not made, episodes left out).
    error
        Why a failed job failed.
    created_at, finished_at, heartbeat
        When it was asked for, finished, and last made progress.
    """

    id: str
    username: str
    state: JobState
    step: str
    percent: int
    parameters: Mapping[str, Any]
    files: tuple[str, ...]
    notes: tuple[str, ...]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    heartbeat: datetime

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed (its state no longer changes)."""
        return self.state in FINAL_STATES


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_job_id(text: object) -> bool:
    """Return whether ``text`` has the form of a job id (anything else is no job)."""
    return isinstance(text, str) and _JOB_ID.fullmatch(text) is not None


def _job(row: Any) -> ReportJob:
    progress = json.loads(row.progress)
    created = _aware(row.created_at)
    heartbeat = progress.get("heartbeat")
    return ReportJob(
        id=row.id,
        username=row.username,
        state=cast(JobState, row.state),
        step=str(progress.get("step", "")),
        percent=int(progress.get("percent", 0)),
        parameters=json.loads(row.parameters),
        files=tuple(progress.get("files", ())),
        notes=tuple(progress.get("notes", ())),
        error=row.error,
        created_at=created,
        finished_at=_aware(row.finished_at) if row.finished_at is not None else None,
        heartbeat=datetime.fromisoformat(heartbeat) if heartbeat else created,
    )


def _progress(step: str, percent: int, **extra: Any) -> str:
    return json.dumps(
        {"step": step, "percent": percent, "heartbeat": _now().isoformat(), **extra},
        ensure_ascii=False,
    )


def create_job(engine: Engine, username: str, parameters: Mapping[str, Any]) -> ReportJob:
    """Store a new queued job for ``username``; return it."""
    jobs = table("report_jobs")
    job_id = secrets.token_hex(16)
    with writing(engine).begin() as connection:
        connection.execute(
            jobs.insert().values(
                id=job_id,
                username=username,
                state="queued",
                progress=_progress("waiting for the report worker", 0),
                parameters=json.dumps(dict(parameters), ensure_ascii=False, sort_keys=True),
                error=None,
                created_at=_now(),
                finished_at=None,
            )
        )
    found = get_job(engine, job_id)
    assert found is not None
    return found


def get_job(engine: Engine, job_id: str) -> ReportJob | None:
    """Return the job ``job_id``, or None (also for text that is no job id)."""
    if not is_job_id(job_id):
        return None
    jobs = table("report_jobs")
    with engine.connect() as connection:
        row = connection.execute(select(jobs).where(jobs.c.id == job_id)).one_or_none()
    return None if row is None else _job(row)


def jobs_of(engine: Engine, username: str | None, *, limit: int = 20) -> list[ReportJob]:
    """Return the newest jobs of ``username`` (None: of everyone), newest first."""
    jobs = table("report_jobs")
    query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
    if username is not None:
        query = query.where(jobs.c.username == username)
    with engine.connect() as connection:
        return [_job(row) for row in connection.execute(query)]


def unfinished_count(engine: Engine, username: str) -> int:
    """Return how many jobs of ``username`` are queued or running."""
    jobs = table("report_jobs")
    query = (
        select(func.count())
        .select_from(jobs)
        .where(jobs.c.username == username, jobs.c.state.in_(("queued", "running")))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def set_progress(engine: Engine, job_id: str, step: str, percent: int) -> None:
    """Record that the job is running ``step``, ``percent`` % done (also its heartbeat)."""
    jobs = table("report_jobs")
    with writing(engine).begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(("queued", "running")))
            .values(state="running", progress=_progress(step, max(0, min(percent, 99))))
        )


def finish_job(
    engine: Engine,
    job_id: str,
    *,
    files: Sequence[str],
    notes: Sequence[str],
    audit_after: Mapping[str, Any],
) -> None:
    """Mark the job done with its files and notes; write its audit record (same transaction)."""
    jobs = table("report_jobs")
    with writing(engine).begin() as connection:
        row = connection.execute(select(jobs).where(jobs.c.id == job_id)).one()
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                state="done",
                progress=_progress("done", 100, files=list(files), notes=list(notes)),
                finished_at=_now(),
            )
        )
        audit.append(
            connection,
            actor=row.username,
            action="export",
            entity="report",
            entity_id=job_id,
            after=dict(audit_after),
        )


def fail_job(engine: Engine, job_id: str, reason: str) -> None:
    """Mark the job failed, saying why (a job already finished is left as it is)."""
    jobs = table("report_jobs")
    with writing(engine).begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(("queued", "running")))
            .values(
                state="failed",
                progress=_progress("failed", 0),
                error=reason[:_MAX_ERROR],
                finished_at=_now(),
            )
        )
