"""Cohort: choose episodes, build the report in the background, download it.

``/cohort`` chooses episodes of the visitor's sites (phenotype, RegiSCAR class, onset range;
a researcher's onset range is whole years) and the index event, counts them, and asks for
the report; ``/cohort/jobs/{id}`` follows the job (htmx polls its progress; without
JavaScript the page refreshes itself) and offers the downloads once it is done. A job is
seen by its owner and by an admin only: anyone else gets 404, as for a job that does not
exist. The work is done by :mod:`dresskit.web.jobs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, RedirectResponse, Response

from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import Permission
from dresskit.registry.cohorts import (
    DIAGNOSIS_CLASSES,
    PHENOTYPES,
    CohortFilter,
    check_filter,
    cohort_episode_count,
)
from dresskit.registry.report_jobs import ReportJob, jobs_of
from dresskit.registry.scoped import record_view
from dresskit.web.auth import Visitor, check_csrf, engine_of, needs, require
from dresskit.web.jobs import (
    DOWNLOADS,
    INDEX_EVENTS,
    ReportRequest,
    TooManyJobsError,
    check_index,
    job_file,
    runner_of,
    visible_job,
)
from dresskit.web.templating import render

__all__ = ["parse_onset", "router"]

router = APIRouter(include_in_schema=False)

_YEAR: Final = re.compile(r"\d{4}")
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD: Final = 64


def parse_onset(field: str, text: str | None, *, end: bool) -> date | None:
    """Read an onset bound: ``YYYY-MM-DD``, or a year ``YYYY`` (its first or last day).

    Raises
    ------
    InputError
        For anything else (naming the field and what is accepted).
    """
    value = (text or "").strip()
    if not value:
        return None
    try:
        if _YEAR.fullmatch(value):
            return date(int(value), 12, 31) if end else date(int(value), 1, 1)
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InputError(field, text, "a day (YYYY-MM-DD) or a year (YYYY)")


def _choices(visitor: Visitor) -> dict[str, Any]:
    return {
        "sites": visitor.account.sites,
        "phenotypes": PHENOTYPES,
        "classes": DIAGNOSIS_CLASSES,
        "index_events": INDEX_EVENTS,
        "by_years": not visitor.identified,
    }


def _jobs(request: Request, visitor: Visitor) -> list[dict[str, Any]]:
    return [
        {"job": job, "asked": ReportRequest.from_parameters(dict(job.parameters))}
        for job in jobs_of(engine_of(request), visitor.username, limit=20)
    ]


def _filter_from(
    sites: list[str],
    phenotypes: list[str],
    classes: list[str],
    onset_from: str | None,
    onset_to: str | None,
) -> CohortFilter:
    problems: list[InputError] = []
    bounds: list[date | None] = []
    for field, text, end in (("onset_from", onset_from, False), ("onset_to", onset_to, True)):
        try:
            bounds.append(parse_onset(field, text, end=end))
        except InputError as error:
            problems.append(error)
            bounds.append(None)
    if problems:
        raise InputErrors(problems)
    return CohortFilter(
        sites=tuple(dict.fromkeys(sites)),
        phenotypes=tuple(dict.fromkeys(phenotypes)),
        diagnosis_classes=tuple(dict.fromkeys(classes)),
        onset_from=bounds[0],
        onset_to=bounds[1],
    )


def _form_page(
    request: Request,
    visitor: Visitor,
    form: dict[str, Any],
    *,
    errors: list[InputError] | tuple[InputError, ...] = (),
    count: int | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        **_choices(visitor),
        "form": form,
        "errors": errors,
        "count": count,
        "message": message,
        "jobs": _jobs(request, visitor),
    }
    return render(request, "cohort/index.html", context, status=status)


@router.get("/cohort", dependencies=[Depends(needs(Permission.BUILD_REPORTS))])
def cohort_page(request: Request) -> Response:
    """Show the cohort form and the visitor's recent report jobs."""
    visitor = require(request, Permission.BUILD_REPORTS)
    form = {"sites": [], "phenotypes": [], "classes": [], "onset_from": "", "onset_to": ""}
    return _form_page(request, visitor, {**form, "index": "ivig", "pdf": False})


_FormList = Annotated[list[str], Form(max_length=50)]
_FormText = Annotated[str, Form(max_length=_FIELD)]


@dataclass(frozen=True)
class _CohortForm:
    """The cohort form as posted (the count and the report read the same fields)."""

    site: list[str]
    phenotype: list[str]
    diagnosis_class: list[str]
    onset_from: str
    onset_to: str
    index: str
    pdf: str
    csrf_token: str

    def values(self) -> dict[str, Any]:
        """Return the values to show the form again with."""
        return {
            "sites": self.site,
            "phenotypes": self.phenotype,
            "classes": self.diagnosis_class,
            "onset_from": self.onset_from,
            "onset_to": self.onset_to,
            "index": self.index,
            "pdf": bool(self.pdf),
        }

    def cohort(self) -> CohortFilter:
        """Return the episodes chosen, unchecked against the account (InputErrors if bad)."""
        return _filter_from(
            self.site, self.phenotype, self.diagnosis_class, self.onset_from, self.onset_to
        )


