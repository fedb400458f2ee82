"""The one exception tree of dresskit.

::

    DresskitError                 base of everything dresskit raises on purpose
    ├── InputError                one bad value: where, which field, what is accepted, what came
    │   └── UnitError             a quantity whose unit is missing or cannot be converted
    ├── InputErrors               several InputError found together (validation reports all)
    └── ConfigurationError        a definition or parameter that cannot be used

Callers at the edges (CLI, web) catch :class:`DresskitError`; everything else is a bug.

:class:`InputWarning` is not an exception: it is a value that was accepted but deserves a second
look (implausible but possible, or read in another written form), carried by results such as a
validated bundle so that ``validate``, the import summary and the report can list it.
An :class:`InputError` message follows one template, in the spirit of scikit-learn's:
*where, which field, must be what, got what*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "EMPTY_CELL",
    "MISSING",
    "ConfigurationError",
    "DresskitError",
    "InputError",
    "InputErrors",
    "InputWarning",
    "UnitError",
]


class _Missing:
    """The value of a field that is absent (distinct from ``None``, which JSON can carry)."""

    def __repr__(self) -> str:
        return "nothing (the key is absent)"


#: Stands for the value of an absent field in an :class:`InputError`.
MISSING = _Missing()


class _EmptyCell:
    """The value of a table cell left empty (a CSV or spreadsheet has no null of its own)."""

    def __repr__(self) -> str:
        return "an empty cell"


#: Stands for an empty cell of a table in an :class:`InputError`.
EMPTY_CELL = _EmptyCell()


class DresskitError(Exception):
    """Base class of every error dresskit raises on purpose."""


class ConfigurationError(DresskitError):
    """A definition, parameter or setting that cannot be used as given."""


class InputError(DresskitError):
    """One input value that is not accepted.

    Parameters
    ----------
    field
        Dotted path of the offending field (``"eosinophilia.eosinophils_pct"``).
    value
        The value received, as given.
    expected
        What is accepted, in words a clinician can act on.
    source
        The file, stream or resource the value came from (``"case.json"``, ``"<stdin>"``).
    row
        1-based data row in ``source`` when it is tabular, else ``None``.

    Examples
    --------
    >>> error = InputError("fever.max_temperature.value", 389, "a body temperature "
    ...                    "between 25 and 45 Cel", source="case.json")
    >>> print(error)
    case.json: field 'fever.max_temperature.value' must be a body temperature between 25 and 45 Cel; got 389
    """  # noqa: E501

    def __init__(
        self,
        field: str,
        value: object,
        expected: str,
        *,
        source: str | None = None,
        row: int | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.source = source
        self.row = row
        super().__init__(self.message)

    @property
    def location(self) -> str:
        """Where the value was found: ``source``, ``row N`` or both, or ``input``."""
        parts = []
        if self.source is not None:
            parts.append(self.source)
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts) if parts else "input"

    @property
    def message(self) -> str:
        """The one-line message: where, which field, must be what, got what."""
        return f"{self.location}: field {self.field!r} must be {self.expected}; got {self.value!r}"

    def located(self, *, source: str | None = None, row: int | None = None) -> InputError:
        """Return a copy that also says where the value came from."""
        return type(self)(
            self.field,
            self.value,
            self.expected,
            source=source if source is not None else self.source,
            row=row if row is not None else self.row,
        )

    @property
    def value_absent(self) -> bool:
        """Whether no value was given (an absent key or an empty cell)."""
        return self.value is MISSING or self.value is EMPTY_CELL

    def as_dict(self) -> dict[str, object]:
        """Return the error as plain data (for JSON output)."""
        return {
            "source": self.source,
            "row": self.row,
            "field": self.field,
            "value": None if self.value_absent else self.value,
            "missing": self.value_absent,
            "expected": self.expected,
            "message": self.message,
        }


class UnitError(InputError):
    """A quantity whose unit is missing, unknown or not convertible to the one required."""


class InputErrors(DresskitError):  # noqa: N818 - a collection of InputError, named as such
    """Every problem found in one input, reported together.

    Examples
    --------
    >>> errors = InputErrors([InputError("fever", "maybe", "one of 'yes', 'no', 'unknown'")])
    >>> print(errors)
    1 problem in the input:
      input: field 'fever' must be one of 'yes', 'no', 'unknown'; got 'maybe'
    """

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors: tuple[InputError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("InputErrors needs at least one InputError")
        count = len(self.errors)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the input:"]
        lines.extend(f"  {error.message}" for error in self.errors)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class InputWarning:
    """A value accepted but worth a second look: never hidden, never an error.

    Implausible but possible values (an ALT of 20 000 U/L, a drug started ten years before
    the reaction) and names read in another written form (a brand name resolved to its
    generic name) are accepted and listed, with where they are and why they stand out.

    Attributes
    ----------
    field
        Column or dotted path of the value.
    value
        The value as written.
    concern
        Why it stands out and what to check, in words a clinician can act on.
    source
        The file or resource it came from.
    row
        1-based data row in ``source`` when it is tabular.

    Examples
    --------
    >>> note = InputWarning("value", "20000", "is above the usual range of ALT (0-5000 U/L): "
    ...                     "check the value and its unit", source="observations.csv", row=7)
    >>> print(note.message)
    observations.csv, row 7: field 'value' is above the usual range of ALT (0-5000 U/L): check the value and its unit; got '20000'
    """  # noqa: E501

    field: str
    value: object
    concern: str
    source: str | None = None
    row: int | None = None

    @property
    def location(self) -> str:
        """Where the value was found: ``source``, ``row N`` or both, or ``input``."""
        parts = [self.source] if self.source is not None else []
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts) if parts else "input"

    @property
    def message(self) -> str:
        """The one-line message: where, which field, why it stands out, what it was."""
        return f"{self.location}: field {self.field!r} {self.concern}; got {self.value!r}"

    def as_dict(self) -> dict[str, object]:
        """Return the warning as plain data (for JSON output)."""
        return {
            "source": self.source,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "concern": self.concern,
            "message": self.message,
        }
