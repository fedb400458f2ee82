"""One test per sentence of the steroid-response definitions of clinical-reference.md §10.

Each test is named for the sentence (or, where a sentence has several clauses, for the clause)
it checks; the sentence is quoted in its docstring. Courses are built with
:mod:`tests.course.builders`: weight 60 kg, so prednisolone 60 mg/day = 1 mg/kg/day.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dresskit.course import Finding, Observation, PatientCourse
from dresskit.course.response import Flare, classify_response, flares
from tests.course.builders import course, day

FEVER = [(-4, 39.0), (-3, 38.9), (-2, 38.8), (-1, 38.7), (0, 38.6), (1, 38.6), (2, 38.5)]

#: Starting dose, taper, then a re-escalation that stays below the starting dose.
TAPER_THEN_ESCALATION: list[tuple[str, int, int | None, float]] = [
    ("prednisolone", 0, 6, 60),
    ("prednisolone", 7, 13, 20),
    ("prednisolone", 14, 20, 40),
]


def with_rows(base: PatientCourse, *rows: tuple[int, str, float, str]) -> PatientCourse:
    """Add observations with codes the builder has no unit for (total IgE)."""
    extra = tuple(Observation("e1", day(n), code, value, unit) for n, code, value, unit in rows)
    return replace(base, observations=(*base.observations, *extra))


def with_finding(base: PatientCourse, code: str, on: int = 3) -> PatientCourse:
    return replace(base, findings=(*base.findings, Finding("e1", day(on), code, "present")))


def summary(found: tuple[Flare, ...]) -> list[tuple[str, int, str]]:
    """(marker, day number, setting) of each flare."""
    return [(flare.marker, (flare.on - day(0)).days, flare.setting) for flare in found]


# --- Steroid-hyporesponsive -------------------------------------------------------------
# "the first run of consecutive days at >= 1 mg/kg/day prednisone-equivalent (PE) lasts
# >= 2 days (configurable) and no improvement is recorded on its first 2 days, where
# improvement = defervescence (febrile >= 37.5 °C on that run's day 0 or the day before, then
# every reading that day and the next recorded day < 37.5 °C), or ALT or eosinophils down
# >= 25 % from their highest value since the run began (day 0 included), or rash BSA or itch
# NRS down >= 25 % from that highest value."


def test_hyporesponsive_first_high_dose_run_of_2_days_without_improvement() -> None:
    """Sentence 1 (hyporesponsive): >= 2 high-dose days, no improvement on the first 2."""
    treated = course(observations={"temperature": FEVER}, steroids=[("prednisolone", 0, 5, 60)])
    state = classify_response(treated).hyporesponsive
    assert state.value is True
    assert "from 2020-03-10; no improvement by 2020-03-11" in state.evidence[0]
    assert "first run of consecutive days at >= 1 mg/kg/day" in state.definition


def test_hyporesponsive_only_the_first_run_of_consecutive_high_dose_days_counts() -> None:
    """Sentence 1, "the first run ... lasts >= 2 days": a later longer run does not count."""
    treated = course(
        observations={"temperature": FEVER},
        steroids=[
            ("prednisolone", -3, -3, 60),
            ("prednisolone", -2, -1, 30),
            ("prednisolone", 0, 10, 60),
        ],
    )
    state = classify_response(treated).hyporesponsive
    assert state.value is False
    assert "lasted 1 day(s)" in state.evidence[0]


@pytest.mark.parametrize(
    ("temperatures", "expected"),
    [
        # Febrile on day 0, afebrile day 1 and on the next recorded day (3): defervescence.
        ([(0, 38.6), (1, 37.0), (3, 37.2)], False),
        # The next recorded day is febrile again: no defervescence.
        ([(0, 38.6), (1, 37.0), (3, 38.2)], True),
        # Febrile only the day before the run: still counts as febrile at its start.
        ([(-1, 38.0), (0, 37.4), (1, 37.0)], False),
        # Afebrile at the run's start: a normal temperature is not an improvement.
        ([(-1, 37.0), (0, 37.1), (1, 37.0)], True),
        # A day with one reading >= 37.5 °C is not afebrile ("every reading that day").
        ([(0, 38.6), (1, 37.0), (1, 37.6), (2, 37.0)], True),
    ],
)
def test_hyporesponsive_improvement_by_defervescence_fever_then_afebrile_day_and_next(
    temperatures: list[tuple[int, float]], expected: bool
) -> None:
    """Sentence 1, defervescence clause."""
    treated = course(
        observations={"temperature": temperatures}, steroids=[("prednisolone", 0, 5, 60)]
    )
    assert classify_response(treated).hyporesponsive.value is expected


@pytest.mark.parametrize(
    ("code", "series", "expected"),
    [
        ("alt", [(-1, 1000), (0, 400), (1, 300)], False),  # 25 % below the run's highest
        ("alt", [(-1, 1000), (0, 800), (1, 700)], True),  # the pre-run 1000 is not counted
        ("eosinophils", [(0, 2.0), (1, 1.5)], False),
        ("eosinophils", [(0, 2.0), (1, 1.52)], True),  # 24 % only
        ("rash_bsa", [(0, 40), (1, 30)], False),
        ("itch_nrs", [(0, 8), (1, 6)], False),
        ("itch_nrs", [(0, 8), (1, 7)], True),
    ],
)
def test_hyporesponsive_improvement_by_a_25_percent_fall_from_the_highest_since_the_run_began(
    code: str, series: list[tuple[int, float]], expected: bool
) -> None:
    """Sentence 1, ALT / eosinophils / rash BSA / itch NRS clauses (day 0 included)."""
    treated = course(
        observations={"temperature": FEVER, code: series}, steroids=[("prednisolone", 0, 5, 60)]
    )
    assert classify_response(treated).hyporesponsive.value is expected


def test_hyporesponsive_unknown_when_nothing_was_recorded_in_the_first_2_days() -> None:
    """Sentence 1, "no improvement is recorded": with no record, improvement is unknown."""
    treated = course(
        observations={"temperature": [(10, 37.0)]}, steroids=[("prednisolone", 0, 5, 60)]
    )
    state = classify_response(treated).hyporesponsive
    assert state.value is None
    assert "whether it improved is unknown" in state.remarks[0]


# --- Steroid-dependent ------------------------------------------------------------------
# "at least one flare during taper (below), or a course lasting >= 21 days whose last rash
# assessment on or before day 21 is BSA > 0 % (suboptimal response), or steroids stopped or
# limited for adverse effects recorded as such."


def test_dependent_at_least_one_flare_during_taper() -> None:
    """Sentence 1 (dependent), first clause."""
    treated = course(
        observations={"alt": [(0, 500), (2, 60), (9, 200)]},
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 13, 20)],
    )
    state = classify_response(treated).dependent
    assert state.value is True
    assert "alt 60 -> 200 on 2020-03-19 at 20 mg/day" in state.evidence[0]
    assert "(during taper)" in state.evidence[0]


@pytest.mark.parametrize(
    ("steroid_end", "bsa", "expected"),
    [
        (20, [(0, 60), (21, 5)], True),  # 21 days, BSA 5 % on day 21: suboptimal
        (20, [(0, 60), (14, 5), (21, 0)], False),  # resolved by day 21
        (20, [(0, 60), (14, 5), (22, 0)], True),  # day 22 is after day 21
        (19, [(0, 60), (21, 5)], False),  # the course lasted 20 days only
        (20, [], None),  # no rash assessment: unknown
    ],
)
def test_dependent_course_of_21_days_with_rash_bsa_above_0_on_or_before_day_21(
    steroid_end: int, bsa: list[tuple[int, float]], expected: bool | None
) -> None:
    """Sentence 1 (dependent), suboptimal-response clause."""
    treated = course(
        observations={"rash_bsa": bsa}, steroids=[("prednisolone", 0, steroid_end, 60)]
    )
    state = classify_response(treated).dependent
    assert state.value is expected
    if expected:
        assert state.evidence[0].startswith("suboptimal response")


def test_dependent_steroids_stopped_or_limited_for_adverse_effects_recorded_as_such() -> None:
    """Sentence 1 (dependent), adverse-effects clause."""
    treated = with_finding(course(steroids=[("prednisolone", 0, 5, 60)]), "steroid_adverse_effect")
    state = classify_response(treated).dependent
    assert state.value is True
    assert "adverse effects" in state.evidence[0]
    untreated = course(steroids=[("prednisolone", 0, 5, 60)])
    assert classify_response(untreated).dependent.value is False


def test_dependent_worsening_on_the_starting_dose_is_not_dependent() -> None:
    """Issue 11 regression: itch and rash were armed for flares from the first steroid day,
    so a patient who worsened on the starting dose got spurious flares and was classed
    steroid-dependent once the dose came down."""
    treated = course(
        observations={
            "itch_nrs": [(0, 5), (2, 6), (9, 8)],
            "rash_bsa": [(0, 20), (2, 25), (9, 40)],
        },
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 13, 40)],
    )
    result = classify_response(treated)
    assert result.flares == ()
    assert result.dependent.value is False


# --- Steroid-resistant ------------------------------------------------------------------
# "the first run of consecutive days at >= 1 mg/kg/day PE lasts >= 7 days and the last rash
# assessment on or before its 7th day is not BSA 0 %. Fewer than 7 such days -> not resistant
# (say why); no rash assessment in that window -> unknown."


@pytest.mark.parametrize(
    ("bsa", "expected"),
    [
        ([(0, 60), (6, 30)], True),  # BSA 30 % on the 7th day
        ([(0, 60), (5, 0)], False),  # resolved within the window
        ([(0, 60), (3, 0), (7, 20)], False),  # day 7 is the 8th day: outside the window
    ],
)
def test_resistant_first_run_of_7_high_dose_days_with_last_rash_bsa_not_0(
    bsa: list[tuple[int, float]], expected: bool
) -> None:
    """Sentence 1 (resistant)."""
    treated = course(observations={"rash_bsa": bsa}, steroids=[("prednisolone", 0, 10, 60)])
    state = classify_response(treated).resistant
    assert state.value is expected
    assert "the last on or before 2020-03-16" in state.evidence[0]


def test_resistant_fewer_than_7_such_days_is_not_resistant_and_says_why() -> None:
    """Sentence 2 (resistant), first clause: only the first run counts."""
    treated = course(
        observations={"rash_bsa": [(0, 60), (20, 30)]},
        steroids=[
            ("prednisolone", 0, 4, 60),
            ("prednisolone", 5, 5, 30),
            ("prednisolone", 6, 20, 60),
        ],
    )
    state = classify_response(treated).resistant
    assert state.value is False
    assert state.evidence == ("the first high-dose run lasted 5 day(s) from 2020-03-10 (< 7)",)


@pytest.mark.parametrize("bsa", [[], [(-2, 60)], [(8, 40)]])
def test_resistant_no_rash_assessment_in_that_window_is_unknown(
    bsa: list[tuple[int, float]],
) -> None:
    """Sentence 2 (resistant), second clause: before the run or after its 7th day is outside."""
    treated = course(observations={"rash_bsa": bsa}, steroids=[("prednisolone", 0, 10, 60)])
    state = classify_response(treated).resistant
    assert state.value is None
    assert "no rash BSA recorded from 2020-03-10 to 2020-03-16" in state.remarks[0]


# --- Flare ------------------------------------------------------------------------------
# "only after that marker has improved since steroid start or since its own last flare (a day
# < 37.5 °C; ALT <= 2 x ULN; eosinophils < 0.5 x 10^9/L; itch or BSA <= 75 % of its highest
# value since then), the first day with temperature >= 38.0 °C, ALT > 2 x ULN, eosinophils
# >= 0.7 x 10^9/L, itch >= its lowest since that improvement + 3, or BSA >= its lowest + 10
# points. A rise before any improvement is worsening, not a flare. The marker must improve
# again before another flare of it counts. "During taper" when a steroid is given that day at
# a PE dose lower than both the course's earlier maximum and the dose of the step before; a
# flare on a day with no steroid after the last dose is "after withdrawal", reported
# separately."


@pytest.mark.parametrize(
    ("code", "series", "flare_day"),
    [
        ("temperature", [(0, 39.0), (2, 37.4), (4, 38.0)], 4),
        ("temperature", [(0, 39.0), (2, 37.5), (4, 38.5)], None),  # 37.5 is not < 37.5
        ("temperature", [(0, 39.0), (2, 37.0), (4, 37.9)], None),  # below 38.0
        ("alt", [(0, 500), (3, 80), (6, 81)], 6),  # ULN 40: <= 80, then > 80
        ("alt", [(0, 500), (3, 81), (6, 200)], None),  # never <= 2 x ULN
        ("eosinophils", [(0, 2.0), (3, 0.49), (6, 0.7)], 6),
        ("eosinophils", [(0, 2.0), (3, 0.5), (6, 0.9)], None),  # 0.5 is not < 0.5
        ("itch_nrs", [(0, 8), (3, 6), (5, 5), (7, 8)], 7),  # <= 6 (75 % of 8); 5 + 3
        ("itch_nrs", [(0, 8), (3, 6), (5, 5), (7, 7.9)], None),  # rise < 3
        ("itch_nrs", [(0, 8), (3, 6.5), (5, 6.5), (7, 9.5)], None),  # 6.5 > 75 % of 8
        ("rash_bsa", [(0, 40), (3, 30), (5, 20), (7, 30)], 7),  # <= 30; 20 + 10
        ("rash_bsa", [(0, 40), (3, 30), (5, 20), (7, 29)], None),
    ],
)
def test_flare_is_the_first_threshold_day_after_that_marker_improved(
    code: str, series: list[tuple[int, float]], flare_day: int | None
) -> None:
    """Sentence 1 (flare): improvement per marker, then the marker's flare threshold."""
    treated = course(observations={code: series}, steroids=[("prednisolone", 0, 20, 60)])
    found = flares(treated)
    assert [(f.on - day(0)).days for f in found] == ([] if flare_day is None else [flare_day])
    if found:
        (flare,) = found
        assert flare.marker == {"temperature": "fever"}.get(code, code)
        assert flare.improved_on == day(3 if code != "temperature" else 2)


