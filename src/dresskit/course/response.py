"""Steroid response over an episode: hyporesponsive, dependent, resistant, flares, type 2.

No universally accepted definitions exist (clinical-reference.md §9.3). dresskit uses the
project defaults of clinical-reference.md §10, all parameters of :class:`ResponseDefinitions`,
and every result carries the definitions it used and the evidence (which observation on which
day) behind each state. A state that the data cannot decide is ``None`` with a remark: unknown
stays unknown.

The §10 definitions, as implemented here (PE = prednisone-equivalent, see
:mod:`dresskit.course.steroids`):

- **Hyporesponsive** (after Sim et al. [1]): the first run of consecutive days at
  >= 1 mg/kg/day PE lasts >= 2 days and no improvement is recorded on its first 2 days.
  Improvement = defervescence (febrile >= 37.5 °C on the run's first day or the day before,
  then every reading that day and the next recorded day < 37.5 °C), or ALT, eosinophils, rash
  BSA or itch NRS down >= 25 % from their highest value since the run began (its first day
  included).
- **Dependent** ([2], Shen et al. [3]): at least one flare during taper, or a course lasting
  >= 21 days whose last rash assessment on or before day 21 is BSA > 0 % (suboptimal
  response), or steroids stopped or limited for adverse effects recorded as such.
- **Resistant** (Shen et al. [3]): the first run of consecutive days at >= 1 mg/kg/day PE
  lasts >= 7 days and the last rash assessment on or before its 7th day is not BSA 0 %;
  fewer than 7 such days -> not resistant; no rash assessment in that window -> unknown.
- **Flare** (per marker): only after that marker has improved since steroid start or since
  its own last flare (a day < 37.5 °C; ALT <= 2 x ULN; eosinophils < 0.5 ×10⁹/L; itch or BSA
  <= 75 % of its highest value since then), the first day with temperature >= 38.0 °C,
  ALT > 2 x ULN, eosinophils >= 0.7 ×10⁹/L, itch >= its lowest since that improvement + 3,
  or BSA >= its lowest + 10 points. A rise before any improvement is worsening, not a flare.
  The marker must improve again before another flare of it counts. *During taper* when a
  steroid is given that day at a PE dose lower than both the course's earlier maximum and the
  dose of the step before; a flare on a day with no steroid after the last dose is *after
  withdrawal*, reported separately.
- **Type 2 profile** (Shen et al. [3]): itch NRS >= 7 on >= 2 steroid days, with total IgE
  > 100 kU/L at any time in the episode or eosinophils >= 0.5 ×10⁹/L on or before the last
  of those days; or a recorded raised IL-4/IL-13-producing CD4+ T-cell finding on its own.
  Itch persisting with no eosinophilia and IgE never measured -> unknown, not false.

Where §10 leaves a detail open, the choice is stated where it is made: the steroid course
starts on its first day given (day 0 of the course, so "day 21" is 21 days later and a course
"lasts" its calendar days from first to last dose inclusive); a "step" is a run of steroid
days at one PE dose, days without steroid inside the course being skipped; an itch or BSA
improvement needs a fall from a highest value above 0; a rash assessment is a recorded rash
BSA; "the next recorded day" of defervescence that does not exist (the record ends) does not
undo it; when nothing at all is recorded in the first 2 days of the high-dose run,
hyporesponsiveness is unknown (no improvement could have been recorded).

This informs the clinician; it does not recommend a treatment.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788 (IVIG added because fever,
   rash and laboratory findings did not improve on 1-2 mg/kg/day).
.. [2] Corticosteroid-dependent DRESS treated with cyclosporine. Ann Allergy Asthma Immunol.
   2021;127(6):674 (suboptimal response >= 3 weeks; flare on taper; intolerable effects).
.. [3] Shen C et al. J Investig Allergol Clin Immunol. 2024;34:145-147 (recurred at least
   once during tapering; did not resolve with systemic corticosteroids; type 2 profile).
.. [4] clinical-reference.md §9.3 and §10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

from dresskit.course.model import PatientCourse
from dresskit.course.outcomes import DEFAULT_ALT_ULN_U_PER_L
from dresskit.course.steroids import SteroidDay, daily_steroid_doses

__all__ = [
    "Flare",
    "FlareSetting",
    "ResponseDefinitions",
    "StateResult",
    "SteroidResponse",
    "classify_response",
    "flare_definition",
    "flares",
]

_ADVERSE_FINDING: Final = "steroid_adverse_effect"
_TYPE2_FINDING: Final = "il4_il13_cd4_raised"
_SOURCE: Final = "clinical-reference.md §10"

#: Where a flare happened relative to the steroid course.
FlareSetting = Literal["during taper", "after withdrawal", "on steroid", "no steroid that day"]


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
    flare_improved_fraction_of_highest: float = 0.75
    alt_uln_u_per_l: float = DEFAULT_ALT_ULN_U_PER_L
    flare_alt_multiple_of_uln: float = 2.0
    flare_eosinophils_from_below: float = 0.5
    flare_eosinophils_at_least: float = 0.7
    type2_itch_at_least: float = 7.0
    type2_itch_min_days: int = 2
    type2_ige_above_ku_per_l: float = 100.0
    type2_eosinophils_at_least: float = 0.5

    def describe(self) -> dict[str, float | int]:
        """Return the parameters as a plain mapping (printed with every result)."""
        return asdict(self)


@dataclass(frozen=True)
class Flare:
    """One flare of one marker; each flare is one record, listed once.

    Attributes
    ----------
    on
        The flare day.
    day_of_steroid
        Days since the first steroid day (day 0).
    marker
        ``"fever"``, ``"itch_nrs"``, ``"rash_bsa"``, ``"alt"`` or ``"eosinophils"``.
    before
        The value the rise is measured from: for itch and rash BSA the lowest since the
        improvement; for the others the marker's previous recorded value.
    value
        The flare day's value (the day's highest).
    improved_on
        The improvement of the same marker that made this flare possible.
    prednisone_equivalent_mg, mg_per_kg
        The steroid given that day (``None`` when none was given).
    during_taper
        A steroid was given that day at a PE dose lower than both the course's earlier
        maximum and the dose of the step before (clinical-reference.md §10).
    after_withdrawal
        No steroid that day, after the course's last dose; reported separately.
    rule
        The flare definition with its parameters and source.
    """

    on: date
    day_of_steroid: int
    marker: str
    before: float
    value: float
    improved_on: date
    prednisone_equivalent_mg: float | None
    mg_per_kg: float | None
    during_taper: bool
    after_withdrawal: bool
    rule: str

    @property
    def setting(self) -> FlareSetting:
        """Return where the flare happened: during taper, after withdrawal, or otherwise."""
        if self.during_taper:
            return "during taper"
        if self.after_withdrawal:
            return "after withdrawal"
        if self.prednisone_equivalent_mg is not None:
            return "on steroid"
        return "no steroid that day"

    def as_record(self) -> dict[str, object]:
        """Return the flare as one flat, JSON-ready record (dates as ISO text)."""
        return {
            "date": self.on.isoformat(),
            "day_of_steroid": self.day_of_steroid,
            "marker": self.marker,
            "before": self.before,
            "value": self.value,
            "improved_on": self.improved_on.isoformat(),
            "prednisone_equivalent_mg": self.prednisone_equivalent_mg,
            "mg_per_kg": self.mg_per_kg,
            "during_taper": self.during_taper,
            "after_withdrawal": self.after_withdrawal,
            "setting": self.setting,
            "rule": self.rule,
        }


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
    """Every response state of an episode, its flares and the definitions used.

    ``flares`` lists every flare once, in day then marker order; :attr:`taper_flares` and
    :attr:`withdrawal_flares` are the two subsets §10 reports separately.
    """

    hyporesponsive: StateResult
    dependent: StateResult
    resistant: StateResult
    type2_profile: StateResult
    flares: tuple[Flare, ...]
    definitions: ResponseDefinitions
    flare_definition: str = field(default="")

    def states(self) -> tuple[StateResult, ...]:
        """Return the four states in a fixed order."""
        return (self.hyporesponsive, self.dependent, self.resistant, self.type2_profile)

    @property
    def taper_flares(self) -> tuple[Flare, ...]:
        """Return the flares during taper (they make the episode steroid-dependent)."""
        return tuple(flare for flare in self.flares if flare.during_taper)

    @property
    def withdrawal_flares(self) -> tuple[Flare, ...]:
        """Return the flares after withdrawal (reported separately, not during taper)."""
        return tuple(flare for flare in self.flares if flare.after_withdrawal)


def _daily(
    course: PatientCourse, code: str, pick: Callable[[list[float]], float] = max
) -> dict[date, float]:
    by_day: dict[date, list[float]] = {}
    for observation in course.observations_of(code):
        if observation.value is not None:
            by_day.setdefault(observation.on, []).append(observation.value)
    return {day: pick(values) for day, values in sorted(by_day.items())}


def _steroid_days(course: PatientCourse) -> dict[date, SteroidDay]:
    return {day.on: day for day in daily_steroid_doses(course) if day.prednisone_equivalent_mg > 0}


def _tapering_days(steroid: dict[date, SteroidDay]) -> set[date]:
    """Return the steroid days "during taper" (clinical-reference.md §10).

    A day is during taper when a steroid is given that day at a PE dose lower than both the
    course's earlier maximum and the dose of the step before. A step is a run of steroid days
    at one PE dose; days without steroid inside the course are skipped, so a course stopped
    and restarted lower is still tapering.
    """
    tapering: set[date] = set()
    earlier_max: float | None = None
    step_dose: float | None = None
    step_before: float | None = None
    for day in sorted(steroid):
        dose = steroid[day].prednisone_equivalent_mg
        if step_dose is not None and dose != step_dose:
            step_before = step_dose
        step_dose = dose
        if (
            earlier_max is not None
            and step_before is not None
            and dose < earlier_max
            and dose < step_before
        ):
            tapering.add(day)
        earlier_max = dose if earlier_max is None else max(earlier_max, dose)
    return tapering


def flare_definition(definitions: ResponseDefinitions = ResponseDefinitions()) -> str:
    """Return the flare definition in words, with its parameters and source."""
    uln2 = definitions.alt_uln_u_per_l * definitions.flare_alt_multiple_of_uln
    kept = definitions.flare_improved_fraction_of_highest
    return (
        "per marker, only after that marker has improved since steroid start or since its own "
        f"last flare (a day < {definitions.afebrile_below_cel:g} °C; ALT <= {uln2:g} U/L "
        f"({definitions.flare_alt_multiple_of_uln:g} x ULN); eosinophils < "
        f"{definitions.flare_eosinophils_from_below:g} ×10⁹/L; itch NRS or rash BSA <= "
        f"{kept:.0%} of its highest value since then): the first day with temperature >= "
        f"{definitions.flare_fever_cel:g} °C, ALT > {uln2:g} U/L, eosinophils >= "
        f"{definitions.flare_eosinophils_at_least:g} ×10⁹/L, itch NRS >= its lowest since "
        f"that improvement + {definitions.flare_itch_rise:g}, or rash BSA >= its lowest + "
        f"{definitions.flare_bsa_rise:g} points; a rise before any improvement is worsening, "
        "not a flare; the marker must improve again before another flare of it counts; "
        "during taper when a steroid is given that day at a prednisone-equivalent dose lower "
        "than both the course's earlier maximum and the dose of the step before; a flare on a "
        "day with no steroid after the last dose is after withdrawal, reported separately; "
        f"{_SOURCE}"
    )


@dataclass
class _Marker:
    """One marker's flare rule: what counts as improved and what as a flare."""

    name: str
    series: dict[date, float]
    relative: bool  # itch / BSA: improvement and rise measured against the marker's own values
    improved: Callable[[float, float], bool]  # (value, highest since start or last flare)
    flares: Callable[[float, float], bool]  # (value, lowest since the improvement)
    rule: str


