"""Reading the registry: patients, episodes, their rows and the derived course.

Every route needs ``view_identified`` or ``view_deidentified`` and sees only the sites the
account is granted (:mod:`dresskit.registry.scoped`). Episodes are named as the caller sees
them: by id, or by pseudonym for a researcher; an episode that does not exist, is of another
site, or is asked for by its id by a researcher is one and the same 404. A researcher's
answers are de-identified (:mod:`dresskit.registry.listing_api`): pseudonyms, days since
onset instead of dates (the date fields are null), coded values only. Each identified
answer is written to the audit trail as a view.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from dresskit.analysis.episode_masking import days_for_dates
from dresskit.analysis.episode_view import ReaderNames, reader_course
from dresskit.course.summary import summarise_course, summary_as_dict
from dresskit.registry.access import Permission
from dresskit.registry.listing import find_episode
from dresskit.registry.listing_api import (
    EPISODE_ROW_TABLES,
    PatientFilters,
    episode_record,
    episode_rows,
    list_patients,
)
from dresskit.registry.loading import load_course
from dresskit.registry.scoped import EpisodeRef, record_view
from dresskit.web.api.models import (
    API_SECURITY,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
    problem_responses,
)
from dresskit.web.auth import Visitor, engine_of, needs, require
from dresskit.web.problems import problem

__all__ = [
    "Course",
    "DrugExposureRow",
    "EpisodeDetail",
    "FindingRow",
    "ObservationRow",
    "PatientItem",
    "TreatmentRow",
    "router",
]

router = APIRouter(tags=["records"], dependencies=API_SECURITY)

#: Every route here needs identified or de-identified viewing (the auditor has neither).
_SEES_PATIENTS: Final = [Depends(needs(Permission.VIEW_IDENTIFIED, Permission.VIEW_DEIDENTIFIED))]

_OUTCOMES: Final = ["recovered", "died", "lost_to_follow_up", "transferred", "ongoing"]
_PHENOTYPES: Final = ["dress", "maculopapular_exanthema", "sjs_ten", "agep", "other"]
_REF_PATH: Final = Path(
    min_length=1,
    max_length=200,
    description="The episode as you see it: its id, or its pseudonym (researchers).",
)


class EpisodeItem(BaseModel):
    """An episode in the patient list."""

    episode: str = Field(description="Id, or pseudonym for a researcher.")
    phenotype: str
    outcome: str
    onset_date: date | None = Field(description="Null when de-identified.")
    version: int


class PatientItem(BaseModel):
    """A patient of the sites granted, with its episodes that match the filters."""

    patient: str = Field(description="Id, or pseudonym for a researcher.")
    site: str
    sex: str
    episodes: list[EpisodeItem]


class EpisodeDetail(BaseModel):
    """An episode, its patient, its version (also the ETag) and its rows per table."""

    episode: str
    patient: str
    site: str
    identified: bool = Field(description="False when the answer is de-identified.")
    phenotype: str
    outcome: str
    version: int
    rows: dict[str, int] = Field(description="Rows per table (observations, treatments, ...).")
    sex: str
    age_years: int | str | None = Field(description="De-identified: text, '90+' over 89.")
    birth_year: int | None
    age_basis: str | None
    onset_date: date | None
    admission_date: date | None
    last_follow_up_date: date | None
    death_date: date | None
    onset_day: int = Field(description="Always 0: days are counted from onset.")
    admission_day: int | None
    last_follow_up_day: int | None
    death_day: int | None


class ObservationRow(BaseModel):
    """One observation (value in the code's canonical unit)."""

    episode: str
    date: date | None
    day: int | None = Field(description="Days since onset.")
    time: str | None = Field(description="HH:MM, when recorded.")
    code: str
    value: float | None
    unit: str | None = Field(description="UCUM code.")
    unit_symbol: str | None = Field(description="The unit as printed (e.g. ×10⁹/L).")
    text: str | None


class TreatmentRow(BaseModel):
    """One treatment (a steroid segment, an IVIG course, a biologic or another agent)."""

    episode: str
    kind: str
    agent: str
    route: str | None
    start_date: date | None
    start_day: int | None
    end_date: date | None
    end_day: int | None
    dose: float | None
    dose_unit: str | None
    interval_days: int | None
    loading_dose: float | None


class DrugExposureRow(BaseModel):
    """One drug taken before or during the reaction."""

    episode: str
    drug: str
    atc_code: str | None
    role: str
    start_date: date | None
    start_day: int | None
    stop_date: date | None
    stop_day: int | None


class FindingRow(BaseModel):
    """One clinical finding (rash, lymph nodes, organ involvement, tests for other causes)."""

    episode: str
    date: date | None
    day: int | None
    code: str
    value: str
    detail: str | None


class CourseItem(BaseModel):
    """One item of a score computed from the course, with the rows it came from."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    answer: str
    points: int | None
    reason: str
    from_: list[str] = Field(alias="from", description="The course's rows that fed the item.")


class CourseScore(BaseModel):
    """A diagnosis score (RegiSCAR, J-SCAR, Bocquet) from the course's own data."""

    model_config = ConfigDict(populate_by_name=True)

    instrument: str
    total: int | None
    classification: str = Field(alias="class")
    reachable_total: list[int] | None
    reachable_classes: list[str]
    unknown_items: list[str]
    items: list[CourseItem]
    reference: str


class Culprit(BaseModel):
    """One drug, ranked and explained (informative; the clinician decides)."""

    rank: int
    drug: str
    role: str
    latency_days: int | None
    window: str
    notoriety: str | None
    naranjo_total: int | None
    explanation: str


class ResponseState(BaseModel):
    """One steroid-response state, met or not or unknown, with its evidence."""

    name: str
    value: bool | None
    definition: str
    evidence: list[str]
    remarks: list[str]


class Flare(BaseModel):
    """One flare of one marker under steroids."""

    date: date | None
    day: int | None = Field(description="Days since onset.")
    marker: str
    before: float | None
    value: float | None
    prednisone_equivalent_mg: float | None
    mg_per_kg: float | None
    during_taper: bool
    rule: str


class SteroidResponse(BaseModel):
    """The steroid-response classification (project definitions, informative only)."""

    states: list[ResponseState]
    flares: list[Flare]
    definitions: dict[str, float | int]


class Outcome(BaseModel):
    """A time-to-event outcome from day 0, observed or censored (with why)."""

    outcome: str
    days: int | None
    observed: bool
    followed_up_days: int
    censor_reason: str | None
    competing_event: str | None
    competing_event_days: int | None
    event_date: date | None
    event_day: int | None = Field(description="Days since onset.")
    definition: str
    parameters: dict[str, float | int | str]


class IvigTotal(BaseModel):
    """IVIG given: days, total dose, and why a total is unknown."""

    days: int
    g_per_kg: float | None
    grams: float | None
    remarks: list[str]


class CourseDay(BaseModel):
    """One day of the course; null where nothing was recorded."""

    date: date | None
    day: int = Field(description="Days from day 0 (the index event).")
    day_since_onset: int | None
    max_temperature_cel: float | None
    alt_u_per_l: float | None
    eosinophils_10e9_per_l: float | None
    itch_nrs: float | None
    rash_bsa_pct: float | None
    total_ige_ku_per_l: float | None
    prednisone_equivalent_mg: float | None
    prednisone_equivalent_mg_per_kg: float | None
    steroid_agents: list[str]
    ivig_g_per_kg: float | None
    ivig_g: float | None
    biologics: list[str]


class Course(BaseModel):
    """The derived course, as ``dresskit course --json`` gives it, with days beside dates."""

    episode_id: str = Field(description="Id, or pseudonym for a researcher.")
    patient_id: str = Field(description="Id, or pseudonym for a researcher.")
    phenotype: str
    outcome: str
    onset: date | None = Field(description="Null when de-identified (onset_day is 0).")
    onset_day: int
    last_follow_up: date | None = Field(description="Null when de-identified.")
    last_follow_up_day: int | None = Field(description="Days since onset.")
    death_date: date | None = Field(description="Null when de-identified, or alive.")
    death_day: int | None = Field(description="Days since onset.")
    index: str = Field(description="Day 0 of the outcomes and the day table.")
    index_date: date | None = Field(description="Null when de-identified.")
    index_day: int | None = Field(description="Day 0 in days since onset.")
    steroid_days_before_index: int | None
    ivig_total: IvigTotal
    outcomes: list[Outcome] = Field(description="Times to event from day 0, with censoring.")
    scores: list[CourseScore] = Field(description="RegiSCAR, J-SCAR, Bocquet from the data.")
    culprits: list[Culprit] = Field(description="The drugs, ranked (informative only).")
    steroid_response: SteroidResponse
    days: list[CourseDay] = Field(description="One entry per calendar day of the course.")


def _reader(request: Request) -> Visitor:
    """Return the visitor, whose role sees patients (checked by :data:`_SEES_PATIENTS`)."""
    return require(request)


def _not_found(ref: str) -> Response:
    return problem(
        404,
        "Episode not found",
        "no episode of your sites is called this (researchers name episodes by pseudonym)",
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
    # The rule of scoped.resolve_episode, from the cached episode table (as the pages).
    found = find_episode(engine_of(request), visitor.account, ref)
    if found is not None:
        record_view(engine_of(request), visitor.account, "episode", found.episode_id)
    return found


@router.get(
    "/patients",
    summary="List the patients of your sites with their episodes",
    dependencies=_SEES_PATIENTS,
    response_model=Page[PatientItem],
    responses=problem_responses(422),
)
def patients(
    request: Request,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    patient: Annotated[
        str | None, Query(max_length=200, description="Only this patient (id or pseudonym).")
    ] = None,
    outcome: Annotated[
        list[str] | None,
        Query(
            description="Only episodes with this outcome (repeatable).",
            json_schema_extra={"items": {"type": "string", "enum": _OUTCOMES}},
        ),
    ] = None,
    phenotype: Annotated[
        list[str] | None,
        Query(
            description="Only this phenotype (repeatable).",
            json_schema_extra={"items": {"type": "string", "enum": _PHENOTYPES}},
        ),
    ] = None,
    since: Annotated[
        date | None, Query(description="Onset on or after (identified roles only).")
    ] = None,
    until: Annotated[
        date | None, Query(description="Onset on or before (identified roles only).")
    ] = None,
    site: Annotated[str | None, Query(max_length=64, description="Only this site.")] = None,
) -> dict[str, Any]:
    """List the patients of your sites with their episodes, by id (or pseudonym)."""
    visitor = _reader(request)
    after = decode_cursor(cursor, kinds=(str,))[0] if cursor is not None else None
    filters = PatientFilters(
        patient=patient,
        outcomes=tuple(outcome or ()),
        phenotypes=tuple(phenotype or ()),
        since=since,
        until=until,
        site=site,
    )
    found = list_patients(engine_of(request), visitor.account, filters)
    if after is not None:
        found = [entry for entry in found if entry.patient > after]
    page = found[:limit]
    if visitor.identified:
        record_view(engine_of(request), visitor.account, "patient_list", None)
    return {
        "items": [
            {
                "patient": entry.patient,
                "site": entry.site,
                "sex": entry.sex,
                "episodes": [
                    {
                        "episode": e.episode,
                        "phenotype": e.phenotype,
                        "outcome": e.outcome,
                        "onset_date": e.onset_date,
                        "version": e.version,
                    }
                    for e in entry.episodes
                ],
            }
            for entry in page
        ],
        "next_cursor": encode_cursor([page[-1].patient]) if len(found) > limit else None,
    }


_ETAG: Final = {
    "ETag": {
        "description": 'The episode\'s version, quoted ("3"): send it as If-Match to change it.',
        "schema": {"type": "string"},
    }
}


@router.get(
    "/episodes/{ref}",
    summary="Show an episode (its ETag is its version)",
    dependencies=_SEES_PATIENTS,
    response_model=EpisodeDetail,
    responses={**problem_responses(404, 422), 200: {"headers": _ETAG}},
)
def episode(request: Request, ref: Annotated[str, _REF_PATH]) -> Response:
    """Show an episode: its patient, dates (identified) or days, version and row counts."""
    visitor = _reader(request)
    found = _episode(request, visitor, ref)
    if found is None:
        return _not_found(ref)
    record = episode_record(engine_of(request), found, identified=visitor.identified)
    body = EpisodeDetail.model_validate(record).model_dump(mode="json")
    return JSONResponse(body, headers={"etag": f'"{record["version"]}"'})


def _rows_route(path: str, table: str, model: type[BaseModel]) -> None:
    def rows(
        request: Request,
        ref: Annotated[str, _REF_PATH],
        limit: LimitQuery = 500,
        cursor: CursorQuery = None,
    ) -> Any:
        visitor = _reader(request)
        offset = decode_cursor(cursor, kinds=(int,))[0] if cursor is not None else 0
        found = _episode(request, visitor, ref)
        if found is None:
            return _not_found(ref)
        listed = episode_rows(engine_of(request), found, table, identified=visitor.identified)
        start = max(offset, 0)
        page = listed[start : start + limit]
        more = start + limit < len(listed)
        return {"items": page, "next_cursor": encode_cursor([start + limit]) if more else None}

    words = path.replace("-", " ")
    rows.__doc__ = f"List an episode's {words} (dates for identified roles; days always)."
    router.add_api_route(
        f"/episodes/{{ref}}/{path}",
        rows,
        methods=["GET"],
        dependencies=_SEES_PATIENTS,
        name=f"episode_{table}",
        operation_id=f"episode_{table}",
        summary=f"List an episode's {words}",
        response_model=Page[model],  # type: ignore[valid-type]
        responses=problem_responses(404, 422),
    )


for _path, _model in (
    ("observations", ObservationRow),
    ("treatments", TreatmentRow),
    ("drug-exposures", DrugExposureRow),
    ("findings", FindingRow),
):
    _rows_route(_path, EPISODE_ROW_TABLES[_path], _model)


@router.get(
    "/episodes/{ref}/course",
    summary="Derive an episode's course",
    dependencies=_SEES_PATIENTS,
    response_model=Course,
    responses=problem_responses(404, 422),
)
def course(
    request: Request,
    ref: Annotated[str, _REF_PATH],
    index: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Day 0: onset (default), admission, steroid, ivig or an agent "
            "(researchers: its code).",
        ),
    ] = "onset",
) -> Any:
    """Derive the course: scores with evidence, culprits, steroid response, outcomes, days."""
    visitor = _reader(request)
    found = _episode(request, visitor, ref)
    if found is None:
        return _not_found(ref)
    recorded = load_course(engine_of(request), found.episode_id)
    names = ReaderNames(visitor.identified, found.shown_episode, found.shown_patient, found.site)
    summary = summarise_course(reader_course(recorded, names), index=index)
    return _course_answer(summary_as_dict(summary), recorded.episode.onset, visitor.identified)


