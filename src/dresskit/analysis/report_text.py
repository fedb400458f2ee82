"""The words of a report: methods, remarks, references, software and how to cite dresskit.

Methods are written for a clinician: each definition in plain words, with its primary source,
and no program names (the project's definitions page, ``docs/definitions.md``, is shipped
with every report and holds the same definitions with their parameters).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Final

import polars as pl

from dresskit._version import __version__
from dresskit.analysis.baseline import BaselineTable
from dresskit.analysis.course_table import MEIKLE_TYLER_1977, SIM_2022, CourseTable
from dresskit.analysis.formatting import article, plural
from dresskit.bundle import Bundle
from dresskit.display_units import with_unit

__all__ = [
    "INDEX_LABELS",
    "PUBLISHED_DIFFERENCE_NOTE",
    "REFERENCES",
    "MethodEntry",
    "how_to_cite",
    "index_label",
    "methods",
    "remarks",
    "software_versions",
]

#: How each built-in day 0 is said (an agent is said by its name).
INDEX_LABELS: Final = {
    "ivig": "IVIG",
    "steroid": "steroid start",
    "onset": "onset",
    "admission": "admission",
}

#: Said wherever a published summary is compared (the report's purpose is to explain).
PUBLISHED_DIFFERENCE_NOTE: Final = (
    "Censored values (patients lost to follow-up, transferred, or still on treatment at the "
    "end of the record) are left out of the median and range, never counted as 0."
)

_PACKAGES: Final = (
    "polars",
    "pint",
    "scipy",
    "lifelines",
    "tableone",
    "pandas",
    "matplotlib",
    "jinja2",
    "weasyprint",
)

#: Where the definitions live, for readers of the report.
DEFINITIONS_PAGE: Final = "definitions.html"

_SIM: Final = SIM_2022
_SHEN: Final = (
    "Shen C, Wu N, Yang L, Wang B, Liu T, Tao J. Dupilumab as effective therapy for "
    "corticosteroid-dependent/resistant type 2 inflammation-related cutaneous adverse "
    "reactions. J Investig Allergol Clin Immunol. 2024;34(2):145-147."
)
_WILCOXON: Final = (
    "Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin. 1945;1(6):80-83."
)
_KAPLAN_MEIER: Final = (
    "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat "
    "Assoc. 1958;53:457-481."
)
_AALEN_JOHANSEN: Final = (
    "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains "
    "based on censored observations. Scand J Stat. 1978;5:141-150."
)
_LIFELINES: Final = (
    "Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw. "
    "2019;4(40):1317."
)
_TABLEONE: Final = (
    "Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: an open source Python package for "
    "producing summary statistics for research papers. JAMIA Open. 2018;1(1):26-31."
)
_REGISCAR: Final = (
    "Kardaun SH, Sekula P, Valeyrie-Allanore L, et al. Drug reaction with eosinophilia and "
    "systemic symptoms (DRESS): an original multisystem adverse drug reaction. Results from "
    "the prospective RegiSCAR study. Br J Dermatol. 2013;169:1071-1080."
)
_MEIKLE: Final = MEIKLE_TYLER_1977
_SPSS: Final = (
    "IBM Corp. IBM SPSS Statistics Algorithms: NPAR TESTS, Wilcoxon matched-pairs signed-rank test."
)
_STEROID_DEPENDENT: Final = (
    "Ann Allergy Asthma Immunol. 2021;127(6):674 (cyclosporine in corticosteroid-dependent "
    "DRESS; PubMed 34400311)."
)

_PROJECT: Final = (
    "dresskit contributors. Definitions (docs/definitions.md), shipped with this report as its "
    "appendix; clinical reference §10 (project definitions)."
)

#: Every source the methods cite, in the order of first citation (numbered in the report).
REFERENCES: Final = (
    _SIM,
    _MEIKLE,
    _WILCOXON,
    _SPSS,
    _KAPLAN_MEIER,
    _AALEN_JOHANSEN,
    _LIFELINES,
    _SHEN,
    _STEROID_DEPENDENT,
    _TABLEONE,
    _REGISCAR,
    _PROJECT,
)


@dataclass(frozen=True)
class MethodEntry:
    """One definition of the methods: the term, its meaning in words, its primary sources.

    Each of ``sources`` is an entry of :data:`REFERENCES` (the report numbers them).
    """

    term: str
    text: str
    sources: tuple[str, ...]


def index_label(index: str) -> str:
    """How day 0 is said: ``"IVIG"`` for ``"ivig"``, an agent by its name."""
    return INDEX_LABELS.get(index, index)


def how_to_cite(year: int) -> str:
    """Return the line a paper cites dresskit by (authors, title, version, year).

    Examples
    --------
    >>> how_to_cite(2026).startswith("dresskit contributors. dresskit: ")
    True
    """
    return (
        f"dresskit contributors. dresskit: care and study of DRESS syndrome and severe drug "
        f"eruptions, version {__version__}. {year}. Software (see CITATION.cff)."
    )


def software_versions() -> tuple[tuple[str, str], ...]:
    """Return the versions of dresskit, Python and the libraries that computed the report."""
    versions = [("dresskit", __version__), ("python", platform.python_version())]
    for package in _PACKAGES:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, "not installed"))
    return tuple(versions)


def _parameter_lines(table: CourseTable) -> list[str]:
    parameters = table.parameters
    lines = [
        "upper limit of normal for ALT: " + with_unit(f"{parameters['alt_uln_u_per_l']:g}", "U/L"),
        "fever threshold for defervescence: every temperature below "
        + with_unit(f"{parameters['defervescence_below_cel']:g}", "Cel")
        + f" for {plural(int(parameters['defervescence_sustained_days']), 'day')}",
        "eosinophil count taken as normal: below "
        + with_unit(f"{parameters['eosinophils_normal_below_10e9_per_l']:g}", "10*9/L"),
    ]
    for name, value in parameters.items():
        if name.startswith("alt_uln_u_per_l_"):
            sex = name.removeprefix("alt_uln_u_per_l_")
            lines.append(
                f"upper limit of normal for ALT in {sex} patients: {with_unit(f'{value:g}', 'U/L')}"
            )
    return lines


def _sentence(text: str) -> str:
    """Begin with a capital letter and end with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def methods(
    table: CourseTable,
    paired_days: tuple[int, int],
    tolerance: int,
    baseline: BaselineTable,
) -> tuple[MethodEntry, ...]:
    """Every definition and method of the report, in words, each with its primary sources."""
    day0 = index_label(table.index)
    event = "the first IVIG dose" if table.index == "ivig" else f"the first {day0}"
    entries = [
        MethodEntry(
            "Day 0",
            _sentence(
                f"the calendar day of {event} of each episode; days are counted from it, so "
                "an event on that day is at day 0"
            ),
            (_SIM, _PROJECT),
        ),
    ]
    for column in table.columns:
        entries.append(
            MethodEntry(column.label, _sentence(column.definition), (*column.sources, _PROJECT))
        )
    entries += [
        MethodEntry(
            "Thresholds used",
            _sentence("; ".join(_parameter_lines(table))),
            (_PROJECT,),
        ),
        MethodEntry(
            "Summaries",
            "Median (range) over the known values; quartiles by linear interpolation. "
            + PUBLISHED_DIFFERENCE_NOTE,
            (_SIM,),
        ),
        MethodEntry(
            "Before and after day 0",
            f"Each patient's value on day {paired_days[0]:+d} and day {paired_days[1]:+d} "
            f"(or the nearest day within {plural(tolerance, 'day')}, never across day 0); "
            "for temperature the day's highest reading, for laboratory values the day's last. "
            "Compared with the Wilcoxon signed-rank test as SPSS computes it: pairs without a "
            "change left out, ties given their average rank, no continuity correction, "
            "two-sided p from the normal approximation.",
            (_SIM, _WILCOXON, _SPSS),
        ),
        MethodEntry(
            "Time to event",
            "Kaplan-Meier estimate with 95% pointwise confidence intervals and the median "
            "time with its confidence interval. A patient whose event was not seen counts "
            "until the last day with data (died, lost to follow-up, transferred, end of the "
            "record). Where patients died before the event, the cumulative incidence with "
            "death as a competing event (Aalen-Johansen). Episodes with no data after day 0 "
            "are not at risk.",
            (_KAPLAN_MEIER, _AALEN_JOHANSEN, _LIFELINES),
        ),
        MethodEntry(
            "Steroid response",
            "Hyporesponsive, dependent, resistant, flare and type 2 profile as the definitions "
            "page states them (no universally accepted definitions exist; these are the "
            "project's defaults). A flare needs an earlier improvement of the same marker; a "
            "rise before any improvement is worsening, not a flare.",
            (_SIM, _SHEN, _STEROID_DEPENDENT, _PROJECT),
        ),
        MethodEntry("Baseline characteristics", _sentence(baseline.method), (_TABLEONE,)),
        MethodEntry(
            "RegiSCAR score",
            "Computed from each episode's recorded data; an item without data counts as the "
            "instrument counts 'unknown'.",
            (_REGISCAR,),
        ),
    ]
    return tuple(entries)


