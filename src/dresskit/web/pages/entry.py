"""Data entry: patient, episode, drugs, the daily observations grid, treatments, findings.

Thin routes over :mod:`dresskit.registry.entry`, which validates every change with the rules
of a bundle import and writes it under optimistic locking. Every form works as a plain POST
(``static/js/grid.js`` only speeds up the grid: keyboard moves, pasted spreadsheet rows, unit
lists that follow the code). Each form carries the episode version it was read at and the
values as read; on a stale version the page sets the two versions side by side, field by
field (or row by row for the grid), and the user chooses what to keep: nothing is ever
overwritten silently. After every save the page shows the RegiSCAR, J-SCAR and Bocquet
results computed from the course (``/entry/{episode}/scores`` re-renders them alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from dresskit.display_units import display_unit
from dresskit.errors import InputError, InputErrors, InputWarning
from dresskit.registry.access import Permission
from dresskit.registry.entry import (
    EDITABLE_EPISODE_COLUMNS,
    ENTRY_TABLES,
    Created,
    EntryColumn,
    EntryConflictError,
    EpisodeEntry,
    Saved,
    change_rows,
    compare_fields,
    compare_rows,
    create_episode,
    create_patient,
    entry_columns,
    episode_scores,
    merged_rows,
    read_entry,
    update_episode_fields,
)
from dresskit.registry.scoped import EpisodeRef, record_view, resolve_episode
from dresskit.web.auth import Visitor, check_csrf, engine_of, needs, require
from dresskit.web.templating import render

__all__ = ["router"]

#: Every page here enters data: the permission is declared once, for the role matrix, and
#: checked before a form is read.
router = APIRouter(include_in_schema=False, dependencies=[Depends(needs(Permission.EDIT))])

#: A form body larger than this is refused (a grid of 20 000 rows stays far below).
_MAX_FORM_BYTES: Final = 16 * 1024 * 1024
#: Form fields accepted in one post (the grid sends six per row, twice when merging).
_MAX_FORM_FIELDS: Final = 300_000
#: Names an episode may have in a URL (ids and pseudonyms); anything else is not found.
_SHOWN_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
#: Empty rows the grid offers below the stored ones (more with ``?blank=``).
_BLANK_ROWS: Final = 12
_GRID_COLUMNS: Final = ("date", "time", "code", "value", "unit", "text")

#: How each column is named on the forms.
LABELS: Final[Mapping[str, str]] = {
    "patient_id": "Patient id",
    "sex": "Sex",
    "birth_year": "Birth year",
    "age_years": "Age at onset (years)",
    "episode_id": "Episode id",
    "phenotype": "Phenotype",
    "onset_date": "Onset date",
    "admission_date": "Admission date",
    "outcome": "Outcome",
    "last_follow_up_date": "Last follow-up date",
    "death_date": "Date of death",
    "drug": "Drug",
    "atc_code": "ATC code",
    "role": "Role",
    "start_date": "Start date",
    "stop_date": "Stop date",
    "end_date": "End date",
    "instrument": "Instrument",
    "item": "Item",
    "answer": "Answer",
    "date": "Date",
    "time": "Time",
    "code": "Code",
    "value": "Value",
    "unit": "Unit",
    "text": "Text result",
    "detail": "Detail",
    "kind": "Kind",
    "agent": "Agent",
    "route": "Route",
    "dose": "Dose",
    "dose_unit": "Dose unit",
    "interval_days": "Interval (days)",
    "loading_dose": "Loading dose",
    "site": "Site",
}

#: How each table is named on the pages.
TABLE_TITLES: Final[Mapping[str, str]] = {
    "drug_exposures": "Drug exposures",
    "drug_assessments": "Drug causality assessments",
    "observations": "Daily observations",
    "findings": "Findings",
    "treatments": "Treatments",
}


# --- request helpers -------------------------------------------------------------------------


async def _form(request: Request) -> FormData:
    """Read a form post within the limits above."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_FORM_BYTES:
        raise HTTPException(413, "The form is too large")
    return await request.form(max_fields=_MAX_FORM_FIELDS, max_files=0)