def test_flare_improvement_counts_only_since_steroid_start() -> None:
    """Sentence 1 (flare), "improved since steroid start": a pre-steroid peak is not used."""
    treated = course(
        observations={"itch_nrs": [(-3, 10), (0, 6), (2, 7), (4, 10)]},
        steroids=[("prednisolone", 0, 20, 60)],
    )
    assert flares(treated) == ()


def test_flare_a_rise_before_any_improvement_is_worsening_not_a_flare() -> None:
    """Sentence 2 (flare): worsening without a flare, for every marker."""
    treated = course(
        observations={
            "temperature": [(0, 38.0), (3, 39.5)],
            "alt": [(0, 300), (3, 900)],
            "eosinophils": [(0, 0.8), (3, 3.0)],
            "itch_nrs": [(0, 3), (3, 6), (5, 9)],
            "rash_bsa": [(0, 10), (3, 30), (5, 60)],
        },
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 13, 30)],
    )
    result = classify_response(treated)
    assert result.flares == ()
    assert result.dependent.value is False


def test_flare_the_marker_must_improve_again_before_another_flare_counts() -> None:
    """Sentence 3 (flare): not re-armed right after a flare."""
    itch: list[tuple[int, float]] = [
        (0, 8),
        (2, 4),
        (4, 7),
        (6, 6),
        (8, 9),
    ]  # flare on 4; 6 is not <= 75 % of 7
    treated = course(observations={"itch_nrs": itch}, steroids=[("prednisolone", 0, 20, 60)])
    assert summary(flares(treated)) == [("itch_nrs", 4, "on steroid")]
    # Improving again (5 <= 75 % of 9, the highest since the flare) re-arms it.
    again = course(
        observations={"itch_nrs": [*itch, (10, 5), (12, 8)]},
        steroids=[("prednisolone", 0, 20, 60)],
    )
    found = flares(again)
    assert summary(found) == [("itch_nrs", 4, "on steroid"), ("itch_nrs", 12, "on steroid")]
    assert found[1].improved_on == day(10)
    fever = [(0, 39.0), (2, 37.0), (4, 38.5), (5, 38.2), (7, 37.0), (9, 38.1)]
    febrile = course(observations={"temperature": fever}, steroids=[("prednisolone", 0, 20, 60)])
    assert [(f.on - day(0)).days for f in flares(febrile)] == [4, 9]


