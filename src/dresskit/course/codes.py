"""Observation codes: what each measurement is, its canonical unit, accepted units and bounds.

Each code stores values in one canonical unit. Input units are UCUM codes converted by pint
(:func:`dresskit.units.convert`); the conversions a clinician meets are spelled out here:

- temperature: ``Cel``, ``[degF]``, ``K`` -> Cel
- cell counts: ``/uL`` = ``/mm3``; ``10*3/uL`` = ``10*9/L`` -> 10^9/L
- enzymes: ``ukat/L`` -> U/L (1 µkat/L = 60 U/L, since 1 U = 1 µmol/min); ``[IU]/L`` = U/L
  (the "international unit" of enzyme activity is the IUB enzyme unit, 1 µmol/min: IUPAC-IUB
  Commission on Biochemical Nomenclature, Enzyme Nomenclature 1978; UCUM writes it ``[IU]``)
- bilirubin and creatinine: ``umol/L`` <-> ``mg/dL`` through their molar masses
  (bilirubin 584.66 g/mol: 17.1 µmol/L = 1 mg/dL; creatinine 113.12 g/mol: 88.4 µmol/L
  = 1 mg/dL)
- CRP: ``mg/dL`` -> mg/L (x 10)
- ferritin: ``ug/L`` = ``ng/mL``
- total IgE: ``kU/L`` = ``k[IU]/L`` = ``[IU]/mL`` (WHO 75/502 standard; Shen 2024 writes
  "kU/mL", read as kU/L, see the examples' notes)

Bounds are hard plausibility limits in the canonical unit: values outside are refused as
typing errors (a wrong unit, a slipped decimal point), never clipped. They are deliberately
wide. Inside them, each code has a *usual* range: a value outside it is possible but rare
(an ALT of 20 000 U/L in ischaemic or fulminant hepatitis, eosinophils above 30 x 10^9/L in
hypereosinophilia), so it is accepted and listed as a warning for a second look. Each limit's
reason is in ``docs/data-format.md`` (observations.csv).

References
----------
.. [1] UCUM 2.1, https://ucum.org/ucum. LOINC 2.77 codes as listed per entry.
.. [2] Molar masses: PubChem CID 5280352 (bilirubin, 584.7 g/mol), CID 588 (creatinine,
   113.12 g/mol).
.. [3] clinical-reference.md §10 (project definitions) and issue 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Final

import polars as pl

from dresskit.errors import InputError
from dresskit.units import TEMPERATURE_UNITS, convert

__all__ = [
    "CODE_ENUM",
    "OBSERVATION_CODES",
    "UNIT_ENUM",
    "ObservationCode",
    "get_code",
    "linear_conversion",
    "to_canonical",
]

_CELL_COUNTS: Final = {
    "10*9/L": "1e9 / liter",
    "10*3/uL": "1e3 / microliter",
    "/uL": "1 / microliter",
    "/mm3": "1 / millimeter ** 3",
}
_ENZYME: Final = {
    "U/L": "enzyme_unit / liter",
    "[IU]/L": "enzyme_unit / liter",
    "ukat/L": "microkatal / liter",
}
_PERCENT: Final = {"%": "percent"}


@dataclass(frozen=True)
class ObservationCode:
    """One kind of observation.

    Attributes
    ----------
    code
        dresskit code (``"alt"``).
    label
        Human name.
    canonical_unit
        UCUM code of the stored unit.
    accepted_units
        UCUM code -> pint expression, for every unit accepted on input.
    target
        pint expression of the canonical unit.
    bounds
        Inclusive hard plausibility range in the canonical unit (outside: refused).
    usual
        Inclusive usual range in the canonical unit (outside, within ``bounds``: accepted with
        a warning).
    loinc
        LOINC code used for FHIR exchange, when one fits.
    molar_mass_g_per_mol
        For mass <-> substance conversions.
    qualitative
        ``True`` when the result is text (positive / negative), value optional.
    """

    code: str
    label: str
    canonical_unit: str
    accepted_units: Mapping[str, str]
    target: str
    bounds: tuple[float, float]
    usual: tuple[float, float]
    loinc: str | None = None
    molar_mass_g_per_mol: float | None = None
    qualitative: bool = False
    text_values: tuple[str, ...] = field(default=())


def _code(
    code: str,
    label: str,
    canonical: str,
    accepted: Mapping[str, str],
    bounds: tuple[float, float],
    loinc: str | None,
    *,
    usual: tuple[float, float] | None = None,
    molar_mass: float | None = None,
    qualitative: bool = False,
    text_values: tuple[str, ...] = (),
) -> ObservationCode:
    return ObservationCode(
        code=code,
        label=label,
        canonical_unit=canonical,
        accepted_units=dict(accepted),
        target=accepted[canonical],
        bounds=bounds,
        usual=usual or bounds,
        loinc=loinc,
        molar_mass_g_per_mol=molar_mass,
        qualitative=qualitative,
        text_values=text_values,
    )


OBSERVATION_CODES: Final[Mapping[str, ObservationCode]] = {
    entry.code: entry
    for entry in (
        _code(
            "temperature",
            "Body temperature",
            "Cel",
            TEMPERATURE_UNITS,
            (25, 45),
            "8310-5",
            usual=(34, 42),
        ),
        _code(
            "eosinophils", "Eosinophils", "10*9/L", _CELL_COUNTS, (0, 100), "711-2", usual=(0, 30)
        ),
        _code(
            "eosinophils_pct",
            "Eosinophils / 100 leukocytes",
            "%",
            _PERCENT,
            (0, 100),
            "713-8",
            usual=(0, 70),
        ),
        _code(
            "leukocytes", "Leukocytes", "10*9/L", _CELL_COUNTS, (0, 500), "6690-2", usual=(0.5, 100)
        ),
        _code(
            "lymphocytes", "Lymphocytes", "10*9/L", _CELL_COUNTS, (0, 500), "731-0", usual=(0, 50)
        ),
        _code(
            "atypical_lymphocytes_pct",
            "Atypical (variant) lymphocytes / 100 leukocytes",
            "%",
            _PERCENT,
            (0, 100),
            "735-9",
            usual=(0, 50),
        ),
        _code(
            "platelets", "Platelets", "10*9/L", _CELL_COUNTS, (0, 3000), "777-3", usual=(5, 1500)
        ),
        _code("alt", "ALT", "U/L", _ENZYME, (0, 30000), "1742-6", usual=(0, 5000)),
        _code("ast", "AST", "U/L", _ENZYME, (0, 50000), "1920-8", usual=(0, 5000)),
        _code("ldh", "LDH", "U/L", _ENZYME, (0, 100000), "2532-0", usual=(0, 10000)),
        _code(
            "bilirubin",
            "Total bilirubin",
            "mg/dL",
            {"mg/dL": "milligram / deciliter", "umol/L": "micromole / liter"},
            (0, 80),
            "1975-2",
            usual=(0, 30),
            molar_mass=584.66,
        ),
        _code(
            "creatinine",
            "Creatinine",
            "mg/dL",
            {"mg/dL": "milligram / deciliter", "umol/L": "micromole / liter"},
            (0, 40),
            "2160-0",
            usual=(0.1, 15),
            molar_mass=113.12,
        ),
        _code(
            "crp",
            "C-reactive protein",
            "mg/L",
            {"mg/L": "milligram / liter", "mg/dL": "milligram / deciliter"},
            (0, 1000),
            "1988-5",
            usual=(0, 500),
        ),
        _code(
            "ferritin",
            "Ferritin",
            "ng/mL",
            {"ng/mL": "nanogram / milliliter", "ug/L": "microgram / liter"},
            (0, 500000),
            "2276-4",
            usual=(0, 50000),
        ),
        _code(
            "total_ige",
            "Total IgE",
            "kU/L",
            {"kU/L": "kIU / liter", "k[IU]/L": "kIU / liter", "[IU]/mL": "IU / milliliter"},
            (0, 200000),
            "19113-0",
            usual=(0, 20000),
        ),
        _code(
            "hhv6_pcr",
            "HHV-6 DNA (PCR)",
            "{copies}/mL",
            {"{copies}/mL": "1 / milliliter"},
            (0, 1e12),
            None,
            usual=(0, 1e8),
            qualitative=True,
            text_values=("positive", "negative"),
        ),
        _code(
            "itch_nrs",
            "Itch numerical rating scale",
            "{score}",
            {"{score}": "score_point"},
            (0, 10),
            None,
        ),
        _code("rash_bsa", "Rash extent (% body surface area)", "%", _PERCENT, (0, 100), None),
        _code(
            "weight",
            "Body weight",
            "kg",
            {"kg": "kilogram", "[lb_av]": "pound", "g": "gram"},
            (0.3, 400),
            "29463-7",
            usual=(2, 250),
        ),
    )
}


#: Column types of observation codes and units in a loaded bundle: enumerations are smaller
#: and faster to compare than text on millions of rows.
CODE_ENUM: Final = pl.Enum(list(OBSERVATION_CODES))
UNIT_ENUM: Final = pl.Enum(
    sorted({unit for entry in OBSERVATION_CODES.values() for unit in entry.accepted_units})
)


#: Span over which a linear conversion's scale is measured: convert() rounds to 6 decimals,
#: so measuring between 0 and 10^6 keeps the scale exact to about 12 significant digits.
_SPAN: Final = 1_000_000.0


@cache
def linear_conversion(code: str, unit: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` with canonical = scale * value + offset, computed by pint.

    Every conversion of an observation code is linear (an offset only for temperatures), so
    two conversions through :func:`dresskit.units.convert` fix it; column-wise code applies it
    to millions of values at once. Cached: pint is asked once per (code, unit) per process.

    Raises
    ------
    InputError
        For an unknown code; :class:`~dresskit.errors.UnitError` for a unit not accepted.

    Examples
    --------
    >>> scale, offset = linear_conversion("temperature", "[degF]")
    >>> round(scale * 9, 6), offset
    (5.0, -17.777778)
    >>> linear_conversion("alt", "ukat/L")
    (60.0, 0.0)
    """
    definition = get_code(code)

    def canonical(value: float) -> float:
        return convert(
            value,
            unit,
            accepted=dict(definition.accepted_units),
            target=definition.target,
            field="unit",
            molar_mass_g_per_mol=definition.molar_mass_g_per_mol,
        )

    at_zero = canonical(0.0)
    return (canonical(_SPAN) - at_zero) / _SPAN, at_zero


