"""Numbers and words as printed: one precision per column, p values, plurals and articles."""

from __future__ import annotations

import pytest

from dresskit.analysis.course_table import ColumnSummary
from dresskit.analysis.formatting import (
    column_decimals,
    format_fixed,
    format_p,
    format_summary,
)
from dresskit.analysis.words import article, plural


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "episode", "1 episode"),
        (2, "patient", "2 patients"),
        (0, "flare", "0 flares"),
        (1, "censored value", "1 censored value"),
        (3, "tie group", "3 tie groups"),
        (2, "analysis", "2 analyses"),
        (2, "therapy", "2 therapies"),
    ],
)
def test_plural_agrees_with_the_count(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("IVIG", "an IVIG"),
        ("ALT", "an ALT"),
        ("HHV-6", "an HHV-6"),
        ("NRS", "an NRS"),
        ("RegiSCAR", "a RegiSCAR"),
        ("steroid", "a steroid"),
        ("onset", "an onset"),
        ("admission", "an admission"),
        ("dupilumab", "a dupilumab"),
        ("hour", "an hour"),
        ("unit", "a unit"),
    ],
)
def test_article_follows_how_the_word_is_said(word: str, expected: str) -> None:
    assert article(word) == expected


def test_p_values_print_as_journals_ask_never_zero() -> None:
    assert format_p(0.0) == "< 0.001"
    assert format_p(1e-300) == "< 0.001"
    assert format_p(0.0004) == "< 0.001"
    assert format_p(0.001) == "0.001"
    assert format_p(0.04999) == "0.050"
    assert format_p(None) == "—"


def test_one_precision_per_column_from_the_recorded_values() -> None:
    assert column_decimals([1.0, 1.5, 2.0], medians=[1.75]) == 1
    assert column_decimals([2, 3, 14], medians=[6.5]) == 1
    assert column_decimals([270, 357, 406, 500], medians=[381.5]) == 1
    assert column_decimals([0.391, 3.342]) == 3
    assert column_decimals([None, 4.0]) == 0
    assert column_decimals([0.1 + 0.2]) == 1  # float noise is not a recorded decimal


def test_fixed_format_has_no_negative_zero_and_keeps_trailing_zeros() -> None:
    assert format_fixed(-0.04, 1) == "0.0"
    assert format_fixed(2, 1) == "2.0"
    assert format_fixed(None, 2) == "—"


def test_summary_prints_median_and_range_with_the_column_precision() -> None:
    summary = ColumnSummary("dose", 18, 18, 1.75, 1.0, 2.0, 1.0, 2.0)
    assert format_summary(summary, decimals=1) == "1.8 (1.0–2.0)"
    assert format_summary(summary, decimals=1, iqr=True) == "1.8 (1.0–2.0); IQR 1.0–2.0"
