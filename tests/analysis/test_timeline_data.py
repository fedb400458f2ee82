"""The timeline as plain data: the stored values, in their units, on the day axis."""

from __future__ import annotations

import json
import re
from datetime import date, time
from pathlib import Path

import pytest

from dresskit.analysis.episode_view import ReaderNames, reader_course, reader_timeline
from dresskit.analysis.timeline import course_timeline
from dresskit.analysis.timeline_data import timeline_data
from dresskit.bundle import read_bundle
from dresskit.course.model import PatientCourse

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def shen() -> PatientCourse:
    return read_bundle(EXAMPLES / "shen2024").course("SHEN")


@pytest.fixture(scope="module")
def sim01() -> PatientCourse:
    return read_bundle(EXAMPLES / "sim2022").course("SIM01")


def _series(data: dict[str, object], code: str) -> dict[str, object]:
    for panel in data["panels"]:  # type: ignore[attr-defined]
        for series in panel["series"]:
            if series["code"] == code:
                return series  # type: ignore[no-any-return]
    raise KeyError(code)


def _day(on: date, at: time | None, day0: date) -> float:
    fraction = 0.0 if at is None else round((at.hour * 60 + at.minute) / 1440, 6)
    return (on - day0).days + fraction


def test_every_series_holds_the_stored_values_in_their_canonical_unit(
    sim01: PatientCourse,
) -> None:
    data = timeline_data(course_timeline(sim01, index="onset"), sim01, identified=True)
    for code, unit, symbol in (
        ("temperature", "Cel", "°C"),
        ("alt", "U/L", "U/L"),
        ("eosinophils", "10*9/L", "×10⁹/L"),
    ):
        stored = [o for o in sim01.observations_of(code) if o.value is not None]
        series = _series(data, code)
        assert series["values"] == [o.value for o in stored]
        assert series["days"] == [_day(o.on, o.at, sim01.episode.onset) for o in stored]
        assert (series["unit"], series["symbol"]) == (unit, symbol)


def test_a_code_never_measured_has_no_series_rather_than_zeros(sim01: PatientCourse) -> None:
    data = timeline_data(course_timeline(sim01, index="onset"), sim01, identified=True)
    codes = {s["code"] for panel in data["panels"] for s in panel["series"]}
    assert not sim01.observations_of("total_ige")
    assert "total_ige" not in codes
    assert not sim01.observations_of("itch_nrs")
    assert "itch_nrs" not in codes


def test_the_steroid_series_is_the_daily_prednisone_equivalent(shen: PatientCourse) -> None:
    timeline = course_timeline(shen, index="onset")
    steroid = _series(timeline_data(timeline, shen, identified=True), "prednisone_equivalent")
    assert timeline.steroid is not None
    assert steroid["days"] == list(timeline.steroid.days)
    assert steroid["values"] == list(timeline.steroid.prednisone_equivalent_mg)
    assert steroid["symbol"] == "mg/day"


def test_drugs_ivig_and_biologics_are_lanes_and_doses(shen: PatientCourse) -> None:
    data = timeline_data(course_timeline(shen, index="onset"), shen, identified=True)
    lanes = {lane["lane"]: lane for lane in data["lanes"]}
    assert lanes["oxcarbazepine"]["kind"] == "drug"
    assert lanes["oxcarbazepine"]["bars"][0]["start"] == -90
    assert lanes["dupilumab"]["kind"] == "biologic"
    assert lanes["IVIG"]["kind"] == "ivig"
    assert _series(data, "ivig_g")["values"] == [20.0] * 7
    assert _series(data, "biologic:dupilumab")["values"][0] == 600.0
    assert data["first_day"] == -90


def test_day_0_follows_the_index_event(shen: PatientCourse) -> None:
    data = timeline_data(course_timeline(shen, index="dupilumab"), shen, identified=True)
    assert data["index_date"] == "2022-03-02"
    assert data["onset_day"] == -58


def test_a_de_identified_reader_gets_no_date_and_no_id(shen: PatientCourse) -> None:
    names = ReaderNames(False, "0123456789abcdef", "fedcba9876543210", "south")
    data = timeline_data(
        reader_timeline(shen, names, index="onset"),
        reader_course(shen, names),
        identified=False,
    )
    text = json.dumps(data)
    assert data["index_date"] is None
    assert data["episode"] == "0123456789abcdef"
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert "SHEN" not in text