def _markers(course: PatientCourse, definitions: ResponseDefinitions) -> list[_Marker]:
    uln2 = definitions.alt_uln_u_per_l * definitions.flare_alt_multiple_of_uln
    kept = definitions.flare_improved_fraction_of_highest

    def fell(value: float, highest: float) -> bool:
        # A fall needs something to fall from: a marker at 0 since then has not improved.
        return highest > 0 and value <= kept * highest

    return [
        _Marker(
            "fever",
            _daily(course, "temperature"),
            False,
            lambda value, _: value < definitions.afebrile_below_cel,
            lambda value, _: value >= definitions.flare_fever_cel,
            f"temperature >= {definitions.flare_fever_cel:g} °C after a day below "
            f"{definitions.afebrile_below_cel:g} °C",
        ),
        _Marker(
            "itch_nrs",
            _daily(course, "itch_nrs"),
            True,
            fell,
            lambda value, lowest: value >= lowest + definitions.flare_itch_rise,
            f"itch NRS >= its lowest since improving (<= {kept:.0%} of its highest) + "
            f"{definitions.flare_itch_rise:g}",
        ),
        _Marker(
            "rash_bsa",
            _daily(course, "rash_bsa"),
            True,
            fell,
            lambda value, lowest: value >= lowest + definitions.flare_bsa_rise,
            f"rash BSA >= its lowest since improving (<= {kept:.0%} of its highest) + "
            f"{definitions.flare_bsa_rise:g} points",
        ),
        _Marker(
            "alt",
            _daily(course, "alt"),
            False,
            lambda value, _: value <= uln2,
            lambda value, _: value > uln2,
            f"ALT > {uln2:g} U/L ({definitions.flare_alt_multiple_of_uln:g} x ULN) after having "
            f"fallen to <= {uln2:g} U/L",
        ),
        _Marker(
            "eosinophils",
            _daily(course, "eosinophils"),
            False,
            lambda value, _: value < definitions.flare_eosinophils_from_below,
            lambda value, _: value >= definitions.flare_eosinophils_at_least,
            f"eosinophils >= {definitions.flare_eosinophils_at_least:g} ×10⁹/L after "
            f"< {definitions.flare_eosinophils_from_below:g} ×10⁹/L",
        ),
    ]


