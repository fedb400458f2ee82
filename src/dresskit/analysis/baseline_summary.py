"""Baseline characteristics as a "Table 1", through tableone, in tableone's grouped layout.

:func:`baseline_table` summarises :func:`dresskit.analysis.baseline.baseline_frame` with
tableone (Pollard et al. 2018): each variable once, its levels indented under it, a yes/no
variable as one row, the decimals each number needs, levels in a clinical order; suspect
drugs with their ATC code (from the drug vocabulary) and ATC groups with their WHO names.
Numbers stay numbers (:meth:`BaselineTable.to_frame`): counts as integers in CSV and XLSX.

References
----------
.. [1] Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: An open source Python package for
   producing summary statistics for research papers. JAMIA Open. 2018;1(1):26-31.
.. [2] WHO Collaborating Centre for Drug Statistics Methodology. ATC classification index
   (ATC level 2 group names). https://atcddd.fhi.no/atc_ddd_index/
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from dresskit.bundle.drugs import vocabulary
from dresskit.display_units import display_unit

__all__ = [
    "ATC_GROUPS",
    "BaselineRow",
    "BaselineTable",
    "atc_group_name",
    "baseline_table",
]

#: ATC level 2 (therapeutic subgroup) names, as the WHO ATC index prints them (lower case),
#: for every group of the drug vocabulary (bundle/data/drug_vocabulary.csv) [3]; a group not
#: listed is shown by its code and says so.
ATC_GROUPS: Final = {
    "A01": "stomatological preparations",
    "A02": "drugs for acid related disorders",
    "A03": "drugs for functional gastrointestinal disorders",
    "A04": "antiemetics and antinauseants",
    "A07": "antidiarrheals, intestinal anti-inflammatory/anti-infective agents",
    "A10": "drugs used in diabetes",
    "B01": "antithrombotic agents",
    "B03": "antianemic preparations",
    "C01": "cardiac therapy",
    "C02": "antihypertensives",
    "C03": "diuretics",
    "C05": "vasoprotectives",
    "C07": "beta blocking agents",
    "C08": "calcium channel blockers",
    "C09": "agents acting on the renin-angiotensin system",
    "C10": "lipid modifying agents",
    "D01": "antifungals for dermatological use",
    "D04": "antipruritics, incl. antihistamines, anesthetics, etc.",
    "D06": "antibiotics and chemotherapeutics for dermatological use",
    "D07": "corticosteroids, dermatological preparations",
    "D10": "anti-acne preparations",
    "D11": "other dermatological preparations",
    "G01": "gynecological antiinfectives and antiseptics",
    "G02": "other gynecologicals",
    "G04": "urologicals",
    "H02": "corticosteroids for systemic use",
    "H03": "thyroid therapy",
    "J01": "antibacterials for systemic use",
    "J02": "antimycotics for systemic use",
    "J04": "antimycobacterials",
    "J05": "antivirals for systemic use",
    "J06": "immune sera and immunoglobulins",
    "L01": "antineoplastic agents",
    "L04": "immunosuppressants",
    "M01": "anti-inflammatory and antirheumatic products",
    "M02": "topical products for joint and muscular pain",
    "M04": "antigout preparations",
    "M05": "drugs for treatment of bone diseases",
    "N01": "anesthetics",
    "N02": "analgesics",
    "N03": "antiepileptics",
    "N05": "psycholeptics",
    "N06": "psychoanaleptics",
    "P01": "antiprotozoals",
    "P02": "anthelmintics",
    "R01": "nasal preparations",
    "R02": "throat preparations",
    "R03": "drugs for obstructive airway diseases",
    "R05": "cough and cold preparations",
    "R06": "antihistamines for systemic use",
    "S01": "ophthalmologicals",
    "S02": "otologicals",
    "S03": "ophthalmological and otological preparations",
    "V04": "diagnostic agents",
    "V08": "contrast media",
}

_LABELS: Final = {
    "age_years": "Age, years",
    "sex": "Sex",
    "phenotype": "Phenotype",
    "suspect_drugs": "Suspect drugs (ATC code)",
    "suspect_atc_groups": "ATC group of the suspect drugs",
    "latency_days": "Latency, suspect drug to onset, days",
    "organs_involved": "Organs involved (findings), n",
    "liver_involvement": "Liver involvement",
    "kidney_involvement": "Kidney involvement",
    "peak_temperature_cel": f"Peak temperature, {display_unit('Cel')}",
    "peak_eosinophils_10e9_per_l": f"Peak eosinophils, {display_unit('10*9/L')}",
    "peak_alt_u_per_l": f"Peak ALT, {display_unit('U/L')}",
    "peak_creatinine_mg_per_dl": f"Peak creatinine, {display_unit('mg/dL')}",
    "peak_total_ige_ku_per_l": f"Peak total IgE, {display_unit('kU/L')}",
    "hhv6_reactivation": "HHV-6 reactivation",
    "regiscar_total": "RegiSCAR score (from recorded data)",
    "regiscar_class": "RegiSCAR class (from recorded data)",
    "regiscar_items_unknown": "RegiSCAR items without data, n",
}


@dataclass(frozen=True)
class BaselineRow:
    """One row of the baseline table, as numbers and as printed.

    A variable's first row carries its label and ``missing``; a categorical variable with
    several levels has a header row (``level`` empty, no numbers) and one row per level;
    a yes/no variable is one row (the "yes" count). Numbers stay numbers: ``n`` (episodes in
    the level), ``percent`` (of the episodes with data), ``median``, ``q1``, ``q3``,
    ``minimum`` and ``maximum``; ``text`` is tableone's printed cell.
    """

    variable: str
    level: str
    missing: int | None
    text: str
    n: int | None = None
    percent: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def is_level(self) -> bool:
        """Whether the row is a level under its variable (printed indented)."""
        return bool(self.level) and not self.variable


@dataclass(frozen=True)
class BaselineTable:
    """The baseline table in tableone's grouped layout, with its numbers."""

    rows: tuple[BaselineRow, ...]
    n: int
    method: str
    not_recorded: tuple[str, ...] = ()
    #: The exact tableone arguments used (decimals, limit, order), for the methods.
    arguments: Mapping[str, object] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        """Return the table as a polars frame: counts as integers, summaries as numbers.

        Columns: ``variable``, ``level``, ``missing`` (Int64), ``n`` (Int64), ``percent``,
        ``median``, ``q1``, ``q3``, ``minimum``, ``maximum`` (Float64) and ``text`` (the
        printed cell). Written to XLSX, every count is a numeric cell.
        """
        return pl.DataFrame(
            [
                {
                    "variable": row.variable,
                    "level": row.level,
                    "missing": row.missing,
                    "n": row.n,
                    "percent": row.percent,
                    "median": row.median,
                    "q1": row.q1,
                    "q3": row.q3,
                    "minimum": row.minimum,
                    "maximum": row.maximum,
                    "text": row.text,
                }
                for row in self.rows
            ],
            schema={
                "variable": pl.Utf8,
                "level": pl.Utf8,
                "missing": pl.Int64,
                "n": pl.Int64,
                "percent": pl.Float64,
                "median": pl.Float64,
                "q1": pl.Float64,
                "q3": pl.Float64,
                "minimum": pl.Float64,
                "maximum": pl.Float64,
                "text": pl.Utf8,
            },
        )

    def as_frame(self) -> pl.DataFrame:
        """Return :meth:`to_frame` (the earlier name)."""
        return self.to_frame()