def remarks(bundle: Bundle, table: CourseTable) -> tuple[str, ...]:
    """Data-quality remarks: episodes left out, columns never recorded, missing weights."""
    found = []
    without_index = bundle.episodes.height - table.rows.height
    day0 = index_label(table.index)
    if without_index:
        found.append(
            f"{plural(without_index, 'episode')} without {article(day0)} event "
            f"{'is' if without_index == 1 else 'are'} not in the course table or the "
            "time-to-event analyses."
        )
    for summary in table.summaries:
        column = next(c for c in table.columns if c.name == summary.column)
        for reason, ids in summary.left_out.items():
            if reason in ("no_data_after_index", "not_measured") and len(ids) == summary.n_episodes:
                found.append(f"{column.label}: not recorded for any episode.")
                break
    no_weight = (
        table.rows.filter(pl.col("steroid_start_mg_per_kg_day_reason") == "no_weight")
        .get_column("episode_id")
        .to_list()
    )
    if no_weight:
        found.append(
            f"{plural(len(no_weight), 'episode')} without a weight recorded by the first "
            "steroid day: the dose per kg is unknown (not estimated)."
        )
    if bundle.manifest.get("synthetic") == "yes":
        found.append(
            "This bundle is labelled synthetic: it is a reconstruction, not patient data "
            f"({bundle.manifest.get('source', 'see its manifest')})."
        )
    return tuple(found)