def get_code(code: str, *, field: str = "code") -> ObservationCode:
    """Return the definition of an observation code.

    Raises
    ------
    InputError
        For a code dresskit does not know; the message lists the codes.
    """
    try:
        return OBSERVATION_CODES[code]
    except KeyError:
        raise InputError(field, code, "one of " + ", ".join(OBSERVATION_CODES)) from None


def to_canonical(code: str, value: float, unit: str, *, field: str = "value") -> float:
    """Convert a value of observation ``code`` to its canonical unit and check its bounds.

    Raises
    ------
    UnitError
        For a unit not accepted for this code.
    InputError
        For a value outside the plausibility bounds.

    Examples
    --------
    >>> to_canonical("eosinophils", 1140, "/uL")
    1.14
    >>> to_canonical("creatinine", 176.8, "umol/L")
    1.999962
    >>> to_canonical("total_ige", 3127, "[IU]/mL")
    3127.0
    """
    definition = get_code(code)
    converted = convert(
        value,
        unit,
        accepted=dict(definition.accepted_units),
        target=definition.target,
        field=field,
        molar_mass_g_per_mol=definition.molar_mass_g_per_mol,
    )
    low, high = definition.bounds
    if not low <= converted <= high:
        raise InputError(
            field,
            value,
            f"a {definition.label.lower()} between {low:g} and {high:g} "
            f"{definition.canonical_unit} (got {converted:g} {definition.canonical_unit} "
            f"from {unit!r})",
        )
    return converted