def flares(
    course: PatientCourse, definitions: ResponseDefinitions = ResponseDefinitions()
) -> tuple[Flare, ...]:
    """Return every flare from the first steroid day on, each once (clinical-reference.md §10).

    Per marker: from the first steroid day, the marker must first improve (a day below
    37.5 °C; ALT <= 2 x ULN; eosinophils < 0.5 ×10⁹/L; itch NRS or rash BSA <= 75 % of its
    highest value since steroid start). After that improvement, the first day with
    temperature >= 38.0 °C, ALT > 2 x ULN, eosinophils >= 0.7 ×10⁹/L, itch >= its lowest
    since the improvement + 3, or rash BSA >= its lowest + 10 points is a flare. A rise
    before any improvement is worsening, not a flare. After a flare the marker must improve
    again (itch and BSA: against their highest value since that flare) before another flare
    of it counts. Observation days after the last steroid dose are followed too: a flare on a
    day without steroid after the last dose is *after withdrawal*.

    Parameters
    ----------
    course
        The episode.
    definitions
        The parameters (defaults: clinical-reference.md §10).

    Returns
    -------
    tuple of Flare
        In day, then marker, order; empty without any steroid.

    References
    ----------
    clinical-reference.md §10 ("Flare"); Shen et al. 2024; Ann Allergy Asthma Immunol 2021.
    """
    steroid = _steroid_days(course)
    if not steroid:
        return ()
    first, last = min(steroid), max(steroid)
    tapering = _tapering_days(steroid)
    definition = flare_definition(definitions)
    found: list[Flare] = []
    for marker in _markers(course, definitions):
        improved_on: date | None = None  # None: waiting for an improvement
        highest: float | None = None  # since steroid start or the last flare
        lowest: float | None = None  # since the improvement
        previous: float | None = None
        for day, value in marker.series.items():
            if day < first:
                continue
            if improved_on is None:
                highest = value if highest is None else max(highest, value)
                if marker.improved(value, highest):
                    improved_on, lowest = day, value
            elif marker.flares(value, lowest if lowest is not None else value):
                dose = steroid.get(day)
                found.append(
                    Flare(
                        on=day,
                        day_of_steroid=(day - first).days,
                        marker=marker.name,
                        before=(
                            lowest
                            if marker.relative and lowest is not None
                            else (previous if previous is not None else value)
                        ),
                        value=value,
                        improved_on=improved_on,
                        prednisone_equivalent_mg=dose.prednisone_equivalent_mg if dose else None,
                        mg_per_kg=dose.mg_per_kg if dose else None,
                        during_taper=day in tapering,
                        after_withdrawal=dose is None and day > last,
                        rule=f"{marker.rule}; {definition}",
                    )
                )
                improved_on, highest, lowest = None, value, None
            else:
                lowest = value if lowest is None else min(lowest, value)
            previous = value
    return tuple(sorted(found, key=lambda flare: (flare.on, flare.marker)))


