"""Numbers to display strings: the last step, kept apart from every computation.

Conventions (those of Sim et al. 2022 Table 1): a median and range print as
``median (minimum–maximum)`` with an en dash; whole numbers print without decimals, others
with one decimal (round half to even, Python's rule). Unknown prints as an em dash, never 0.
"""

from __future__ import annotations

from typing import Final

from dresskit.analysis.course_table import ColumnSummary

__all__ = ["REASON_TEXT", "format_left_out", "format_number", "format_p", "format_summary"]

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


def format_number(value: float | None, *, decimals: int = 1) -> str:
    """Format a number: whole numbers without decimals, others with ``decimals``.

    Examples
    --------
    >>> format_number(37.0), format_number(36.5), format_number(1.75), format_number(None)
    ('37', '36.5', '1.8', '—')
    """
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.{decimals}f}"


def format_summary(summary: ColumnSummary, *, iqr: bool = False) -> str:
    """Format ``median (min–max)``, optionally with the interquartile range.

    Examples
    --------
    >>> summary = ColumnSummary("x", 17, 18, 37.0, 25.0, 67.0, 3.0, 131.0)
    >>> format_summary(summary), format_summary(summary, iqr=True)
    ('37 (3–131)', '37 (3–131); IQR 25–67')
    """
    if summary.n == 0 or summary.median is None:
        return "—"
    text = (
        f"{format_number(summary.median)} "
        f"({format_number(summary.minimum)}–{format_number(summary.maximum)})"
    )
    if iqr:
        text += f"; IQR {format_number(summary.q1)}–{format_number(summary.q3)}"
    return text


def format_left_out(summary: ColumnSummary) -> str:
    """Say which values were left out of a summary and why ('' when none).

    Examples
    --------
    >>> format_left_out(ColumnSummary("x", 17, 18, 37.0, 25.0, 67.0, 3.0, 131.0,
    ...                               {"lost_to_follow_up": ("SIM14",)}))
    '1 not counted: lost to follow-up (SIM14)'
    """
    if not summary.left_out:
        return ""
    parts = []
    for reason, episode_ids in summary.left_out.items():
        shown = ", ".join(episode_ids[:5]) + (", …" if len(episode_ids) > 5 else "")
        parts.append(f"{REASON_TEXT.get(reason, reason)} ({shown})")
    count = sum(len(ids) for ids in summary.left_out.values())
    return f"{count} not counted: " + "; ".join(parts)


def format_p(p_value: float) -> str:
    """Format a p value as journals do: three decimals, or ``< 0.001``.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0123), format_p(0.5)
    ('< 0.001', '0.012', '0.500')
    """
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"