#: Yes/no variables: one row each ("yes"); "unknown" is counted as missing.
_YES_NO: Final = ("liver_involvement", "kidney_involvement", "hhv6_reactivation")

#: Level orders passed to tableone (others: tableone's order).
_ORDER: Final = {
    "sex": ["female", "male", "other", "unknown"],
    "regiscar_class": ["definite", "probable", "possible", "no case", "not scored", "unknown"],
    **{name: ["yes", "no"] for name in _YES_NO},
}

#: tableone's label suffixes (label_suffix=True).
_SUFFIXES: Final = (", n (%)", ", median [min,max]", ", median [Q1,Q3]", ", mean (SD)")


def atc_group_name(code: str) -> str:
    """Return an ATC level-2 code with its WHO name (``"N03 antiepileptics"``).

    Examples
    --------
    >>> atc_group_name("N03"), atc_group_name("Z99")
    ('N03 antiepileptics', 'Z99 (ATC group not named in dresskit)')
    """
    name = ATC_GROUPS.get(code)
    return f"{code} {name}" if name else f"{code} (ATC group not named in dresskit)"


def _drug_with_atc(name: str) -> str:
    """``carbamazepine (N03AF01)``: the drug and its first ATC code from the vocabulary."""
    entry = vocabulary().get(name)
    return f"{name} ({entry.atc_codes[0]})" if entry is not None and entry.atc_codes else name


