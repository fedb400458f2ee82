"""Import: a FHIR R4 Bundle back into the bundle's tables, every problem reported at once.

The entry point: it checks the document is a Bundle, indexes its entries
(:mod:`~dresskit.registry.fhir.document`), reads each resource type with its module
(:mod:`~dresskit.registry.fhir.patients_and_episodes`,
:mod:`~dresskit.registry.fhir.medications`, :mod:`~dresskit.registry.fhir.adverse_events`,
:mod:`~dresskit.registry.fhir.observations`) and assembles the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dresskit.bundle import Bundle, validate_tables
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES, manifest_frame
from dresskit.errors import MISSING, InputError, InputErrors
from dresskit.json_input import FHIR_JSON_LIMITS, JsonLimits, read_json
from dresskit.registry.fhir.adverse_events import read_adverse_event
from dresskit.registry.fhir.document import DocumentReader, index_entries, read_manifest
from dresskit.registry.fhir.medications import (
    read_medication_administration,
    read_medication_statement,
)
from dresskit.registry.fhir.observations import read_observation
from dresskit.registry.fhir.patients_and_episodes import read_condition, read_patient
from dresskit.registry.fhir.vocabulary import _BUNDLE_TYPES


@dataclass(frozen=True)
class _Read:
    tables: dict[str, pl.DataFrame]
    origins: dict[str, list[str]]


def _read(document: object, source: str) -> _Read:
    reader = DocumentReader(source)
    bundle = reader.mapping(document, "<document>")
    if bundle is None:
        raise InputErrors(reader.errors)
    if bundle.get("resourceType") != "Bundle":
        reader.problem(
            "resourceType",
            bundle.get("resourceType", MISSING),
            "'Bundle' (a FHIR R4 Bundle resource)",
        )
        raise InputErrors(reader.errors)
    reader.string(
        bundle,
        "type",
        "",
        required=True,
        expected="one of " + ", ".join(_BUNDLE_TYPES),
        choices=_BUNDLE_TYPES,
    )
    manifest = read_manifest(reader, bundle)
    by_type = index_entries(reader, bundle)
    # Referenced resources first, whatever the document's order.
    for path, index, resource in by_type["Patient"]:
        read_patient(reader, path, index, resource)
    for path, index, resource in by_type["Condition"]:
        read_condition(reader, path, index, resource)
    for path, index, resource in by_type["MedicationStatement"]:
        read_medication_statement(reader, path, index, resource)
    for path, _, resource in by_type["AdverseEvent"]:
        read_adverse_event(reader, path, resource)
    for path, _, resource in by_type["Observation"]:
        read_observation(reader, path, resource)
    for path, _, resource in by_type["MedicationAdministration"]:
        read_medication_administration(reader, path, resource)
    if reader.errors:
        raise InputErrors(reader.errors)
    tables = {"manifest": manifest_frame(manifest)}
    for name in TABLES:
        if name == "manifest":
            continue
        tables[name] = pl.DataFrame(
            reader.rows.get(name, []),
            schema={column.name: pl.Utf8 for column in TABLES[name]},
            orient="row",
        )
    return _Read(tables, {**reader.origins, "manifest": ["meta"] * len(manifest)})


def fhir_to_tables(document: Mapping[str, object], *, source: str) -> dict[str, pl.DataFrame]:
    """Read a FHIR R4 Bundle into the bundle's text tables (for ``validate_tables``).

    Parameters
    ----------
    document
        A parsed FHIR JSON Bundle as written by :func:`bundle_to_fhir` (or by another system
        following the same mapping).
    source
        Where the document came from, named in every error.

    Returns
    -------
    dict of str to polars.DataFrame
        Every table of ``TABLES`` (text cells, ``None`` for absent), rows in document order.

    Raises
    ------
    InputErrors
        Every problem found, each naming ``source``, the JSON path of the element as the field
        (``entry[12].resource.code.coding[0].code``), the value and what is accepted: not a
        Bundle, an unknown resource type, LOINC or dresskit code, a unit not accepted for the
        code, a duplicate fullUrl, id or identifier, a reference to a missing Patient,
        Condition or MedicationStatement, a missing required element. Nothing is returned.

    References
    ----------
    HL7 FHIR R4 Bundle (https://hl7.org/fhir/R4/bundle.html#references for resolving
    references) and the resource pages of the module docstring.

    Examples
    --------
    >>> tables = fhir_to_tables({"resourceType": "Bundle", "type": "collection"}, source="x")
    >>> tables["patients"].height, tables["manifest"].get_column("key").to_list()
    (0, ['format', 'version'])
    """
    return _read(document, source).tables


def fhir_to_bundle(document: Mapping[str, object], *, source: str) -> Bundle:
    """Read and validate a FHIR R4 Bundle; errors of the bundle rules name the JSON entry.

    Equivalent to ``validate_tables(fhir_to_tables(document, source=source), source=source)``
    except that a problem found by the bundle rules (a date outside the episode, a value out
    of range) names the entry it came from (``entry[40].resource (observations.value)``)
    rather than a row of a CSV file the user never saw.

    Raises
    ------
    InputErrors
        As :func:`fhir_to_tables`, then as :func:`~dresskit.bundle.validation.validate_tables`.
    """
    read = _read(document, source)
    try:
        return validate_tables(read.tables, source=source, today=local_today())
    except InputErrors as errors:
        raise InputErrors(
            [_relocated(error, read.origins, source) for error in errors.errors]
        ) from None


def _relocated(error: InputError, origins: Mapping[str, list[str]], source: str) -> InputError:
    prefix = f"{source}/"
    if (
        error.source is None
        or not error.source.startswith(prefix)
        or not error.source.endswith(".csv")
    ):
        return error
    table = error.source[len(prefix) : -len(".csv")]
    paths = origins.get(table, [])
    where = paths[error.row - 1] if error.row is not None and 0 < error.row <= len(paths) else None
    field_name = f"{table}.{error.field}" if where is None else f"{where} ({table}.{error.field})"
    return type(error)(field_name, error.value, error.expected, source=source)


def read_fhir(path: str | Path, *, limits: JsonLimits | None = None) -> Bundle:
    """Read and validate a FHIR R4 Bundle JSON file.

    Parameters
    ----------
    path
        The ``.json`` file.
    limits
        Caps on the document's size, nesting depth and integer digits (default
        :data:`~dresskit.json_input.FHIR_JSON_LIMITS`: 256 MiB, 64 levels, 19 digits).

    Raises
    ------
    InputErrors
        Naming the file: when it cannot be read, is over a limit or is not JSON as RFC 8259
        defines it (:func:`dresskit.json_input.read_json`: duplicate keys, NaN or Infinity,
        over-long integers, lone surrogates, each with its field path), then every problem
        of :func:`fhir_to_bundle`. Nothing is loaded from an invalid file.
    """
    source = str(path)
    document = read_json(
        path, limits=limits or FHIR_JSON_LIMITS, field="<file>", option="--max-input-bytes"
    )
    if not isinstance(document, Mapping):
        raise InputErrors(
            [InputError("<document>", type(document).__name__, "a JSON object", source=source)]
        )
    return fhir_to_bundle(document, source=source)