FormDep = Annotated[FormData, Depends(_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [value if isinstance(value, str) else "" for value in form.getlist(name)]


def _version(form: FormData) -> int:
    given = _text(form, "version")
    if not given.isdigit() or len(given) > 9:
        raise InputError("version", given, "the episode version the page was read at (reload)")
    return int(given)


def _editor(request: Request, form: FormData | None = None) -> Visitor:
    """Return the visitor allowed to enter data; check a form's CSRF token."""
    visitor = require(request, Permission.EDIT)
    if form is not None:
        check_csrf(visitor, _text(form, "csrf_token"))
    return visitor


def _episode(request: Request, visitor: Visitor, shown: str) -> EpisodeRef:
    """Return the episode the visitor names, of a site granted; else 404 (no existence leak)."""
    found = (
        resolve_episode(engine_of(request), visitor.account, shown)
        if _SHOWN_NAME.fullmatch(shown)
        else None
    )
    if found is None:
        raise HTTPException(404, "No such episode")
    return found


def _table(name: str) -> str:
    if name not in ENTRY_TABLES:
        raise HTTPException(404, "No such table")
    return name


def _row_of(form: FormData, columns: Sequence[EntryColumn], prefix: str = "") -> dict[str, str]:
    return {column.name: _text(form, prefix + column.name) for column in columns}


def _change_table(
    request: Request,
    visitor: Visitor,
    ref: EpisodeRef,
    table_name: str,
    form: FormData,
    *,
    replace: Sequence[Mapping[str, str | None]] | None = None,
    add: Sequence[Mapping[str, str | None]] = (),
    change: Mapping[int, Mapping[str, str | None]] | None = None,
    remove: Sequence[int] = (),
) -> Saved:
    """Write one change to a table of the episode, based on the version the form was read at.

    Raises
    ------
    EntryConflictError
        When the episode changed since the form was read.
    InputError, InputErrors
        For a version that is not one, and every rule of the format.
    """
    return change_rows(
        engine_of(request),
        ref.episode_id,
        table_name,
        expected_version=_version(form),
        actor=visitor.username,
        replace=replace,
        add=add,
        change=change,
        remove=remove,
    )


# --- problems beside their fields ------------------------------------------------------------


@dataclass
class Problems:
    """Problems placed beside the fields (or grid cells) they are about, and the rest."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    by_cell: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.by_cell or self.general)


def _said(error: InputError | InputWarning) -> str:
    """Return what a problem says about its field: must be what, got what."""
    if isinstance(error, InputWarning):
        return f"{error.concern} (got {error.value!s})"
    if error.value_absent or error.value is None:
        return f"must be {error.expected}; it is empty"
    return f"must be {error.expected}; got “{error.value!s}”"


def _errors(error: InputError | InputErrors) -> tuple[InputError, ...]:
    return error.errors if isinstance(error, InputErrors) else (error,)


def _placed(
    error: InputError | InputErrors,
    *,
    sources: Sequence[str],
    row: int | None = None,
    cells: Sequence[int] | None = None,
) -> Problems:
    """Place each problem beside its field (``sources``: the tables the form shows).

    ``row``: the submitted row a single-row form sends (1); ``cells``: the grid row of each
    submitted row, for the grid.
    """
    placed = Problems()
    for problem in _errors(error):
        source = problem.source or ""
        same_table = source in sources or source == ""
        if same_table and cells is not None and 1 <= (problem.row or 0) <= len(cells):
            where = "date" if problem.field == "episode_id" else problem.field
            at = (cells[(problem.row or 0) - 1], where)
            placed.by_cell.setdefault(at, []).append(_said(problem))
            continue
        if same_table and cells is None and problem.row in (None, row):
            said = placed.by_field.setdefault(problem.field, [])
            if _said(problem) not in said:  # patient_id is checked in two tables
                said.append(_said(problem))
            continue
        placed.general.append(problem.message)
    return placed


# --- shared page context ---------------------------------------------------------------------


def _form_columns(table_name: str, names: Sequence[str] | None = None) -> list[EntryColumn]:
    columns = list(entry_columns(table_name))
    if names is None:
        return columns
    by_name = {c.name: c for c in columns}
    return [by_name[n] for n in names]


def _context(
    request: Request, ref: EpisodeRef, entry: EpisodeEntry, **extra: Any
) -> dict[str, Any]:
    return {
        "ref": ref,
        "entry": entry,
        "labels": LABELS,
        "titles": TABLE_TITLES,
        "display_unit": display_unit,
        "scores": _scores(request, ref.episode_id),
        **extra,
    }


def _scores(request: Request, episode_id: str) -> dict[str, Any]:
    """Return the three diagnostic results of the course, or why they cannot be computed."""
    try:
        return {"results": episode_scores(engine_of(request), episode_id), "problem": None}
    except (InputError, InputErrors) as error:
        return {"results": (), "problem": str(error)}


def _hub(
    request: Request,
    ref: EpisodeRef,
    *,
    status: int = 200,
    saved: Saved | None = None,
    problems: Problems | None = None,
    episode_values: Mapping[str, str | None] | None = None,
) -> Response:
    entry = read_entry(engine_of(request), ref.episode_id)
    context = _context(
        request,
        ref,
        entry,
        saved=saved,
        problems=problems or Problems(),
        episode_columns=_form_columns("episodes", EDITABLE_EPISODE_COLUMNS),
        episode_values=episode_values if episode_values is not None else entry.episode,
        row_columns={name: _form_columns(name) for name in ENTRY_TABLES},
    )
    return render(request, "entry/hub.html", context, status=status)


# --- a new patient, a new episode ------------------------------------------------------------


_PATIENT_NAMES: Final = ("patient_id", "sex", "birth_year", "age_years")
_NEW_EPISODE_NAMES: Final = (
    "episode_id",
    "phenotype",
    "onset_date",
    "admission_date",
    "outcome",
    "last_follow_up_date",
    "death_date",
)


def _patient_page(
    request: Request,
    visitor: Visitor,
    values: Mapping[str, str],
    problems: Problems,
    status: int = 200,
) -> Response:
    context = {
        "labels": LABELS,
        "sites": visitor.account.sites,
        "patient_columns": _form_columns("patients", _PATIENT_NAMES),
        "episode_columns": _form_columns("episodes", _NEW_EPISODE_NAMES),
        "values": values,
        "problems": problems,
    }
    return render(request, "entry/patient.html", context, status=status)


def _open_created(request: Request, visitor: Visitor, created: Created) -> Response:
    """Open the episode just created, with what its creation wrote."""
    ref = resolve_episode(engine_of(request), visitor.account, created.episode_id)
    if ref is None:  # created in a site granted: always found
        raise HTTPException(404, "No such episode")
    saved = Saved(created.episode_id, created.version, 0, created.warnings)
    return _hub(request, ref, saved=saved)


@router.get("/entry/patient")
def new_patient_page(request: Request) -> Response:
    """Show the form of a new patient and its first episode."""
    visitor = _editor(request)
    sites = visitor.account.sites
    return _patient_page(
        request, visitor, {"site": sites[0] if len(sites) == 1 else ""}, Problems()
    )


@router.post("/entry/patient")
def new_patient(request: Request, form: FormDep) -> Response:
    """Create the patient and its first episode in a site granted; open its episode."""
    visitor = _editor(request, form)
    patient = _row_of(form, _form_columns("patients", _PATIENT_NAMES))
    episode = _row_of(form, _form_columns("episodes", _NEW_EPISODE_NAMES))
    site = _text(form, "site")
    values = {**patient, **episode, "site": site}
    if site not in visitor.account.sites:
        problems = Problems(
            by_field={"site": [f"must be one of your sites: {', '.join(visitor.account.sites)}"]}
        )
        return _patient_page(request, visitor, values, problems, status=422)
    try:
        created = create_patient(
            engine_of(request), site=site, patient=patient, episode=episode, actor=visitor.username
        )
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=("patients", "episodes"))
        return _patient_page(request, visitor, values, placed, status=422)
    return _open_created(request, visitor, created)


@router.get("/entry/{episode}")
def episode_hub(request: Request, episode: str) -> Response:
    """Show an episode with its rows, each editable, and the scores of its course."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    return _hub(request, ref)


@router.get("/entry/{episode}/scores")
def episode_scores_part(request: Request, episode: str) -> Response:
    """Render the scores panel alone (htmx refreshes it after a save)."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    context = {"ref": ref, "scores": _scores(request, ref.episode_id)}
    return render(request, "entry/_scores.html", context)


@router.post("/entry/{episode}/episode")
def save_episode(request: Request, episode: str, form: FormDep) -> Response:
    """Change the episode's own columns (admission, follow-up, outcome, death, phenotype)."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    columns = _form_columns("episodes", EDITABLE_EPISODE_COLUMNS)
    mine = _row_of(form, columns)
    try:
        saved = update_episode_fields(
            engine_of(request),
            ref.episode_id,
            mine,
            expected_version=_version(form),
            actor=visitor.username,
        )
    except EntryConflictError:
        entry = read_entry(engine_of(request), ref.episode_id)
        return _conflict_page(
            request,
            ref,
            entry,
            columns=columns,
            original=_row_of(form, columns, "orig_"),
            mine=mine,
            current=entry.episode,
            action=f"/entry/{ref.shown_episode}/episode",
            what="the episode",
        )
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=("episodes",))
        return _hub(request, ref, status=422, problems=placed, episode_values=mine)
    return _hub(request, ref, saved=saved)


def _episode_page(
    request: Request,
    ref: EpisodeRef,
    values: Mapping[str, str],
    problems: Problems,
    status: int = 200,
) -> Response:
    entry = read_entry(engine_of(request), ref.episode_id)
    context = {
        "ref": ref,
        "entry": entry,
        "labels": LABELS,
        "episode_columns": _form_columns("episodes", _NEW_EPISODE_NAMES),
        "values": values,
        "problems": problems,
    }
    return render(request, "entry/episode_new.html", context, status=status)


@router.get("/entry/{episode}/new-episode")
def new_episode_page(request: Request, episode: str) -> Response:
    """Show the form of another episode of the same patient."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    return _episode_page(request, ref, {}, Problems())


@router.post("/entry/{episode}/new-episode")
def new_episode(request: Request, episode: str, form: FormDep) -> Response:
    """Create another episode of the patient; open it."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    values = _row_of(form, _form_columns("episodes", _NEW_EPISODE_NAMES))
    try:
        created = create_episode(
            engine_of(request), patient_id=ref.patient_id, episode=values, actor=visitor.username
        )
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=("episodes", "patients"))
        return _episode_page(request, ref, values, placed, status=422)
    return _open_created(request, visitor, created)


