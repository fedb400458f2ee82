"""Steroid response over an episode: hyporesponsive, dependent, resistant, flares, type 2.

No universally accepted definitions exist (clinical-reference.md §9.3). dresskit uses the
project defaults of §10, all parameters of :class:`ResponseDefinitions`, and every result
carries the definitions it used and the evidence (which observation on which day) behind each
state. A state that the data cannot decide is ``None`` with a remark: unknown stays unknown.

This informs the clinician; it does not recommend a treatment.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788 (IVIG added because fever,
   rash and laboratory findings did not improve on 1-2 mg/kg/day).
.. [2] Corticosteroid-dependent DRESS treated with cyclosporine. Ann Allergy Asthma Immunol.
   2021;127(6):674 (suboptimal response >= 3 weeks; flare on taper; intolerable effects).
.. [3] Shen C et al. J Investig Allergol Clin Immunol. 2024;34:145-147 (recurred at least
   once during tapering; type 2 profile).
.. [4] clinical-reference.md §9.3 and §10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Final

from dresskit.course.model import PatientCourse
from dresskit.course.outcomes import DEFAULT_ALT_ULN_U_PER_L
from dresskit.course.steroids import SteroidDay, daily_steroid_doses

__all__ = [
    "Flare",
    "ResponseDefinitions",
    "StateResult",
    "SteroidResponse",
    "classify_response",
    "flares",
]

_FLARE_FINDING: Final = "steroid_adverse_effect"
_TYPE2_FINDING: Final = "il4_il13_cd4_raised"


@dataclass(frozen=True)
class ResponseDefinitions:
    """Parameters of the response definitions (defaults: clinical-reference.md §10)."""

    high_dose_mg_per_kg: float = 1.0
    hyporesponsive_min_days: int = 2
    improvement_fall_fraction: float = 0.25
    afebrile_below_cel: float = 37.5
    dependent_min_days: int = 21
    resistant_min_days: int = 7
    flare_fever_cel: float = 38.0
    flare_itch_rise: float = 3.0
    flare_bsa_rise: float = 10.0
    alt_uln_u_per_l: float = DEFAULT_ALT_ULN_U_PER_L
    flare_alt_multiple_of_uln: float = 2.0
    flare_eosinophils_from_below: float = 0.5
    flare_eosinophils_at_least: float = 0.7
    type2_itch_at_least: float = 7.0
    type2_ige_above_ku_per_l: float = 100.0
    type2_eosinophils_at_least: float = 0.5

    def describe(self) -> dict[str, float | int]:
        """Return the parameters as a plain mapping (printed with every result)."""
        return asdict(self)


@dataclass(frozen=True)
class Flare:
    """One flare: what rose, when, and the steroid dose that day."""

    on: date
    day_of_steroid: int
    marker: str
    before: float
    value: float
    prednisone_equivalent_mg: float | None
    mg_per_kg: float | None
    during_taper: bool
    rule: str


@dataclass(frozen=True)
class StateResult:
    """A response state: ``True``/``False``, or ``None`` when the data cannot decide."""

    name: str
    value: bool | None
    definition: str
    evidence: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class SteroidResponse:
    """Every response state of an episode, with the definitions used."""

    hyporesponsive: StateResult
    dependent: StateResult
    resistant: StateResult
    type2_profile: StateResult
    flares: tuple[Flare, ...]
    definitions: ResponseDefinitions

    def states(self) -> tuple[StateResult, ...]:
        """Return the four states in a fixed order."""
        return (self.hyporesponsive, self.dependent, self.resistant, self.type2_profile)


def _daily(
    course: PatientCourse, code: str, pick: Callable[[list[float]], float]
) -> dict[date, float]:
    by_day: dict[date, list[float]] = {}
    for observation in course.observations_of(code):
        if observation.value is not None:
            by_day.setdefault(observation.on, []).append(observation.value)
    return {day: pick(values) for day, values in sorted(by_day.items())}


def _steroid_days(course: PatientCourse) -> dict[date, SteroidDay]:
    return {day.on: day for day in daily_steroid_doses(course) if day.prednisone_equivalent_mg > 0}


def flares(
    course: PatientCourse, definitions: ResponseDefinitions = ResponseDefinitions()
) -> tuple[Flare, ...]:
    """Return every flare on or after the first steroid day (clinical-reference.md §10).

    A flare is a return after an improvement: fever >= 38.0 °C after a day wholly below
    37.5 °C; itch NRS up >= 3 or rash BSA up >= 10 points from the lowest value since the
    last flare; ALT > 2 x ULN after having fallen to <= 2 x ULN; eosinophils >= 0.7 x 10^9/L
    after having been < 0.5. It is *during taper* when that day's prednisone-equivalent dose
    is below the course's earlier maximum.
    """
    steroid = _steroid_days(course)
    if not steroid:
        return ()
    first = min(steroid)
    found: list[Flare] = []
    uln2 = definitions.alt_uln_u_per_l * definitions.flare_alt_multiple_of_uln
    markers: list[
        tuple[
            str,
            dict[date, float],
            Callable[[float, float | None], bool],
            Callable[[float], bool],
            str,
        ]
    ] = [
        (
            "fever",
            _daily(course, "temperature", max),
            lambda value, _: value >= definitions.flare_fever_cel,
            lambda value: value < definitions.afebrile_below_cel,
            f"temperature >= {definitions.flare_fever_cel:g} °C after a day below "
            f"{definitions.afebrile_below_cel:g} °C",
        ),
        (
            "itch_nrs",
            _daily(course, "itch_nrs", max),
            lambda value, low: low is not None and value - low >= definitions.flare_itch_rise,
            lambda value: True,
            f"itch NRS up >= {definitions.flare_itch_rise:g} from its lowest since the last flare",
        ),
        (
            "rash_bsa",
            _daily(course, "rash_bsa", max),
            lambda value, low: low is not None and value - low >= definitions.flare_bsa_rise,
            lambda value: True,
            f"rash BSA up >= {definitions.flare_bsa_rise:g} points from its lowest since the "
            "last flare",
        ),
        (
            "alt",
            _daily(course, "alt", max),
            lambda value, _: value > uln2,
            lambda value: value <= uln2,
            f"ALT > {uln2:g} U/L (2 x ULN) after having fallen to <= 2 x ULN",
        ),
        (
            "eosinophils",
            _daily(course, "eosinophils", max),
            lambda value, _: value >= definitions.flare_eosinophils_at_least,
            lambda value: value < definitions.flare_eosinophils_from_below,
            f"eosinophils >= {definitions.flare_eosinophils_at_least:g} x 10^9/L after "
            f"< {definitions.flare_eosinophils_from_below:g}",
        ),
    ]
    peak_before: dict[date, float] = {}
    running = 0.0
    for day in sorted(steroid):
        peak_before[day] = running
        running = max(running, steroid[day].prednisone_equivalent_mg)
    for marker, series, rises, improved, rule in markers:
        low: float | None = None
        armed = marker in ("itch_nrs", "rash_bsa")  # rises are measured from the lowest value
        previous: float | None = None
        for day, value in series.items():
            if day < first:
                continue
            if armed and rises(value, low):
                dose = steroid.get(day)
                before = low if low is not None else (previous if previous is not None else value)
                found.append(
                    Flare(
                        on=day,
                        day_of_steroid=(day - first).days,
                        marker=marker,
                        before=before,
                        value=value,
                        prednisone_equivalent_mg=dose.prednisone_equivalent_mg if dose else None,
                        mg_per_kg=dose.mg_per_kg if dose else None,
                        during_taper=bool(
                            dose and dose.prednisone_equivalent_mg < peak_before[day]
                        ),
                        rule=rule,
                    )
                )
                armed = marker in ("itch_nrs", "rash_bsa")
                low = value
            elif marker in ("itch_nrs", "rash_bsa"):
                low = value if low is None else min(low, value)
            elif improved(value):
                armed = True
            previous = value
    return tuple(sorted(found, key=lambda flare: (flare.on, flare.marker)))


def _fell(series: dict[date, float], start: date, until: date, fraction: float) -> date | None:
    """Return the first day in [start, until] a value is <= (1 - fraction) x its peak."""
    peak: float | None = None
    for day, value in series.items():
        if day < start or day > until:
            continue
        peak = value if peak is None else max(peak, value)
        if peak > 0 and value <= (1 - fraction) * peak:
            return day
    return None


def _improvement(
    course: PatientCourse, start: date, until: date, definitions: ResponseDefinitions
) -> tuple[date, str] | None:
    """Return the first improvement between ``start`` and ``until``, with its marker."""
    candidates = []
    temperatures = _daily(course, "temperature", max)
    febrile_at_start = any(
        v >= definitions.afebrile_below_cel
        for d, v in temperatures.items()
        if start - timedelta(days=1) <= d <= start
    )
    if febrile_at_start:
        for day, value in temperatures.items():
            if start <= day <= until and value < definitions.afebrile_below_cel:
                following = temperatures.get(day + timedelta(days=1))
                if following is None or following < definitions.afebrile_below_cel:
                    candidates.append((day, "defervescence"))
                    break
    for code in ("alt", "eosinophils", "rash_bsa", "itch_nrs"):
        fell_on = _fell(
            _daily(course, code, max), start, until, definitions.improvement_fall_fraction
        )
        if fell_on is not None:
            candidates.append(
                (fell_on, f"{code} down >= {definitions.improvement_fall_fraction:.0%}")
            )
    return min(candidates) if candidates else None


def _hyporesponsive(
    course: PatientCourse, steroid: dict[date, SteroidDay], definitions: ResponseDefinitions
) -> StateResult:
    definition = (
        f">= {definitions.hyporesponsive_min_days} days of >= "
        f"{definitions.high_dose_mg_per_kg:g} mg/kg/day prednisone-equivalent without "
        "improvement (defervescence, or ALT, eosinophils, rash BSA or itch NRS down >= "
        f"{definitions.improvement_fall_fraction:.0%} from their on-steroid peak); "
        "clinical-reference.md §10, after Sim et al. 2022"
    )
    if not steroid:
        return StateResult("hyporesponsive", None, definition, remarks=("no systemic steroid",))
    if any(day.mg_per_kg is None for day in steroid.values()):
        return StateResult(
            "hyporesponsive",
            None,
            definition,
            remarks=(
                "no weight recorded for some steroid days: mg/kg/day "
                "unknown, so the high-dose condition cannot be checked",
            ),
        )
    high = sorted(
        d
        for d, s in steroid.items()
        if s.mg_per_kg is not None and s.mg_per_kg >= definitions.high_dose_mg_per_kg
    )
    if not high:
        return StateResult(
            "hyporesponsive", False, definition, evidence=("no day at >= the high-dose threshold",)
        )
    run = [high[0]]
    for day in high[1:]:
        if day - run[-1] != timedelta(days=1):
            break
        run.append(day)
    if len(run) < definitions.hyporesponsive_min_days:
        return StateResult(
            "hyporesponsive",
            False,
            definition,
            evidence=(f"only {len(run)} consecutive high-dose day(s) from {run[0]}",),
        )
    window_end = run[definitions.hyporesponsive_min_days - 1]
    improvement = _improvement(course, run[0], window_end, definitions)
    if improvement is not None:
        return StateResult(
            "hyporesponsive",
            False,
            definition,
            evidence=(
                f"{improvement[1]} on {improvement[0]} within the first "
                f"{definitions.hyporesponsive_min_days} high-dose days",
            ),
        )
    return StateResult(
        "hyporesponsive",
        True,
        definition,
        evidence=(
            f"{len(run)} consecutive days at >= {definitions.high_dose_mg_per_kg:g} "
            f"mg/kg/day from {run[0]}; no improvement by {window_end}",
        ),
    )


def _resolved_by(course: PatientCourse, until: date) -> bool | None:
    bsa = _daily(course, "rash_bsa", max)
    known = [value for day, value in bsa.items() if day <= until]
    if not known:
        return None
    return known[-1] == 0


def classify_response(
    course: PatientCourse, definitions: ResponseDefinitions = ResponseDefinitions()
) -> SteroidResponse:
    """Classify the steroid response of one episode, with evidence for each state.

    Examples
    --------
    >>> from dresskit.course.model import (Episode, EpisodeOutcome, Patient, PatientCourse,
    ...     Phenotype, Sex)
    >>> from datetime import date
    >>> course = PatientCourse(Patient("p", Sex.MALE), Episode("e", "p", Phenotype.DRESS,
    ...     date(2020, 1, 1), EpisodeOutcome.RECOVERED, date(2020, 2, 1)))
    >>> classify_response(course).dependent.value is None
    True
    """
    steroid = _steroid_days(course)
    found = flares(course, definitions)
    taper_flares = [flare for flare in found if flare.during_taper]
    findings = {(f.code, f.value) for f in course.findings}
    dependent_definition = (
        "a flare during taper at least once, or a suboptimal response (rash not resolved) "
        f"after >= {definitions.dependent_min_days} days of steroids, or steroids stopped for "
        "intolerable adverse effects; Ann Allergy Asthma Immunol 2021, Shen et al. 2024, "
        "clinical-reference.md §10"
    )
    if not steroid:
        dependent = StateResult(
            "dependent", None, dependent_definition, remarks=("no systemic steroid",)
        )
        resistant = StateResult("resistant", None, "", remarks=("no systemic steroid",))
    else:
        first, days = min(steroid), sorted(steroid)
        evidence = [
            f"{flare.marker} {flare.before:g} -> {flare.value:g} on {flare.on} at "
            f"{flare.prednisone_equivalent_mg:g} mg/day prednisone-equivalent (during taper)"
            for flare in taper_flares
        ]
        suboptimal: bool | None = None
        if len(days) >= definitions.dependent_min_days:
            resolved = _resolved_by(course, first + timedelta(days=definitions.dependent_min_days))
            suboptimal = None if resolved is None else not resolved
            if suboptimal:
                evidence.append(
                    f"rash not resolved after {definitions.dependent_min_days} days of steroids"
                )
        if (_FLARE_FINDING, "present") in findings:
            evidence.append("steroid adverse effects recorded (finding steroid_adverse_effect)")
        value: bool | None = bool(evidence) or (False if suboptimal is False else None)
        if not evidence and suboptimal is None and not taper_flares:
            value = False if len(days) < definitions.dependent_min_days else None
        dependent = StateResult("dependent", value, dependent_definition, tuple(evidence))
        resistant = _resistant(course, steroid, definitions)
    return SteroidResponse(
        hyporesponsive=_hyporesponsive(course, steroid, definitions),
        dependent=dependent,
        resistant=resistant,
        type2_profile=_type2(course, steroid, findings, definitions),
        flares=found,
        definitions=definitions,
    )


def _resistant(
    course: PatientCourse, steroid: dict[date, SteroidDay], definitions: ResponseDefinitions
) -> StateResult:
    definition = (
        f"no resolution (rash BSA 0 %) after >= {definitions.resistant_min_days} days at >= "
        f"{definitions.high_dose_mg_per_kg:g} mg/kg/day prednisone-equivalent; Shen et al. "
        "2024, clinical-reference.md §10"
    )
    if any(day.mg_per_kg is None for day in steroid.values()):
        return StateResult(
            "resistant", None, definition, remarks=("mg/kg/day unknown (no weight recorded)",)
        )
    high = sorted(
        d
        for d, s in steroid.items()
        if s.mg_per_kg is not None and s.mg_per_kg >= definitions.high_dose_mg_per_kg
    )
    if len(high) < definitions.resistant_min_days:
        return StateResult(
            "resistant", False, definition, evidence=(f"{len(high)} high-dose day(s) only",)
        )
    checkpoint = high[definitions.resistant_min_days - 1]
    resolved = _resolved_by(course, checkpoint)
    if resolved is None:
        return StateResult(
            "resistant",
            None,
            definition,
            remarks=("no rash BSA recorded by the 7th high-dose day",),
        )
    return StateResult(
        "resistant",
        not resolved,
        definition,
        evidence=(f"rash {'resolved' if resolved else 'not resolved'} by {checkpoint}",),
    )


def _type2(
    course: PatientCourse,
    steroid: dict[date, SteroidDay],
    findings: set[tuple[str, str]],
    definitions: ResponseDefinitions,
) -> StateResult:
    definition = (
        f"itch NRS >= {definitions.type2_itch_at_least:g} persisting on steroids, with raised "
        f"total IgE (> {definitions.type2_ige_above_ku_per_l:g} kU/L, a project default) or "
        f"eosinophilia (>= {definitions.type2_eosinophils_at_least:g} x 10^9/L, now or earlier), "
        "or raised IL-4/IL-13-producing CD4+ T cells; Shen et al. 2024, clinical-reference.md §10"
    )
    itch = _daily(course, "itch_nrs", max)
    on_steroid_high = [
        (d, v) for d, v in itch.items() if d in steroid and v >= definitions.type2_itch_at_least
    ]
    persisting = len(on_steroid_high) >= 2
    ige = [
        (d, v)
        for d, v in _daily(course, "total_ige", max).items()
        if v > definitions.type2_ige_above_ku_per_l
    ]
    eos = [
        (d, v)
        for d, v in _daily(course, "eosinophils", max).items()
        if v >= definitions.type2_eosinophils_at_least
    ]
    cells = (_TYPE2_FINDING, "present") in findings
    evidence = []
    if persisting:
        evidence.append(
            f"itch NRS >= {definitions.type2_itch_at_least:g} on steroids on "
            f"{len(on_steroid_high)} days (from {on_steroid_high[0][0]})"
        )
    if ige:
        evidence.append(f"total IgE {ige[0][1]:g} kU/L on {ige[0][0]}")
    if eos:
        evidence.append(f"eosinophils {eos[0][1]:g} x 10^9/L on {eos[0][0]}")
    if cells:
        evidence.append("raised IL-4/IL-13-producing CD4+ T cells (finding)")
    value: bool | None = (persisting and bool(ige or eos)) or cells
    if not value and not itch:
        value = None
    return StateResult(
        "type2_profile",
        value,
        definition,
        tuple(evidence),
        () if itch else ("no itch rating recorded",),
    )
