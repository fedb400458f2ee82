"""Diagnostic scores computed from an episode's own data, showing what fed each item.

RegiSCAR, J-SCAR and Bocquet are scored through :mod:`dresskit.scoring` from the course's
observations and findings; each item lists the observations or findings (date, code, value)
that answered it, and items the course has no data for stay ``"unknown"``. Organ involvement
is taken only from recorded ``organ_involvement`` findings: the per-organ laboratory rules of
Kardaun 2013 are confidence C (clinical-reference.md §1.3), so organs are never derived from
laboratory values here.

References
----------
.. [1] clinical-reference.md §1-3 (instruments), §10 (latency), docs/data-format.md (codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from dresskit.course.culprit import rank_culprits
from dresskit.course.model import Observation, PatientCourse
from dresskit.scoring import ScoreResult, bocquet, jscar, regiscar

__all__ = [
    "ENLARGED_NODE_SITES",
    "RESOLUTION_DAYS",
    "SKIN_EXTENT_OVER_PCT",
    "SUGGESTIVE_FEATURES",
    "UNSPECIFIED_SITE",
    "CourseScore",
    "bocquet_from_course",
    "jscar_from_course",
    "regiscar_from_course",
    "regiscar_observations",
]


#: RegiSCAR item rules applied to a course (Kardaun 2007; clinical-reference.md §1.1, §11):
#: enlarged lymph nodes at this many distinct sites or more answer "yes";
ENLARGED_NODE_SITES: Final = 2
#: the site counted for an enlarged-node finding that names none;
UNSPECIFIED_SITE: Final = "unspecified site"
#: a peak rash extent above this % BSA answers "yes";
SKIN_EXTENT_OVER_PCT: Final = 50
#: this many distinct rash features (facial oedema counting as oedema) answer "yes";
SUGGESTIVE_FEATURES: Final = 2
#: a rash cleared this many days after onset or later, or still present then, answers "yes".
RESOLUTION_DAYS: Final = 15


@dataclass(frozen=True)
class CourseScore:
    """A score computed from a course, with the data behind each item."""

    result: ScoreResult
    answers: Mapping[str, Any]
    provenance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def without_data(self) -> tuple[str, ...]:
        """Items left unknown because the course records nothing for them."""
        return tuple(item for item, sources in self.provenance.items() if not sources)


def _said(observation: Observation) -> str:
    return f"{observation.on} {observation.code} = {observation.value:g} {observation.unit}"


def _peak(course: PatientCourse, code: str) -> Observation | None:
    values = [o for o in course.observations_of(code) if o.value is not None]
    return max(values, key=lambda o: o.value or 0.0) if values else None


def _same_day(course: PatientCourse, code: str, on: date) -> Observation | None:
    values = [o for o in course.observations_of(code) if o.on == on and o.value is not None]
    return values[-1] if values else None


def _findings(course: PatientCourse, code: str) -> list[tuple[date, str, str | None]]:
    return [(f.on, f.value, f.detail) for f in course.findings if f.code == code]


def _fever(course: PatientCourse) -> tuple[Any, tuple[str, ...]]:
    peak = _peak(course, "temperature")
    if peak is None or peak.value is None:
        return "unknown", ()
    return {"max_temperature": {"value": peak.value, "unit": "Cel"}}, (_said(peak),)


def _eosinophils(course: PatientCourse) -> tuple[Any, tuple[str, ...]]:
    peak = _peak(course, "eosinophils")
    if peak is None or peak.value is None:
        return "unknown", ()
    raw: dict[str, float] = {"eosinophils_per_ul": round(peak.value * 1000, 3)}
    sources = [_said(peak)]
    leukocytes = _same_day(course, "leukocytes", peak.on)
    pct = _same_day(course, "eosinophils_pct", peak.on)
    if leukocytes is not None and leukocytes.value is not None:
        raw["wbc_per_ul"] = round(leukocytes.value * 1000, 3)
        sources.append(_said(leukocytes))
        if pct is not None and pct.value is not None:
            raw["eosinophils_pct"] = pct.value
            sources.append(_said(pct))
    return raw, tuple(sources)


def _lymph_nodes(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    rows = _findings(course, "lymph_nodes")
    enlarged = {detail or UNSPECIFIED_SITE for _, value, detail in rows if value == "enlarged"}
    sources = tuple(
        f"{on} lymph_nodes {value} {detail or ''}".strip() for on, value, detail in rows
    )
    if len(enlarged) >= ENLARGED_NODE_SITES:
        return "yes", sources
    if any(value == "normal" for _, value, _ in rows):
        return "no", sources
    return "unknown", sources


def _atypical(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    values = [o for o in course.observations_of("atypical_lymphocytes_pct") if o.value is not None]
    if not values:
        return "unknown", ()
    positive = [o for o in values if (o.value or 0) > 0]
    return ("yes", (_said(positive[0]),)) if positive else ("no", (_said(values[-1]),))


def _extent(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    peak = _peak(course, "rash_bsa")
    if peak is None:
        return "unknown", ()
    return ("yes" if (peak.value or 0) > SKIN_EXTENT_OVER_PCT else "no"), (_said(peak),)


def _suggestive(course: PatientCourse) -> tuple[Any, tuple[str, ...]]:
    features = {value for _, value, _ in _findings(course, "rash_feature")}
    sources = [f"{on} rash_feature {value}" for on, value, _ in _findings(course, "rash_feature")]
    if any(value == "present" for _, value, _ in _findings(course, "facial_oedema")):
        features.add("oedema")
        sources.append("facial_oedema present")
    if len(features) >= SUGGESTIVE_FEATURES:
        return {"features": sorted(features)}, tuple(sources)
    # Fewer than two recorded is not "fewer than two present": the record may be incomplete.
    return "unknown", tuple(sources)


def _biopsy(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    rows = _findings(course, "biopsy")
    if not rows:
        return "unknown", ()
    on, value, _ = rows[-1]
    return ("yes" if value == "suggestive" else "no"), (f"{on} biopsy {value}",)


def _organs(course: PatientCourse) -> tuple[Any, tuple[str, ...]]:
    rows = _findings(course, "organ_involvement")
    if not rows:
        return "unknown", ()
    organs = sorted({value for _, value, _ in rows})
    return organs, tuple(f"{on} organ_involvement {value}" for on, value, _ in rows)


def _resolution(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    onset = course.episode.onset
    assessments = [o for o in course.observations_of("rash_bsa") if o.value is not None]
    cleared = next((o for o in assessments if o.value == 0), None)
    if cleared is not None:
        days = (cleared.on - onset).days
        return ("yes" if days >= RESOLUTION_DAYS else "no"), (
            f"{_said(cleared)} ({days} days after onset)",
        )
    lasting = [o for o in assessments if (o.on - onset).days >= RESOLUTION_DAYS]
    if lasting:
        return "yes", (
            f"{_said(lasting[0])}: rash still present {RESOLUTION_DAYS} days after onset",
        )
    return "unknown", ()


def _other_causes(course: PatientCourse) -> tuple[Any, tuple[str, ...]]:
    rows = _findings(course, "other_cause_test")
    if not rows:
        return "unknown", ()
    tests = {detail: value for _, value, detail in rows if detail}
    return {"tests": tests}, tuple(f"{on} {detail} {value}" for on, value, detail in rows)


def regiscar_observations(observations: pl.DataFrame) -> pl.DataFrame:
    """Keep only the observation rows :func:`regiscar_from_course` can read, in their order.

    RegiSCAR reads the peak temperature, the peak eosinophil count with the leukocyte count
    and eosinophil percentage of that day, every atypical lymphocyte count and every rash BSA
    (extent and resolution). Every row that can be the peak (ties included) and every row of
    a peak day is kept, in the original order, so scoring a course built from the kept rows
    gives exactly the result of the full course (a test checks this); a cohort is then
    scored without building tens of observations per day into every course.

    ``observations`` has the bundle's columns (``episode_id``, ``date``, ``code``, ``value``).
    """
    code, value = pl.col("code"), pl.col("value")
    indexed = observations.with_row_index("__order")
    peaks = indexed.filter(
        code.is_in(["temperature", "eosinophils"])
        & (value == value.max().over("episode_id", "code"))
    )
    peak_days = peaks.filter(code == "eosinophils").select("episode_id", "date").unique()
    same_day = indexed.filter(code.is_in(["leukocytes", "eosinophils_pct"])).join(
        peak_days, on=["episode_id", "date"], how="semi"
    )
    every = indexed.filter(code.is_in(["atypical_lymphocytes_pct", "rash_bsa"]))
    return pl.concat([peaks, same_day, every]).sort("__order").drop("__order")


def regiscar_from_course(course: PatientCourse) -> CourseScore:
    """Score RegiSCAR from the episode's observations and findings (see module docstring)."""
    builders = {
        "fever": _fever,
        "lymph_nodes": _lymph_nodes,
        "eosinophilia": _eosinophils,
        "atypical_lymphocytes": _atypical,
        "skin_extent_over_50pct": _extent,
        "skin_suggestive": _suggestive,
        "biopsy_suggestive": _biopsy,
        "organ_involvement": _organs,
        "resolution_15_days": _resolution,
        "other_causes_excluded": _other_causes,
    }
    answers, provenance = {}, {}
    for item, build in builders.items():
        answers[item], provenance[item] = build(course)
    source = f"episode {course.episode.episode_id}"
    return CourseScore(regiscar.score(answers, source=source), answers, provenance)