# --- the daily observations grid -------------------------------------------------------------


def _grid_rows(form: FormData, prefix: str = "") -> list[dict[str, str]]:
    """Return the grid's rows as posted (every column a list of the same length)."""
    columns = {name: _texts(form, prefix + name) for name in _GRID_COLUMNS}
    count = max(len(values) for values in columns.values())
    return [
        {name: (values[index] if index < len(values) else "") for name, values in columns.items()}
        for index in range(count)
    ]


def _filled(rows: Sequence[Mapping[str, str | None]]) -> tuple[list[dict[str, str]], list[int]]:
    """Return the rows with any cell filled in, and the grid row each of them is."""
    kept, cells = [], []
    for index, row in enumerate(rows):
        if any((row.get(name) or "").strip() for name in _GRID_COLUMNS):
            kept.append({name: row.get(name) or "" for name in _GRID_COLUMNS})
            cells.append(index)
    return kept, cells


def _grid_page(
    request: Request,
    ref: EpisodeRef,
    *,
    rows: Sequence[Mapping[str, str | None]] | None = None,
    original: Sequence[Mapping[str, str | None]] | None = None,
    version: int | None = None,
    problems: Problems | None = None,
    saved: Saved | None = None,
    notice: str | None = None,
    blank: int = _BLANK_ROWS,
    status: int = 200,
) -> Response:
    entry = read_entry(engine_of(request), ref.episode_id)
    stored = [dict(row.cells) for row in entry.rows["observations"]]
    shown = list(rows) if rows is not None else stored
    columns = {c.name: c for c in entry_columns("observations")}
    context = _context(
        request,
        ref,
        entry,
        rows=shown,
        blank=range(len(shown), len(shown) + max(0, min(blank, 500))),
        original=stored if original is None else original,
        version=entry.version if version is None else version,
        problems=problems or Problems(),
        saved=saved,
        notice=notice,
        columns=columns,
        grid_columns=_GRID_COLUMNS,
    )
    return render(request, "entry/grid.html", context, status=status)