@pytest.mark.parametrize(
    ("flare_day", "during_taper", "setting"),
    [
        (3, False, "on steroid"),  # starting dose: it is the course's maximum
        (9, True, "during taper"),  # 20 < 60 (earlier maximum) and < 60 (step before)
        (16, False, "on steroid"),  # 40 < 60 but above the step before (20): escalation
    ],
)
def test_flare_during_taper_is_below_the_earlier_maximum_and_the_step_before(
    flare_day: int, during_taper: bool, setting: str
) -> None:
    """Sentence 4 (flare), "during taper" clause."""
    treated = course(
        observations={"alt": [(0, 500), (1, 60), (flare_day, 200)]},
        steroids=TAPER_THEN_ESCALATION,
    )
    (flare,) = flares(treated)
    assert (flare.during_taper, flare.after_withdrawal, flare.setting) == (
        during_taper,
        False,
        setting,
    )
    result = classify_response(treated)
    assert bool(result.taper_flares) is during_taper
    if during_taper:
        assert result.dependent.value is True


def test_flare_during_taper_skips_days_without_steroid_inside_the_course() -> None:
    """Sentence 4 (flare): a stop and a restart lower is still a step down."""
    treated = course(
        observations={"alt": [(0, 500), (1, 60), (8, 50), (10, 200)]},
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 9, 15, 20)],
    )
    assert summary(flares(treated)) == [("alt", 10, "during taper")]
    gap = course(
        observations={"alt": [(0, 500), (1, 60), (8, 200)]},
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 9, 15, 20)],
    )
    (flare,) = flares(gap)
    assert (flare.setting, flare.prednisone_equivalent_mg) == ("no steroid that day", None)


