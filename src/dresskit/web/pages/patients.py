"""Patient list and the patient / episode page (course at a glance, interactive timeline).

Thin routes: the list comes from :mod:`dresskit.registry.listing`; the episode's course from
:func:`dresskit.registry.episode_table.cached_course` (``load_course``, kept); everything
shown about it from :func:`dresskit.analysis.episode_view.episode_view` (the same summary as
``dresskit course``); the chart data from :func:`dresskit.analysis.timeline_data.timeline_data`
and the downloadable figure from the report's
:func:`dresskit.analysis.figures.timeline.timeline_figure`.

Episodes are named as the reader sees them (:func:`dresskit.registry.listing.find_episode`,
the rule of :func:`dresskit.registry.scoped.resolve_episode`): an episode of another site, or
one named by its id to a researcher, is answered 404. Views by a role that sees identified
data are written to the audit trail.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import JSONResponse, Response

from dresskit.analysis.episode_view import (
    ReaderNames,
    episode_view,
    index_choices,
    reader_course,
    reader_timeline,
)
from dresskit.analysis.timeline_data import timeline_data
from dresskit.course.model import PatientCourse
from dresskit.errors import DresskitError, InputError, InputErrors
from dresskit.registry.access import Permission
from dresskit.registry.episode_table import cached_course
from dresskit.registry.listing import (
    PER_PAGE_CHOICES,
    REGISCAR_CLASSES,
    RESPONSE_STATES,
    RESPONSE_VALUES,
    SORTS,
    ListQuery,
    find_episode,
    list_episodes,
    parse_list_query,
)
from dresskit.registry.scoped import EpisodeRef, record_view
from dresskit.web.auth import Visitor, engine_of, needs
from dresskit.web.templating import render

__all__ = ["router"]

#: Every route here shows patients: identified (ids, dates) or de-identified (pseudonyms).
_SEES_PATIENTS: Final = needs(Permission.VIEW_IDENTIFIED, Permission.VIEW_DEIDENTIFIED)

router = APIRouter(include_in_schema=False, dependencies=[Depends(_SEES_PATIENTS)])

_FIGURE_TYPES: Final = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
}


def _reader(request: Request) -> Visitor:
    """Return the visitor, if its role sees patients (identified or de-identified)."""
    return _SEES_PATIENTS(request)


def _query_string(query: ListQuery, **changes: Any) -> str:
    """Return the list's URL query for ``query`` with ``changes`` (pagination links)."""
    fields: dict[str, Any] = {
        "q": query.search,
        "regiscar": list(query.regiscar),
        "response": ":".join(query.response) if query.response else "",
        "drug": query.drug or "",
        "site": list(query.sites),
        "onset_from": query.onset_from.isoformat() if query.onset_from else "",
        "onset_to": query.onset_to.isoformat() if query.onset_to else "",
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
        "per_page": query.per_page,
        "page": query.page,
    }
    fields.update(changes)
    pairs = [
        (name, value)
        for name, given in fields.items()
        for value in (given if isinstance(given, list) else [given])
        if value not in ("", None)
    ]
    return urlencode(pairs)


@router.get("/patients")
def patient_list(request: Request) -> Response:
    """List the episodes of the visitor's sites: search, filters, sort, pages (htmx or GET)."""
    visitor = _reader(request)
    engine = engine_of(request)
    identified = visitor.identified
    errors: tuple[InputError, ...] = ()
    try:
        query = parse_list_query(request.query_params.multi_items(), identified=identified)
    except InputErrors as refused:
        errors, query = refused.errors, ListQuery(sort="onset" if identified else "episode")
    page = list_episodes(engine, visitor.account, query)
    if identified and page.rows:
        record_view(engine, visitor.account, "patient_list", None)
    context = {
        "query": query,
        "page": page,
        "errors": errors,
        "identified": identified,
        "regiscar_classes": REGISCAR_CLASSES,
        "response_states": RESPONSE_STATES,
        "response_values": RESPONSE_VALUES,
        "sorts": {name: words for name, words in SORTS.items() if identified or name != "onset"},
        "per_page_choices": PER_PAGE_CHOICES,
        "link": lambda **changes: "/patients?" + _query_string(query, **changes),
    }
    partial = request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )
    # A refused filter answers 422 to a page, but 200 to htmx (which swaps no 4xx answer), so
    # that the message naming the field replaces the table either way.
    status = 422 if errors and not partial else 200
    template = "patients/_results.html" if partial else "patients/list.html"
    return render(request, template, context, status=status)