@router.get("/entry/{episode}/observations/grid")
def grid_page(request: Request, episode: str, blank: int = _BLANK_ROWS) -> Response:
    """Show the episode's observations as a grid to type or paste into."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    return _grid_page(request, ref, blank=blank)


@router.post("/entry/{episode}/observations/grid")
def save_grid(request: Request, episode: str, form: FormDep) -> Response:
    """Save every row of the grid at once: the episode's observations become these."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    posted = _grid_rows(form)
    original = _grid_rows(form, "o_")
    mine, cells = _filled(posted)
    try:
        saved = _change_table(request, visitor, ref, "observations", form, replace=mine)
    except EntryConflictError:
        return _grid_conflict(request, ref, original=original, mine=mine)
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=("observations",), cells=cells)
        return _grid_page(
            request,
            ref,
            rows=posted,
            original=original,
            version=_version(form),
            problems=placed,
            blank=max(0, _BLANK_ROWS - (len(posted) - len(mine))),
            status=422,
        )
    return _grid_page(request, ref, saved=saved)


def _grid_conflict(
    request: Request,
    ref: EpisodeRef,
    *,
    original: Sequence[Mapping[str, str | None]],
    mine: Sequence[Mapping[str, str | None]],
) -> Response:
    entry = read_entry(engine_of(request), ref.episode_id)
    current = [dict(row.cells) for row in entry.rows["observations"]]
    original_rows, _ = _filled(original)
    differences = compare_rows("observations", original=original_rows, mine=mine, current=current)
    context = _context(
        request,
        ref,
        entry,
        differences=differences,
        original=original_rows,
        mine=mine,
        grid_columns=_GRID_COLUMNS,
    )
    return render(request, "entry/grid_conflict.html", context, status=409)