def _named_levels(frame: pl.DataFrame) -> pl.DataFrame:
    """Name the drug levels (drug with ATC code; ATC group with its name)."""
    named = frame
    if "suspect_drugs" in frame.columns:
        named = named.with_columns(
            pl.col("suspect_drugs")
            .str.split(", ")
            .list.eval(pl.element().map_elements(_drug_with_atc, return_dtype=pl.Utf8))
            .list.join(", ")
        )
    if "suspect_atc_groups" in frame.columns:
        named = named.with_columns(
            pl.when(pl.col("suspect_atc_groups") == "unknown")
            .then(pl.col("suspect_atc_groups"))
            .otherwise(
                pl.col("suspect_atc_groups")
                .str.split(", ")
                .list.eval(pl.element().map_elements(atc_group_name, return_dtype=pl.Utf8))
                .list.join("; ")
            )
        )
    for name in _YES_NO:
        if name in named.columns:
            named = named.with_columns(
                pl.when(pl.col(name) == "unknown").then(None).otherwise(pl.col(name)).alias(name)
            )
    return named


def _numbers(
    data: pl.DataFrame, name: str, level: str, categorical: bool
) -> dict[str, float | int | None]:
    values = data.get_column(name)
    if categorical:
        known = values.drop_nulls()
        count = int((known == level).sum()) if level else None
        percent = 100.0 * count / known.len() if count is not None and known.len() else None
        return {"n": count, "percent": percent}
    known_numbers = values.drop_nulls().cast(pl.Float64)
    if known_numbers.len() == 0:
        return {}
    stats = (
        known_numbers.to_frame("x")
        .select(
            pl.col("x").median().alias("median"),
            pl.col("x").quantile(0.25, interpolation="linear").alias("q1"),
            pl.col("x").quantile(0.75, interpolation="linear").alias("q3"),
            pl.col("x").min().alias("minimum"),
            pl.col("x").max().alias("maximum"),
        )
        .row(0, named=True)
    )
    return {"n": known_numbers.len(), **stats}


