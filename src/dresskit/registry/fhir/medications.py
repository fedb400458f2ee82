"""MedicationStatement and MedicationAdministration: the drug_exposures and treatments tables.

A MedicationStatement is a drug the patient took (its role, the days of the first and last
dose); a MedicationAdministration is a treatment of the episode (kind, agent, dose, route).
"""

from __future__ import annotations

from collections.abc import Mapping

from dresskit.bundle.schema import TABLES, TREATMENT_DOSE_UNITS
from dresskit.registry.fhir.document import DocumentReader
from dresskit.registry.fhir.vocabulary import (
    _ROUTE_BY_SNOMED,
    _ROUTES,
    ATC,
    EXT_INTERVAL,
    EXT_KIND,
    EXT_LOADING_DOSE,
    EXT_ROLE,
    EXT_ROUTE,
    SNOMED,
)


def read_medication_statement(
    reader: DocumentReader, path: str, index: int, resource: Mapping[str, object]
) -> None:
    """Add a MedicationStatement to drug_exposures; remember its (episode_id, drug)."""
    episode = reader.episode_of(resource, path, subject_required=True)
    drug, atc = _medication(reader, resource, path)
    roles = TABLES["drug_exposures"][3].codes
    role = reader.extension_code(resource, EXT_ROLE, path, roles)
    start = stop = None
    period = reader.child(resource, "effectivePeriod", path, required=False, what="a Period")
    if period is not None:
        start = reader.date_text(
            period, "start", f"{path}.effectivePeriod", required=False, what="first dose"
        )
        stop = reader.date_text(
            period, "end", f"{path}.effectivePeriod", required=False, what="last dose"
        )
    episode_id = None if episode is None else episode[0]
    if episode_id is not None and drug is not None:
        reader.exposures[index] = (episode_id, drug)
    reader.add_row(
        "drug_exposures",
        path,
        {
            "episode_id": episode_id,
            "drug": drug,
            "atc_code": atc,
            "role": role,
            "start_date": start,
            "stop_date": stop,
        },
    )


def _medication(
    reader: DocumentReader, resource: Mapping[str, object], path: str
) -> tuple[str | None, str | None]:
    what = "a CodeableConcept whose text is the drug's generic name"
    if "medicationCodeableConcept" not in resource and "medicationReference" in resource:
        reference = resource["medicationReference"]
        reader.problem(
            f"{path}.medicationReference",
            reference.get("reference", reference) if isinstance(reference, Mapping) else reference,
            f"a medicationCodeableConcept instead: {what} (a medicationReference to a "
            "Medication resource, contained or not, is not read)",
        )
        return None, None
    concept = reader.child(resource, "medicationCodeableConcept", path, required=True, what=what)
    if concept is None:
        return None, None
    concept_path = f"{path}.medicationCodeableConcept"
    name = reader.string(concept, "text", concept_path, required=True, expected="the generic name")
    codes = [code for _, code in reader.codings(concept, concept_path, ATC) if code is not None]
    return name, codes[0] if codes else None


def read_medication_administration(
    reader: DocumentReader, path: str, resource: Mapping[str, object]
) -> None:
    """Add a MedicationAdministration to treatments."""
    episode = reader.episode_of(resource, path, subject_required=True)
    kinds = tuple(TREATMENT_DOSE_UNITS)
    values: dict[str, str | None] = {"episode_id": None if episode is None else episode[0]}
    values["kind"] = reader.extension_code(resource, EXT_KIND, path, kinds)
    values["agent"] = _medication(reader, resource, path)[0]
    period = reader.child(
        resource, "effectivePeriod", path, required=True, what="a Period with a start"
    )
    if period is not None:
        period_path = f"{path}.effectivePeriod"
        values["start_date"] = reader.date_text(
            period, "start", period_path, required=True, what="first day"
        )
        values["end_date"] = reader.date_text(
            period, "end", period_path, required=False, what="last day"
        )
    found = reader.extension(resource, EXT_INTERVAL, path, required=False, what="valuePositiveInt")
    if found is not None:
        values["interval_days"] = reader.number(
            found[1], "valuePositiveInt", found[0], integer=True
        )
    found = reader.extension(
        resource, EXT_LOADING_DOSE, path, required=False, what="valueQuantity in mg"
    )
    if found is not None:
        loading = reader.child(
            found[1], "valueQuantity", found[0], required=True, what="a Quantity in mg"
        )
        if loading is not None:
            reader.ucum(loading, f"{found[0]}.valueQuantity", ("mg",))
            values["loading_dose"] = reader.number(
                loading, "value", f"{found[0]}.valueQuantity", integer=False
            )
    route_concept = None
    dosage = reader.child(resource, "dosage", path, required=False, what="a Dosage")
    if dosage is not None:
        dose = reader.child(dosage, "dose", f"{path}.dosage", required=False, what="a Quantity")
        if dose is not None:
            dose_path = f"{path}.dosage.dose"
            values["dose"] = reader.number(dose, "value", dose_path, integer=False)
            unit_key = "code" if "code" in dose else "unit"
            values["dose_unit"] = reader.string(dose, unit_key, dose_path, required=False)
        route = reader.child(
            dosage, "route", f"{path}.dosage", required=False, what="a CodeableConcept"
        )
        if route is not None:
            route_concept = (f"{path}.dosage.route", route)
    found = reader.extension(resource, EXT_ROUTE, path, required=False, what="valueCodeableConcept")
    if found is not None:
        route = reader.child(
            found[1], "valueCodeableConcept", found[0], required=True, what="a CodeableConcept"
        )
        if route is not None:
            route_concept = (f"{found[0]}.valueCodeableConcept", route)
    if route_concept is not None:
        values["route"] = _route(reader, *route_concept)
    reader.add_row("treatments", path, values)


def _route(reader: DocumentReader, path: str, concept: Mapping[str, object]) -> str | None:
    for code_path, snomed in reader.codings(concept, path, SNOMED):
        if snomed is not None and snomed in _ROUTE_BY_SNOMED:
            return _ROUTE_BY_SNOMED[snomed]
        reader.problem(
            code_path,
            snomed,
            "a SNOMED CT route: "
            + ", ".join(f"{code} ({route})" for route, (code, _) in _ROUTES.items()),
        )
        return None
    return reader.string(
        concept,
        "text",
        path,
        required=True,
        expected="one of " + ", ".join(_ROUTES),
        choices=_ROUTES,
    )
