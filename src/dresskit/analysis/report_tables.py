"""Every table of a report as a polars frame, and the CSV and XLSX bytes of a frame.

Tables hold numbers as numbers (counts as integers) and units as UCUM codes: they are the
machine-readable twin of the report. Each floating-point value is rounded to 12 significant
digits on the way out, so that arithmetic noise (``0.30000000000000004``) never reaches a
file while every measured digit does.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from dresskit.analysis.formatting import (
    course_decimals,
    format_iqr,
    format_left_out,
    format_p,
    format_summary,
)
from dresskit.analysis.report_model import Report
from dresskit.spreadsheets import csv_bytes, xlsx_bytes

__all__ = ["SIGNIFICANT_DIGITS", "csv", "report_tables", "without_float_noise", "xlsx"]

#: Significant digits kept in exported floating-point values (a double holds 15-17).
SIGNIFICANT_DIGITS: Final = 12


def without_float_noise(frame: pl.DataFrame) -> pl.DataFrame:
    """Round every floating-point column to :data:`SIGNIFICANT_DIGITS` significant digits.

    Examples
    --------
    >>> without_float_noise(pl.DataFrame({"x": [0.1 + 0.2, 39.150000000000006]}))["x"].to_list()
    [0.3, 39.15]
    """
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not floats:
        return frame
    # Through the decimal text: polars' round_sig_figs leaves 1e-30 as 9.999999999999999e-31.
    return frame.with_columns(
        pl.Series(
            name,
            [
                None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")
                for value in frame.get_column(name).to_list()
            ],
            dtype=pl.Float64,
        )
        for name in floats
    )


def _course_summary(report: Report) -> pl.DataFrame:
    table = report.course_table
    decimals = course_decimals(table)
    text = pl.DataFrame(
        [
            {
                "column": column.name,
                "decimals": decimals[column.name],
                "median_range": format_summary(summary, decimals=decimals[column.name]),
                "iqr": format_iqr(summary, decimals=decimals[column.name]),
                "not_counted": format_left_out(summary),
            }
            for column, summary in zip(table.columns, table.summaries, strict=True)
        ],
        schema={
            "column": pl.Utf8,
            "decimals": pl.Int64,
            "median_range": pl.Utf8,
            "iqr": pl.Utf8,
            "not_counted": pl.Utf8,
        },
    )
    return table.to_frame().join(text, on="column", how="left", maintain_order="left")


def _paired_tests(report: Report) -> pl.DataFrame:
    frames = [comparison.to_frame() for comparison in report.paired]
    if not frames:
        return pl.DataFrame()
    tests = pl.concat(frames, how="vertical")
    p_text = [
        format_p(comparison.test.p_value) if comparison.test else "" for comparison in report.paired
    ]
    return tests.with_columns(pl.Series("p_text", p_text, dtype=pl.Utf8))


def _time_to_event(report: Report) -> pl.DataFrame:
    rows = []
    for analysis in report.survival:
        km = analysis.kaplan_meier
        rows.append(
            {
                "outcome": analysis.label,
                "n": km.n if km else None,
                "events": km.n_events if km else None,
                "censored": km.n_censored if km else None,
                "median_days": km.median if km else None,
                "median_ci_lower": km.median_ci[0] if km else None,
                "median_ci_upper": km.median_ci[1] if km else None,
                "remark": analysis.remark,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "outcome": pl.Utf8,
            "n": pl.Int64,
            "events": pl.Int64,
            "censored": pl.Int64,
            "median_days": pl.Float64,
            "median_ci_lower": pl.Float64,
            "median_ci_upper": pl.Float64,
            "remark": pl.Utf8,
        },
    )


def _steroid_response(report: Report) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "episode_id": row.episode_id,
                "hyporesponsive": row.hyporesponsive,
                "dependent": row.dependent,
                "resistant": row.resistant,
                "type2_profile": row.type2_profile,
                "flares": len(row.flares),
                "flare_days": "; ".join(
                    f"{flare.on} ({', '.join(flare.markers)})" for flare in row.flares
                ),
                "flare_doses_mg_per_d": "; ".join(
                    ""
                    if flare.prednisone_equivalent_mg is None
                    else f"{flare.prednisone_equivalent_mg:g}"
                    for flare in row.flares
                ),
            }
            for row in report.responses
        ],
        schema={
            "episode_id": pl.Utf8,
            "hyporesponsive": pl.Boolean,
            "dependent": pl.Boolean,
            "resistant": pl.Boolean,
            "type2_profile": pl.Boolean,
            "flares": pl.Int64,
            "flare_days": pl.Utf8,
            "flare_doses_mg_per_d": pl.Utf8,
        },
    )


def _data_quality(report: Report) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "file": warning.source,
                "row": warning.row,
                "column": warning.field,
                "value": str(warning.value),
                "why": warning.concern,
            }
            for warning in report.data_warnings
        ],
        schema={
            "file": pl.Utf8,
            "row": pl.Int64,
            "column": pl.Utf8,
            "value": pl.Utf8,
            "why": pl.Utf8,
        },
    )


def report_tables(report: Report) -> dict[str, pl.DataFrame]:
    """Every table of the report as a polars frame (file stem -> frame), for CSV and XLSX.

    Numbers are numbers (counts are integers), units are UCUM codes, and floating-point
    values carry no arithmetic noise (:func:`without_float_noise`).
    """
    tables = {
        "course_table": report.course_table.rows,
        "course_summary": _course_summary(report),
        "baseline": report.baseline.to_frame(),
        "paired_tests": _paired_tests(report),
        "time_to_event": _time_to_event(report),
        "steroid_response": _steroid_response(report),
        "data_quality": _data_quality(report),
    }
    if report.regiscar is not None:
        tables["regiscar"] = report.regiscar
    if report.published is not None:
        tables["published_comparison"] = report.published.to_frame()
    return {name: without_float_noise(frame) for name, frame in tables.items()}


def xlsx(frame: pl.DataFrame, *, sheet: str) -> bytes:
    """Return ``frame`` as an .xlsx workbook with one sheet, no cell a formula.

    See :func:`dresskit.spreadsheets.xlsx_bytes` (text is never a formula; numbers stay
    numeric cells, whole numbers as integers); the sheet name is cut to Excel's 31
    characters.
    """
    return xlsx_bytes({sheet[:31]: frame})


def csv(frame: pl.DataFrame) -> bytes:
    """Return ``frame`` as CSV bytes in which no text cell runs as a formula.

    See :func:`dresskit.spreadsheets.csv_bytes` (OWASP CSV injection).
    """
    return csv_bytes(frame)
