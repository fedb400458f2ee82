"""Units: the one pint registry of dresskit and the conversions the scores need.

Units are written in UCUM case-sensitive codes (``Cel``, ``[degF]``, ``/uL``, ``10*9/L``),
the coding HL7 FHIR and LOINC use, and converted by pint, never by hand-written factors.
This module sits below every layer (like :mod:`dresskit.errors`) because the pure scoring
core already needs it for raw temperatures and cell counts.

pint is imported on the first conversion, not with this module: every score imports this
module, and a case answered in words (or ``dresskit --help``) need not pay pint's start-up.

References
----------
.. [1] Schadow G, McDonald CJ. The Unified Code for Units of Measure (UCUM), version 2.1,
   Regenstrief Institute, 2017. https://ucum.org/ucum (codes ``Cel``, ``[degF]``, ``10*9/L``).
.. [2] International Union of Biochemistry. Enzyme Nomenclature: Recommendations of the
   Nomenclature Committee (1 U = 1 µmol/min; the katal, 1 kat = 1 mol/s, NC-IUB 1978).
   Dybkaer R. Unit "katal" for catalytic activity (IUPAC Technical Report). Pure Appl Chem.
   2001;73(6):927-931.
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dresskit.errors import InputError, UnitError

if TYPE_CHECKING:
    import pint

__all__ = [
    "BODY_TEMPERATURE_RANGE_CEL",
    "CELL_COUNT_UNITS",
    "ENZYME_ACTIVITY_UNITS",
    "TEMPERATURE_UNITS",
    "convert",
    "quantity",
    "registry",
    "to_cells_per_microlitre",
    "to_degrees_celsius",
    "to_units_per_litre",
]

#: UCUM temperature codes accepted, mapped to pint's names.
TEMPERATURE_UNITS: Final[dict[str, str]] = {"Cel": "degC", "[degF]": "degF", "K": "kelvin"}

#: UCUM codes accepted for blood cell concentrations, mapped to pint expressions.
CELL_COUNT_UNITS: Final[dict[str, str]] = {
    "/uL": "1 / microliter",
    "10*3/uL": "1e3 / microliter",
    "10*9/L": "1e9 / liter",
    "/mm3": "1 / millimeter ** 3",
}

#: Codes accepted for a catalytic (enzyme) activity concentration such as ALT, as pint
#: expressions. The international unit of enzyme activity *is* the enzyme unit U (1 IU =
#: 1 µmol of substrate per minute, IUB 1964; reference [2]), so laboratories' ``IU/L`` (UCUM
#: ``[IU]/L``, also written ``IU/L``) is read as U/L here. It must not go through pint's
#: ``IU``, which dresskit defines as the WHO arbitrary unit of a reference preparation (IgE:
#: kIU/L) and which converts to nothing else.
ENZYME_ACTIVITY_UNITS: Final[dict[str, str]] = {
    "U/L": "enzyme_unit / liter",
    "[IU]/L": "enzyme_unit / liter",
    "IU/L": "enzyme_unit / liter",
    "ukat/L": "microkatal / liter",
}

#: Bounds for a plausible measured human body temperature, in degrees Celsius. Values outside
#: are almost always typing errors (389 for 38.9) and are refused, not clipped. The widest
#: survived extremes recorded are about 13.7 °C and 46.5 °C; we accept 25-45 °C.
BODY_TEMPERATURE_RANGE_CEL: Final[tuple[float, float]] = (25.0, 45.0)

# Converted temperatures are rounded to this many decimals so that a threshold such as 38.5 °C
# is not missed through binary floating point (101.3 [degF] -> 38.49999999 Cel).
_DECIMALS: Final = 6


def _cache_folder() -> Path | None:
    """Where pint may keep its parsed definitions, or None to parse them every time.

    ``DRESSKIT_CACHE_DIR`` chooses the folder (empty: no cache); by default the user's cache
    folder. Parsing pint's definitions file costs about 0.25 s per process, reading the
    cache about 0.02 s; pint keys the cache by the definitions' content, so it never goes
    stale.
    """
    import platformdirs

    chosen = os.environ.get("DRESSKIT_CACHE_DIR")
    if chosen == "":
        return None
    folder = Path(chosen) if chosen else Path(platformdirs.user_cache_dir("dresskit"))
    try:
        (folder / "pint").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: parse every time, as without a cache
    return folder / "pint"


@cache
def registry() -> pint.UnitRegistry[Any]:
    """Return the one pint registry dresskit uses (created, and pint imported, on first use)."""
    import pint

    units: pint.UnitRegistry[Any] = pint.UnitRegistry(
        autoconvert_offset_to_baseunit=True, cache_folder=_cache_folder()
    )
    # The WHO international unit (IgE: 1 kU/L = 1 kIU/L = 1 IU/mL) is not a pint unit; it
    # gets a dimension of its own so it never converts to anything else by accident.
    units.define("international_unit = [international_unit] = IU")
    units.define("score_point = [score_point]")
    return units


def _finite(value: float, field: str) -> float:
    """Return ``value`` if it is a finite number (not a bool), else raise InputError."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InputError(field, value, "a finite number")
    return value


def quantity(
    value: float, ucum_unit: str, *, field: str, accepted: dict[str, str]
) -> pint.Quantity[Any]:
    """Build a pint quantity from a value and a UCUM unit code among ``accepted``.

    Raises
    ------
    UnitError
        When ``ucum_unit`` is not one of ``accepted``.
    InputError
        When ``value`` is not a finite number.
    """
    _finite(value, field)
    if ucum_unit not in accepted:
        names = ", ".join(repr(code) for code in accepted)
        raise UnitError(
            field.rsplit(".", 1)[0] + ".unit", ucum_unit, f"one of the UCUM codes {names}"
        )
    expression = accepted[ucum_unit]
    if expression[:1].isdigit():
        # A scaled unit such as 10^9/L: pint parses the factor as a quantity, not a unit.
        scale = registry().parse_expression(expression)
        return registry().Quantity(value * scale.magnitude, scale.units)
    return registry().Quantity(value, expression)


