"""How units are shown to people: one map from UCUM codes to printed symbols.

dresskit stores and exchanges units as UCUM case-sensitive codes (``Cel``, ``10*9/L``,
``ug/L``); those belong in machine formats only (CSV, JSON, FHIR, the bundle). Everything a
person reads (figures, tables, HTML, PDF, the terminal) shows the symbol from this one map, so
that a unit looks the same everywhere: ``°C``, ``×10⁹/L``, ``U/L``, ``kU/L``, ``µg/L``.

The symbols follow the SI brochure and the AMA Manual of Style, 11th ed., §18 (units of
measure): a space between number and unit except for ``%`` and ``°``-less angle units, the
micro sign ``µ`` rather than ``u``, the multiplication sign in ``×10⁹/L``.

This module imports nothing heavy (no pint) so that every layer, including the quick CLI
start, may use it.

References
----------
.. [1] Schadow G, McDonald CJ. The Unified Code for Units of Measure (UCUM), version 2.1,
   Regenstrief Institute, 2017. https://ucum.org/ucum
.. [2] Bureau International des Poids et Mesures. The International System of Units (SI),
   9th ed., 2019, §5.4 (formatting the value of a quantity).
.. [3] JAMA Network. AMA Manual of Style, 11th ed., 2020, chapter 17/18 (units of measure).
"""

from __future__ import annotations

from typing import Final

__all__ = ["DISPLAY_SYMBOLS", "display_unit", "with_unit"]

#: UCUM code -> the symbol printed for people. Codes missing here print as themselves.
DISPLAY_SYMBOLS: Final[dict[str, str]] = {
    "Cel": "°C",
    "[degF]": "°F",
    "K": "K",
    "10*9/L": "×10⁹/L",
    "10*3/uL": "×10³/µL",
    "/uL": "/µL",
    "/mm3": "/mm³",
    "U/L": "U/L",
    "[IU]/L": "IU/L",
    "ukat/L": "µkat/L",
    "kU/L": "kU/L",
    "k[IU]/L": "kIU/L",
    "[IU]/mL": "IU/mL",
    "mg/dL": "mg/dL",
    "mg/L": "mg/L",
    "umol/L": "µmol/L",
    "ug/L": "µg/L",
    "ng/mL": "ng/mL",
    "{copies}/mL": "copies/mL",
    "{score}": "",
    "%": "%",
    "1": "",
    "kg": "kg",
    "cm": "cm",
    "mg": "mg",
    "g": "g",
    "ug": "µg",
    "mg/d": "mg/day",
    "g/d": "g/day",
    "ug/d": "µg/day",
    "mg/kg": "mg/kg",
    "mg/kg/d": "mg/kg/day",
    "g/kg": "g/kg",
    "g/kg/d": "g/kg/day",
    "d": "days",
    "wk": "weeks",
}


def display_unit(ucum_code: str | None) -> str:
    """Return the symbol people read for a UCUM code (``"10*9/L"`` -> ``"×10⁹/L"``).

    Parameters
    ----------
    ucum_code
        A UCUM case-sensitive code, or None.

    Returns
    -------
    str
        The display symbol; an unknown code is returned unchanged, None as ``""``.

    Examples
    --------
    >>> display_unit("Cel")
    '°C'
    >>> display_unit("10*9/L")
    '×10⁹/L'
    """
    if ucum_code is None:
        return ""
    return DISPLAY_SYMBOLS.get(ucum_code, ucum_code)


def with_unit(number_text: str, ucum_code: str | None) -> str:
    """Join a formatted number and its unit as printed: ``38.5 °C``, ``70%``, ``270 U/L``.

    The SI brochure puts a space between number and unit, except for the percent sign in
    clinical journals' house styles (AMA 11th ed.), which dresskit follows.

    Examples
    --------
    >>> with_unit("38.5", "Cel")
    '38.5 °C'
    >>> with_unit("70", "%")
    '70%'
    >>> with_unit("3", "{score}")
    '3'
    """
    symbol = display_unit(ucum_code)
    if not symbol:
        return number_text
    if symbol == "%":
        return f"{number_text}%"
    return f"{number_text} {symbol}"
