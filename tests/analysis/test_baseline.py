"""Baseline characteristics of the Sim reconstruction match the paper's description.

Sim et al. 2022, Results p. 784: 9 men and 9 women; median age 54 (range 18-83); culprits
dapsone 5, carbamazepine 3, vancomycin 3; latency median 28 days (range 8-92).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.baseline import baseline_frame, baseline_table, regiscar_frame
from dresskit.bundle import Bundle, read_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def frame(sim: Bundle) -> pl.DataFrame:
    return baseline_frame(sim, regiscar=regiscar_frame(sim.courses()))


def test_age_median_and_range_match_the_paper(frame: pl.DataFrame) -> None:
    ages = frame.get_column("age_years")
    assert (ages.median(), ages.min(), ages.max()) == (54.0, 18.0, 83.0)


def test_latency_median_and_range_match_the_paper(frame: pl.DataFrame) -> None:
    latency = frame.get_column("latency_days")
    assert (latency.median(), latency.min(), latency.max()) == (28.0, 8.0, 92.0)


def test_culprit_counts_match_the_paper(frame: pl.DataFrame) -> None:
    counts = dict(frame.get_column("suspect_drugs").value_counts().iter_rows())
    assert (counts["dapsone"], counts["carbamazepine"], counts["vancomycin"]) == (5, 3, 3)


def _levels(table, variable: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The level rows under ``variable`` (grouped layout: the variable once, then levels)."""
    levels: dict[str, str] = {}
    current = ""
    for row in table.rows:
        if row.variable:
            current = row.variable
        elif current.startswith(variable):
            levels[row.level] = row.text
    return levels


def test_table_rows_show_sex_counts_and_missing(frame: pl.DataFrame) -> None:
    table = baseline_table(frame)
    assert _levels(table, "Sex") == {"female": "9 (50.0)", "male": "9 (50.0)"}
    (age,) = [row for row in table.rows if row.variable.startswith("Age")]
    assert (age.variable, age.text, age.missing) == (
        "Age, years, median [min,max]",
        "54 [18,83]",
        0,
    )
    assert table.n == 18


def test_each_variable_is_named_once_and_its_levels_are_rows_under_it(
    frame: pl.DataFrame,
) -> None:
    table = baseline_table(frame)
    named = [row.variable for row in table.rows if row.variable]
    assert len(named) == len(set(named))
    sex = [row.variable for row in table.rows if row.variable.startswith("Sex")]
    assert sex == ["Sex, n (%)"]
    assert all(row.is_level for row in table.rows if row.level in ("female", "male"))


def test_yes_no_variables_are_one_row_with_unknown_counted_as_missing(
    frame: pl.DataFrame,
) -> None:
    table = baseline_table(frame)
    (hhv6,) = [row for row in table.rows if row.variable.startswith("HHV-6")]
    unknown = frame.get_column("hhv6_reactivation").to_list().count("unknown")
    yes = frame.get_column("hhv6_reactivation").to_list().count("yes")
    assert (hhv6.n, hhv6.missing) == (yes, unknown)
    assert not any(row.level in ("yes", "no") for row in table.rows)
    assert table.arguments["limit"]["hhv6_reactivation"] == 1  # type: ignore[index]


def test_drug_classes_are_named_with_atc_code_and_name(frame: pl.DataFrame) -> None:
    table = baseline_table(frame)
    groups = _levels(table, "ATC group")
    assert groups["N03 antiepileptics"] == "5 (27.8)"
    assert "carbamazepine (N03AF01)" in _levels(table, "Suspect drugs")


def test_a_median_between_two_whole_numbers_keeps_its_half(frame: pl.DataFrame) -> None:
    """Regression: tableone's default decimals printed the median ALT 487.5 as 488."""
    table = baseline_table(frame)
    (alt,) = [row for row in table.rows if row.variable.startswith("Peak ALT")]
    assert alt.median == 487.5
    assert alt.text.startswith("487.5 [")
    assert table.arguments["decimals"]["peak_alt_u_per_l"] == 1  # type: ignore[index]


def test_units_are_printed_as_symbols(frame: pl.DataFrame) -> None:
    variables = " ".join(row.variable for row in baseline_table(frame).rows)
    assert "×10⁹/L" in variables
    assert "°C" in variables
    assert "10*9" not in variables


def test_to_frame_keeps_counts_as_integers(frame: pl.DataFrame) -> None:
    table = baseline_table(frame).to_frame()
    assert table.schema["n"] == pl.Int64
    assert table.schema["missing"] == pl.Int64
    assert table.schema["percent"] == pl.Float64
    female = table.filter(pl.col("level") == "female").row(0, named=True)
    assert (female["n"], female["percent"]) == (9, 50.0)


def test_counts_are_numeric_cells_in_xlsx(frame: pl.DataFrame) -> None:
    import io

    from openpyxl import load_workbook

    from dresskit.spreadsheets import xlsx_bytes

    data = xlsx_bytes({"baseline": baseline_table(frame).to_frame()})
    sheet = load_workbook(io.BytesIO(data))["baseline"]
    header = [cell.value for cell in sheet[1]]
    n_column = header.index("n")
    counts = [row[n_column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(count, int) for count in counts if count is not None)
    assert 9 in counts


def test_numbers_recorded_for_no_episode_are_left_out_and_named(frame: pl.DataFrame) -> None:
    table = baseline_table(frame)
    assert "Peak total IgE, kU/L" in table.not_recorded
    assert not any("nan" in row.text for row in table.rows)


def test_unknown_sex_is_a_category_of_its_own(sim: Bundle) -> None:
    patients = sim.patients.with_columns(
        pl.when(pl.col("patient_id") == "SIMP01").then(None).otherwise(pl.col("sex")).alias("sex")
    )
    frame = baseline_frame(replace(sim, patients=patients))
    table = baseline_table(frame)
    assert "unknown" in _levels(table, "Sex")


def test_latency_is_unknown_with_several_suspects(sim: Bundle) -> None:
    extra = sim.drug_exposures.filter(pl.col("episode_id") == "SIM01").with_columns(
        pl.lit("allopurinol").alias("drug")
    )
    bundle = replace(sim, drug_exposures=pl.concat([sim.drug_exposures, extra]))
    frame = baseline_frame(bundle)
    assert frame.filter(pl.col("episode_id") == "SIM01").get_column("latency_days")[0] is None


def test_regiscar_columns_come_from_each_course(frame: pl.DataFrame) -> None:
    assert frame.get_column("regiscar_total").null_count() == 0
    assert set(frame.get_column("regiscar_class").to_list()) <= {
        "no case",
        "possible",
        "probable",
        "definite",
    }


def test_every_atc_group_of_the_drug_vocabulary_has_its_who_name() -> None:
    from dresskit.analysis.baseline import ATC_GROUPS, atc_group_name
    from dresskit.bundle.drugs import vocabulary

    groups = {code[:3] for entry in vocabulary().values() for code in entry.atc_codes}
    assert groups <= set(ATC_GROUPS)
    assert atc_group_name("J01") == "J01 antibacterials for systemic use"
