"""One canonical form for every drug name of a bundle (class 8 of docs/security.md).

Drug names (``drug_exposures.drug``, ``drug_assessments.drug``) and treatment agents
(``treatments.agent``) are resolved through the shipped vocabulary
(:func:`dresskit.bundle.drugs.resolve_drug_name`): trimmed, case-folded, runs of spaces made
one, then a spelling, salt or brand name resolved to the generic name. ``Allopurinol``,
``allopurinol `` and ``Zyloprim`` are one drug, so the same drug twice in an episode is
caught as a duplicate and a causality assessment finds its drug. A blank name is refused.
Nothing is changed silently: every name read in another form is listed as a warning (once per
written form, with its first row and how many rows hold it), and so is a name outside the
vocabulary (kept as written, lower-case) and an ATC code that the vocabulary gives to another
drug.

References
----------
.. [1] docs/data-format.md, "Drug vocabulary"; WHO Collaborating Centre for Drug Statistics
   Methodology, ATC/DDD Index; WHO International Nonproprietary Names.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from dresskit.bundle.drugs import VOCABULARY_VERSION, entry_for_atc, resolve_drug_name
from dresskit.bundle.problems import _ROW, ProblemCollector
from dresskit.errors import InputError

__all__ = ["DRUG_NAME_COLUMNS", "canonical_drug_names"]

#: The columns holding drug names: (table, column).
DRUG_NAME_COLUMNS: Final = (
    ("drug_exposures", "drug"),
    ("drug_assessments", "drug"),
    ("treatments", "agent"),
)

_HOW: Final = {
    "normalised": "written with other capitals or spaces",
    "synonym": "another spelling, salt or brand name",
}


def canonical_drug_names(
    typed: dict[str, pl.DataFrame], problems: ProblemCollector
) -> dict[str, pl.DataFrame]:
    """Return the tables with every drug name in its canonical form; list what changed.

    Parameters
    ----------
    typed
        The typed tables (each with its row number column).
    problems
        Collects the blank names (errors) and the names read in another form, outside the
        vocabulary or with another drug's ATC code (warnings).

    Returns
    -------
    dict
        The same tables, drug name columns replaced by canonical names.
    """
    tables = dict(typed)
    for table, column in DRUG_NAME_COLUMNS:
        frame = tables.get(table)
        if frame is None or frame.height == 0:
            continue
        canonical: dict[str, str] = {}
        for written in frame.get_column(column).drop_nulls().unique(maintain_order=True):
            rows = frame.filter(pl.col(column) == written).get_column(_ROW)
            try:
                resolved = resolve_drug_name(written)
            except InputError as error:
                for row in rows.head(problems.cap):
                    problems.add(table, row, column, written, error.expected)
                continue
            canonical[written] = resolved.name
            also = f" (and {rows.len() - 1} more row(s))" if rows.len() > 1 else ""
            if resolved.how in _HOW:
                problems.warn(
                    table,
                    rows[0],
                    column,
                    written,
                    f"was read as {resolved.name!r}, {_HOW[resolved.how]} in dresskit's drug "
                    f"vocabulary{also}",
                )
            elif resolved.how == "unlisted" and table != "drug_assessments":
                problems.warn(
                    table,
                    rows[0],
                    column,
                    written,
                    f"is not in dresskit's drug vocabulary (version {VOCABULARY_VERSION}): kept "
                    f"as {resolved.name!r}; check the spelling{also}",
                )
        tables[table] = frame.with_columns(pl.col(column).replace(canonical))
    _atc_of_another_drug(tables["drug_exposures"], problems)
    return tables


def _atc_of_another_drug(exposures: pl.DataFrame, problems: ProblemCollector) -> None:
    """Warn where an ATC code belongs, in the vocabulary, to drugs other than the row's."""
    coded = exposures.filter(pl.col("atc_code").is_not_null() & pl.col("drug").is_not_null())
    for row, drug, atc in coded.select(_ROW, "drug", "atc_code").iter_rows():
        owners = [entry.name for entry in entry_for_atc(atc)]
        if owners and drug not in owners:
            problems.warn(
                "drug_exposures",
                row,
                "atc_code",
                atc,
                f"is the code of {', '.join(owners)} in dresskit's drug vocabulary, not of "
                f"{drug!r}: check the code",
            )
