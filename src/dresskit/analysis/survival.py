"""Time-to-event summaries: Kaplan-Meier curves and cumulative incidence with competing death.

Durations are days from the index (day 0). An event not observed is censored at the last day
with data (``followed_up_days``); it is never given an invented day. Where death stops the
event from happening, :func:`cumulative_incidence` treats it as a competing event rather than
as censoring (1 - Kaplan-Meier overstates the incidence when patients die first).

Results are frozen dataclasses of plain Python floats and tuples: no pandas object leaves this
module.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
   Assoc. 1958;53(282):457-481.
.. [2] Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw.
   2019;4(40):1317.
.. [3] Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains
   based on censored observations. Scand J Stat. 1978;5(3):141-150.
.. [4] Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data. 2nd ed.
   Wiley; 2002. Section 4.3 (exponential Greenwood confidence interval), section 8.2
   (cumulative incidence function).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from dresskit.errors import InputError
from dresskit.scoring._items import Citation

__all__ = [
    "AALEN_JOHANSEN_REFERENCE",
    "KAPLAN_MEIER_REFERENCE",
    "CumulativeIncidenceResult",
    "KaplanMeierResult",
    "competing_events_from_outcome_table",
    "cumulative_incidence",
    "from_outcome_table",
    "kaplan_meier",
]

_STATISTICAL_METHOD = "none (statistical method, not a clinical definition)"

#: Kaplan and Meier's paper and the library that computes the curve.
KAPLAN_MEIER_REFERENCE: Final = Citation(
    text=(
        "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat "
        "Assoc. 1958;53(282):457-481. Davidson-Pilon C. lifelines: survival analysis in "
        "Python. J Open Source Softw. 2019;4(40):1317."
    ),
    section=_STATISTICAL_METHOD,
    notes=(
        "Pointwise confidence interval: exponential Greenwood (log(-log) transform), as "
        "lifelines computes it.",
        "Median: first time the curve is <= 0.5; its interval from the times the confidence "
        "limits cross 0.5 (lifelines median_survival_times).",
    ),
)

#: Aalen and Johansen's estimator of transition probabilities, here the cumulative incidence.
AALEN_JOHANSEN_REFERENCE: Final = Citation(
    text=(
        "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov "
        "chains based on censored observations. Scand J Stat. 1978;5(3):141-150."
    ),
    section=_STATISTICAL_METHOD,
    notes=(
        "CIF(t) = sum over event times s <= t of S(s-) d1(s) / n(s), S the Kaplan-Meier "
        "estimate of remaining free of any event.",
        "Tied times are kept as recorded (lifelines' AalenJohansenFitter jitters them "
        "randomly); censorings tied with events count as at risk at that time.",
    ),
)

#: The key under which censorings without a stated reason are counted.
UNSPECIFIED_REASON: Final = "unspecified"

_OUTCOME_COLUMNS: Final = ("days", "observed", "followed_up_days", "censor_reason")


@dataclass(frozen=True)
class KaplanMeierResult:
    """A Kaplan-Meier curve with its confidence band, median and numbers at risk.

    Attributes
    ----------
    label
        What the curve shows (``"Defervescence after IVIG"``).
    n, n_events, n_censored
        Patients, events observed and censorings.
    censored_by_reason
        Censorings counted by reason (``"died"``, ``"end_of_data"``, ...); censorings without
        a reason are counted as ``"unspecified"``.
    timeline
        Times at which the curve is given: 0 and every distinct duration, increasing.
    survival
        Proportion still free of the event at each time of ``timeline`` (right-continuous
        step function: the value holds until the next time).
    ci_lower, ci_upper
        Pointwise ``1 - alpha`` confidence limits at each time (exponential Greenwood).
    median
        First time the curve is at or below 0.5; ``None`` when it never gets there.
    median_ci
        Confidence limits of the median; either is ``None`` when the corresponding limit
        curve never reaches 0.5 (the limit is undefined or infinite).
    at_risk
        ``(time, number still at risk)`` at the times asked for (numbers at risk table).
    censoring_marks
        ``(time, survival)`` at every distinct time with a censoring, for drawing tick marks.
    alpha
        1 - confidence level.
    method
        The method in words, including the exact library call.
    reference
        The sources.
    remarks
        Caveats (for instance a median not reached).
    durations, observed
        The per-patient data the curve was fitted on (for the figure's at-risk, censored and
        events table, which lifelines tabulates from them).
    """

    label: str
    n: int
    n_events: int
    n_censored: int
    censored_by_reason: Mapping[str, int]
    timeline: tuple[float, ...]
    survival: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    median: float | None
    median_ci: tuple[float | None, float | None]
    at_risk: tuple[tuple[float, int], ...]
    censoring_marks: tuple[tuple[float, float], ...]
    alpha: float
    method: str
    reference: Citation = KAPLAN_MEIER_REFERENCE
    remarks: tuple[str, ...] = field(default=())
    durations: tuple[float, ...] = field(default=())
    observed: tuple[bool, ...] = field(default=())


@dataclass(frozen=True)
class CumulativeIncidenceResult:
    """Cumulative incidence of one event when another (death) competes with it.

    Attributes
    ----------
    label
        What is shown.
    n, n_events, n_competing, n_censored
        Patients, events of interest, competing events, censorings.
    event_of_interest, competing
        The event codes used.
    timeline
        0 and every distinct duration, increasing.
    cumulative_incidence
        Probability of having had the event of interest by each time (step function).
    competing_cumulative_incidence
        The same for the competing event.
    event_free
        Kaplan-Meier probability of having had neither event by each time; at every time
        ``cumulative_incidence + competing_cumulative_incidence + event_free == 1``.
    method
        The method in words.
    reference
        The source.
    remarks
        Caveats.
    durations, events
        The per-patient data (for the figure's at-risk table: any event ends the time at risk).
    """

    label: str
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    event_of_interest: int
    competing: int
    timeline: tuple[float, ...]
    cumulative_incidence: tuple[float, ...]
    competing_cumulative_incidence: tuple[float, ...]
    event_free: tuple[float, ...]
    method: str
    reference: Citation = AALEN_JOHANSEN_REFERENCE
    remarks: tuple[str, ...] = field(default=())
    durations: tuple[float, ...] = field(default=())
    events: tuple[int, ...] = field(default=())


def _durations(durations: Sequence[float | None]) -> list[float]:
    """Durations as floats; refuse missing, non-numeric, negative or infinite values."""
    if len(durations) == 0:
        raise InputError("durations", [], "at least one duration")
    values: list[float] = []
    for position, raw in enumerate(durations):
        expected = "a number of days >= 0 (a censored patient's follow-up time, never None)"
        if raw is None:
            raise InputError(f"durations[{position}]", raw, expected)
        if isinstance(raw, bool) or not isinstance(raw, int | float | np.integer | np.floating):
            raise InputError(f"durations[{position}]", raw, expected)
        value = float(raw)
        if not math.isfinite(value) or value < 0:
            raise InputError(f"durations[{position}]", raw, expected)
        values.append(value)
    return values


def _same_length(name: str, values: Sequence[object], n: int) -> None:
    if len(values) != n:
        raise InputError(
            name, f"{len(values)} values", f"one value per duration ({n}), in the same order"
        )


def _nice_step(span: float) -> float:
    """Return a round step (1, 2 or 5 x 10^k) giving at most five intervals over ``span``."""
    raw = span / 5
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if raw <= multiple * power:
            return multiple * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def _default_at_risk_times(durations: Sequence[float]) -> tuple[float, ...]:
    longest = max(durations)
    if longest <= 0:
        return (0.0,)
    step = _nice_step(longest)
    count = math.floor(longest / step + 1e-9)
    return tuple(step * i for i in range(count + 1))


def kaplan_meier(
    durations: Sequence[float | None],
    observed: Sequence[bool],
    *,
    label: str,
    censor_reasons: Sequence[str | None] | None = None,
    alpha: float = 0.05,
    at_risk_times: Sequence[float] | None = None,
) -> KaplanMeierResult:
    """Estimate the proportion still free of an event over time (Kaplan-Meier).

    Computed with ``lifelines.KaplanMeierFitter(alpha=alpha, label=label).fit(durations,
    event_observed=observed)``; the median's interval with
    ``lifelines.utils.median_survival_times(fitter.confidence_interval_)``.

    Parameters
    ----------
    durations
        Days from the index to the event when observed, or to the last day with data when
        censored. ``None`` is refused: an unknown follow-up cannot be placed on the curve.
    observed
        ``True`` when the event was observed, ``False`` when censored.
    label
        What the curve shows.
    censor_reasons
        Why each censored patient was censored (``None`` for observed events); counted in
        :attr:`KaplanMeierResult.censored_by_reason`. A censoring with no reason, or no
        ``censor_reasons`` at all, counts as ``"unspecified"``.
    alpha
        1 - confidence level of the pointwise interval and of the median's interval.
    at_risk_times
        Times for the numbers at risk; by default 0 and round steps (at most five) up to the longest
        duration.

    Returns
    -------
    KaplanMeierResult
        The curve, its confidence band, the median with its interval and numbers at risk.

    Raises
    ------
    dresskit.errors.InputError
        If a duration is missing (the message names its position), negative or not a number;
        if ``observed`` or ``censor_reasons`` differ in length from ``durations``; if an
        observed event carries a censoring reason; if no duration is given.
    ValueError
        If ``alpha`` is not strictly between 0 and 1.

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53(282):457-481.
    .. [2] Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw.
       2019;4(40):1317.

    Examples
    --------
    >>> result = kaplan_meier([1, 2, 2, 3, 5, 8, 8, 9],
    ...                       [True, True, False, True, False, True, True, False],
    ...                       label="Defervescence")
    >>> result.timeline
    (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 9.0)
    >>> [round(s, 3) for s in result.survival]
    [1.0, 0.875, 0.75, 0.6, 0.6, 0.2, 0.2]
    >>> result.median, result.median_ci
    (8.0, (1.0, None))
    >>> result.at_risk
    ((0.0, 8), (2.0, 7), (4.0, 4), (6.0, 3), (8.0, 3))
    >>> result.censored_by_reason
    {'unspecified': 3}
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be strictly between 0 and 1; got {alpha!r}")
    times = _durations(durations)
    n = len(times)
    _same_length("observed", observed, n)
    events = [bool(flag) for flag in observed]
    reasons: list[str | None] = [None] * n
    if censor_reasons is not None:
        _same_length("censor_reasons", censor_reasons, n)
        for position, (event, reason) in enumerate(zip(events, censor_reasons, strict=True)):
            if event and reason is not None:
                raise InputError(
                    f"censor_reasons[{position}]",
                    reason,
                    "None for a patient whose event was observed",
                )
            reasons[position] = reason
    by_reason = Counter(
        reason if reason is not None else UNSPECIFIED_REASON
        for event, reason in zip(events, reasons, strict=True)
        if not event
    )

    # Imported here so that importing dresskit.analysis does not load lifelines (and pandas).
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    fitter = KaplanMeierFitter(alpha=alpha, label=label).fit(times, event_observed=events)
    timeline = tuple(float(t) for t in fitter.survival_function_.index)
    survival = tuple(float(s) for s in fitter.survival_function_.iloc[:, 0])
    band = fitter.confidence_interval_
    remarks: list[str] = []
    lower, upper = _band(band.iloc[:, 0], band.iloc[:, 1], survival, remarks)

    median_raw = float(fitter.median_survival_time_)
    median = median_raw if math.isfinite(median_raw) else None
    limits = median_survival_times(band)
    median_ci = (_finite(float(limits.iloc[0, 0])), _finite(float(limits.iloc[0, 1])))
    if median is None:
        remarks.append("Median not reached: the curve stays above 0.5.")

    asked = tuple(at_risk_times) if at_risk_times is not None else _default_at_risk_times(times)
    at_risk = tuple((float(t), sum(1 for d in times if d >= t)) for t in asked)
    censored_at = sorted({t for t, event in zip(times, events, strict=True) if not event})
    index_of = {t: i for i, t in enumerate(timeline)}
    marks = tuple((t, survival[index_of[t]]) for t in censored_at)
    n_events = sum(events)
    return KaplanMeierResult(
        label=label,
        n=n,
        n_events=n_events,
        n_censored=n - n_events,
        censored_by_reason=dict(sorted(by_reason.items())),
        timeline=timeline,
        survival=survival,
        ci_lower=lower,
        ci_upper=upper,
        median=median,
        median_ci=median_ci,
        at_risk=at_risk,
        censoring_marks=marks,
        alpha=alpha,
        method=(
            "Kaplan-Meier product-limit estimate (lifelines KaplanMeierFitter); pointwise "
            f"{100 * (1 - alpha):g}% confidence interval by the exponential Greenwood "
            "formula; median with the interval where the confidence limits cross 0.5."
        ),
        remarks=tuple(remarks),
        durations=tuple(times),
        observed=tuple(events),
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _band(
    lower: Sequence[float], upper: Sequence[float], survival: Sequence[float], remarks: list[str]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Confidence limits as floats; where lifelines gives NaN, the degenerate limit S(t)."""
    lows: list[float] = []
    highs: list[float] = []
    degenerate = False
    for low, high, s in zip(lower, upper, survival, strict=True):
        low, high = float(low), float(high)
        degenerate = degenerate or math.isnan(low) or math.isnan(high)
        lows.append(s if math.isnan(low) else low)
        highs.append(s if math.isnan(high) else high)
    if degenerate:
        remarks.append("Confidence limit undefined at some times (survival 0 or 1); shown as S.")
    return tuple(lows), tuple(highs)


def cumulative_incidence(
    durations: Sequence[float | None],
    events: Sequence[int],
    *,
    label: str,
    event_of_interest: int = 1,
    competing: int = 2,
) -> CumulativeIncidenceResult:
    r"""Estimate the cumulative incidence of an event with a competing event (Aalen-Johansen).

    With ``S`` the Kaplan-Meier estimate of remaining free of *any* event, ``n(s)`` the
    number at risk just before ``s`` (durations ``>= s``) and ``d1(s)`` the events of interest
    at ``s``:

    .. math:: \mathrm{CIF}(t) = \sum_{s \le t} S(s^-) \, d_1(s) / n(s).

    Tied days are handled exactly as recorded; lifelines' ``AalenJohansenFitter`` instead adds
    random jitter to tied times, which is not acceptable for day-resolution data.

    Parameters
    ----------
    durations
        Days from the index to the event, the competing event or censoring. ``None`` is
        refused.
    events
        ``0`` censored, ``event_of_interest`` the event, ``competing`` the competing event.
    label
        What is shown.
    event_of_interest, competing
        The codes of the event and of the competing event (death by default, code 2).

    Returns
    -------
    CumulativeIncidenceResult
        Cumulative incidence of both events and the event-free probability over time.

    Raises
    ------
    dresskit.errors.InputError
        If a duration is missing, negative or not a number, ``events`` differs in length or
        holds a code other than 0, ``event_of_interest`` and ``competing``.
    ValueError
        If the codes coincide or one of them is 0.

    Notes
    -----
    Cross-checked in ``tests/analysis/test_survival.py`` against
    ``lifelines.AalenJohansenFitter(calculate_variance=False).fit(T, E, event_of_interest=1)``
    on data without ties, and by hand on a small example with ties. No confidence interval is
    given.

    References
    ----------
    .. [1] Aalen OO, Johansen S. Scand J Stat. 1978;5(3):141-150.

    Examples
    --------
    Four patients: events on day 2 (two, tied), death on day 3, censored on day 4:

    >>> result = cumulative_incidence([2, 2, 3, 4], [1, 1, 2, 0], label="ALT normalisation")
    >>> result.timeline, result.cumulative_incidence
    ((0.0, 2.0, 3.0, 4.0), (0.0, 0.5, 0.5, 0.5))
    >>> result.competing_cumulative_incidence, result.event_free
    ((0.0, 0.0, 0.25, 0.25), (1.0, 0.5, 0.25, 0.25))
    """
    if event_of_interest == competing or 0 in (event_of_interest, competing):
        raise ValueError(
            "event_of_interest and competing must be different non-zero codes (0 is censored); "
            f"got {event_of_interest!r} and {competing!r}"
        )
    times = _durations(durations)
    n = len(times)
    _same_length("events", events, n)
    allowed = (0, event_of_interest, competing)
    for position, code in enumerate(events):
        if isinstance(code, bool) or code not in allowed:
            raise InputError(
                f"events[{position}]",
                code,
                f"one of {allowed} (censored, event of interest, competing event)",
            )

    distinct = sorted(set(times))
    first: Counter[float] = Counter()
    second: Counter[float] = Counter()
    for time, code in zip(times, events, strict=True):
        if code == event_of_interest:
            first[time] += 1
        elif code == competing:
            second[time] += 1
    ordered = sorted(times)
    timeline = [0.0]
    incidence, competing_incidence, event_free = [0.0], [0.0], [1.0]
    free, cif1, cif2 = 1.0, 0.0, 0.0
    removed = 0  # durations < current time
    for time in distinct:
        at_risk = n - removed
        d1, d2 = first[time], second[time]
        # S(s-) * d / n(s): the event-free probability just before s, split by cause.
        cif1 += free * d1 / at_risk
        cif2 += free * d2 / at_risk
        free *= 1 - (d1 + d2) / at_risk
        while removed < n and ordered[removed] == time:
            removed += 1
        if time == 0.0:
            incidence[0], competing_incidence[0], event_free[0] = cif1, cif2, free
            continue
        timeline.append(time)
        # Rounding can carry a sum that is exactly 1 to 1 + 2e-16; probabilities stay in [0, 1].
        incidence.append(min(cif1, 1.0))
        competing_incidence.append(min(cif2, 1.0))
        event_free.append(max(free, 0.0))

    n_events = sum(first.values())
    n_competing = sum(second.values())
    remarks: list[str] = []
    if n_competing == 0:
        remarks.append("No competing event observed: the curve equals 1 - Kaplan-Meier.")
    return CumulativeIncidenceResult(
        label=label,
        n=n,
        n_events=n_events,
        n_competing=n_competing,
        n_censored=n - n_events - n_competing,
        event_of_interest=event_of_interest,
        competing=competing,
        timeline=tuple(timeline),
        cumulative_incidence=tuple(incidence),
        competing_cumulative_incidence=tuple(competing_incidence),
        event_free=tuple(event_free),
        method=(
            "Aalen-Johansen estimate of the cumulative incidence with a competing event, "
            "tied times kept as recorded; no confidence interval."
        ),
        remarks=tuple(remarks),
        durations=tuple(times),
        events=tuple(int(code) for code in events),
    )


def _outcome_columns(table: pl.DataFrame, outcome: str) -> pl.DataFrame:
    names = [f"{outcome}_{suffix}" for suffix in _OUTCOME_COLUMNS]
    absent = [name for name in names if name not in table.columns]
    if absent:
        raise InputError(
            "outcome",
            outcome,
            "an outcome of outcome_table with the columns "
            + ", ".join(names)
            + f" (missing: {', '.join(absent)})",
        )
    return table.select(names)


def from_outcome_table(
    table: pl.DataFrame, outcome: str
) -> tuple[list[float], list[bool], list[str | None]]:
    """Turn one outcome of :func:`dresskit.course.vectorised.outcome_table` into KM input.

    Parameters
    ----------
    table
        The frame returned by ``outcome_table`` (one row per episode).
    outcome
        ``"steroid_after"``, ``"defervescence"``, ``"alt_normalisation"``,
        ``"eosinophil_normalisation"`` or ``"rash_resolution"``.

    Returns
    -------
    tuple of list
        Durations (``<outcome>_days`` when observed, ``<outcome>_followed_up_days`` when
        censored), observed flags and censoring reasons (``None`` when observed), in row order.

    Raises
    ------
    dresskit.errors.InputError
        If the columns of ``outcome`` are absent, or a row is observed without days, or
        censored without follow-up days, or has negative days (an event before day 0, as
        ``steroid_after`` gives when steroids stopped before the index); the message names
        the row, 1-based.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({
    ...     "defervescence_days": [3, None],
    ...     "defervescence_observed": [True, False],
    ...     "defervescence_followed_up_days": [20, 9],
    ...     "defervescence_censor_reason": [None, "died"],
    ... })
    >>> from_outcome_table(table, "defervescence")
    ([3.0, 9.0], [True, False], [None, 'died'])
    """
    columns = _outcome_columns(table, outcome)
    durations: list[float] = []
    observed: list[bool] = []
    reasons: list[str | None] = []
    for row, (days, seen, followed, reason) in enumerate(columns.iter_rows(), start=1):
        if seen is None:
            raise InputError(f"{outcome}_observed", seen, "True or False", row=row)
        if seen:
            if days is None:
                raise InputError(
                    f"{outcome}_days", days, "the days to an event marked observed", row=row
                )
            if days < 0:
                raise InputError(
                    f"{outcome}_days",
                    days,
                    "days >= 0 from the index (an event before day 0 cannot enter a "
                    "time-to-event analysis from day 0: exclude the episode or change the index)",
                    row=row,
                )
            durations.append(float(days))
            reasons.append(None)
        else:
            if followed is None:
                raise InputError(
                    f"{outcome}_followed_up_days",
                    followed,
                    "the days of follow-up of a censored episode",
                    row=row,
                )
            if followed < 0:
                raise InputError(
                    f"{outcome}_followed_up_days",
                    followed,
                    "days >= 0 of follow-up from the index",
                    row=row,
                )
            durations.append(float(followed))
            reasons.append(None if reason is None else str(reason))
        observed.append(bool(seen))
    return durations, observed, reasons


def competing_events_from_outcome_table(
    table: pl.DataFrame, outcome: str, *, event_of_interest: int = 1, competing: int = 2
) -> tuple[list[float], list[int]]:
    """Turn one outcome of ``outcome_table`` into input for :func:`cumulative_incidence`.

    Parameters
    ----------
    table
        The frame returned by :func:`dresskit.course.vectorised.outcome_table`. When it has
        a ``death_days`` column (days from day 0 to the episode's ``death_date``), a death
        competes at that day; otherwise at the last day with data (``followed_up_days``).
    outcome
        The outcome's column prefix (``"alt_normalisation"``).
    event_of_interest, competing
        Codes to give the observed event and death.

    Returns
    -------
    tuple of list
        Durations as :func:`from_outcome_table` gives them (a death at ``death_days`` when
        known), and event codes: ``event_of_interest`` when observed, ``competing`` when
        censored because the patient died, 0 for any other censoring. Episodes censored
        ``no_data_after_index`` are left out: never measured after day 0, they were never
        at risk, and a later death is not a competing event at day 0
        (clinical-reference.md §10). The other rows keep their order.

    Raises
    ------
    dresskit.errors.InputError
        As :func:`from_outcome_table`; also when a death competes before day 0 or before
        the last day with data (``death_days`` below ``followed_up_days``: a date of death
        before the last measurement), naming the row, 1-based.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({
    ...     "death_days": [None, 12, None, 4],
    ...     "alt_normalisation_days": [3, None, None, None],
    ...     "alt_normalisation_observed": [True, False, False, False],
    ...     "alt_normalisation_followed_up_days": [20, 9, 30, 0],
    ...     "alt_normalisation_censor_reason": [None, "died", "end_of_data",
    ...                                         "no_data_after_index"],
    ... })
    >>> competing_events_from_outcome_table(table, "alt_normalisation")
    ([3.0, 12.0, 30.0], [1, 2, 0])
    """
    durations, observed, reasons = from_outcome_table(table, outcome)
    deaths: list[object] = (
        table.get_column("death_days").to_list()
        if "death_days" in table.columns
        else [None] * table.height
    )
    kept_durations: list[float] = []
    codes: list[int] = []
    for row, (duration, seen, reason, death) in enumerate(
        zip(durations, observed, reasons, deaths, strict=True), start=1
    ):
        if not seen and reason == "no_data_after_index":
            continue
        if seen:
            codes.append(event_of_interest)
        elif reason == "died":
            codes.append(competing)
            if death is not None:
                if not isinstance(death, int | float) or death < duration:
                    raise InputError(
                        "death_days",
                        death,
                        f"days from day 0 to death of at least {duration:g} (the last day "
                        f"with {outcome} data): a death on or after the last measurement",
                        row=row,
                    )
                duration = float(death)
        else:
            codes.append(0)
        kept_durations.append(duration)
    return kept_durations, codes