def jscar_from_course(course: PatientCourse) -> CourseScore:
    """Apply J-SCAR to the episode; latency and withdrawal use the top-ranked suspect drug."""
    answers: dict[str, Any] = {}
    provenance: dict[str, tuple[str, ...]] = {}
    suspects = [c for c in rank_culprits(course) if c.role == "suspect"]
    top = suspects[0] if suspects else None
    if top is not None and top.latency_days is not None:
        answers["rash_latency_over_3_weeks"] = {"latency_days": max(0, top.latency_days)}
        provenance["rash_latency_over_3_weeks"] = (f"{top.drug}: {top.latency_days} days",)
    else:
        answers["rash_latency_over_3_weeks"], provenance["rash_latency_over_3_weeks"] = (
            "unknown",
            (),
        )
    answers["prolonged_after_withdrawal"], provenance["prolonged_after_withdrawal"] = _prolonged(
        course, top.drug if top else None
    )
    fever = _peak(course, "temperature")
    answers["fever"] = (
        {"max_temperature": {"value": fever.value, "unit": "Cel"}}
        if fever is not None
        else "unknown"
    )
    provenance["fever"] = (_said(fever),) if fever is not None else ()
    alt = _peak(course, "alt")
    organs = {value for _, value, _ in _findings(course, "organ_involvement")}
    if alt is not None or organs:
        other = "yes" if organs - {"liver"} else ("no" if organs else "unknown")
        answers["liver_abnormality"] = {"other_organ_involvement": other} | (
            {"alt_u_per_l": alt.value} if alt is not None else {}
        )
        # No organ finding: say so (other organ involvement is then unknown), not "organs: ".
        organ_text = ", ".join(sorted(organs)) if organs else "none recorded"
        provenance["liver_abnormality"] = tuple(
            ([_said(alt)] if alt is not None else []) + [f"organ involvement: {organ_text}"]
        )
    else:
        answers["liver_abnormality"], provenance["liver_abnormality"] = "unknown", ()
    leukocyte_raw: dict[str, float] = {}
    leukocyte_sources = []
    for code, key, scale in (
        ("leukocytes", "wbc_per_ul", 1000.0),
        ("atypical_lymphocytes_pct", "atypical_lymphocytes_pct", 1.0),
        ("eosinophils", "eosinophils_per_ul", 1000.0),
    ):
        peak = _peak(course, code)
        if peak is not None and peak.value is not None:
            leukocyte_raw[key] = round(peak.value * scale, 3)
            leukocyte_sources.append(_said(peak))
    answers["leukocyte_abnormality"] = leukocyte_raw or "unknown"
    provenance["leukocyte_abnormality"] = tuple(leukocyte_sources)
    nodes = _findings(course, "lymph_nodes")
    answers["lymphadenopathy"] = (
        "yes" if any(v == "enlarged" for _, v, _ in nodes) else "no" if nodes else "unknown"
    )
    provenance["lymphadenopathy"] = tuple(f"{on} lymph_nodes {v}" for on, v, _ in nodes)
    answers["hhv6_reactivation"], provenance["hhv6_reactivation"] = _hhv6(course)
    source = f"episode {course.episode.episode_id}"
    return CourseScore(jscar.score(answers, source=source), answers, provenance)