def _days(text: object, onset: date) -> int | None:
    return None if text is None else (date.fromisoformat(str(text)) - onset).days


def _course_answer(data: dict[str, Any], onset: date, identified: bool) -> dict[str, Any]:
    """Add the days since onset beside every date; for a researcher, leave only the days.

    A researcher's course is the masked course (:func:`reader_course`: pseudonyms, coded
    drug names, numbered finding details, withheld free text), and every text it derives is
    given with days since onset instead of dates (:func:`days_for_dates`), as on the page.
    """
    data["onset_day"] = 0
    for name, day in (
        ("last_follow_up", "last_follow_up_day"),
        ("death_date", "death_day"),
        ("index_date", "index_day"),
    ):
        data[day] = _days(data[name], onset)
    dated = [(data, name) for name in ("onset", "last_follow_up", "death_date", "index_date")]
    for outcome in data["outcomes"]:
        outcome["event_day"] = _days(outcome["event_date"], onset)
        dated.append((outcome, "event_date"))
    for flare in data["steroid_response"]["flares"]:
        flare["day"] = _days(flare["date"], onset)
        dated.append((flare, "date"))
    for day in data["days"]:
        day["day_since_onset"] = _days(day["date"], onset)
        dated.append((day, "date"))
    if identified:
        return data
    for holder, name in dated:
        holder[name] = None
    masked: dict[str, Any] = _texts_in_days(data, onset)
    return masked


def _texts_in_days(node: Any, onset: date) -> Any:
    if isinstance(node, str):
        return days_for_dates(node, onset)
    if isinstance(node, dict):
        return {key: _texts_in_days(value, onset) for key, value in node.items()}
    if isinstance(node, list):
        return [_texts_in_days(value, onset) for value in node]
    return node
