"""One course's timeline as plain data, for interactive charts (the patient page's JSON).

:func:`timeline_data` turns a :class:`~dresskit.analysis.timeline.CourseTimeline` (the same
layout the report's timeline figure draws, :mod:`dresskit.analysis.figures.timeline`) and the
course's drug exposures into JSON-ready values: lanes of bars (drugs, steroids, IVIG,
biologics, other agents), and panels of series sharing one day axis (day 0 = the index event):
the daily prednisone-equivalent steroid dose, IVIG and biologic doses, temperature and ALT,
eosinophils and total IgE, itch NRS and rash BSA. Each series carries its UCUM unit and the
symbol people read (:func:`dresskit.display_units.display_unit`); values are the stored ones,
in canonical units, never rounded. Unknown stays unknown: a value never measured is absent,
and a series without any value is left out (never a 0).

References
----------
.. [1] Shen C et al. J Investig Allergol Clin Immunol. 2024;34(2):145-147, Figure (the panels).
.. [2] clinical-reference.md §8 (prednisone equivalents), §9.2 (biologic schedules), §10.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from dresskit.analysis.timeline import CourseTimeline, ObservationSeries, TreatmentBar
from dresskit.course.model import PatientCourse
from dresskit.display_units import display_unit

__all__ = ["SERIES_PANELS", "timeline_data"]

#: Panels of observation series: id -> (title, codes), top to bottom after the treatments.
SERIES_PANELS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "fever_liver": ("Temperature and ALT", ("temperature", "alt")),
    "labs": ("Eosinophils and total IgE", ("eosinophils", "total_ige")),
    "skin": ("Itch and rash", ("itch_nrs", "rash_bsa")),
}


def _series(
    code: str, label: str, unit: str, days: Sequence[float], values: Sequence[float], **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "label": label,
        "unit": unit,
        "symbol": display_unit(unit),
        "days": list(days),
        "values": list(values),
        **extra,
    }


def _observation(series: ObservationSeries) -> dict[str, Any]:
    return _series(series.code, series.label, series.unit, series.days, series.values)


def _bar(bar: TreatmentBar) -> dict[str, Any]:
    return {
        "start": bar.start_day,
        "end": bar.end_day,
        "running": bar.running,
        "text": bar.dose_text or bar.agent,
    }


def _drug_lanes(course: PatientCourse, day0: date) -> tuple[list[dict[str, Any]], list[str]]:
    """Lanes of the drug exposures, and the drugs that cannot be drawn (no start date)."""
    lanes: dict[str, dict[str, Any]] = {}
    undated = []
    last = course.episode.last_follow_up
    for exposure in sorted(course.drugs, key=lambda d: (d.start or date.max, d.drug)):
        if exposure.start is None:
            undated.append(f"{exposure.drug} ({exposure.role.value}): start date not recorded")
            continue
        lane = lanes.setdefault(
            exposure.drug,
            {"lane": exposure.drug, "kind": "drug", "role": exposure.role.value, "bars": []},
        )
        running = exposure.stop is None
        lane["bars"].append(
            {
                "start": (exposure.start - day0).days,
                "end": ((exposure.stop or last) - day0).days,
                "running": running,
                "text": f"{exposure.drug} ({exposure.role.value})"
                + ("; stop date not recorded" if running else ""),
            }
        )
    return list(lanes.values()), undated


def timeline_data(
    timeline: CourseTimeline, course: PatientCourse, *, identified: bool
) -> dict[str, Any]:
    """Return the timeline as JSON-ready data for the patient page's charts.

    Parameters
    ----------
    timeline
        :func:`dresskit.analysis.timeline.course_timeline` of ``course``.
    course
        The course the timeline was laid out from (its drug exposures become lanes): for a
        de-identified reader, the masked course
        (:func:`dresskit.analysis.episode_masking.masked_course`).
    identified
        Whether the reader sees dates: only then is day 0's calendar date included.

    Returns
    -------
    dict
        ``episode``, ``index``, ``index_label``, ``index_date`` (ISO text, or ``None`` for a
        de-identified reader), ``axis`` (the x axis in words), ``first_day`` and ``last_day``
        (the range with data), ``onset_day``, ``admission_day``, ``last_follow_up_day``,
        ``lanes`` (each ``lane``, ``kind``, ``bars`` with ``start``, ``end`` day inclusive,
        ``running``, ``text``), ``undated`` (drugs not drawn, and why), ``panels`` (each
        ``id``, ``title``, ``series``: ``code``, ``label``, ``unit`` (UCUM), ``symbol``,
        ``days``, ``values``), ``flares`` and ``biologic_doses``.
    """
    day0 = timeline.index_date
    lanes, undated = _drug_lanes(course, day0)
    by_lane: dict[str, dict[str, Any]] = {}
    for bar in timeline.bars:
        lane = by_lane.setdefault(bar.lane, {"lane": bar.lane, "kind": bar.kind, "bars": []})
        lane["bars"].append(_bar(bar))
    lanes += list(by_lane.values())
    panels: list[dict[str, Any]] = []
    if timeline.steroid is not None:
        steroid = timeline.steroid
        panels.append(
            {
                "id": "steroid",
                "title": "Systemic steroid (prednisone equivalent)",
                "series": [
                    _series(
                        "prednisone_equivalent",
                        "Prednisone equivalent",
                        "mg/d",
                        steroid.days,
                        steroid.prednisone_equivalent_mg,
                        step=True,
                    )
                ],
            }
        )
    doses: list[dict[str, Any]] = []
    per_kg = [(d.on, d.dose_g_per_kg) for d in course.ivig if d.dose_g_per_kg is not None]
    grams = [(d.on, d.dose_g) for d in course.ivig if d.dose_g is not None]
    for code, label, unit, rows in (
        ("ivig_g_per_kg", "IVIG", "g/kg/d", per_kg),
        ("ivig_g", "IVIG", "g/d", grams),
    ):
        if rows:
            ordered = sorted(rows)
            doses.append(
                _series(
                    code,
                    label,
                    unit,
                    [(on - day0).days for on, _ in ordered],
                    [value for _, value in ordered],
                    bars=True,
                )
            )
    by_agent: dict[str, list[tuple[int, float]]] = {}
    for mark in timeline.biologic_doses:
        by_agent.setdefault(mark.agent, []).append((mark.day, mark.dose_mg))
    for agent, marks in by_agent.items():
        doses.append(
            _series(
                f"biologic:{agent}",
                agent,
                "mg",
                [day for day, _ in marks],
                [dose for _, dose in marks],
                bars=True,
            )
        )
    if doses:
        panels.append({"id": "doses", "title": "IVIG and biologic doses", "series": doses})
    for panel, (title, codes) in SERIES_PANELS.items():
        found = [timeline.series_of(code) for code in codes]
        series = [_observation(item) for item in found if item is not None]
        if series:
            panels.append({"id": panel, "title": title, "series": series})
    return {
        "episode": timeline.episode_id,
        "index": timeline.index,
        "index_label": timeline.index_label,
        "index_date": day0.isoformat() if identified else None,
        "axis": f"days since {timeline.index_label} (day 0)",
        "first_day": min(
            [timeline.first_day, *(bar["start"] for lane in lanes for bar in lane["bars"])]
        ),
        "last_day": timeline.last_data_day,
        "onset_day": timeline.onset_day,
        "admission_day": timeline.admission_day,
        "last_follow_up_day": timeline.last_follow_up_day,
        "lanes": lanes,
        "undated": undated,
        "panels": panels,
        "flares": [
            {
                "day": flare.day,
                "markers": list(flare.markers),
                "during_taper": flare.during_taper,
                "prednisone_equivalent_mg": flare.prednisone_equivalent_mg,
            }
            for flare in timeline.flares
        ],
        "biologic_doses": [
            {"agent": mark.agent, "day": mark.day, "dose_mg": mark.dose_mg, "loading": mark.loading}
            for mark in timeline.biologic_doses
        ],
    }