def test_flare_after_the_last_dose_is_after_withdrawal_and_reported_separately() -> None:
    """Sentence 4 (flare), "after withdrawal" clause."""
    treated = course(
        observations={"alt": [(0, 500), (3, 60), (20, 200)]},
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 13, 20)],
    )
    result = classify_response(treated)
    (flare,) = result.flares
    assert (flare.during_taper, flare.after_withdrawal, flare.prednisone_equivalent_mg) == (
        False,
        True,
        None,
    )
    assert flare.setting == "after withdrawal"
    assert result.withdrawal_flares == (flare,)
    assert result.taper_flares == ()
    assert result.dependent.value is False
    assert "1 flare(s) after withdrawal" in result.dependent.remarks[0]
    assert flare.as_record()["setting"] == "after withdrawal"


def test_flare_each_flare_is_one_record_listed_once() -> None:
    """Each flare once: one record per marker and day, with its setting (issue 11)."""
    treated = course(
        observations={
            "itch_nrs": [(0, 8), (3, 4), (9, 9)],
            "rash_bsa": [(0, 70), (3, 20), (9, 60)],
        },
        steroids=[("prednisolone", 0, 6, 60), ("prednisolone", 7, 13, 20)],
    )
    result = classify_response(treated)
    assert summary(result.flares) == [
        ("itch_nrs", 9, "during taper"),
        ("rash_bsa", 9, "during taper"),
    ]
    assert result.taper_flares == result.flares
    assert len({(f.marker, f.on) for f in result.flares}) == len(result.flares)
    record = result.flares[0].as_record()
    assert set(record) >= {"date", "marker", "during_taper", "after_withdrawal", "rule"}
    assert "clinical-reference.md §10" in str(record["rule"])
    assert "after withdrawal" in result.flare_definition