def _fell(series: dict[date, float], start: date, until: date, fraction: float) -> date | None:
    """Return the first day in [start, until] a value is <= (1 - fraction) x its highest."""
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
    temperatures = _daily(course, "temperature")
    febrile_at_start = any(
        v >= definitions.afebrile_below_cel
        for d, v in temperatures.items()
        if start - timedelta(days=1) <= d <= start
    )
    if febrile_at_start:
        recorded = sorted(temperatures)
        for position, day in enumerate(recorded):
            if not start <= day <= until:
                continue
            if temperatures[day] >= definitions.afebrile_below_cel:
                continue
            # The next recorded day must be afebrile too; a record that ends does not undo it.
            following = recorded[position + 1] if position + 1 < len(recorded) else None
            if following is None or temperatures[following] < definitions.afebrile_below_cel:
                candidates.append((day, "defervescence"))
                break
    for code in ("alt", "eosinophils", "rash_bsa", "itch_nrs"):
        fell_on = _fell(_daily(course, code), start, until, definitions.improvement_fall_fraction)
        if fell_on is not None:
            candidates.append(
                (fell_on, f"{code} down >= {definitions.improvement_fall_fraction:.0%}")
            )
    return min(candidates) if candidates else None


def _anything_recorded(course: PatientCourse, start: date, until: date) -> bool:
    for code in ("temperature", "alt", "eosinophils", "rash_bsa", "itch_nrs"):
        earliest = start - timedelta(days=1) if code == "temperature" else start
        if any(earliest <= day <= until for day in _daily(course, code)):
            return True
    return False