def to_degrees_celsius(value: float, ucum_unit: str, *, field: str) -> float:
    """Convert a measured body temperature to degrees Celsius.

    Parameters
    ----------
    value
        The reading.
    ucum_unit
        ``"Cel"``, ``"[degF]"`` or ``"K"``.
    field
        Name of the input field, for error messages.

    Returns
    -------
    float
        Degrees Celsius, rounded to 6 decimals.

    Raises
    ------
    UnitError
        For any other unit.
    InputError
        When the converted value lies outside :data:`BODY_TEMPERATURE_RANGE_CEL`.

    Examples
    --------
    >>> to_degrees_celsius(101.3, "[degF]", field="t")
    38.5
    """
    if ucum_unit == "Cel":
        # Already in the target unit: nothing to convert, so pint (0.15 s to import) is not
        # loaded for a score typed in °C. The value is checked exactly as quantity() would.
        result = round(float(_finite(value, field)), _DECIMALS)
    else:
        celsius = quantity(value, ucum_unit, field=field, accepted=TEMPERATURE_UNITS).to("degC")
        result = round(float(celsius.magnitude), _DECIMALS)
    low, high = BODY_TEMPERATURE_RANGE_CEL
    if not low <= result <= high:
        raise InputError(
            field,
            value,
            f"a body temperature between {low:g} and {high:g} Cel "
            f"({low * 9 / 5 + 32:g}-{high * 9 / 5 + 32:g} [degF]) in unit {ucum_unit!r}",
        )
    return result


def to_cells_per_microlitre(value: float, ucum_unit: str, *, field: str) -> float:
    """Convert a blood cell concentration to cells per microlitre.

    Examples
    --------
    >>> to_cells_per_microlitre(1.14, "10*9/L", field="eos")
    1140.0
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise InputError(field, value, "a count of 0 or more")
    if ucum_unit == "/uL":  # already the target unit: nothing to convert (and no pint import)
        return round(float(_finite(value, field)), _DECIMALS)
    per_ul = quantity(value, ucum_unit, field=field, accepted=CELL_COUNT_UNITS).to("1 / microliter")
    return round(float(per_ul.magnitude), _DECIMALS)


def to_units_per_litre(value: float, unit: str, *, field: str) -> float:
    """Convert a catalytic activity concentration (ALT, AST) to U/L.

    ``U/L``, ``IU/L`` (or UCUM ``[IU]/L``: the international unit of enzyme activity equals
    the enzyme unit) and ``ukat/L`` (1 µkat/L = 60 U/L) are accepted.

    Raises
    ------
    UnitError
        For any other unit.
    InputError
        For a negative or non-finite value.

    Examples
    --------
    >>> to_units_per_litre(270, "IU/L", field="alt"), to_units_per_litre(270, "[IU]/L", field="alt")
    (270.0, 270.0)
    >>> to_units_per_litre(4.5, "ukat/L", field="alt")
    270.0
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise InputError(field, value, "an activity of 0 or more")
    if ENZYME_ACTIVITY_UNITS.get(unit) == "enzyme_unit / liter":
        # U/L and IU/L are the target unit itself: nothing to convert (and no pint import).
        return round(float(_finite(value, field)), _DECIMALS)
    return convert(
        value, unit, accepted=ENZYME_ACTIVITY_UNITS, target="enzyme_unit / liter", field=field
    )


def convert(
    value: float,
    ucum_unit: str,
    *,
    accepted: dict[str, str],
    target: str,
    field: str,
    molar_mass_g_per_mol: float | None = None,
) -> float:
    """Convert ``value`` from ``ucum_unit`` (one of ``accepted``) to the pint unit ``target``.

    Mass and amount-of-substance concentrations convert through pint's ``chemistry`` context
    with the analyte's molar mass (creatinine 113.12 g/mol, bilirubin 584.66 g/mol).

    Raises
    ------
    UnitError
        When the unit is not accepted or does not convert to ``target``.

    Examples
    --------
    >>> convert(88.4, "umol/L", accepted={"umol/L": "micromol / liter"}, target="mg / dL",
    ...         field="creatinine", molar_mass_g_per_mol=113.12)
    0.999981
    >>> convert(1, "ukat/L", accepted={"ukat/L": "microkatal / liter"}, target="enzyme_unit / L",
    ...         field="alt")
    60.0
    """
    from pint import DimensionalityError  # loaded already by quantity()

    measured = quantity(value, ucum_unit, field=field, accepted=accepted)
    # A scaled target (10^9/L) is a quantity to pint: convert to its unit, divide by its factor.
    scale = registry().parse_expression(target) if target[:1].isdigit() else None
    target_units = scale.units if scale is not None else target
    try:
        if molar_mass_g_per_mol is not None:
            molar_mass = registry().Quantity(molar_mass_g_per_mol, "g / mol")
            converted = measured.to(target_units, "chemistry", mw=molar_mass)
        else:
            converted = measured.to(target_units)
        if scale is not None:
            converted = converted / scale.magnitude
    except DimensionalityError:
        names = ", ".join(repr(code) for code in accepted)
        raise UnitError(
            field.rsplit(".", 1)[0] + ".unit",
            ucum_unit,
            f"a unit convertible to {target} ({names})",
        ) from None
    return round(float(converted.magnitude), _DECIMALS)
