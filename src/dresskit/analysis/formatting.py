"""Numbers and words to display strings: the last step, kept apart from every computation.

Conventions (those of Sim et al. 2022 Table 1 and the AMA Manual of Style, 11th ed.):

- one precision per column: every value, the median, the quartiles and the range of a column
  print with the same number of decimals (:func:`column_decimals`), so ``1.8 (1.0–2.0)``;
  rounding is half to even, Python's rule;
- a median and range print as ``median (minimum–maximum)`` with an en dash;
- p values print with three decimals, or ``< 0.001``: never ``0`` (:func:`format_p`);
- unknown prints as an em dash, never 0;
- counts agree with their noun (:func:`plural`), and ``a``/``an`` with the word that
  follows (:func:`article`).

References
----------
.. [1] JAMA Network. AMA Manual of Style, 11th ed., 2020, §19.5 (significant digits and
   rounding), §20.9 (P values: "P < .001", never "P = .000").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

from dresskit.analysis.course_table import ColumnSummary, CourseTable
from dresskit.analysis.words import article, plural

__all__ = [
    "REASON_TEXT",
    "article",
    "column_decimals",
    "course_decimals",
    "format_fixed",
    "format_iqr",
    "format_left_out",
    "format_number",
    "format_p",
    "format_summary",
    "plural",
]

#: Plain words for the reasons a value is not known.
REASON_TEXT: Final = {
    "died": "died before the event",
    "lost_to_follow_up": "lost to follow-up",
    "transferred": "transferred",
    "end_of_data": "event not reached by the end of the record",
    "no_data_after_index": "not measured after day 0",
    "no_weight": "no weight recorded",
    "no_steroid": "no steroid given",
    "no_ivig": "no IVIG given",
    "not_measured": "not measured",
}

#: At most this many decimals for a column (more is measurement noise in clinical tables).
MAXIMUM_DECIMALS: Final = 3


def _decimals_of(value: float) -> int:
    for decimals in range(MAXIMUM_DECIMALS + 1):
        if math.isclose(round(value, decimals), value, rel_tol=0.0, abs_tol=1e-9):
            return decimals
    return MAXIMUM_DECIMALS


def column_decimals(values: Iterable[float | None], *, medians: Iterable[float | None] = ()) -> int:
    """Return the one precision of a column: the decimals its recorded values need.

    The precision is the most decimals any recorded value needs (at most
    :data:`MAXIMUM_DECIMALS`). A column of whole numbers whose median (the mean of the two
    middle values of an even count) is not whole gets one decimal, so that 6.5 days never
    prints as 6 and 381.5 U/L never as 381 or 382; otherwise the median is rounded to the
    column's precision (1.75 mg/kg in a column of 1.0, 1.5, 2.0 prints 1.8, as Sim et al.
    2022 Table 1 does).

    Examples
    --------
    >>> column_decimals([1.0, 1.5, 2.0], medians=[1.75])
    1
    >>> column_decimals([2, 3, 14], medians=[6.5]), column_decimals([270, 357, 406])
    (1, 0)
    """
    # Each distinct value once: a column of 10 000 episodes holds few distinct values.
    known = {float(value) for value in values if value is not None and math.isfinite(value)}
    decimals = max((_decimals_of(value) for value in known), default=0)
    if decimals == 0 and any(
        median is not None and math.isfinite(median) and _decimals_of(median) > 0
        for median in medians
    ):
        return 1
    return decimals


def format_fixed(value: float | None, decimals: int) -> str:
    """Format ``value`` with exactly ``decimals`` decimals (``—`` when unknown; no ``-0``).

    Examples
    --------
    >>> format_fixed(1.75, 1), format_fixed(2, 1), format_fixed(-0.01, 1), format_fixed(None, 1)
    ('1.8', '2.0', '0.0', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_number(value: float | None, *, decimals: int = 1) -> str:
    """Format a number on its own: whole numbers without decimals, others with ``decimals``.

    For a value in a column use :func:`format_fixed` with the column's precision.

    Examples
    --------
    >>> format_number(37.0), format_number(36.5), format_number(1.75), format_number(None)
    ('37', '36.5', '1.8', '—')
    """
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{value:.0f}"
    return format_fixed(value, decimals)


def course_decimals(table: CourseTable) -> dict[str, int]:
    """Return the one precision of every course-table column (column name -> decimals).

    From the column's per-episode values and its median (:func:`column_decimals`).
    """
    return {
        column.name: column_decimals(
            table.rows.get_column(column.name).to_list(), medians=[summary.median]
        )
        for column, summary in zip(table.columns, table.summaries, strict=True)
    }


def format_summary(
    summary: ColumnSummary, *, iqr: bool = False, decimals: int | None = None
) -> str:
    """Format ``median (min–max)`` with one precision, optionally with the IQR.

    ``decimals`` is the column's precision (:func:`column_decimals`); without it, the
    precision is taken from the summary's own numbers.

    Examples
    --------
    >>> summary = ColumnSummary("x", 17, 18, 37.0, 25.0, 67.0, 3.0, 131.0)
    >>> format_summary(summary), format_summary(summary, iqr=True)
    ('37 (3–131)', '37 (3–131); IQR 25–67')
    >>> format_summary(ColumnSummary("dose", 18, 18, 1.75, 1.0, 2.0, 1.0, 2.0), decimals=1)
    '1.8 (1.0–2.0)'
    """
    if summary.n == 0 or summary.median is None:
        return "—"
    if decimals is None:
        decimals = column_decimals([summary.minimum, summary.maximum], medians=[summary.median])
    text = (
        f"{format_fixed(summary.median, decimals)} "
        f"({format_fixed(summary.minimum, decimals)}–{format_fixed(summary.maximum, decimals)})"
    )
    if iqr:
        text += f"; IQR {format_iqr(summary, decimals=decimals)}"
    return text


def format_iqr(summary: ColumnSummary, *, decimals: int) -> str:
    """Format the interquartile range ``q1–q3`` with the column's precision.

    Examples
    --------
    >>> format_iqr(ColumnSummary("x", 18, 18, 6.5, 3.25, 10.75, 2.0, 14.0), decimals=1)
    '3.2–10.8'
    """
    if summary.n == 0 or summary.q1 is None:
        return "—"
    return f"{format_fixed(summary.q1, decimals)}–{format_fixed(summary.q3, decimals)}"


def format_left_out(summary: ColumnSummary) -> str:
    """Say which values were left out of a summary and why ('' when none).

    Examples
    --------
    >>> format_left_out(ColumnSummary("x", 17, 18, 37.0, 25.0, 67.0, 3.0, 131.0,
    ...                               {"lost_to_follow_up": ("SIM14",)}))
    '1 value not counted: lost to follow-up (SIM14)'
    """
    if not summary.left_out:
        return ""
    parts = []
    for reason, episode_ids in summary.left_out.items():
        shown = ", ".join(episode_ids[:5]) + (", …" if len(episode_ids) > 5 else "")
        parts.append(f"{REASON_TEXT.get(reason, reason)} ({shown})")
    count = sum(len(ids) for ids in summary.left_out.values())
    return f"{plural(count, 'value')} not counted: " + "; ".join(parts)


def format_p(p_value: float | None) -> str:
    """Format a p value as journals do: three decimals, or ``< 0.001``; never ``0``.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0), format_p(0.0123), format_p(0.5), format_p(None)
    ('< 0.001', '< 0.001', '0.012', '0.500', '—')
    >>> format_p(0.0009999), format_p(1.0)
    ('< 0.001', '1.000')
    """
    if p_value is None or math.isnan(p_value):
        return "—"
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"