# --- Type 2 profile ---------------------------------------------------------------------
# "either itch NRS >= 7 on >= 2 steroid days, with total IgE > 100 kU/L at any time in the
# episode or eosinophils >= 0.5 x 10^9/L on or before the last of those days; or a recorded
# raised IL-4/IL-13-producing CD4+ T-cell finding on its own. Itch persisting with no
# eosinophilia and IgE never measured -> unknown, not false."


@pytest.mark.parametrize(
    ("itch", "eosinophils", "ige", "expected"),
    [
        ([(0, 9), (7, 8)], [(0, 0.2)], [(40, 150.0)], True),  # IgE at any time (day 40)
        ([(0, 9), (7, 8)], [(0, 0.2)], [(40, 100.0)], False),  # 100 is not > 100
        ([(0, 9), (7, 8)], [(-5, 0.5)], [(1, 50.0)], True),  # eosinophils before the steroid
        ([(0, 9), (7, 8)], [(7, 0.6)], [(1, 50.0)], True),  # on the last itch day
        ([(0, 9), (7, 8)], [(0, 0.2), (8, 0.9)], [(1, 50.0)], False),  # after it
        ([(0, 9), (30, 8)], [(0, 0.9)], [(1, 500.0)], False),  # day 30 is not a steroid day
        ([(0, 9), (7, 6.9)], [(0, 0.9)], [(1, 500.0)], False),  # only one day >= 7
    ],
)
def test_type2_itch_on_2_steroid_days_with_ige_any_time_or_eosinophils_by_the_last(
    itch: list[tuple[int, float]],
    eosinophils: list[tuple[int, float]],
    ige: list[tuple[int, float]],
    expected: bool,
) -> None:
    """Sentence 1 (type 2), first clause."""
    base = course(
        observations={"itch_nrs": itch, "eosinophils": eosinophils},
        steroids=[("prednisolone", 0, 10, 60)],
    )
    treated = with_rows(base, *((n, "total_ige", v, "kU/L") for n, v in ige))
    assert classify_response(treated).type2_profile.value is expected


def test_type2_raised_il4_il13_cd4_finding_on_its_own() -> None:
    """Sentence 1 (type 2), second clause: no itch, IgE or eosinophils needed."""
    treated = with_finding(course(steroids=[("prednisolone", 0, 10, 60)]), "il4_il13_cd4_raised")
    state = classify_response(treated).type2_profile
    assert state.value is True
    assert "IL-4/IL-13" in state.evidence[0]


def test_type2_itch_persisting_no_eosinophilia_ige_never_measured_is_unknown_not_false() -> None:
    """Sentence 2 (type 2)."""
    treated = course(
        observations={"itch_nrs": [(0, 9), (7, 8)], "eosinophils": [(0, 0.2), (7, 0.1)]},
        steroids=[("prednisolone", 0, 10, 60)],
    )
    state = classify_response(treated).type2_profile
    assert state.value is None
    assert state.remarks == ("itch persisting without eosinophilia; total IgE never measured",)
    measured = with_rows(treated, (2, "total_ige", 40.0, "kU/L"))
    assert classify_response(measured).type2_profile.value is False