def _prolonged(course: PatientCourse, drug: str | None) -> tuple[str, tuple[str, ...]]:
    exposure = next((d for d in course.drugs if d.drug == drug), None)
    if exposure is None or exposure.stop is None:
        return "unknown", ()
    after = exposure.stop + timedelta(days=14)
    signs = [
        o
        for o in course.observations
        if o.on >= after
        and o.value is not None
        and ((o.code == "temperature" and o.value > 38.0) or (o.code == "rash_bsa" and o.value > 0))
    ]
    if signs:
        return "yes", (f"{_said(signs[0])} (>= 14 days after stopping {drug})",)
    cleared = next((o for o in course.observations_of("rash_bsa") if o.value == 0), None)
    if cleared is not None and cleared.on > after:
        return "yes", (
            f"rash first recorded clear on {cleared.on}, > 14 days after stopping "
            f"{drug} on {exposure.stop}",
        )
    if course.episode.last_follow_up >= after and any(o.on >= after for o in course.observations):
        return "no", (f"no fever or rash recorded >= 14 days after stopping {drug}",)
    return "unknown", ()


def _hhv6(course: PatientCourse) -> tuple[str, tuple[str, ...]]:
    pcr = [o for o in course.observations_of("hhv6_pcr") if o.text or o.value]
    findings = _findings(course, "hhv6_reactivation")
    if any(o.text == "positive" for o in pcr) or any(v == "present" for _, v, _ in findings):
        return "yes", tuple(f"{o.on} hhv6_pcr {o.text}" for o in pcr)
    if pcr or findings:
        return "no", tuple(f"{o.on} hhv6_pcr {o.text}" for o in pcr)
    return "unknown", ()


