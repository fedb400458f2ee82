"""Writing the registry: patients, episodes and their rows, under ETag / If-Match locking.

Thin routes over :mod:`dresskit.registry.entry`: every write is validated with the rules of a
bundle import (the same function), converted to the units the registry stores, audited and
written in one transaction. A change to an episode needs ``If-Match`` with the version read
(``GET /api/v1/episodes/{ref}`` answers it as the ``ETag``): without it 428; with a version
that is no longer current 412, the problem naming the current version (``current_version``
and the ``ETag`` header), and nothing is written. Every answer to a write carries the new
``ETag``.

Rows are sent as the bundle's columns (docs/data-format.md): dates as ``YYYY-MM-DD`` text,
times as ``HH:MM``, numbers as JSON numbers, units as UCUM codes from each column's closed
list. A refused row is named by its 1-based position in ``items`` (``row``), with the
field, the value and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.responses import JSONResponse, Response

from dresskit.bundle.columns import DATE_TEXT, TIME_TEXT, decimal_text
from dresskit.bundle.schema import ID_PATTERN, TABLES, TREATMENT_DOSE_UNITS
from dresskit.course.codes import UNIT_ENUM
from dresskit.errors import InputError, InputWarning
from dresskit.registry.access import Permission
from dresskit.registry.entry import (
    MAX_ROWS,
    EntryConflictError,
    Saved,
    TextRow,
    change_rows,
    create_patient,
    update_episode_fields,
)
from dresskit.registry.scoped import EpisodeRef, resolve_episode
from dresskit.web.api.models import API_SECURITY, problem_responses
from dresskit.web.auth import Visitor, engine_of, needs, require
from dresskit.web.problems import problem

__all__ = [
    "DrugExposureIn",
    "EpisodeChanges",
    "EpisodeWritten",
    "FindingIn",
    "NewPatient",
    "ObservationIn",
    "PatientCreated",
    "TreatmentIn",
    "router",
]

router = APIRouter(
    tags=["write"],
    dependencies=[*API_SECURITY, Depends(needs(Permission.EDIT))],
)

_REF_PATH: Final = Path(
    min_length=1,
    max_length=200,
    description="The episode, by its id (as GET /api/v1/patients lists it).",
)
_SHOWN_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_VERSION_TAG: Final = re.compile(r'"([0-9]{1,9})"')
_ETAG_HEADER: Final = {
    "ETag": {
        "description": 'The episode\'s new version, quoted ("4"): the If-Match of the next change.',
        "schema": {"type": "string"},
    }
}
_IF_MATCH: Final = Header(
    alias="If-Match",
    max_length=200,
    description='The version the change is based on, as the ETag gave it ("3"). Required.',
)

_Text = Annotated[str, Field(max_length=200)]
_FreeText = Annotated[str, Field(max_length=2000)]
_Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
_Whole = Annotated[int, Field(strict=True)]


def _codes(table_name: str, column: str) -> dict[str, Any]:
    (declared,) = [c for c in TABLES[table_name] if c.name == column]
    return {"enum": list(declared.codes)}


# Each accepted form is written into the OpenAPI schema only (``json_schema_extra``): the
# value itself is checked by the bundle's validation, so a refused one is named with the
# import's own message, field, value and what is accepted.
_Id = Annotated[str, Field(max_length=200, json_schema_extra={"pattern": ID_PATTERN})]
_Date = Annotated[
    str, Field(max_length=200, json_schema_extra={"pattern": DATE_TEXT, "examples": ["2024-05-02"]})
]
_Time = Annotated[
    str, Field(max_length=200, json_schema_extra={"pattern": TIME_TEXT, "examples": ["08:30"]})
]
_Sex = Annotated[str, Field(max_length=200, json_schema_extra=_codes("patients", "sex"))]
_Phenotype = Annotated[
    str, Field(max_length=200, json_schema_extra=_codes("episodes", "phenotype"))
]
_Outcome = Annotated[str, Field(max_length=200, json_schema_extra=_codes("episodes", "outcome"))]
_Role = Annotated[str, Field(max_length=200, json_schema_extra=_codes("drug_exposures", "role"))]
_ObservationCode = Annotated[
    str, Field(max_length=200, json_schema_extra=_codes("observations", "code"))
]
_ObservationUnit = Annotated[
    str, Field(max_length=200, json_schema_extra={"enum": list(UNIT_ENUM.categories)})
]
_Kind = Annotated[str, Field(max_length=200, json_schema_extra=_codes("treatments", "kind"))]
_Route = Annotated[str, Field(max_length=200, json_schema_extra=_codes("treatments", "route"))]
_DoseUnit = Annotated[
    str,
    Field(
        max_length=200,
        json_schema_extra={
            "enum": sorted({u for units in TREATMENT_DOSE_UNITS.values() for u in units})
        },
    ),
]
_FindingCode = Annotated[str, Field(max_length=200, json_schema_extra=_codes("findings", "code"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientIn(_Strict):
    """A patient as patients.csv holds it."""

    patient_id: _Id = Field(description="1 to 64 letters, digits, '.', '_' or '-'.")
    sex: _Sex
    birth_year: _Whole | None = None
    age_years: _Whole | None = Field(None, description="Age at onset, in years.")


class EpisodeIn(_Strict):
    """An episode as episodes.csv holds it (its patient is the one created with it)."""

    episode_id: _Id
    phenotype: _Phenotype
    onset_date: _Date
    admission_date: _Date | None = None
    outcome: _Outcome
    last_follow_up_date: _Date
    death_date: _Date | None = Field(None, description="Required when outcome is 'died'.")


class NewPatient(_Strict):
    """A new patient, the first episode of their reaction, and the site they belong to."""

    site: _Text = Field(description="A site granted to you.")
    patient: PatientIn
    episode: EpisodeIn


class EpisodeChanges(_Strict):
    """The episode columns to change (those left out stay; null empties a column)."""

    admission_date: _Date | None = None
    last_follow_up_date: _Date | None = None
    death_date: _Date | None = None
    outcome: _Outcome | None = None
    phenotype: _Phenotype | None = None


class ObservationIn(_Strict):
    """One observation as observations.csv holds it (value in any unit of the code's list)."""

    date: _Date
    time: _Time | None = Field(None, description="HH:MM.")
    code: _ObservationCode
    value: _Number | None = None
    unit: _ObservationUnit | None = Field(None, description="UCUM code accepted for the code.")
    text: _Text | None = Field(None, description="positive or negative (HHV-6 PCR).")


class TreatmentIn(_Strict):
    """One treatment as treatments.csv holds it."""

    kind: _Kind
    agent: _FreeText
    route: _Route | None = None
    start_date: _Date
    end_date: _Date | None = None
    dose: _Number | None = None
    dose_unit: _DoseUnit | None = Field(
        None, description="From the kind's list (mg/kg/d, g/d, ...)."
    )
    interval_days: _Whole | None = None
    loading_dose: _Number | None = None


class DrugExposureIn(_Strict):
    """One drug exposure as drug_exposures.csv holds it."""

    drug: _FreeText
    atc_code: _Text | None = Field(None, description="A WHO ATC code such as J04AB02.")
    role: _Role
    start_date: _Date | None = None
    stop_date: _Date | None = None


class FindingIn(_Strict):
    """One finding as findings.csv holds it."""

    date: _Date
    code: _FindingCode
    value: _Text = Field(description="Accepted per code (docs/data-format.md, findings.csv).")
    detail: _FreeText | None = None


class WarningOut(BaseModel):
    """A value accepted but worth a second look (implausible but possible)."""

    field: str
    value: str | None
    concern: str
    source: str | None
    row: int | None
    message: str


class EpisodeWritten(BaseModel):
    """What a change wrote: the episode's new version (also the new ETag)."""

    episode: str
    version: int
    rows: int | None = Field(description="The episode's rows of the table written, if any.")
    warnings: list[WarningOut]


class PatientCreated(BaseModel):
    """The patient and episode created (version 1)."""

    patient: str
    episode: str
    site: str
    version: int
    warnings: list[WarningOut]


def _rows_body(model: type[BaseModel]) -> type[BaseModel]:
    """Return the body model of a bulk write: ``{"items": [...]}``."""
    rows: type[BaseModel] = create_model(
        f"{model.__name__.removesuffix('In')}Rows",
        __base__=_Strict,
        __doc__=f"Rows to write, at most {MAX_ROWS}.",
        items=(list[model], Field(max_length=MAX_ROWS)),  # type: ignore[valid-type]
    )
    return rows


def _cells(row: BaseModel) -> dict[str, str | None]:
    """Return a row's values as a bundle file writes them (the rules then read them so)."""
    cells: dict[str, str | None] = {}
    for name, value in row.model_dump().items():
        if value is None or isinstance(value, str):
            cells[name] = value
        elif isinstance(value, float):
            cells[name] = decimal_text(value)
        else:
            cells[name] = str(value)
    return cells


def _warnings(warnings: tuple[InputWarning, ...]) -> list[dict[str, Any]]:
    return [
        {
            "field": w.field,
            "value": None if w.value is None else str(w.value),
            "concern": w.concern,
            "source": w.source,
            "row": w.row,
            "message": w.message,
        }
        for w in warnings
    ]


def _not_found(ref: str) -> Response:
    return problem(
        404,
        "Episode not found",
        "no episode of your sites is called this",
        errors=[
            {
                "field": "ref",
                "in": "path",
                "value": ref[:200],
                "accepted": "an episode of your sites, as GET /api/v1/patients lists it",
            }
        ],
    )


def _episode(request: Request, visitor: Visitor, ref: str) -> EpisodeRef | None:
    if not _SHOWN_NAME.fullmatch(ref):
        return None
    return resolve_episode(engine_of(request), visitor.account, ref)


def _expected_version(if_match: str | None) -> int | Response:
    """Return the version If-Match names, 0 for one that cannot be current, or a 428."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return problem(
            428,
            "If-Match required",
            'send If-Match with the ETag of the episode as you read it (e.g. If-Match: "3"); '
            "a change without it could overwrite someone else's",
            errors=[
                {
                    "field": "If-Match",
                    "in": "header",
                    "value": if_match,
                    "accepted": 'the episode\'s ETag, e.g. "3"',
                }
            ],
        )
    found = _VERSION_TAG.fullmatch(if_match.strip())
    return int(found.group(1)) if found else 0  # 0: never a version, answered 412


def _change_target(
    request: Request, ref: str, if_match: str | None
) -> tuple[Visitor, EpisodeRef, int] | Response:
    """Return who changes which episode from which version, or the problem (404, 428)."""
    visitor = require(request, Permission.EDIT)
    found = _episode(request, visitor, ref)
    if found is None:
        return _not_found(ref)
    expected = _expected_version(if_match)
    if isinstance(expected, Response):
        return expected
    return visitor, found, expected


def _stale(error: EntryConflictError) -> Response:
    current = error.current_version
    return problem(
        412,
        "The episode changed",
        str(error),
        headers={"etag": f'"{current}"'} if current is not None else None,
        current_version=current,
    )


def _written(ref: EpisodeRef, saved: Saved, rows: int | None, status: int = 200) -> Response:
    body = EpisodeWritten(
        episode=ref.shown_episode,
        version=saved.version,
        rows=rows,
        warnings=[WarningOut(**w) for w in _warnings(saved.warnings)],
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers={"etag": f'"{saved.version}"'}
    )


@router.post(
    "/patients",
    status_code=201,
    response_model=PatientCreated,
    responses={**problem_responses(400, 422), 201: {"headers": _ETAG_HEADER}},
)
def create_patient_route(request: Request, body: NewPatient) -> Response:
    """Create a patient and its first episode in a site granted to you."""
    visitor = require(request, Permission.EDIT)
    if body.site not in visitor.account.sites:
        raise InputError(
            "site",
            body.site,
            "one of the sites granted to you: " + (", ".join(visitor.account.sites) or "none"),
        )
    created = create_patient(
        engine_of(request),
        site=body.site,
        patient=_cells(body.patient),
        episode=_cells(body.episode),
        actor=visitor.username,
    )
    answer = PatientCreated(
        patient=created.patient_id,
        episode=created.episode_id,
        site=created.site,
        version=created.version,
        warnings=[WarningOut(**w) for w in _warnings(created.warnings)],
    )
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=201,
        headers={
            "etag": f'"{created.version}"',
            "location": f"/api/v1/episodes/{created.episode_id}",
        },
    )


@router.patch(
    "/episodes/{ref}",
    response_model=EpisodeWritten,
    responses={**problem_responses(400, 404, 412, 422, 428), 200: {"headers": _ETAG_HEADER}},
)
def update_episode_route(
    request: Request,
    ref: Annotated[str, _REF_PATH],
    body: EpisodeChanges,
    if_match: Annotated[str | None, _IF_MATCH] = None,
) -> Response:
    """Change an episode's own columns (follow-up, outcome, death, admission, phenotype)."""
    target = _change_target(request, ref, if_match)
    if isinstance(target, Response):
        return target
    visitor, found, expected = target
    changes: TextRow = {name: getattr(body, name) for name in body.model_fields_set}
    try:
        saved = update_episode_fields(
            engine_of(request),
            found.episode_id,
            changes,
            expected_version=expected,
            actor=visitor.username,
        )
    except EntryConflictError as error:
        return _stale(error)
    return _written(found, saved, None)


def _rows_routes(path: str, table: str, model: type[BaseModel]) -> None:
    """Add the bulk replace (PUT) and append (POST) of one table's rows of an episode."""
    body_model = _rows_body(model)
    words = path.replace("-", " ")

    def write(
        request: Request,
        ref: str,
        body: Mapping[str, Any],
        if_match: str | None,
        *,
        replace: bool,
    ) -> Response:
        target = _change_target(request, ref, if_match)
        if isinstance(target, Response):
            return target
        visitor, found, expected = target
        rows = [_cells(item) for item in body["items"]]
        try:
            saved = change_rows(
                engine_of(request),
                found.episode_id,
                table,
                replace=rows if replace else None,
                add=() if replace else rows,
                expected_version=expected,
                actor=visitor.username,
            )
        except EntryConflictError as error:
            return _stale(error)
        return _written(found, saved, saved.rows)

    def replace_rows(
        request: Request,
        ref: Annotated[str, _REF_PATH],
        body: Any,
        if_match: Annotated[str | None, _IF_MATCH] = None,
    ) -> Response:
        return write(request, ref, {"items": body.items}, if_match, replace=True)

    def append_rows(
        request: Request,
        ref: Annotated[str, _REF_PATH],
        body: Any,
        if_match: Annotated[str | None, _IF_MATCH] = None,
    ) -> Response:
        return write(request, ref, {"items": body.items}, if_match, replace=False)

    # The body's model is made per table: given to FastAPI as the parameter's annotation.
    replace_rows.__annotations__["body"] = body_model
    append_rows.__annotations__["body"] = body_model

    replace_rows.__doc__ = (
        f"Replace every {words[:-1] if words.endswith('s') else words} row of an episode with "
        "these (all or nothing)."
    )
    append_rows.__doc__ = f"Append these {words} to an episode (all or nothing)."
    responses = {**problem_responses(400, 404, 412, 422, 428), 200: {"headers": _ETAG_HEADER}}
    router.add_api_route(
        f"/episodes/{{ref}}/{path}",
        replace_rows,
        methods=["PUT"],
        name=f"replace_{table}",
        operation_id=f"replace_{table}",
        summary=f"Replace an episode's {words}",
        response_model=EpisodeWritten,
        responses=responses,
    )
    router.add_api_route(
        f"/episodes/{{ref}}/{path}",
        append_rows,
        methods=["POST"],
        name=f"append_{table}",
        operation_id=f"append_{table}",
        summary=f"Append {words} to an episode",
        response_model=EpisodeWritten,
        responses=responses,
    )


for _path, _table, _model in (
    ("observations", "observations", ObservationIn),
    ("treatments", "treatments", TreatmentIn),
    ("drug-exposures", "drug_exposures", DrugExposureIn),
    ("findings", "findings", FindingIn),
):
    _rows_routes(_path, _table, _model)