def _first_high_dose_run(
    steroid: dict[date, SteroidDay], definitions: ResponseDefinitions
) -> list[date]:
    """Return the first run of consecutive days at >= the high dose (mg/kg/day PE)."""
    high = sorted(
        d
        for d, s in steroid.items()
        if s.mg_per_kg is not None and s.mg_per_kg >= definitions.high_dose_mg_per_kg
    )
    run = high[:1]
    for day in high[1:]:
        if day - run[-1] != timedelta(days=1):
            break
        run.append(day)
    return run


def _hyporesponsive(
    course: PatientCourse, steroid: dict[date, SteroidDay], definitions: ResponseDefinitions
) -> StateResult:
    days = definitions.hyporesponsive_min_days
    fall = f"{definitions.improvement_fall_fraction:.0%}"
    definition = (
        f"the first run of consecutive days at >= {definitions.high_dose_mg_per_kg:g} mg/kg/day "
        f"prednisone-equivalent lasts >= {days} days and no improvement is recorded on its first "
        f"{days} days; improvement = defervescence (>= {definitions.afebrile_below_cel:g} °C on "
        "the run's first day or the day before, then every reading that day and the next "
        f"recorded day < {definitions.afebrile_below_cel:g} °C), or ALT, eosinophils, rash BSA "
        f"or itch NRS down >= {fall} from their highest value since the run began; "
        f"{_SOURCE}, after Sim et al. 2022"
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
    run = _first_high_dose_run(steroid, definitions)
    if not run:
        return StateResult(
            "hyporesponsive", False, definition, evidence=("no day at >= the high-dose threshold",)
        )
    if len(run) < days:
        return StateResult(
            "hyporesponsive",
            False,
            definition,
            evidence=(
                f"the first high-dose run lasted {len(run)} day(s) from {run[0]} (< {days})",
            ),
        )
    window_end = run[days - 1]
    improvement = _improvement(course, run[0], window_end, definitions)
    if improvement is not None:
        return StateResult(
            "hyporesponsive",
            False,
            definition,
            evidence=(
                f"{improvement[1]} on {improvement[0]} within the first {days} high-dose days",
            ),
        )
    if not _anything_recorded(course, run[0], window_end):
        return StateResult(
            "hyporesponsive",
            None,
            definition,
            remarks=(
                f"no temperature, ALT, eosinophils, rash BSA or itch NRS recorded from {run[0]} "
                f"to {window_end}: whether it improved is unknown",
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


def _last_rash_bsa(
    course: PatientCourse, start: date | None, until: date
) -> tuple[date, float] | None:
    """Return the last rash BSA recorded in [start, until] (any day up to ``until`` if no start)."""
    known = [
        (day, value)
        for day, value in _daily(course, "rash_bsa").items()
        if day <= until and (start is None or day >= start)
    ]
    return known[-1] if known else None


def _dependent(
    course: PatientCourse,
    steroid: dict[date, SteroidDay],
    found: tuple[Flare, ...],
    findings: set[tuple[str, str]],
    definitions: ResponseDefinitions,
) -> StateResult:
    days = definitions.dependent_min_days
    definition = (
        "at least one flare during taper (see flare), or a course lasting >= "
        f"{days} days whose last rash assessment (rash BSA) on or before day {days} of the course "
        "is BSA > 0 % (suboptimal response), or steroids stopped or limited for adverse effects "
        f"recorded as such; Ann Allergy Asthma Immunol 2021, Shen et al. 2024, {_SOURCE}"
    )
    if not steroid:
        return StateResult("dependent", None, definition, remarks=("no systemic steroid",))
    first, last = min(steroid), max(steroid)
    evidence = [
        f"{flare.marker} {flare.before:g} -> {flare.value:g} on {flare.on} at "
        f"{flare.prednisone_equivalent_mg:g} mg/day prednisone-equivalent (during taper)"
        for flare in found
        if flare.during_taper and flare.prednisone_equivalent_mg is not None
    ]
    remarks = []
    withdrawal = [flare for flare in found if flare.after_withdrawal]
    if withdrawal:
        remarks.append(
            f"{len(withdrawal)} flare(s) after withdrawal (no steroid after the last dose on "
            f"{last}), reported separately, not counted as during taper: "
            + ", ".join(f"{flare.marker} on {flare.on}" for flare in withdrawal)
        )
    lasted = (last - first).days + 1
    suboptimal: bool | None
    if lasted < days:
        suboptimal = False
        remarks.append(f"course lasted {lasted} day(s) (< {days}): no suboptimal-response test")
    else:
        checkpoint = first + timedelta(days=days)
        assessment = _last_rash_bsa(course, None, checkpoint)
        if assessment is None:
            suboptimal = None
            remarks.append(f"no rash BSA recorded on or before day {days} ({checkpoint})")
        else:
            suboptimal = assessment[1] > 0
            if suboptimal:
                evidence.append(
                    f"suboptimal response: course of {lasted} days, rash BSA {assessment[1]:g} % "
                    f"on {assessment[0]} (last on or before day {days})"
                )
    adverse = (_ADVERSE_FINDING, "present") in findings
    if adverse:
        evidence.append("steroid adverse effects recorded (finding steroid_adverse_effect)")
    value: bool | None = True if evidence else (None if suboptimal is None else False)
    return StateResult("dependent", value, definition, tuple(evidence), tuple(remarks))


def _resistant(
    course: PatientCourse, steroid: dict[date, SteroidDay], definitions: ResponseDefinitions
) -> StateResult:
    days = definitions.resistant_min_days
    definition = (
        f"the first run of consecutive days at >= {definitions.high_dose_mg_per_kg:g} mg/kg/day "
        f"prednisone-equivalent lasts >= {days} days and the last rash assessment (rash BSA) "
        f"from its first to its {days}th day is not BSA 0 %; fewer than {days} such days: not "
        f"resistant; no rash assessment in that window: unknown; Shen et al. 2024, {_SOURCE}"
    )
    if not steroid:
        return StateResult("resistant", None, definition, remarks=("no systemic steroid",))
    if any(day.mg_per_kg is None for day in steroid.values()):
        return StateResult(
            "resistant", None, definition, remarks=("mg/kg/day unknown (no weight recorded)",)
        )
    run = _first_high_dose_run(steroid, definitions)
    if len(run) < days:
        why = (
            f"the first high-dose run lasted {len(run)} day(s) from {run[0]} (< {days})"
            if run
            else "no day at >= the high-dose threshold"
        )
        return StateResult("resistant", False, definition, evidence=(why,))
    checkpoint = run[days - 1]
    assessment = _last_rash_bsa(course, run[0], checkpoint)
    if assessment is None:
        return StateResult(
            "resistant",
            None,
            definition,
            remarks=(
                f"no rash BSA recorded from {run[0]} to {checkpoint} (day {days} of the run)",
            ),
        )
    on, bsa = assessment
    return StateResult(
        "resistant",
        bsa > 0,
        definition,
        evidence=(f"rash BSA {bsa:g} % on {on}, the last on or before {checkpoint}",),
    )


def _type2(
    course: PatientCourse,
    steroid: dict[date, SteroidDay],
    findings: set[tuple[str, str]],
    definitions: ResponseDefinitions,
) -> StateResult:
    itch_at_least = definitions.type2_itch_at_least
    definition = (
        f"itch NRS >= {itch_at_least:g} on >= {definitions.type2_itch_min_days} steroid days, "
        f"with total IgE > {definitions.type2_ige_above_ku_per_l:g} kU/L at any time in the "
        f"episode or eosinophils >= {definitions.type2_eosinophils_at_least:g} ×10⁹/L on or "
        "before the last of those days; or a recorded raised IL-4/IL-13-producing CD4+ T-cell "
        "finding on its own; itch persisting with no eosinophilia and IgE never measured: "
        f"unknown; Shen et al. 2024, {_SOURCE}"
    )
    itch_on_steroid = {d: v for d, v in _daily(course, "itch_nrs").items() if d in steroid}
    high_itch = sorted(d for d, v in itch_on_steroid.items() if v >= itch_at_least)
    persisting = len(high_itch) >= definitions.type2_itch_min_days
    ige = _daily(course, "total_ige")
    ige_high = [(d, v) for d, v in ige.items() if v > definitions.type2_ige_above_ku_per_l]
    cells = (_TYPE2_FINDING, "present") in findings
    evidence: list[str] = []
    remarks: list[str] = []
    if cells:
        evidence.append("raised IL-4/IL-13-producing CD4+ T cells (finding il4_il13_cd4_raised)")
    value: bool | None
    if persisting:
        last_itch = high_itch[-1]
        evidence.append(
            f"itch NRS >= {itch_at_least:g} on {len(high_itch)} steroid days "
            f"({high_itch[0]} to {last_itch})"
        )
        eos = {d: v for d, v in _daily(course, "eosinophils").items() if d <= last_itch}
        eos_high = [(d, v) for d, v in eos.items() if v >= definitions.type2_eosinophils_at_least]
        if ige_high:
            evidence.append(f"total IgE {ige_high[0][1]:g} kU/L on {ige_high[0][0]}")
        if eos_high:
            evidence.append(
                f"eosinophils {eos_high[0][1]:g} ×10⁹/L on {eos_high[0][0]} "
                f"(on or before {last_itch})"
            )
        if ige_high or eos_high:
            value = True
        elif not ige or not eos:
            value = None
            missing = [
                what
                for what, measured in (
                    ("total IgE never measured", bool(ige)),
                    (f"no eosinophil count on or before {last_itch}", bool(eos)),
                )
                if not measured
            ]
            remarks.append("itch persisting without eosinophilia; " + "; ".join(missing))
        else:
            value = False
            evidence.append(
                f"total IgE <= {definitions.type2_ige_above_ku_per_l:g} kU/L and eosinophils "
                f"< {definitions.type2_eosinophils_at_least:g} ×10⁹/L on or before {last_itch}"
            )
    elif itch_on_steroid:
        value = False
        evidence.append(
            f"itch NRS >= {itch_at_least:g} on {len(high_itch)} of {len(itch_on_steroid)} "
            "rated steroid day(s)"
        )
    else:
        value = None
        remarks.append("no itch rating recorded on a steroid day")
    if cells:
        value = True
    return StateResult("type2_profile", value, definition, tuple(evidence), tuple(remarks))


def classify_response(
    course: PatientCourse, definitions: ResponseDefinitions = ResponseDefinitions()
) -> SteroidResponse:
    """Classify the steroid response of one episode, with evidence for each state.

    Parameters
    ----------
    course
        The episode.
    definitions
        The parameters (defaults: clinical-reference.md §10).

    Returns
    -------
    SteroidResponse
        Hyporesponsive, dependent, resistant and type 2 profile (each ``True``, ``False`` or
        ``None`` = unknown, with definition, evidence and remarks) and every flare once.

    References
    ----------
    clinical-reference.md §10; Sim et al. 2022; Ann Allergy Asthma Immunol 2021; Shen et
    al. 2024.

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
    findings = {(f.code, f.value) for f in course.findings}
    return SteroidResponse(
        hyporesponsive=_hyporesponsive(course, steroid, definitions),
        dependent=_dependent(course, steroid, found, findings, definitions),
        resistant=_resistant(course, steroid, definitions),
        type2_profile=_type2(course, steroid, findings, definitions),
        flares=found,
        definitions=definitions,
        flare_definition=flare_definition(definitions),
    )
