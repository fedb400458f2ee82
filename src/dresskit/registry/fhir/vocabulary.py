"""Code systems, identifier systems, extensions and small builders shared by export and import."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, Final
from urllib.parse import quote

from dresskit.course.codes import OBSERVATION_CODES

# --- systems ---------------------------------------------------------------------------------

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
SNOMED: Final = "http://snomed.info/sct"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
ATC: Final = "http://www.whocc.no/atc"
_OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_ADVERSE_EVENT_OUTCOME: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
_INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: Identifier systems (one per table).
PATIENT_SYSTEM: Final = "urn:dresskit:patient"
EPISODE_SYSTEM: Final = "urn:dresskit:episode"
ADVERSE_EVENT_SYSTEM: Final = "urn:dresskit:adverse-event"
DRUG_EXPOSURE_SYSTEM: Final = "urn:dresskit:drug-exposure"
OBSERVATION_SYSTEM: Final = "urn:dresskit:observation"
FINDING_RECORD_SYSTEM: Final = "urn:dresskit:finding-record"
TREATMENT_SYSTEM: Final = "urn:dresskit:treatment"

#: Code systems of dresskit's own codes.
PHENOTYPE_CODES: Final = "urn:dresskit:phenotype"
OBSERVATION_CODE_SYSTEM: Final = "urn:dresskit:observation-code"
FINDING_CODES: Final = "urn:dresskit:finding"
FINDING_VALUE_CODES: Final = "urn:dresskit:finding-value"
INSTRUMENT_CODES: Final = "urn:dresskit:causality-instrument"

_EXTENSION: Final = "urn:dresskit:fhir:"
EXT_EPISODE: Final = _EXTENSION + "episode"
EXT_ADMISSION: Final = _EXTENSION + "admission-date"
EXT_LAST_FOLLOW_UP: Final = _EXTENSION + "last-follow-up-date"
EXT_OUTCOME: Final = _EXTENSION + "outcome"
EXT_DEATH_DATE: Final = _EXTENSION + "death-date"
EXT_AGE: Final = _EXTENSION + "age-at-onset"
EXT_LOCAL_TIME: Final = _EXTENSION + "local-time"
EXT_ROLE: Final = _EXTENSION + "drug-role"
EXT_KIND: Final = _EXTENSION + "treatment-kind"
EXT_INTERVAL: Final = _EXTENSION + "interval-days"
EXT_LOADING_DOSE: Final = _EXTENSION + "loading-dose"
EXT_ROUTE: Final = _EXTENSION + "route"
EXT_DETAIL: Final = _EXTENSION + "finding-detail"
EXT_ANSWER: Final = _EXTENSION + "assessment-answer"
EXT_MANIFEST: Final = _EXTENSION + "manifest-entry"

#: UUID v5 namespace of resource ids: the same identifier always gives the same id.
_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dresskit:fhir")

_PHENOTYPES: Final[Mapping[str, str]] = {
    "dress": "Drug reaction with eosinophilia and systemic symptoms (DRESS)",
    "maculopapular_exanthema": "Maculopapular drug exanthema",
    "sjs_ten": "Stevens-Johnson syndrome / toxic epidermal necrolysis",
    "agep": "Acute generalized exanthematous pustulosis",
    "other": "Other drug eruption",
}
#: Only where one code fits the phenotype exactly (SJS/TEN spans L51.1-L51.3, so none).
_ICD10CM: Final[Mapping[str, tuple[str, str]]] = {
    "dress": ("D72.12", "Drug rash with eosinophilia and systemic symptoms syndrome"),
}
#: condition-clinical only where the outcome implies it; the outcome extension keeps the rest.
_CLINICAL_STATUS: Final[Mapping[str, str]] = {"recovered": "resolved", "ongoing": "active"}
_EVENT_OUTCOME: Final[Mapping[str, str]] = {
    "recovered": "resolved",
    "died": "fatal",
    "ongoing": "ongoing",
    "lost_to_follow_up": "unknown",
    "transferred": "unknown",
}
#: SNOMED CT route of administration (FHIR R4 value set route-codes).
_ROUTES: Final[Mapping[str, tuple[str, str]]] = {
    "oral": ("26643006", "Oral route"),
    "iv": ("47625008", "Intravenous route"),
    "sc": ("34206005", "Subcutaneous route"),
    "im": ("78421000", "Intramuscular route"),
    "topical": ("6064005", "Topical route"),
}
_ROUTE_BY_SNOMED: Final = {code: route for route, (code, _) in _ROUTES.items()}
#: SNOMED CT qualifier values and v3 interpretation codes of qualitative results.
_TEXT_RESULTS: Final[Mapping[str, tuple[str, str, str]]] = {
    "positive": ("10828004", "Positive", "POS"),
    "negative": ("260385009", "Negative", "NEG"),
}
_TEXT_BY_SNOMED: Final = {snomed: text for text, (snomed, _, _) in _TEXT_RESULTS.items()}
_TEXT_BY_INTERPRETATION: Final = {v3: text for text, (_, _, v3) in _TEXT_RESULTS.items()}
_CATEGORIES: Final[Mapping[str, str]] = {
    "temperature": "vital-signs",
    "weight": "vital-signs",
    "itch_nrs": "survey",
    "rash_bsa": "exam",
}
_CATEGORY_DISPLAY: Final = {
    "vital-signs": "Vital Signs",
    "laboratory": "Laboratory",
    "survey": "Survey",
    "exam": "Exam",
}
_CODE_BY_LOINC: Final = {d.loinc: c for c, d in OBSERVATION_CODES.items() if d.loinc is not None}
_INSTRUMENTS: Final = {"naranjo": "Naranjo ADR probability scale", "who-umc": "WHO-UMC"}
_RESOURCE_TYPES: Final = (
    "Patient",
    "Condition",
    "MedicationStatement",
    "AdverseEvent",
    "Observation",
    "MedicationAdministration",
)
_BUNDLE_TYPES: Final = ("collection", "document", "searchset", "transaction", "batch")
_UTC_OFFSET: Final = re.compile(r"Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|\+14:00")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME: Final = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(T(?P<hm>[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]):(?P<s>[0-5][0-9])(?P<f>\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}))?"
)
_TIME: Final = re.compile(r"(?P<hm>[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]):00")
_BIRTH_DATE: Final = re.compile(r"(?P<year>[0-9]{4})(-[0-9]{2}(-[0-9]{2})?)?")

JSON = dict[str, Any]


# --- export ----------------------------------------------------------------------------------


def _key(*parts: object) -> str:
    """Join the parts of a natural key into one identifier value ('/' and '%' escaped)."""
    return "/".join(quote("" if part is None else str(part), safe=" :-._~,()+") for part in parts)


def _coding(system: str, code: str, display: str | None = None) -> JSON:
    coding: JSON = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return coding


def _quantity(value: float, unit: str) -> JSON:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _reference(url: str) -> JSON:
    return {"reference": url}


def _period(start: date | None, end: date | None) -> JSON:
    period: JSON = {}
    if start is not None:
        period["start"] = start.isoformat()
    if end is not None:
        period["end"] = end.isoformat()
    return period