def _cohort_form(
    site: _FormList = [],  # noqa: B006 - FastAPI reads list defaults per request
    phenotype: _FormList = [],  # noqa: B006
    diagnosis_class: _FormList = [],  # noqa: B006
    onset_from: _FormText = "",
    onset_to: _FormText = "",
    index: Annotated[str, Form(max_length=200)] = "ivig",
    pdf: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> _CohortForm:
    """Read the cohort form's fields, each within its length."""
    return _CohortForm(
        site, phenotype, diagnosis_class, onset_from, onset_to, index, pdf, csrf_token
    )


_CohortFormDep = Annotated[_CohortForm, Depends(_cohort_form)]


def _problems(error: InputError | InputErrors) -> tuple[InputError, ...]:
    return error.errors if isinstance(error, InputErrors) else (error,)


@router.post("/cohort/count", dependencies=[Depends(needs(Permission.BUILD_REPORTS))])
def count_form(request: Request, posted: _CohortFormDep) -> Response:
    """Count the episodes the form selects (no identifier is shown)."""
    visitor = require(request, Permission.BUILD_REPORTS)
    check_csrf(visitor, posted.csrf_token)
    form = posted.values()
    try:
        chosen = posted.cohort()
        found = cohort_episode_count(engine_of(request), visitor.account, chosen)
    except (InputError, InputErrors) as error:
        return _form_page(request, visitor, form, errors=_problems(error), status=422)
    return _form_page(request, visitor, form, count=found)


@router.post("/cohort/jobs", dependencies=[Depends(needs(Permission.BUILD_REPORTS))])
def create_job_form(request: Request, posted: _CohortFormDep) -> Response:
    """Ask for the report: queue the job, then go to its status page."""
    visitor = require(request, Permission.BUILD_REPORTS)
    check_csrf(visitor, posted.csrf_token)
    form = posted.values()
    try:
        chosen = check_filter(visitor.account, posted.cohort())
        wanted = ReportRequest(chosen, check_index(posted.index), pdf=bool(posted.pdf))
        job = runner_of(request).submit(visitor.account, wanted)
    except (InputError, InputErrors) as error:
        return _form_page(request, visitor, form, errors=_problems(error), status=422)
    except TooManyJobsError as error:
        return _form_page(request, visitor, form, message=str(error), status=429)
    return RedirectResponse(f"/cohort/jobs/{job.id}", status_code=303)


def _visible(request: Request, visitor: Visitor, job_id: str) -> ReportJob:
    job = visible_job(request, visitor.account, job_id)
    if job is None:
        raise HTTPException(404, "No such report job")
    return job


def _job_context(job: ReportJob) -> dict[str, Any]:
    request = ReportRequest.from_parameters(dict(job.parameters))
    return {
        "job": job,
        "described": request.cohort.describe(),
        "index": request.index,
        "pdf": request.pdf,
        "deidentified": bool(job.parameters.get("deidentified")),
        "downloads": [(name, DOWNLOADS[name][1]) for name in DOWNLOADS if name in job.files],
    }


@router.get("/cohort/jobs/{job_id}", dependencies=[Depends(needs(Permission.BUILD_REPORTS))])
def job_page(request: Request, job_id: str) -> Response:
    """Show a job's state and progress; its downloads once done."""
    visitor = require(request, Permission.BUILD_REPORTS)
    job = _visible(request, visitor, job_id)
    return render(request, "cohort/job.html", _job_context(job))


@router.get(
    "/cohort/jobs/{job_id}/progress", dependencies=[Depends(needs(Permission.BUILD_REPORTS))]
)
def job_progress(request: Request, job_id: str) -> Response:
    """Return the job's progress panel (what htmx swaps in while it runs)."""
    visitor = require(request, Permission.BUILD_REPORTS)
    job = _visible(request, visitor, job_id)
    return render(request, "cohort/_progress.html", _job_context(job))


@router.get(
    "/cohort/jobs/{job_id}/files/{name}",
    dependencies=[Depends(needs(Permission.BUILD_REPORTS))],
)
def job_download(request: Request, job_id: str, name: str) -> Response:
    """Download one of the job's files (known names only; owner or admin)."""
    visitor = require(request, Permission.BUILD_REPORTS)
    job = _visible(request, visitor, job_id)
    path = job_file(request, job, name)
    if path is None:
        raise HTTPException(404, "No such file in this report")
    if not job.parameters.get("deidentified"):
        record_view(engine_of(request), visitor.account, "report", job.id)
    media_type = DOWNLOADS[path.name][0]
    return FileResponse(path, media_type=media_type, filename=f"dresskit-{job.id[:12]}-{path.name}")