def baseline_table(frame: pl.DataFrame) -> BaselineTable:
    """Summarise :func:`baseline_frame` with tableone, in tableone's grouped layout.

    Continuous columns (numbers) are non-normal: median [min, max], each with the decimals
    its recorded values need (:func:`dresskit.analysis.formatting.column_decimals`); the
    others are categorical: n (%) of the episodes with data, with ``"unknown"`` a level of
    its own, except the yes/no variables (liver, kidney, HHV-6), which are one row ("yes")
    with "unknown" counted as missing. Suspect drugs print with their ATC code and ATC groups
    with their WHO names. The exact call is ``TableOne(data, columns=..., categorical=...,
    nonnormal=..., min_max=..., missing=True, pval=False, rename=labels, decimals=...,
    limit=..., order=..., include_null=False)``; :attr:`BaselineTable.arguments` holds the
    ``decimals``, ``limit`` and ``order`` used.

    References
    ----------
    .. [1] Pollard TJ, et al. JAMIA Open. 2018;1(1):26-31 (tableone, its arguments).
    """
    from tableone import TableOne  # imported here: a large import only reports need

    from dresskit.analysis.formatting import column_decimals

    # A number recorded for no episode is left out (and said so), not summarised as "nan".
    # So is a yes/no variable known for no episode (its one row would have nothing to count).
    empty = [
        name
        for name in _LABELS
        if name in frame.columns
        and (
            (frame.schema[name] != pl.Utf8 and frame.get_column(name).null_count() == frame.height)
            or (name in _YES_NO and frame.get_column(name).is_in(["unknown"]).fill_null(True).all())
        )
    ]
    columns = [name for name in _LABELS if name in frame.columns and name not in empty]
    categorical = [name for name in columns if frame.schema[name] == pl.Utf8]
    continuous = [name for name in columns if name not in categorical]
    named = _named_levels(frame.select(columns))
    labels = {name: _LABELS[name] for name in columns}
    decimals: dict[str, int] = {}
    for name in continuous:
        values = named.get_column(name).cast(pl.Float64)
        median = values.median()
        decimals[name] = column_decimals(
            values.to_list(),
            medians=[float(median)] if median is not None else [],  # type: ignore[arg-type]
        )
    decimals.update(dict.fromkeys(categorical, 1))  # percentages with one decimal
    limit = {name: 1 for name in _YES_NO if name in categorical}
    order = {name: levels for name, levels in _ORDER.items() if name in categorical}
    import pandas as pd

    # Built from plain lists: polars' to_pandas() would need pyarrow for nothing more.
    data = pd.DataFrame(named.to_dict(as_series=False))
    with warnings.catch_warnings():
        # tableone warns about its own future defaults and about columns it finds skewed; the
        # choices are made explicitly here (non-normal summaries for every number).
        warnings.simplefilter("ignore")
        table = TableOne(
            data,
            columns=columns,
            categorical=categorical,
            nonnormal=continuous,
            min_max=continuous,
            missing=True,
            pval=False,
            rename=labels,
            decimals=decimals,
            limit=limit,
            order=order,
            include_null=False,
        ).tableone
    by_label = {labels[name] + suffix: name for name in columns for suffix in _SUFFIXES}
    rows: list[BaselineRow] = []
    previous = None
    levels_of: dict[str, int] = {}
    for variable, _ in table.index:
        levels_of[str(variable)] = levels_of.get(str(variable), 0) + 1
    for (variable, level), values in table.iterrows():
        variable, level = str(variable), str(level)
        missing_cell = values.iloc[0]
        missing = int(missing_cell) if str(missing_cell).strip() not in ("", "nan") else None
        text = str(values.iloc[-1])
        column = by_label.get(variable)
        if variable == "n":
            rows.append(BaselineRow("n", "", None, text, n=frame.height))
            continue
        if column is None:  # not one of ours: keep tableone's row as printed
            rows.append(BaselineRow(variable, level, missing, text))
            continue
        is_categorical = column in categorical
        numbers = _numbers(named, column, level, is_categorical)
        if is_categorical and levels_of[variable] > 1:
            if variable != previous:
                rows.append(BaselineRow(variable, "", missing, ""))
            rows.append(BaselineRow("", level, None, text, **numbers))  # type: ignore[arg-type]
        elif is_categorical:
            # One row: a yes/no variable's "yes", or the only level there is.
            shown = variable if column in _YES_NO else f"{variable}: {level}"
            rows.append(BaselineRow(shown, "", missing, text, **numbers))  # type: ignore[arg-type]
        else:
            rows.append(BaselineRow(variable, "", missing, text, **numbers))  # type: ignore[arg-type]
        previous = variable
    return BaselineTable(
        rows=tuple(rows),
        n=frame.height,
        method=(
            "Summarised with tableone (Pollard et al. 2018): numbers as median [minimum, "
            "maximum], each with the decimals its recorded values need; categories as "
            "n (%) of the episodes with data, 'unknown' a category of its own; liver and "
            "kidney involvement and HHV-6 reactivation as one row (yes), unknown counted as "
            "missing. The 'Missing' column counts the episodes without the value."
        ),
        not_recorded=tuple(_LABELS[name] for name in empty),
        arguments={"decimals": decimals, "limit": limit, "order": order},
    )