def bocquet_from_course(course: PatientCourse) -> CourseScore:
    """Apply the Bocquet criteria to the episode.

    Systemic sites from findings: liver with ALT >= 2 x ULN (80 U/L) -> hepatitis; kidney ->
    interstitial nephritis, lung -> interstitial pneumonitis, heart_muscle -> carditis (the
    finding records organ involvement; the clinician confirms the lesion type).
    """
    rash = _findings(course, "rash")
    bsa = _peak(course, "rash_bsa")
    eruption = (
        "yes"
        if any(v == "present" for _, v, _ in rash) or (bsa and (bsa.value or 0) > 0)
        else "no"
        if rash
        else "unknown"
    )
    organs = {value for _, value, _ in _findings(course, "organ_involvement")}
    alt = _peak(course, "alt")
    sites = []
    if "liver" in organs and alt is not None and (alt.value or 0) >= 80:
        sites.append("hepatitis")
    sites += [
        site
        for organ, site in (
            ("kidney", "interstitial_nephritis"),
            ("lung", "interstitial_pneumonitis"),
            ("heart_muscle", "carditis"),
        )
        if organ in organs
    ]
    systemic: Any = sites if sites else ("unknown" if not organs else [])
    eos = _peak(course, "eosinophils")
    atypical, atypical_sources = _atypical(course)
    haematological: Any = "unknown"
    if eos is not None or atypical != "unknown":
        haematological = {"atypical_lymphocytes": atypical} | (
            {"eosinophils_per_ul": round((eos.value or 0) * 1000, 3)} if eos is not None else {}
        )
    answers = {
        "cutaneous_eruption": eruption,
        "systemic_involvement": systemic,
        "haematological": haematological,
    }
    provenance = {
        "cutaneous_eruption": tuple(f"{on} rash {v}" for on, v, _ in rash)
        + ((_said(bsa),) if bsa is not None else ()),
        "systemic_involvement": tuple(f"organ_involvement {o}" for o in sorted(organs))
        + ((_said(alt),) if alt is not None else ()),
        "haematological": ((_said(eos),) if eos is not None else ()) + atypical_sources,
    }
    source = f"episode {course.episode.episode_id}"
    return CourseScore(bocquet.score(answers, source=source), answers, provenance)