@router.post("/entry/{episode}/observations/merge")
def merge_grid(request: Request, episode: str, form: FormDep) -> Response:
    """Merge the user's grid with the current observations as chosen; show it to save."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    original, _ = _filled(_grid_rows(form, "o_"))
    mine, _ = _filled(_grid_rows(form, "m_"))
    entry = read_entry(engine_of(request), ref.episode_id)
    if entry.version != _version(form):  # changed again meanwhile: compare once more
        return _grid_conflict(request, ref, original=original, mine=mine)
    current = [dict(row.cells) for row in entry.rows["observations"]]
    choices: dict[int, Literal["mine", "current"]] = {}
    for name, value in form.multi_items():
        if name.startswith("pick-") and name[5:].isdigit() and value in ("mine", "current"):
            choices[int(name[5:])] = "mine" if value == "mine" else "current"
    merged = merged_rows(
        "observations", original=original, mine=mine, current=current, choices=choices
    )
    return _grid_page(
        request,
        ref,
        rows=merged,
        original=current,
        version=entry.version,
        notice="merged: check the rows below, then save them",
    )


# --- one row of a table ---------------------------------------------------------------------


def _row_page(
    request: Request,
    ref: EpisodeRef,
    table_name: str,
    *,
    key: int | None,
    values: Mapping[str, str | None],
    original: Mapping[str, str | None],
    version: int | None = None,
    problems: Problems | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    entry = read_entry(engine_of(request), ref.episode_id)
    context = _context(
        request,
        ref,
        entry,
        table=table_name,
        key=key,
        columns=_form_columns(table_name),
        values=values,
        original=original,
        version=entry.version if version is None else version,
        problems=problems or Problems(),
        notice=notice,
    )
    return render(request, "entry/row.html", context, status=status)


@router.get("/entry/{episode}/{table}/new")
def new_row_page(request: Request, episode: str, table: str) -> Response:
    """Show the form of a new row of one table."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    table_name = _table(table)
    return _row_page(request, ref, table_name, key=None, values={}, original={})


@router.get("/entry/{episode}/{table}")
def table_page(episode: str, table: str) -> Response:
    """Send a reload of a saved form's address back to the episode's page."""
    _table(table)
    if not _SHOWN_NAME.fullmatch(episode):
        raise HTTPException(404, "No such episode")
    return RedirectResponse(f"/entry/{episode}#{table}", status_code=303)


