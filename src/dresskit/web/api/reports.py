"""Cohort report jobs: create, follow, download.

``POST /api/v1/reports`` asks for a report of a cohort (the same choice as the cohort page)
and answers ``202 Accepted`` with the job and its ``Location``; ``GET /api/v1/reports/{id}``
follows its state and progress; ``GET /api/v1/reports/{id}/files/{name}`` downloads a file
once it is done. A job is seen by its owner and by an admin only (404 for anyone else, as
for a job that does not exist). A researcher's report is built from the de-identified
cohort (:mod:`dresskit.registry.cohorts`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import FileResponse, JSONResponse, Response

from dresskit.registry.access import Permission
from dresskit.registry.cohorts import DIAGNOSIS_CLASSES, CohortFilter, check_filter
from dresskit.registry.report_jobs import ReportJob
from dresskit.registry.scoped import record_view
from dresskit.web.api.models import API_SECURITY, PROBLEM_SCHEMA, problem_responses
from dresskit.web.auth import engine_of, needs, require
from dresskit.web.jobs import (
    DOWNLOADS,
    ReportRequest,
    TooManyJobsError,
    check_index,
    job_file,
    runner_of,
    visible_job,
)
from dresskit.web.problems import PROBLEM_JSON, problem

__all__ = [
    "ReportFile",
    "ReportJobCreate",
    "ReportJobOut",
    "router",
]

router = APIRouter(tags=["reports"], dependencies=API_SECURITY)

_SHORT: Final = 64
_NEEDS: Final = [Depends(needs(Permission.BUILD_REPORTS))]


_PROBLEMS: Final = problem_responses(404, 422)
_CREATE_PROBLEMS: Final = {
    **problem_responses(400, 422),
    429: {
        "description": "Too many of your reports are queued or being built: wait for one.",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}

_Site = Annotated[str, Field(min_length=1, max_length=_SHORT)]
_Code = Annotated[str, Field(min_length=1, max_length=_SHORT)]


class ReportJobCreate(BaseModel):
    """The cohort to report on and the index event (every condition given must hold)."""

    model_config = ConfigDict(extra="forbid")

    sites: list[_Site] = Field(
        default_factory=list, max_length=50, description="Sites of yours (empty: all of them)."
    )
    phenotypes: list[_Code] = Field(
        default_factory=list, max_length=10, description="Values of episodes.phenotype."
    )
    diagnosis_classes: list[_Code] = Field(
        default_factory=list,
        max_length=10,
        description="RegiSCAR classes scored from each episode's data: "
        + ", ".join(DIAGNOSIS_CLASSES),
    )
    onset_from: date | None = Field(
        default=None,
        description="First day of onset (de-identified access: the first day of a year).",
    )
    onset_to: date | None = Field(
        default=None,
        description="Last day of onset (de-identified access: the last day of a year).",
    )
    index: str = Field(
        default="ivig",
        min_length=1,
        max_length=100,
        description="Day 0: ivig, steroid, onset, admission or an agent name.",
    )
    pdf: bool = Field(default=False, description="Also lay the report out as PDF (slower).")


class ReportFile(BaseModel):
    """A file of a finished job."""

    name: str
    label: str
    media_type: str
    url: str


class ReportJobOut(BaseModel):
    """A report job: its state and progress, and its files once done."""

    id: str
    state: Literal["queued", "running", "done", "failed"]
    step: str
    percent: int = Field(ge=0, le=100)
    deidentified: bool
    cohort: str = Field(description="The cohort chosen, in words.")
    index: str
    pdf: bool
    created_at: datetime
    finished_at: datetime | None
    files: list[ReportFile]
    notes: list[str]
    error: str | None
    url: str


def _job_out(job: ReportJob) -> ReportJobOut:
    asked = ReportRequest.from_parameters(dict(job.parameters))
    base = f"/api/v1/reports/{job.id}"
    return ReportJobOut(
        id=job.id,
        state=job.state,
        step=job.step,
        percent=job.percent,
        deidentified=bool(job.parameters.get("deidentified")),
        cohort=asked.cohort.describe(),
        index=asked.index,
        pdf=asked.pdf,
        created_at=job.created_at,
        finished_at=job.finished_at,
        files=[
            ReportFile(
                name=name,
                label=DOWNLOADS[name][1],
                media_type=DOWNLOADS[name][0],
                url=f"{base}/files/{name}",
            )
            for name in DOWNLOADS
            if name in job.files and job.state == "done"
        ],
        notes=list(job.notes),
        error=job.error,
        url=base,
    )


_JobId = Annotated[str, Path(max_length=64, description="The job's id (32 hex characters).")]


@router.post(
    "/reports",
    status_code=202,
    response_model=ReportJobOut,
    responses=_CREATE_PROBLEMS,
    summary="Ask for a cohort report (built in the background)",
    dependencies=_NEEDS,
)
def create_report(request: Request, body: ReportJobCreate) -> Response:
    """Queue a report job; answer 202 with the job and its ``Location``."""
    visitor = require(request, Permission.BUILD_REPORTS)
    chosen = check_filter(
        visitor.account,
        CohortFilter(
            sites=tuple(dict.fromkeys(body.sites)),
            phenotypes=tuple(dict.fromkeys(body.phenotypes)),
            diagnosis_classes=tuple(dict.fromkeys(body.diagnosis_classes)),
            onset_from=body.onset_from,
            onset_to=body.onset_to,
        ),
    )
    asked = ReportRequest(chosen, check_index(body.index), pdf=body.pdf)
    try:
        job = runner_of(request).submit(visitor.account, asked)
    except TooManyJobsError as error:
        return problem(429, "Too many report jobs", str(error))
    out = _job_out(job)
    return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"location": out.url})


@router.get(
    "/reports/{job_id}",
    response_model=ReportJobOut,
    responses=_PROBLEMS,
    summary="Follow a report job",
    dependencies=_NEEDS,
)
def read_report(request: Request, job_id: _JobId) -> ReportJobOut | Response:
    """Return the job's state, progress and (once done) its files."""
    visitor = require(request, Permission.BUILD_REPORTS)
    job = visible_job(request, visitor.account, job_id)
    if job is None:
        return _not_found("no report job of yours has this id")
    return _job_out(job)


def _not_found(detail: str) -> Response:
    return problem(404, "Not found", detail)


@router.get(
    "/reports/{job_id}/files/{name}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file",
            "content": {media: {} for media, _ in DOWNLOADS.values()},
        },
        **_PROBLEMS,
    },
    summary="Download a file of a finished report job",
    dependencies=_NEEDS,
)
def read_report_file(
    request: Request,
    job_id: _JobId,
    name: Annotated[str, Path(max_length=64, description="One of the job's file names.")],
) -> Response:
    """Return one file of a finished job (report.html, report.pdf, report.xlsx, ...)."""
    visitor = require(request, Permission.BUILD_REPORTS)
    job = visible_job(request, visitor.account, job_id)
    if job is None:
        return _not_found("no report job of yours has this id")
    path = job_file(request, job, name)
    if path is None:
        return _not_found(
            "this job has no such file (yet): " + (", ".join(job.files) or "none so far")
        )
    if not job.parameters.get("deidentified"):
        record_view(engine_of(request), visitor.account, "report", job.id)
    return FileResponse(
        path, media_type=DOWNLOADS[path.name][0], filename=f"dresskit-{job.id[:12]}-{path.name}"
    )
