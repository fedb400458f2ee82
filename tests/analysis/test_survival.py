"""Kaplan-Meier and cumulative incidence: hand calculations, lifelines cross-checks, properties."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter
from scipy.stats import norm

from dresskit.analysis.survival import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    competing_events_from_outcome_table,
    cumulative_incidence,
    from_outcome_table,
    kaplan_meier,
)
from dresskit.errors import InputError

DURATIONS = [1, 2, 2, 3, 5, 8, 8, 9]
OBSERVED = [True, True, False, True, False, True, True, False]
REASONS = [None, None, "transferred", None, "died", None, None, "end_of_data"]


def step_value(timeline: Sequence[float], values: Sequence[float], time: float) -> float:
    """Value of a right-continuous step function at ``time``."""
    return values[bisect.bisect_right(timeline, time) - 1]


def test_kaplan_meier_matches_the_product_limit_by_hand() -> None:
    """S(t) = prod over event times <= t of (1 - d/n).

    t=1: 1 - 1/8 = 0.875; t=2: x (1 - 1/7) = 0.75; t=3: x (1 - 1/5) = 0.6; t=8: x (1 - 2/3)
    = 0.2 (one censoring at 2, one at 5, one at 9).
    """
    result = kaplan_meier(DURATIONS, OBSERVED, label="test", censor_reasons=REASONS)
    assert result.timeline == (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 9.0)
    assert result.survival == pytest.approx((1.0, 0.875, 0.75, 0.6, 0.6, 0.2, 0.2), abs=1e-12)
    assert (result.n, result.n_events, result.n_censored) == (8, 5, 3)
    assert result.censored_by_reason == {"died": 1, "end_of_data": 1, "transferred": 1}
    assert [time for time, _ in result.censoring_marks] == [2.0, 5.0, 9.0]
    assert [s for _, s in result.censoring_marks] == pytest.approx([0.75, 0.6, 0.2], abs=1e-12)


def test_confidence_interval_is_the_exponential_greenwood_by_hand() -> None:
    """At t = 2: Var(log S) = 1/(8*7) + 1/(7*6) (Greenwood); the log(-log) interval is
    exp(-exp(log(-log S) +/- z * sqrt(Var(log S)) / |log S|)), Kalbfleisch-Prentice 4.3."""
    result = kaplan_meier(DURATIONS, OBSERVED, label="test", alpha=0.10)
    s = 0.75
    var_log_s = 1 / (8 * 7) + 1 / (7 * 6)
    z = norm.ppf(0.95)
    centre = math.log(-math.log(s))
    half = z * math.sqrt(var_log_s) / abs(math.log(s))
    lower = math.exp(-math.exp(centre + half))
    upper = math.exp(-math.exp(centre - half))
    index = result.timeline.index(2.0)
    assert result.ci_lower[index] == pytest.approx(lower, rel=1e-9)
    assert result.ci_upper[index] == pytest.approx(upper, rel=1e-9)
    assert "90%" in result.method


def test_median_and_its_interval_come_from_the_curves_crossing_one_half() -> None:
    result = kaplan_meier(DURATIONS, OBSERVED, label="test")
    assert result.median == 8.0
    # The lower limit curve drops below 0.5 at day 1; the upper one never does.
    assert result.median_ci == (1.0, None)


def test_median_not_reached_is_none_with_a_remark() -> None:
    result = kaplan_meier([1, 4, 6, 9], [True, False, False, False], label="test")
    assert result.median is None
    assert result.median_ci[1] is None
    assert any("Median not reached" in remark for remark in result.remarks)


def test_numbers_at_risk_at_requested_times_count_durations_not_yet_ended() -> None:
    result = kaplan_meier(DURATIONS, OBSERVED, label="test", at_risk_times=[0, 2, 4, 8, 10])
    assert result.at_risk == ((0.0, 8), (2.0, 7), (4.0, 4), (8.0, 3), (10.0, 0))


def test_default_at_risk_times_are_round_steps_up_to_the_longest_follow_up() -> None:
    result = kaplan_meier([3, 17, 28, 41], [True, True, False, True], label="test")
    assert [time for time, _ in result.at_risk] == [0.0, 10.0, 20.0, 30.0, 40.0]


def test_result_holds_plain_python_values_only() -> None:
    result = kaplan_meier(DURATIONS, OBSERVED, label="test")
    for name in ("timeline", "survival", "ci_lower", "ci_upper"):
        values = getattr(result, name)
        assert type(values) is tuple
        assert all(type(value) is float for value in values)
    assert isinstance(result, KaplanMeierResult)
    assert "Kaplan EL, Meier P" in result.reference.text
    assert "2019;4(40):1317" in result.reference.text


def test_none_duration_is_refused_naming_its_position() -> None:
    with pytest.raises(InputError, match=r"durations\[2\].*never None"):
        kaplan_meier([1, 2, None, 4], [True, True, False, True], label="test")


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "3"])
def test_invalid_durations_are_refused(bad: object) -> None:
    with pytest.raises(InputError, match=r"durations\[1\]"):
        kaplan_meier([1, bad, 3], [True, True, True], label="test")  # type: ignore[list-item]


def test_lengths_and_contradictory_reasons_are_refused() -> None:
    with pytest.raises(InputError, match="observed"):
        kaplan_meier([1, 2], [True], label="test")
    with pytest.raises(InputError, match="censor_reasons"):
        kaplan_meier([1, 2], [True, False], label="test", censor_reasons=["died"])
    with pytest.raises(InputError, match=r"censor_reasons\[0\].*None for a patient"):
        kaplan_meier([1, 2], [True, False], label="test", censor_reasons=["died", "died"])
    with pytest.raises(InputError, match="at least one duration"):
        kaplan_meier([], [], label="test")
    with pytest.raises(ValueError, match="alpha"):
        kaplan_meier([1], [True], label="test", alpha=1.5)


def test_kaplan_meier_does_not_modify_its_inputs() -> None:
    durations, observed = list(DURATIONS), list(OBSERVED)
    kaplan_meier(durations, observed, label="test", censor_reasons=REASONS)
    assert (durations, observed) == (DURATIONS, OBSERVED)


def test_cumulative_incidence_with_ties_matches_a_hand_calculation() -> None:
    """Durations 1, 2, 2, 2, 3, 3, 5, 6; events 1, 1, 2, 0, 1, 0, 2, 1 (2 = death).

    s=1: n=8, d1=1 -> CIF1 = 1/8; S = 7/8.
    s=2: n=7, d1=1, d2=1, one censored (still at risk at 2) -> CIF1 += 7/8 * 1/7 = 1/4;
         CIF2 = 1/8; S = 7/8 * 5/7 = 5/8.
    s=3: n=4, d1=1, one censored -> CIF1 += 5/8 * 1/4 -> 13/32; S = 15/32.
    s=5: n=2, d2=1 -> CIF2 += 15/32 * 1/2 -> 23/64; S = 15/64.
    s=6: n=1, d1=1 -> CIF1 += 15/64 -> 41/64; S = 0.
    """
    result = cumulative_incidence(
        [1, 2, 2, 2, 3, 3, 5, 6], [1, 1, 2, 0, 1, 0, 2, 1], label="ALT normalisation"
    )
    assert result.timeline == (0.0, 1.0, 2.0, 3.0, 5.0, 6.0)
    assert result.cumulative_incidence == pytest.approx(
        (0.0, 1 / 8, 1 / 4, 13 / 32, 13 / 32, 41 / 64), abs=1e-15
    )
    assert result.competing_cumulative_incidence == pytest.approx(
        (0.0, 0.0, 1 / 8, 1 / 8, 23 / 64, 23 / 64), abs=1e-15
    )
    assert result.event_free == pytest.approx((1.0, 7 / 8, 5 / 8, 15 / 32, 15 / 64, 0.0))
    assert (result.n_events, result.n_competing, result.n_censored) == (4, 2, 2)
    assert "Scand J Stat. 1978;5(3):141-150" in result.reference.text


@pytest.mark.parametrize("seed", [3, 17, 2024])
def test_cumulative_incidence_matches_lifelines_aalen_johansen_without_ties(seed: int) -> None:
    """lifelines jitters tied times, so the comparison uses continuous (tie-free) durations.

    lifelines gives CIF_1 indexed by its event times (censoring times included); each of its
    values must equal our step function at that time.
    """
    rng = np.random.default_rng(seed)
    n = 60
    durations = rng.exponential(20.0, size=n).round(6)
    assert len(set(durations)) == n
    events = rng.choice([0, 1, 2], size=n, p=[0.3, 0.5, 0.2])
    ours = cumulative_incidence(durations.tolist(), events.tolist(), label="x")
    fitter = AalenJohansenFitter(calculate_variance=False).fit(
        durations, events, event_of_interest=1
    )
    theirs = fitter.cumulative_density_.iloc[:, 0]
    assert len(theirs) > n // 2
    for time, value in theirs.items():
        assert step_value(ours.timeline, ours.cumulative_incidence, float(time)) == pytest.approx(
            float(value), abs=1e-12
        )


def test_without_competing_events_cumulative_incidence_is_one_minus_kaplan_meier() -> None:
    durations = [1, 2, 2, 3, 3, 3, 7, 8, 8, 12]
    codes = [1, 1, 0, 1, 1, 0, 1, 0, 1, 0]
    cif = cumulative_incidence(durations, codes, label="x")
    km = kaplan_meier(durations, [c == 1 for c in codes], label="x")
    assert cif.timeline == km.timeline
    assert cif.cumulative_incidence == pytest.approx([1 - s for s in km.survival], abs=1e-12)
    assert any("No competing event" in remark for remark in cif.remarks)


def test_events_at_day_zero_are_counted_at_time_zero() -> None:
    result = cumulative_incidence([0, 0, 4, 6], [1, 0, 1, 2], label="x")
    assert result.timeline == (0.0, 4.0, 6.0)
    assert result.cumulative_incidence[0] == 0.25


def test_cumulative_incidence_refuses_unknown_codes_and_bad_options() -> None:
    with pytest.raises(InputError, match=r"events\[1\].*one of \(0, 1, 2\)"):
        cumulative_incidence([1, 2], [1, 3], label="x")
    with pytest.raises(InputError, match=r"durations\[0\]"):
        cumulative_incidence([None, 2], [1, 0], label="x")
    with pytest.raises(ValueError, match="different non-zero codes"):
        cumulative_incidence([1, 2], [1, 0], label="x", event_of_interest=1, competing=1)


def outcome_frame() -> pl.DataFrame:
    """Columns as dresskit.course.vectorised.outcome_table gives them for one outcome."""
    return pl.DataFrame(
        {
            "episode_id": ["a", "b", "c", "d", "e"],
            "alt_normalisation_days": [4, None, None, 0, None],
            "alt_normalisation_observed": [True, False, False, True, False],
            "alt_normalisation_followed_up_days": [30, 11, 25, 12, 0],
            "alt_normalisation_censor_reason": [
                None,
                "died",
                "lost_to_follow_up",
                None,
                "no_data_after_index",
            ],
        },
        schema_overrides={"alt_normalisation_days": pl.Int64},
    )


def test_from_outcome_table_uses_event_days_or_follow_up_days() -> None:
    durations, observed, reasons = from_outcome_table(outcome_frame(), "alt_normalisation")
    assert durations == [4.0, 11.0, 25.0, 0.0, 0.0]
    assert observed == [True, False, False, True, False]
    assert reasons == [None, "died", "lost_to_follow_up", None, "no_data_after_index"]


def test_competing_events_code_death_as_2_and_other_censoring_as_0() -> None:
    durations, codes = competing_events_from_outcome_table(outcome_frame(), "alt_normalisation")
    # Row e (no data after day 0) is left out: never at risk.
    assert durations == [4.0, 11.0, 25.0, 0.0]
    assert codes == [1, 2, 0, 1]


def test_competing_death_is_dated_by_death_days_when_the_table_has_them() -> None:
    frame = outcome_frame().with_columns(
        pl.Series("death_days", [None, 14, None, None, None], dtype=pl.Int64)
    )
    durations, codes = competing_events_from_outcome_table(frame, "alt_normalisation")
    assert (durations[1], codes[1]) == (14.0, 2)


def test_a_death_before_the_last_measurement_is_refused_with_its_row() -> None:
    frame = outcome_frame().with_columns(
        pl.Series("death_days", [None, 5, None, None, None], dtype=pl.Int64)
    )
    with pytest.raises(InputError, match=r"row 2: field 'death_days' must be .* at least 11"):
        competing_events_from_outcome_table(frame, "alt_normalisation")


def test_no_data_after_index_of_a_patient_who_died_is_not_a_death_at_day_0() -> None:
    """Issue 11: such an outcome was 'died' with death competing at day 0."""
    frame = pl.DataFrame(
        {
            "death_days": [None, None, 20, 3],
            "alt_normalisation_days": [2, None, None, None],
            "alt_normalisation_observed": [True, False, False, False],
            "alt_normalisation_followed_up_days": [2, 10, 0, 0],
            "alt_normalisation_censor_reason": [
                None,
                "end_of_data",
                "no_data_after_index",
                "no_data_after_index",
            ],
        },
        schema_overrides={"alt_normalisation_days": pl.Int64},
    )
    durations, codes = competing_events_from_outcome_table(frame, "alt_normalisation")
    assert (durations, codes) == ([2.0, 10.0], [1, 0])
    result = cumulative_incidence(durations, codes, label="ALT")
    assert result.n == 2
    assert result.competing_cumulative_incidence[-1] == 0.0
    assert step_value(result.timeline, result.cumulative_incidence, 0) == 0.0


def test_from_outcome_table_refuses_an_event_before_day_zero() -> None:
    frame = outcome_frame().with_columns(
        pl.when(pl.col("episode_id") == "d")
        .then(-2)
        .otherwise(pl.col("alt_normalisation_days"))
        .alias("alt_normalisation_days")
    )
    with pytest.raises(InputError, match=r"row 4: field 'alt_normalisation_days'.*before day 0"):
        from_outcome_table(frame, "alt_normalisation")


def test_from_outcome_table_names_absent_columns_and_bad_rows() -> None:
    with pytest.raises(InputError, match="missing: rash_resolution_days"):
        from_outcome_table(outcome_frame(), "rash_resolution")
    broken = outcome_frame().with_columns(
        pl.when(pl.col("episode_id") == "a")
        .then(None)
        .otherwise(pl.col("alt_normalisation_days"))
        .alias("alt_normalisation_days")
    )
    with pytest.raises(InputError, match=r"row 1: field 'alt_normalisation_days'"):
        from_outcome_table(broken, "alt_normalisation")


def test_outcome_table_of_generated_courses_feeds_both_estimators() -> None:
    """End to end on the real outcome_table (courses generated as in the course tests)."""
    from dresskit.course.vectorised import outcome_table
    from tests.course.test_vectorised import frames, random_course

    rng = random.Random(5)
    tables = frames([random_course(rng, number) for number in range(80)])
    table = outcome_table(
        tables["episodes"], tables["observations"], tables["treatments"], tables["patients"]
    )
    # steroid_after counts days from day 0 to the last dose, negative when steroids stopped
    # before the index; such episodes cannot start a time-to-event analysis at day 0.
    table = table.filter(pl.col("steroid_after_days").fill_null(0) >= 0)
    for outcome in (
        "steroid_after",
        "defervescence",
        "alt_normalisation",
        "eosinophil_normalisation",
        "rash_resolution",
    ):
        durations, observed, reasons = from_outcome_table(table, outcome)
        assert len(durations) == table.height
        km = kaplan_meier(durations, observed, label=outcome, censor_reasons=reasons)
        assert km.n_events == table.get_column(f"{outcome}_observed").sum()
        assert sum(km.censored_by_reason.values()) == km.n_censored
        assert "unspecified" not in km.censored_by_reason
        times, codes = competing_events_from_outcome_table(table, outcome)
        cif = cumulative_incidence(times, codes, label=outcome)
        assert cif.n_competing == reasons.count("died")


# Day-resolution durations: ties are the rule, as in the clinical data.
_days = st.integers(min_value=0, max_value=40)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_days, st.booleans()), min_size=1, max_size=40))
def test_kaplan_meier_is_non_increasing_within_zero_and_one(
    rows: list[tuple[int, bool]],
) -> None:
    durations = [d for d, _ in rows]
    observed = [o for _, o in rows]
    result = kaplan_meier(durations, observed, label="x")
    assert all(0.0 <= s <= 1.0 for s in result.survival)
    assert all(a >= b for a, b in itertools.pairwise(result.survival))
    assert all(
        lo <= s + 1e-12 and s <= hi + 1e-12
        for lo, s, hi in zip(result.ci_lower, result.survival, result.ci_upper, strict=True)
    )
    assert sum(n for _, n in result.at_risk[:1]) == len(rows)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_days, st.sampled_from([0, 1, 2])), min_size=1, max_size=40))
def test_cumulative_incidence_is_non_decreasing_and_bounded_by_event_free(
    rows: list[tuple[int, int]],
) -> None:
    result: CumulativeIncidenceResult = cumulative_incidence(
        [d for d, _ in rows], [c for _, c in rows], label="x"
    )
    cif = result.cumulative_incidence
    assert all(a <= b + 1e-15 for a, b in itertools.pairwise(cif))
    for one, two, free in zip(
        cif, result.competing_cumulative_incidence, result.event_free, strict=True
    ):
        assert 0.0 <= one <= 1.0
        assert one + free <= 1.0 + 1e-12
        assert one + two + free == pytest.approx(1.0, abs=1e-12)
    # The event-free curve is the Kaplan-Meier estimate of "any event".
    km = kaplan_meier([d for d, _ in rows], [c != 0 for _, c in rows], label="any")
    assert result.timeline == km.timeline
    assert result.event_free == pytest.approx(km.survival, abs=1e-12)


def test_outcome_table_of_a_death_with_no_alt_after_day_0_adds_no_death_at_day_0() -> None:
    """Issue 11 end to end: the column-wise outcome table feeding the competing-risk estimate."""
    from datetime import date

    from dresskit.course.vectorised import outcome_table

    episodes = pl.DataFrame(
        {
            "episode_id": ["a", "b", "c"],
            "patient_id": ["p", "q", "r"],
            "onset_date": [date(2020, 1, 1)] * 3,
            "admission_date": [date(2020, 1, 1)] * 3,
            "outcome": ["died", "died", "recovered"],
            "last_follow_up_date": [date(2020, 1, 30), date(2020, 1, 30), date(2020, 2, 28)],
            "death_date": [date(2020, 1, 25), date(2020, 1, 30), None],
        }
    )
    alt = [
        ("a", date(2020, 1, 5), 400.0),  # before day 0 only: no data after the index
        ("b", date(2020, 1, 12), 300.0),
        ("b", date(2020, 1, 20), 250.0),
        ("c", date(2020, 1, 12), 300.0),
        ("c", date(2020, 1, 16), 30.0),
        ("c", date(2020, 1, 20), 25.0),
    ]
    observations = pl.DataFrame(
        {
            "episode_id": [row[0] for row in alt],
            "date": [row[1] for row in alt],
            "code": ["alt"] * len(alt),
            "value": [row[2] for row in alt],
        }
    )
    treatments = pl.DataFrame(
        {
            "episode_id": ["a", "b", "c"],
            "kind": ["ivig"] * 3,
            "agent": ["ivig"] * 3,
            "start_date": [date(2020, 1, 10)] * 3,
            "end_date": [date(2020, 1, 14)] * 3,
        }
    )
    patients = pl.DataFrame({"patient_id": ["p", "q", "r"], "sex": ["female"] * 3})
    table = outcome_table(episodes, observations, treatments, patients)
    reasons = dict(
        zip(
            table.get_column("episode_id").to_list(),
            table.get_column("alt_normalisation_censor_reason").to_list(),
            strict=True,
        )
    )
    assert reasons == {"a": "no_data_after_index", "b": "died", "c": None}
    durations, codes = competing_events_from_outcome_table(table, "alt_normalisation")
    assert (durations, codes) == ([20.0, 6.0], [2, 1])  # b dies on day 20; c normal on day 6
