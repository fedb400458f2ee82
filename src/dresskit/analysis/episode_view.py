"""One episode's course at a glance, ready to display: the patient page's content as values.

:func:`episode_view` summarises a course as :func:`dresskit.course.summary.summarise_course`
(the function behind ``dresskit course``) does, an instrument that refuses the data named
rather than fatal (:attr:`dresskit.course.summary.CourseSummary.refused_scores`), and lays the
result out for a page: the header
(age, sex, site, onset, outcome), the three diagnostic scores with each item's answer,
points, rule and evidence and the items still unknown (with what to enter to answer each),
the culprit ranking, the steroid response with its flares, the outcomes with their censoring,
and a day-by-day table of the values charted (the text alternative of the charts). It
computes nothing clinical itself and draws nothing; the web page only displays it.

Text is shown as people read it: units as symbols (:mod:`dresskit.display_units`: ``°C``,
``×10⁹/L``), codes in words. For a reader who sees de-identified data only, the course is
masked first (:func:`dresskit.analysis.episode_masking.masked_course`: pseudonyms, coded drug
names, no free text) and every date is written as days since onset. Unknown stays unknown: an
item without data says so, a value never measured is ``None`` (never 0).

References
----------
.. [1] clinical-reference.md §1-§3 (instruments), §6.2 (culprits), §10 (response, outcomes);
   docs/web.md (the patient page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from dresskit.analysis.episode_masking import (
    age_at_onset,
    age_text,
    day_text,
    days_for_dates,
    masked_course,
)
from dresskit.analysis.timeline import CourseTimeline, course_timeline
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.diagnosis import CourseScore
from dresskit.course.model import PatientCourse
from dresskit.course.outcomes import TimeToEvent
from dresskit.course.summary import COURSE_INSTRUMENTS as INSTRUMENTS
from dresskit.course.summary import CourseSummary, RefusedScore, summarise_course
from dresskit.course.treatments import index_events
from dresskit.display_units import DISPLAY_SYMBOLS, display_unit, with_unit

__all__ = [
    "DAY_COLUMNS",
    "ITEM_DATA",
    "CulpritView",
    "DayTable",
    "EntryTarget",
    "EpisodeView",
    "FlareView",
    "ItemView",
    "OutcomeView",
    "ReaderNames",
    "ScoreView",
    "StateView",
    "episode_view",
    "index_choices",
    "index_label",
    "number_text",
    "reader_course",
    "reader_timeline",
    "units_as_symbols",
]


@dataclass(frozen=True)
class ReaderNames:
    """Who reads the page and the names they know the episode by.

    ``identified`` readers see ids and dates; the others see ``episode`` and ``patient`` as
    pseudonyms and days since onset.
    """

    identified: bool
    episode: str
    patient: str
    site: str


@dataclass(frozen=True)
class EntryTarget:
    """Where the data that would answer an unknown item are entered.

    ``section`` is a part of the data entry page (``"observations"``, ``"findings"``,
    ``"drugs"``); ``code`` the observation or finding code (``None`` for drugs); ``what``
    says in words what to enter.
    """

    section: str
    code: str | None
    what: str


def _observation(code: str, what: str) -> EntryTarget:
    return EntryTarget("observations", code, what)


def _finding(code: str, what: str) -> EntryTarget:
    return EntryTarget("findings", code, what)


#: (instrument, item) -> the data that answer the item (clinical-reference.md §1-§3 and
#: :mod:`dresskit.course.diagnosis`, which reads exactly these).
ITEM_DATA: Final[Mapping[tuple[str, str], EntryTarget]] = {
    ("regiscar", "fever"): _observation("temperature", "a body temperature"),
    ("regiscar", "lymph_nodes"): _finding("lymph_nodes", "lymph nodes (enlarged or normal, site)"),
    ("regiscar", "eosinophilia"): _observation("eosinophils", "an eosinophil count"),
    ("regiscar", "atypical_lymphocytes"): _observation(
        "atypical_lymphocytes_pct", "atypical lymphocytes (%)"
    ),
    ("regiscar", "skin_extent_over_50pct"): _observation("rash_bsa", "the rash extent (% BSA)"),
    ("regiscar", "skin_suggestive"): _finding(
        "rash_feature", "rash features (oedema, infiltration, purpura, scaling)"
    ),
    ("regiscar", "biopsy_suggestive"): _finding("biopsy", "the skin biopsy result"),
    ("regiscar", "organ_involvement"): _finding("organ_involvement", "the organs involved"),
    ("regiscar", "resolution_15_days"): _observation(
        "rash_bsa", "rash assessments (% BSA) until it clears"
    ),
    ("regiscar", "other_causes_excluded"): _finding(
        "other_cause_test", "tests for other causes (ANA, blood culture, hepatitis viruses, ...)"
    ),
    ("jscar", "rash_latency_over_3_weeks"): EntryTarget(
        "drugs", None, "the suspect drug's first dose date"
    ),
    ("jscar", "prolonged_after_withdrawal"): EntryTarget(
        "drugs", None, "the suspect drug's stop date and the later course"
    ),
    ("jscar", "fever"): _observation("temperature", "a body temperature"),
    ("jscar", "liver_abnormality"): _observation("alt", "an ALT value"),
    ("jscar", "leukocyte_abnormality"): _observation(
        "leukocytes", "leukocyte, atypical lymphocyte and eosinophil counts"
    ),
    ("jscar", "lymphadenopathy"): _finding("lymph_nodes", "lymph nodes (enlarged or normal)"),
    ("jscar", "hhv6_reactivation"): _observation("hhv6_pcr", "an HHV-6 PCR result"),
    ("bocquet", "cutaneous_eruption"): _finding("rash", "whether a rash is present"),
    ("bocquet", "systemic_involvement"): _finding("organ_involvement", "the organs involved"),
    ("bocquet", "haematological"): _observation(
        "eosinophils", "an eosinophil count and atypical lymphocytes"
    ),
}


@dataclass(frozen=True)
class ItemView:
    """One item of a score: answer, points, the rule applied and the data behind it."""

    id: str
    label: str
    answer: str
    points: int | None
    known: bool
    reason: str
    evidence: tuple[str, ...]
    could_give: tuple[int, ...]
    enter: EntryTarget | None


@dataclass(frozen=True)
class ScoreView:
    """One diagnostic score computed from the course.

    ``problem`` is the instrument's message when it refused the course's data (then
    ``classification`` is ``"not scored"`` and there are no items): the data to correct.
    """

    instrument: str
    name: str
    version: str
    total: int | None
    classification: str
    reachable: str | None
    items: tuple[ItemView, ...]
    remarks: tuple[str, ...]
    reference: str
    problem: str | None = None

    @property
    def unknown_items(self) -> tuple[ItemView, ...]:
        """Return the items still unknown (no data recorded for them)."""
        return tuple(item for item in self.items if not item.known)


@dataclass(frozen=True)
class CulpritView:
    """One drug of the culprit ranking (informative; the clinician decides)."""

    rank: int
    drug: str
    role: str
    latency: str
    window: str
    notoriety: str
    naranjo: str
    explanation: str


@dataclass(frozen=True)
class StateView:
    """One steroid-response state: ``"yes"``, ``"no"`` or ``"unknown"``, with its evidence."""

    name: str
    label: str
    value: str
    evidence: tuple[str, ...]
    remarks: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class FlareView:
    """One flare of one marker."""

    on: str
    day_of_steroid: int
    marker: str
    before: str
    value: str
    steroid: str
    setting: str


@dataclass(frozen=True)
class OutcomeView:
    """One derived outcome: days to the event, or where and why it was censored."""

    outcome: str
    result: str
    observed: bool
    censor_reason: str | None
    definition: str


@dataclass(frozen=True)
class DayTable:
    """The charted values day by day (only days and columns with a value).

    ``columns`` are ``(label, unit symbol)``; each row is ``(date or day since onset, day
    since day 0, cells)``, a cell ``None`` when nothing was recorded or given that day.
    """

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, int, tuple[str | None, ...]], ...]


@dataclass(frozen=True)
class EpisodeView:
    """Everything the patient page shows for one episode (see the module docstring)."""

    episode: str
    patient: str
    identified: bool
    site: str
    sex: str
    age: str | None
    phenotype: str
    onset: str
    admission: str | None
    outcome: str
    last_follow_up: str
    death: str | None
    index: str
    index_label: str
    index_day: str
    index_choices: tuple[tuple[str, str], ...]
    scores: tuple[ScoreView, ...]
    culprits: tuple[CulpritView, ...]
    states: tuple[StateView, ...]
    flares: tuple[FlareView, ...]
    flare_definition: str
    outcomes: tuple[OutcomeView, ...]
    steroid_days_before_index: str
    ivig: str
    days: DayTable


#: The day-by-day columns: (label, UCUM unit, attribute of CourseDay).
DAY_COLUMNS: Final = (
    ("Tmax", "Cel", "max_temperature_cel"),
    ("ALT", "U/L", "alt_u_per_l"),
    ("Eosinophils", "10*9/L", "eosinophils_10e9_per_l"),
    ("Total IgE", "kU/L", "total_ige_ku_per_l"),
    ("Itch NRS", "{score}", "itch_nrs"),
    ("Rash BSA", "%", "rash_bsa_pct"),
    ("Steroid (prednisone eq.)", "mg/d", "prednisone_equivalent_mg"),
    ("Steroid (prednisone eq.)", "mg/kg/d", "prednisone_equivalent_mg_per_kg"),
    ("IVIG", "g/kg", "ivig_g_per_kg"),
    ("IVIG", "g", "ivig_g"),
)

_STATE_LABELS: Final = {
    "hyporesponsive": "Hyporesponsive",
    "dependent": "Steroid-dependent",
    "resistant": "Steroid-resistant",
    "type2_profile": "Type 2 profile",
}
_MARKER_CODES: Final = {
    "fever": "temperature",
    "itch_nrs": "itch_nrs",
    "rash_bsa": "rash_bsa",
    "alt": "alt",
    "eosinophils": "eosinophils",
}
_MARKER_WORDS: Final = {
    "fever": "fever",
    "itch_nrs": "itch NRS",
    "rash_bsa": "rash BSA",
    "alt": "ALT",
    "eosinophils": "eosinophils",
}
_CENSOR_WORDS: Final = {
    "died": "died",
    "lost_to_follow_up": "lost to follow-up",
    "transferred": "transferred",
    "end_of_data": "end of the record",
    "no_data_after_index": "no data after day 0",
}
# A number followed by a UCUM code, as the course and score texts write them
# ("39.6 Cel", "3.216 10*9/L", "8 %"); "1" (dimensionless) is left alone.
_UNIT_AFTER_NUMBER: Final = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?) ("
    + "|".join(
        re.escape(code) for code in sorted(DISPLAY_SYMBOLS, key=len, reverse=True) if code != "1"
    )
    + r")(?=$|[\s,;:)\]])"
)


def units_as_symbols(text: str) -> str:
    """Write each UCUM unit that follows a number as its display symbol.

    Examples
    --------
    >>> units_as_symbols("2012-05-21 eosinophils = 3.216 10*9/L; 39.6 Cel (39.6 Cel), 8 %")
    '2012-05-21 eosinophils = 3.216 ×10⁹/L; 39.6 °C (39.6 °C), 8%'
    """
    return _UNIT_AFTER_NUMBER.sub(lambda m: with_unit(m[1], m[2]), text)


def number_text(number: float | None) -> str | None:
    """Write a number as recorded, without a needless ``.0``; ``None`` stays ``None``.

    Never rounded, so the page shows what is stored (``repr``; as ``dresskit course``).

    Examples
    --------
    >>> [number_text(v) for v in (270.0, 0.0, -0.0, 38.5, 1.14, None)]
    ['270', '0', '0', '38.5', '1.14', None]
    """
    if number is None:
        return None
    return repr(float(number) + 0.0).removesuffix(".0")


def index_label(index: str) -> str:
    """Return an index event in words (``"ivig"`` -> ``"first IVIG dose"``)."""
    words = {
        "onset": "reaction onset",
        "admission": "admission",
        "steroid": "first systemic steroid dose",
        "ivig": "first IVIG dose",
    }
    return words.get(index, f"first {index} dose")


def index_choices(course: PatientCourse, names: ReaderNames) -> tuple[str, ...]:
    """Return the index events this reader may choose as day 0 (agents as they see them)."""
    return tuple(index_events(reader_course(course, names)))


def reader_course(course: PatientCourse, names: ReaderNames) -> PatientCourse:
    """Return the course as this reader may see it (masked unless identified)."""
    if names.identified:
        return course
    masked, _ = masked_course(course, episode_name=names.episode, patient_name=names.patient)
    return masked


def reader_timeline(course: PatientCourse, names: ReaderNames, *, index: str) -> CourseTimeline:
    """Lay the course out on a day axis as this reader may see it (title without dates).

    The same :class:`~dresskit.analysis.timeline.CourseTimeline` the report draws; for a
    de-identified reader it is laid out from the masked course and its title gives day 0 as
    days since onset instead of a date.

    Raises
    ------
    dresskit.errors.InputError
        When the course has no ``index`` event.
    """
    timeline = course_timeline(reader_course(course, names), index=index)
    if names.identified:
        return timeline
    return replace(timeline, title=days_for_dates(timeline.title, course.episode.onset))


def _shower(identified: bool, onset: date) -> Callable[[str], str]:
    def shown(text: str) -> str:
        text = units_as_symbols(text)
        return text if identified else days_for_dates(text, onset)

    return shown


def _score(score: CourseScore, shown: Callable[[str], str]) -> ScoreView:
    result = score.result
    items = []
    for item in result.items:
        sources = score.provenance.get(item.id, ()) or item.evidence
        items.append(
            ItemView(
                id=item.id,
                label=item.label,
                answer=item.answer.replace("_", " "),
                points=item.points,
                known=item.known,
                reason=shown(item.reason),
                evidence=tuple(shown(source) for source in sources),
                could_give=item.alternatives,
                enter=None if item.known else ITEM_DATA.get((result.instrument, item.id)),
            )
        )
    reachable = None
    if result.unknown_items and result.reachable_total is not None:
        low, high = result.reachable_total
        reachable = f"{low} to {high}: {', '.join(result.reachable_classes)}"
    elif result.unknown_items and result.reachable_classes:
        reachable = ", ".join(result.reachable_classes)
    return ScoreView(
        instrument=result.instrument,
        name=result.name,
        version=result.version,
        total=result.total,
        classification=result.classification,
        reachable=reachable,
        items=tuple(items),
        remarks=tuple(shown(remark) for remark in result.remarks),
        reference=result.reference.text,
    )


def _refused(refused: RefusedScore, shown: Callable[[str], str]) -> ScoreView:
    return ScoreView(
        instrument=refused.instrument,
        name=refused.name,
        version="",
        total=None,
        classification="not scored",
        reachable=None,
        items=(),
        remarks=(),
        reference="",
        problem=shown(refused.problem),
    )


def _outcome(result: TimeToEvent) -> OutcomeView:
    if result.observed:
        words = f"{result.days} day{'s' if result.days != 1 else ''}"
    else:
        reason = _CENSOR_WORDS.get(result.censor_reason or "", result.censor_reason or "")
        words = f"not observed: censored at day {result.followed_up_days} ({reason})"
        if result.competing_event is not None:
            words += f"; competing event: {result.competing_event}"
            if result.competing_event_days is not None:
                words += f" on day {result.competing_event_days}"
    return OutcomeView(
        outcome=result.outcome.replace("_", " "),
        result=words,
        observed=result.observed,
        censor_reason=result.censor_reason,
        definition=units_as_symbols(result.definition),
    )


def _marker_value(marker: str, value: float) -> str:
    code = _MARKER_CODES.get(marker, marker)
    unit = OBSERVATION_CODES[code].canonical_unit if code in OBSERVATION_CODES else None
    return with_unit(number_text(value) or "", unit)


def _days(summary: CourseSummary, date_of: Callable[[date], str]) -> DayTable:
    used = [
        column
        for column in DAY_COLUMNS
        if any(getattr(day, column[2]) is not None for day in summary.days)
    ]
    with_drugs = any(day.steroid_agents or day.biologics for day in summary.days)
    rows = []
    for day in summary.days:
        cells: list[str | None] = [number_text(getattr(day, column[2])) for column in used]
        drugs = ", ".join((*day.steroid_agents, *day.biologics))
        if with_drugs:
            cells.append(drugs or None)
        if any(cell is not None for cell in cells):
            rows.append((date_of(day.on), day.day, tuple(cells)))
    columns = tuple((label, display_unit(unit)) for label, unit, _ in used)
    if with_drugs:
        columns += (("Steroids and biologics given", ""),)
    return DayTable(columns=columns, rows=tuple(rows))


def episode_view(course: PatientCourse, names: ReaderNames, *, index: str = "onset") -> EpisodeView:
    """Summarise one episode for its page, as ``names`` says this reader may see it.

    Parameters
    ----------
    course
        The course as recorded (masked here for a reader who is not ``identified``).
    names
        The reader and the names shown.
    index
        Day 0 of the outcomes and of the day numbers: ``"onset"``, ``"admission"``,
        ``"steroid"``, ``"ivig"`` or an agent name (see ``index_choices``).

    Returns
    -------
    EpisodeView
        The page's content; texts with units as symbols, and for a de-identified reader no
        id, free text or date (dates as days since onset).

    Raises
    ------
    dresskit.errors.InputError
        When the course has no ``index`` event (check :func:`index_choices` first).
    """
    shown_course = reader_course(course, names)
    onset = course.episode.onset
    shown = _shower(names.identified, onset)

    def date_of(on: date) -> str:
        return on.isoformat() if names.identified else day_text(on, onset)

    summary = summarise_course(shown_course, index=index)
    refused = summary.refused_scores
    scores = {score.result.instrument: _score(score, shown) for score in summary.scores}
    scores |= {score.instrument: _refused(score, shown) for score in refused}
    episode = shown_course.episode
    response = summary.response
    flares = tuple(
        FlareView(
            on=date_of(flare.on),
            day_of_steroid=flare.day_of_steroid,
            marker=_MARKER_WORDS.get(flare.marker, flare.marker),
            before=_marker_value(flare.marker, flare.before),
            value=_marker_value(flare.marker, flare.value),
            steroid=(
                "no steroid that day"
                if flare.prednisone_equivalent_mg is None
                else f"{number_text(flare.prednisone_equivalent_mg)} mg/day prednisone equivalent"
            ),
            setting=flare.setting,
        )
        for flare in response.flares
    )
    before = summary.steroid_days_before_index
    ivig = summary.ivig
    ivig_text = "no IVIG"
    if ivig.days:
        total = "unknown" if ivig.g_per_kg is None else f"{number_text(ivig.g_per_kg)} g/kg"
        ivig_text = f"{ivig.days} day(s), total {total}" + "".join(
            f"; {shown(remark)}" for remark in ivig.remarks
        )
    return EpisodeView(
        episode=names.episode,
        patient=names.patient,
        identified=names.identified,
        site=names.site,
        sex=shown_course.patient.sex.value,
        age=age_text(age_at_onset(course), identified=names.identified),
        phenotype=episode.phenotype.value.replace("_", " "),
        onset=date_of(episode.onset),
        admission=date_of(episode.admission) if episode.admission else None,
        outcome=episode.outcome.value.replace("_", " "),
        last_follow_up=date_of(episode.last_follow_up),
        death=date_of(episode.death) if episode.death else None,
        index=index,
        index_label=index_label(index),
        index_day=date_of(summary.index_date),
        index_choices=tuple((name, index_label(name)) for name in index_events(shown_course)),
        scores=tuple(scores[instrument] for instrument, _, _ in INSTRUMENTS),
        culprits=tuple(
            CulpritView(
                rank=culprit.rank,
                drug=culprit.drug,
                role=culprit.role,
                latency="unknown"
                if culprit.latency_days is None
                else f"{culprit.latency_days} days",
                window=culprit.window,
                notoriety=(
                    f"{culprit.notoriety.level} ({culprit.notoriety.drug_class})"
                    if culprit.notoriety
                    else "not in the list"
                ),
                naranjo=(
                    "not assessed"
                    if culprit.naranjo is None
                    else f"{culprit.naranjo.total} {culprit.naranjo.classification}"
                ),
                explanation=shown(culprit.explanation),
            )
            for culprit in summary.culprits
        ),
        states=tuple(
            StateView(
                name=state.name,
                label=_STATE_LABELS.get(state.name, state.name),
                value={True: "yes", False: "no", None: "unknown"}[state.value],
                evidence=tuple(shown(text) for text in state.evidence),
                remarks=tuple(shown(text) for text in state.remarks),
                definition=units_as_symbols(state.definition),
            )
            for state in response.states()
        ),
        flares=flares,
        flare_definition=units_as_symbols(response.flare_definition),
        outcomes=tuple(_outcome(result) for result in summary.outcomes),
        steroid_days_before_index="no steroids" if before is None else f"{before} days",
        ivig=ivig_text,
        days=_days(summary, date_of),
    )