def _episode(request: Request, shown: str) -> tuple[Visitor, EpisodeRef, PatientCourse]:
    """Return the visitor, the episode it calls ``shown`` and its course; 404 if not seen."""
    visitor = _reader(request)
    engine = engine_of(request)
    ref = find_episode(engine, visitor.account, shown)
    if ref is None:
        raise HTTPException(404, "No such episode")
    try:
        course = cached_course(engine, ref.episode_id)
    except DresskitError:
        if not visitor.identified:
            # The message names ids and dates: a researcher is told what, not where.
            raise HTTPException(
                409, "This episode's data no longer pass the bundle's rules"
            ) from None
        raise
    return visitor, ref, course


def _names(visitor: Visitor, ref: EpisodeRef) -> ReaderNames:
    return ReaderNames(visitor.identified, ref.shown_episode, ref.shown_patient, ref.site)


def _index(request: Request, course: PatientCourse, names: ReaderNames) -> str:
    """Return the index event asked for (``?index=``, default onset), if the course has it."""
    chosen = request.query_params.get("index") or "onset"
    choices = index_choices(course, names)
    if chosen not in choices:
        raise InputError("index", chosen[:100], "one of " + ", ".join(choices))
    return chosen


@router.get("/patients/{shown}")
def patient_page(request: Request, shown: str) -> Response:
    """Show one episode: header, scores with evidence, culprits, response, outcomes, timeline."""
    visitor, ref, course = _episode(request, shown)
    names = _names(visitor, ref)
    index = _index(request, course, names)
    view = episode_view(course, names, index=index)
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    context = {
        "view": view,
        "may_edit": visitor.may(Permission.EDIT),
        "base": f"/patients/{ref.shown_episode}",
        "index_query": urlencode({"index": index}),
    }
    return render(request, "patients/episode.html", context)


@router.get("/patients/{shown}/timeline.json")
def patient_timeline(request: Request, shown: str) -> Response:
    """Return the timeline's series as JSON (the charts of the episode page)."""
    visitor, ref, course = _episode(request, shown)
    names = _names(visitor, ref)
    index = _index(request, course, names)
    timeline = reader_timeline(course, names, index=index)
    data = timeline_data(timeline, reader_course(course, names), identified=names.identified)
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    return JSONResponse(data)


@router.get("/patients/{shown}/timeline.{kind}")
def patient_figure(request: Request, shown: str, kind: str) -> Response:
    """Return the report's timeline figure of the episode, as SVG, PNG (300 dpi) or PDF."""
    if kind not in _FIGURE_TYPES:
        raise HTTPException(404, "No such figure format")
    visitor, ref, course = _episode(request, shown)
    names = _names(visitor, ref)
    index = _index(request, course, names)
    from dresskit.analysis.figures.timeline import timeline_figure  # matplotlib: on demand

    drawn = timeline_figure(reader_timeline(course, names, index=index))
    content = drawn.render([kind])[kind]
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    filename = f"timeline_{ref.shown_episode}_{index}.{kind}"
    return Response(
        content,
        media_type=_FIGURE_TYPES[kind],
        headers={"content-disposition": f'attachment; filename="{_ascii(filename)}"'},
    )


def _ascii(name: str) -> str:
    """Return ``name`` with only letters, digits, '.', '_' and '-' (agent names may hold more)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
