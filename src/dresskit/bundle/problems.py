"""The problem collector of table validation: every failed check becomes an InputError.

:class:`ProblemCollector` gathers :class:`~dresskit.errors.InputError` objects up to a cap (counting
the rest) and reports failing rows of a whole column in one pass; :data:`_ROW` names the
1-based data row number every checked frame carries. Values accepted but worth a second look
become :class:`~dresskit.errors.InputWarning` objects, collected the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Final

import polars as pl

from dresskit.errors import EMPTY_CELL, InputError, InputErrors, InputWarning

_ROW: Final = "__row"


def _as_written(value: object) -> object:
    """Return a typed cell as the bundle writes it: dates ISO, times HH:MM, empty as empty."""
    if value is None:
        return EMPTY_CELL
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


class ProblemCollector:
    """Collects InputErrors up to a cap, counting the rest.

    Used by bundle validation (one file per table) and by the REDCap importer (one records
    file: ``file_of`` names it for every table, and ``summary_field`` the line that counts the
    problems beyond the cap).
    """

    def __init__(
        self,
        source: str,
        cap: int,
        *,
        file_of: Callable[[str], str] | None = None,
        summary_field: str = "<bundle>",
    ) -> None:
        self.source = source
        self.cap = cap
        self.errors: list[InputError] = []
        self.more = 0
        self.warnings: list[InputWarning] = []
        self.more_warnings = 0
        self._file_of = file_of or (lambda table: f"{source}/{table}.csv")
        self._summary_field = summary_field

    def add(self, table: str, row: int | None, field: str, value: object, expected: str) -> None:
        """Record one problem (an empty cell is shown as such, a date as written)."""
        if len(self.errors) < self.cap:
            shown = _as_written(value)
            self.errors.append(
                InputError(field, shown, expected, source=self._file_of(table), row=row)
            )
        else:
            self.more += 1

    def rows(
        self, table: str, frame: pl.DataFrame, failing: pl.Expr, field: str, expected: str
    ) -> None:
        """Report every row of ``frame`` where ``failing`` is true (the raw value of field)."""
        self.rows_many(table, frame, [(failing, field, expected)])

    def rows_many(
        self, table: str, frame: pl.DataFrame, checks: list[tuple[pl.Expr, str, str]]
    ) -> None:
        """Run several row checks with one pass to count, then list only the failing ones."""
        if not checks:
            return
        counts = frame.select(
            [
                failing.fill_null(False).sum().alias(f"c{i}")
                for i, (failing, _, _) in enumerate(checks)
            ]
        ).row(0)
        for (failing, field, expected), count in zip(checks, counts, strict=True):
            if not count:
                continue
            if self.full:
                self.more += int(count)
                continue
            bad = frame.filter(failing.fill_null(False))
            value_column = field if field in bad.columns else _ROW
            for row, value in bad.select(_ROW, value_column).head(self.cap).iter_rows():
                self.add(table, row, field, value, expected)
            if bad.height > self.cap:
                self.more += bad.height - self.cap

    def warn(self, table: str, row: int | None, field: str, value: object, concern: str) -> None:
        """Record one value accepted but worth a second look."""
        if len(self.warnings) < self.cap:
            shown = _as_written(value)
            self.warnings.append(
                InputWarning(field, shown, concern, source=self._file_of(table), row=row)
            )
        else:
            self.more_warnings += 1

    def warn_rows(
        self, table: str, frame: pl.DataFrame, flagged: pl.Expr, field: str, concern: str
    ) -> None:
        """Record a warning for every row of ``frame`` where ``flagged`` is true."""
        count = frame.select(flagged.fill_null(False).sum()).item()
        if not count:
            return
        room = max(self.cap - len(self.warnings), 0)
        bad = frame.filter(flagged.fill_null(False))
        value_column = field if field in bad.columns else _ROW
        for row, value in bad.select(_ROW, value_column).head(room).iter_rows():
            self.warn(table, row, field, value, concern)
        self.more_warnings += max(int(count) - room, 0)

    def collected_warnings(self) -> tuple[InputWarning, ...]:
        """Every warning so far, with a last line counting those beyond the cap."""
        warnings = list(self.warnings)
        if self.more_warnings:
            warnings.append(
                InputWarning(
                    self._summary_field,
                    f"{self.more_warnings} more warning(s)",
                    "were not listed (the first ones are listed above)",
                    source=self.source,
                )
            )
        return tuple(warnings)

    @property
    def full(self) -> bool:
        """Whether the cap is reached (further problems are only counted)."""
        return len(self.errors) >= self.cap

    def raise_if_any(self) -> None:
        """Raise InputErrors listing every problem so far (and how many more), if any."""
        if not self.errors:
            return
        errors = list(self.errors)
        if self.more:
            errors.append(
                InputError(
                    self._summary_field,
                    f"{self.more} more problem(s)",
                    "fixed as well (the first ones are listed above)",
                    source=self.source,
                )
            )
        raise InputErrors(errors)