@router.post("/entry/{episode}/{table}")
def add_row(request: Request, episode: str, table: str, form: FormDep) -> Response:
    """Add one row to one table of the episode."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    table_name = _table(table)
    columns = _form_columns(table_name)
    mine = _row_of(form, columns)
    try:
        saved = _change_table(request, visitor, ref, table_name, form, add=[mine])
    except EntryConflictError:
        return _row_page(
            request,
            ref,
            table_name,
            key=None,
            values=mine,
            original={},
            notice="conflict-add",
            status=409,
        )
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=(table_name,), row=1)
        return _row_page(
            request,
            ref,
            table_name,
            key=None,
            values=mine,
            original={},
            version=_version(form),
            problems=placed,
            status=422,
        )
    return _hub(request, ref, saved=saved)


def _key(key: str) -> int:
    if not key.isdigit() or len(key) > 12:
        raise HTTPException(404, "No such row")
    return int(key)


@router.get("/entry/{episode}/{table}/{key}")
def row_page(request: Request, episode: str, table: str, key: str) -> Response:
    """Show the form of one stored row."""
    visitor = _editor(request)
    ref = _episode(request, visitor, episode)
    table_name = _table(table)
    entry = read_entry(engine_of(request), ref.episode_id)
    stored = entry.row(table_name, _key(key))
    if stored is None:
        raise HTTPException(404, "No such row")
    record_view(engine_of(request), visitor.account, "episode", ref.episode_id)
    return _row_page(
        request, ref, table_name, key=stored.key, values=stored.cells, original=stored.cells
    )


@router.post("/entry/{episode}/{table}/{key}")
def save_row(request: Request, episode: str, table: str, key: str, form: FormDep) -> Response:
    """Save one changed row."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    table_name = _table(table)
    row_key = _key(key)
    columns = _form_columns(table_name)
    mine = _row_of(form, columns)
    try:
        saved = _change_table(request, visitor, ref, table_name, form, change={row_key: mine})
    except EntryConflictError:
        entry = read_entry(engine_of(request), ref.episode_id)
        current = entry.row(table_name, row_key)
        gone = current is None
        return _conflict_page(
            request,
            ref,
            entry,
            columns=columns,
            original=_row_of(form, columns, "orig_"),
            mine=mine,
            current=None if current is None else current.cells,
            action=f"/entry/{ref.shown_episode}/{table_name}" + ("" if gone else f"/{row_key}"),
            what=f"this row of {TABLE_TITLES[table_name].lower()}",
            gone=gone,
        )
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=(table_name,), row=1)
        return _row_page(
            request,
            ref,
            table_name,
            key=row_key,
            values=mine,
            original=_row_of(form, columns, "orig_"),
            version=_version(form),
            problems=placed,
            status=422,
        )
    return _hub(request, ref, saved=saved)


@router.post("/entry/{episode}/{table}/{key}/delete")
def delete_row(request: Request, episode: str, table: str, key: str, form: FormDep) -> Response:
    """Delete one row, if the episode is still as it was read."""
    visitor = _editor(request, form)
    ref = _episode(request, visitor, episode)
    table_name = _table(table)
    row_key = _key(key)
    try:
        saved = _change_table(request, visitor, ref, table_name, form, remove=[row_key])
    except EntryConflictError:
        entry = read_entry(engine_of(request), ref.episode_id)
        current = entry.row(table_name, row_key)
        context = _context(
            request,
            ref,
            entry,
            table=table_name,
            key=row_key,
            fields=[(c.name, LABELS.get(c.name, c.name)) for c in _form_columns(table_name)],
            current=None if current is None else current.cells,
            gone=current is None,
        )
        return render(request, "entry/delete_conflict.html", context, status=409)
    except (InputError, InputErrors) as error:
        placed = _placed(error, sources=(table_name,))
        return _hub(request, ref, status=422, problems=placed)
    return _hub(request, ref, saved=saved)


# --- conflicts --------------------------------------------------------------------------------


def _conflict_page(
    request: Request,
    ref: EpisodeRef,
    entry: EpisodeEntry,
    *,
    columns: Sequence[EntryColumn],
    original: Mapping[str, str | None],
    mine: Mapping[str, str | None],
    current: Mapping[str, str | None] | None,
    action: str,
    what: str,
    gone: bool = False,
) -> Response:
    """Set the user's version beside the current one, field by field, to choose from."""
    fields = compare_fields(
        [c.name for c in columns], original=original, mine=mine, current=current
    )
    context = _context(
        request,
        ref,
        entry,
        fields=fields,
        action=action,
        what=what,
        gone=gone,
        current_row=current,
    )
    return render(request, "entry/conflict.html", context, status=409)
