"""Exchange a dresskit bundle as a FHIR R4 ``Bundle`` resource (plain JSON dictionaries).

:func:`bundle_to_fhir` writes a ``collection`` Bundle; :func:`fhir_to_tables` reads one back
into the text tables that :func:`dresskit.course.bundle.validate_tables` accepts, reporting
every problem with the JSON path of the offending element. Nothing is fetched from a network
and nothing beyond the standard library and polars is needed.

Mapping (one resource per row; each has a stable ``id`` and an ``identifier``):

=====================  ======================  ==============================================
bundle table           FHIR resource           notes
=====================  ======================  ==============================================
manifest               ``Bundle.meta``         one ``manifest-entry`` extension per key
patients               Patient                 ``gender``; ``birthDate`` = the year; age at
                                               onset as an ``age-at-onset`` extension (Age)
episodes               Condition               dresskit phenotype coding (+ ICD-10-CM D72.12
                                               for DRESS); ``onsetDateTime``;
                                               ``clinicalStatus`` when the outcome implies
                                               one; admission, last follow-up and outcome as
                                               extensions (lossless)
drug_exposures         MedicationStatement     drug as ``medicationCodeableConcept.text`` +
                                               ATC coding; ``effectivePeriod``; role extension
drug_assessments       AdverseEvent            one per episode: ``resultingCondition`` = the
                                               Condition, ``suspectEntity`` = the suspect (and
                                               every assessed) MedicationStatement, one
                                               ``causality`` per instrument holding each item
                                               answer as an extension, and the category in
                                               ``causality.assessment.text`` (derived, not read)
observations           Observation             LOINC + dresskit coding; ``valueQuantity`` in
                                               the canonical UCUM unit, or a
                                               ``valueCodeableConcept`` (SNOMED positive /
                                               negative) for text results
findings               Observation             code system ``urn:dresskit:finding``; value in
                                               ``urn:dresskit:finding-value``; detail extension
treatments             MedicationAdministration ``effectivePeriod``, ``dosage.dose`` (UCUM),
                                               ``dosage.route`` (SNOMED); kind, interval and
                                               loading dose as extensions
=====================  ======================  ==============================================

Every resource that belongs to an episode carries the extension ``urn:dresskit:fhir:episode``
(a Reference to the episode's Condition) rather than ``Observation.focus``: ``focus`` would
say the observation is *about* the Condition, not the patient. References use the entries'
``fullUrl`` (``urn:uuid:...``, ids derived with UUID v5 from the identifier), so two exports
of the same bundle are identical and a re-import is idempotent.

Time of day: FHIR requires a time zone on a ``dateTime`` with a time, and a bundle records
local clock times without one. By default an observation's ``effectiveDateTime`` is therefore
the date, and the clock time is kept in the ``urn:dresskit:fhir:local-time`` extension
(``time``, which has no zone); pass ``utc_offset`` (``"+09:00"``) to write full date-times.
On reading, a date-time's clock time is taken as written (the wall clock at its offset).

References
----------
.. [1] HL7 FHIR R4 (4.0.1): Bundle https://hl7.org/fhir/R4/bundle.html, Patient
   https://hl7.org/fhir/R4/patient.html, Condition https://hl7.org/fhir/R4/condition.html,
   Observation https://hl7.org/fhir/R4/observation.html, MedicationStatement
   https://hl7.org/fhir/R4/medicationstatement.html, MedicationAdministration
   https://hl7.org/fhir/R4/medicationadministration.html, AdverseEvent
   https://hl7.org/fhir/R4/adverseevent.html.
.. [2] FHIR R4 data types (date, dateTime, time, Quantity, Age, Reference):
   https://hl7.org/fhir/R4/datatypes.html; extensions https://hl7.org/fhir/R4/extensibility.html;
   references inside a Bundle https://hl7.org/fhir/R4/bundle.html#references; JSON
   https://hl7.org/fhir/R4/json.html.
.. [3] Terminologies: LOINC https://hl7.org/fhir/R4/loinc.html, UCUM
   https://hl7.org/fhir/R4/ucum.html, SNOMED CT https://hl7.org/fhir/R4/snomedct.html
   (route codes of https://hl7.org/fhir/R4/valueset-route-codes.html), ICD-10-CM D72.12
   "Drug rash with eosinophilia and systemic symptoms syndrome", ATC
   http://www.whocc.no/atc; observation-category, condition-clinical,
   adverse-event-outcome and v3-ObservationInterpretation code systems of
   https://terminology.hl7.org.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import polars as pl

from dresskit.course.bundle import Bundle, validate_tables
from dresskit.course.bundle_schema import (
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_NAME,
    FORMAT_VERSION,
    TABLES,
    TREATMENT_DOSE_UNITS,
)
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.errors import MISSING, DresskitError, InputError, InputErrors
from dresskit.scoring import naranjo, who_umc

__all__ = [
    "bundle_to_fhir",
    "fhir_to_bundle",
    "fhir_to_tables",
    "read_fhir",
    "write_fhir",
]

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


@dataclass
class _Writer:
    """Collects entries; numbers repeated natural keys so identifiers stay unique."""

    entries: list[JSON] = field(default_factory=list)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, resource_type: str, system: str, natural_key: str, body: JSON) -> str:
        """Append a resource; return its fullUrl."""
        count = self.seen.get((system, natural_key), 0) + 1
        self.seen[(system, natural_key)] = count
        value = natural_key if count == 1 else f"{natural_key}#{count}"
        resource_id = str(uuid.uuid5(_NAMESPACE, f"{resource_type}|{system}|{value}"))
        resource: JSON = {
            "resourceType": resource_type,
            "id": resource_id,
            "identifier": [{"system": system, "value": value}],
            **body,
        }
        url = f"urn:uuid:{resource_id}"
        self.entries.append({"fullUrl": url, "resource": resource})
        return url


def _phenotype_concept(phenotype: str) -> JSON:
    codings = [_coding(PHENOTYPE_CODES, phenotype, _PHENOTYPES[phenotype])]
    if phenotype in _ICD10CM:
        codings.append(_coding(ICD10CM, *_ICD10CM[phenotype]))
    return {"coding": codings, "text": _PHENOTYPES[phenotype]}


def _effective(on: date, at: time | None, utc_offset: str | None) -> tuple[str, list[JSON]]:
    """Return effectiveDateTime and the local-time extension (when no offset is given)."""
    if at is None:
        return on.isoformat(), []
    clock = at.strftime("%H:%M:00")
    if utc_offset is None:
        return on.isoformat(), [{"url": EXT_LOCAL_TIME, "valueTime": clock}]
    return f"{on.isoformat()}T{clock}{utc_offset}", []


def _assessment_text(instrument: str, answers: Mapping[str, str]) -> str | None:
    """Return the instrument's category when every item is answered (derived; not read back)."""
    if set(answers) != set(ASSESSMENT_ANSWERS[instrument]):
        return None
    try:
        result = (naranjo if instrument == "naranjo" else who_umc).score(dict(answers))
    except DresskitError:  # validated answers score; stay silent rather than fail an export
        return None
    total = "" if result.total is None else f" (total {result.total})"
    return f"{result.classification}{total}"


def bundle_to_fhir(bundle: Bundle, *, utc_offset: str | None = None) -> JSON:
    """Return a bundle as a FHIR R4 Bundle of type ``collection`` (JSON-compatible dicts).

    Parameters
    ----------
    bundle
        A validated bundle (canonical units).
    utc_offset
        Time-zone offset of the bundle's clock times (``"+09:00"``, ``"Z"``). When given,
        observations with a time get a full ``effectiveDateTime``; when ``None`` (default) the
        time is kept in the ``urn:dresskit:fhir:local-time`` extension, since FHIR requires a
        zone on a ``dateTime`` with a time and the bundle records none.

    Returns
    -------
    dict
        The Bundle resource. Equal bundles give equal documents (no timestamps, ids derived
        from identifiers).

    Raises
    ------
    InputError
        For a ``utc_offset`` that is not ``Z`` or ``+hh:mm`` / ``-hh:mm``.

    References
    ----------
    HL7 FHIR R4 Bundle https://hl7.org/fhir/R4/bundle.html and the resource pages listed in
    the module docstring.

    Examples
    --------
    >>> from dresskit.course.bundle import validate_tables
    >>> def text(**columns: list[str]) -> pl.DataFrame:
    ...     return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Utf8))
    >>> bundle = validate_tables(
    ...     {
    ...         "manifest": text(key=["format", "version"], value=["dresskit-bundle", "1.0"]),
    ...         "patients": text(patient_id=["P1"], sex=["female"]),
    ...         "episodes": text(
    ...             episode_id=["E1"], patient_id=["P1"], phenotype=["dress"],
    ...             onset_date=["2020-03-01"], outcome=["recovered"],
    ...             last_follow_up_date=["2020-04-30"],
    ...         ),
    ...         "drug_exposures": text(episode_id=[], drug=[], role=[]),
    ...         "observations": text(
    ...             episode_id=["E1"], date=["2020-03-05"], code=["alt"], value=["5"],
    ...             unit=["ukat/L"],
    ...         ),
    ...         "treatments": text(episode_id=[], kind=[], agent=[], start_date=[]),
    ...     },
    ...     source="example",
    ... )
    >>> document = bundle_to_fhir(bundle)
    >>> [entry["resource"]["resourceType"] for entry in document["entry"]]
    ['Patient', 'Condition', 'AdverseEvent', 'Observation']
    >>> alt = document["entry"][-1]["resource"]
    >>> alt["code"]["coding"][0], alt["valueQuantity"]["value"], alt["valueQuantity"]["code"]
    ({'system': 'http://loinc.org', 'code': '1742-6'}, 300.0, 'U/L')
    """
    if utc_offset is not None and not _UTC_OFFSET.fullmatch(utc_offset):
        raise InputError("utc_offset", utc_offset, "'Z' or an offset written +hh:mm or -hh:mm")
    writer = _Writer()
    patient_urls = {
        row["patient_id"]: writer.add("Patient", PATIENT_SYSTEM, row["patient_id"], _patient(row))
        for row in bundle.patients.iter_rows(named=True)
    }
    episode_rows = list(bundle.episodes.iter_rows(named=True))
    patient_of = {row["episode_id"]: patient_urls[row["patient_id"]] for row in episode_rows}
    condition_urls = {
        row["episode_id"]: writer.add(
            "Condition",
            EPISODE_SYSTEM,
            row["episode_id"],
            _condition(row, patient_of[row["episode_id"]]),
        )
        for row in episode_rows
    }

    def episode_link(episode_id: str) -> JSON:
        return {"url": EXT_EPISODE, "valueReference": _reference(condition_urls[episode_id])}

    statement_urls: dict[tuple[str, str], str] = {}
    roles: dict[tuple[str, str], str] = {}
    for row in bundle.drug_exposures.iter_rows(named=True):
        medication: JSON = {"text": row["drug"]}
        if row["atc_code"] is not None:
            medication = {"coding": [_coding(ATC, row["atc_code"])], "text": row["drug"]}
        body: JSON = {
            "extension": [
                episode_link(row["episode_id"]),
                {"url": EXT_ROLE, "valueCode": row["role"]},
            ],
            "status": "completed" if row["stop_date"] is not None else "unknown",
            "medicationCodeableConcept": medication,
            "subject": _reference(patient_of[row["episode_id"]]),
        }
        period = _period(row["start_date"], row["stop_date"])
        if period:
            body["effectivePeriod"] = period
        key = (row["episode_id"], row["drug"])
        statement_urls[key] = writer.add(
            "MedicationStatement", DRUG_EXPOSURE_SYSTEM, _key(*key), body
        )
        roles[key] = row["role"]

    answers: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}
    for row in bundle.drug_assessments.iter_rows(named=True):
        by_instrument = answers.setdefault((row["episode_id"], row["drug"]), {})
        by_instrument.setdefault(row["instrument"], []).append((row["item"], row["answer"]))
    for row in episode_rows:
        episode_id = row["episode_id"]
        suspects = [
            _suspect(statement_urls[key], answers.get(key, {}))
            for key in statement_urls
            if key[0] == episode_id and (roles[key] == "suspect" or key in answers)
        ]
        event: JSON = {
            "actuality": "actual",
            "event": _phenotype_concept(row["phenotype"]),
            "subject": _reference(patient_of[episode_id]),
            "date": row["onset_date"].isoformat(),
            "resultingCondition": [_reference(condition_urls[episode_id])],
            "outcome": {
                "coding": [_coding(_ADVERSE_EVENT_OUTCOME, _EVENT_OUTCOME[row["outcome"]])]
            },
        }
        if suspects:
            event["suspectEntity"] = suspects
        writer.add("AdverseEvent", ADVERSE_EVENT_SYSTEM, episode_id, event)

    for row in bundle.observations.iter_rows(named=True):
        episode_id = row["episode_id"]
        writer.add(
            "Observation",
            OBSERVATION_SYSTEM,
            _key(
                episode_id,
                row["date"],
                row["time"].strftime("%H:%M") if row["time"] else "",
                row["code"],
            ),
            _observation(row, patient_of[episode_id], episode_link(episode_id), utc_offset),
        )
    for row in bundle.findings.iter_rows(named=True):
        episode_id = row["episode_id"]
        extensions = [episode_link(episode_id)]
        if row["detail"] is not None:
            extensions.append({"url": EXT_DETAIL, "valueString": row["detail"]})
        writer.add(
            "Observation",
            FINDING_RECORD_SYSTEM,
            _key(episode_id, row["date"], row["code"], row["value"], row["detail"]),
            {
                "extension": extensions,
                "status": "final",
                "category": [_category("exam")],
                "code": {"coding": [_coding(FINDING_CODES, row["code"])], "text": row["code"]},
                "subject": _reference(patient_of[episode_id]),
                "effectiveDateTime": row["date"].isoformat(),
                "valueCodeableConcept": {
                    "coding": [_coding(FINDING_VALUE_CODES, row["value"])],
                    "text": row["value"],
                },
            },
        )
    for row in bundle.treatments.iter_rows(named=True):
        episode_id = row["episode_id"]
        writer.add(
            "MedicationAdministration",
            TREATMENT_SYSTEM,
            _key(episode_id, row["kind"], row["agent"], row["start_date"]),
            _administration(row, patient_of[episode_id], episode_link(episode_id)),
        )
    manifest = [
        {
            "url": EXT_MANIFEST,
            "extension": [{"url": "key", "valueString": k}, {"url": "value", "valueString": v}],
        }
        for k, v in bundle.manifest.items()
    ]
    document: JSON = {"resourceType": "Bundle", "type": "collection"}
    if manifest:
        document["meta"] = {"extension": manifest}
    document["entry"] = writer.entries
    return document


def _category(code: str) -> JSON:
    return {"coding": [_coding(_OBSERVATION_CATEGORY, code, _CATEGORY_DISPLAY[code])]}


def _patient(row: Mapping[str, Any]) -> JSON:
    body: JSON = {}
    if row["age_years"] is not None:
        age = {"value": row["age_years"], "unit": "years", "system": UCUM, "code": "a"}
        # age-1: an Age's value SHALL be positive, so age 0 is written as a plain Quantity.
        kind = "valueAge" if row["age_years"] > 0 else "valueQuantity"
        body["extension"] = [{"url": EXT_AGE, kind: age}]
    body["gender"] = row["sex"]
    if row["birth_year"] is not None:
        body["birthDate"] = f"{row['birth_year']:04d}"
    return body


def _condition(row: Mapping[str, Any], patient_url: str) -> JSON:
    extensions: list[JSON] = []
    if row["admission_date"] is not None:
        extensions.append({"url": EXT_ADMISSION, "valueDate": row["admission_date"].isoformat()})
    extensions.append(
        {"url": EXT_LAST_FOLLOW_UP, "valueDate": row["last_follow_up_date"].isoformat()}
    )
    extensions.append({"url": EXT_OUTCOME, "valueCode": row["outcome"]})
    body: JSON = {"extension": extensions}
    if row["outcome"] in _CLINICAL_STATUS:
        body["clinicalStatus"] = {
            "coding": [_coding(_CONDITION_CLINICAL, _CLINICAL_STATUS[row["outcome"]])]
        }
    body["code"] = _phenotype_concept(row["phenotype"])
    body["subject"] = _reference(patient_url)
    body["onsetDateTime"] = row["onset_date"].isoformat()
    return body


def _suspect(statement_url: str, by_instrument: Mapping[str, list[tuple[str, str]]]) -> JSON:
    suspect: JSON = {"instance": _reference(statement_url)}
    causality = []
    for instrument, items in by_instrument.items():
        entry: JSON = {
            "extension": [
                {
                    "url": EXT_ANSWER,
                    "extension": [
                        {"url": "item", "valueCode": item},
                        {"url": "answer", "valueCode": answer},
                    ],
                }
                for item, answer in items
            ]
        }
        category = _assessment_text(instrument, dict(items))
        if category is not None:
            entry["assessment"] = {"text": category}
        entry["method"] = {
            "coding": [_coding(INSTRUMENT_CODES, instrument, _INSTRUMENTS[instrument])]
        }
        causality.append(entry)
    if causality:
        suspect["causality"] = causality
    return suspect


def _observation(
    row: Mapping[str, Any], patient_url: str, episode: JSON, utc_offset: str | None
) -> JSON:
    code = row["code"]
    definition = OBSERVATION_CODES[code]
    codings = []
    if definition.loinc is not None:
        codings.append(_coding(LOINC, definition.loinc))
    codings.append(_coding(OBSERVATION_CODE_SYSTEM, code, definition.label))
    effective, time_extension = _effective(row["date"], row["time"], utc_offset)
    body: JSON = {
        "extension": [episode, *time_extension],
        "status": "final",
        "category": [_category(_CATEGORIES.get(code, "laboratory"))],
        "code": {"coding": codings, "text": definition.label},
        "subject": _reference(patient_url),
        "effectiveDateTime": effective,
    }
    text = row["text"]
    if row["value"] is not None:
        body["valueQuantity"] = _quantity(row["value"], row["unit"])
        if text is not None:
            body["interpretation"] = [
                {"coding": [_coding(_INTERPRETATION, _TEXT_RESULTS[text][2])], "text": text}
            ]
    else:
        snomed, display, _ = _TEXT_RESULTS[text]
        body["valueCodeableConcept"] = {"coding": [_coding(SNOMED, snomed, display)], "text": text}
    return body


def _route_concept(route: str) -> JSON:
    snomed, display = _ROUTES[route]
    return {"coding": [_coding(SNOMED, snomed, display)], "text": route}


def _administration(row: Mapping[str, Any], patient_url: str, episode: JSON) -> JSON:
    extensions = [episode, {"url": EXT_KIND, "valueCode": row["kind"]}]
    if row["interval_days"] is not None:
        extensions.append({"url": EXT_INTERVAL, "valuePositiveInt": row["interval_days"]})
    if row["loading_dose"] is not None:
        extensions.append(
            {"url": EXT_LOADING_DOSE, "valueQuantity": _quantity(row["loading_dose"], "mg")}
        )
    dosage: JSON = {}
    route = row["route"]
    if row["dose"] is not None:
        unit = row["dose_unit"]
        if unit is None:
            dosage["dose"] = {"value": row["dose"]}
        elif unit in TREATMENT_DOSE_UNITS[row["kind"]]:
            dosage["dose"] = _quantity(row["dose"], unit)
        else:  # free text of an 'other' treatment: not known to be UCUM, so no system
            dosage["dose"] = {"value": row["dose"], "unit": unit}
        if route is not None:
            dosage["route"] = _route_concept(route)
    elif route is not None:
        # mad-1: a dosage needs a dose or rate, so a route without a dose goes in an extension.
        extensions.append({"url": EXT_ROUTE, "valueCodeableConcept": _route_concept(route)})
    body: JSON = {
        "extension": extensions,
        "status": "completed" if row["end_date"] is not None else "in-progress",
        "medicationCodeableConcept": {"text": row["agent"]},
        "subject": _reference(patient_url),
        "effectivePeriod": _period(row["start_date"], row["end_date"]),
    }
    if dosage:
        body["dosage"] = dosage
    return body


# --- import ----------------------------------------------------------------------------------


@dataclass
class _Target:
    resource_type: str
    index: int


@dataclass
class _Reader:
    """Reads one document, collecting every problem with its JSON path."""

    source: str
    errors: list[InputError] = field(default_factory=list)
    targets: dict[str, _Target] = field(default_factory=dict)
    patient_ids: dict[int, str] = field(default_factory=dict)
    episodes: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    exposures: dict[int, tuple[str, str]] = field(default_factory=dict)
    rows: dict[str, list[list[str | None]]] = field(default_factory=dict)
    origins: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, path: str, value: object, expected: str) -> None:
        self.errors.append(InputError(path, value, expected, source=self.source))

    def add_row(self, table: str, path: str, values: Mapping[str, str | None]) -> None:
        self.rows.setdefault(table, []).append([values.get(c.name) for c in TABLES[table]])
        self.origins.setdefault(table, []).append(path)

    # typed access ---------------------------------------------------------------------------

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return value
        self.problem(path, value, "a JSON object")
        return None

    def child(
        self, node: Mapping[str, object], key: str, path: str, *, required: bool, what: str
    ) -> Mapping[str, object] | None:
        value = node.get(key, MISSING)
        if value is MISSING:
            if required:
                self.problem(_at(path, key), MISSING, what)
            return None
        return self.mapping(value, _at(path, key))

    def array(self, node: Mapping[str, object], key: str, path: str) -> list[tuple[str, object]]:
        value = node.get(key, MISSING)
        if value is MISSING:
            return []
        if not isinstance(value, list):
            self.problem(_at(path, key), value, "a JSON array")
            return []
        return [(f"{_at(path, key)}[{i}]", item) for i, item in enumerate(value)]

    def objects(
        self, node: Mapping[str, object], key: str, path: str
    ) -> list[tuple[str, Mapping[str, object]]]:
        found = []
        for item_path, item in self.array(node, key, path):
            checked = self.mapping(item, item_path)
            if checked is not None:
                found.append((item_path, checked))
        return found

    def string(
        self,
        node: Mapping[str, object],
        key: str,
        path: str,
        *,
        required: bool,
        expected: str = "a non-empty string",
        choices: Iterable[str] | None = None,
    ) -> str | None:
        value = node.get(key, MISSING)
        if value is MISSING:
            if required:
                self.problem(_at(path, key), MISSING, expected)
            return None
        accepted = None if choices is None else tuple(choices)
        if (
            not isinstance(value, str)
            or not value
            or (accepted is not None and value not in accepted)
        ):
            self.problem(_at(path, key), value, expected)
            return None
        return value

    def date_text(
        self, node: Mapping[str, object], key: str, path: str, *, required: bool, what: str
    ) -> str | None:
        """Return a FHIR date (or dateTime, of which the calendar date is kept) as YYYY-MM-DD."""
        expected = f"{what}: a date YYYY-MM-DD"
        text = self.string(node, key, path, required=required, expected=expected)
        if text is None:
            return None
        matched = _DATE_TIME.fullmatch(text)
        if matched is None or not _real_date(matched["date"]):
            self.problem(_at(path, key), text, expected)
            return None
        return matched["date"]

    def number(
        self, node: Mapping[str, object], key: str, path: str, *, integer: bool
    ) -> str | None:
        value = node.get(key, MISSING)
        expected = "a whole number" if integer else "a decimal number"
        if value is MISSING:
            self.problem(_at(path, key), MISSING, expected)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(_at(path, key), value, expected)
            return None
        if integer and not isinstance(value, int):
            self.problem(_at(path, key), value, expected)
            return None
        if not math.isfinite(value):
            self.problem(_at(path, key), value, "a finite " + expected[2:])
            return None
        return str(value) if isinstance(value, int) else repr(value)

    def extension(
        self, node: Mapping[str, object], url: str, path: str, *, required: bool, what: str
    ) -> tuple[str, Mapping[str, object]] | None:
        found = [
            (item_path, item)
            for item_path, item in self.objects(node, "extension", path)
            if item.get("url") == url
        ]
        if len(found) > 1:
            self.problem(found[1][0], url, f"one extension {url} only ({what})")
        if found:
            return found[0]
        if required:
            self.problem(f"{path}.extension", MISSING, f"an extension with url {url} ({what})")
        return None

    def identifier(
        self, node: Mapping[str, object], system: str, path: str, *, what: str
    ) -> str | None:
        for item_path, item in self.objects(node, "identifier", path):
            if item.get("system") == system:
                return self.string(item, "value", item_path, required=True, expected=what)
        self.problem(f"{path}.identifier", MISSING, f"an identifier with system {system} ({what})")
        return None

    def codings(
        self, concept: Mapping[str, object], path: str, system: str
    ) -> list[tuple[str, str | None]]:
        """Return (path of the code, code) of every coding of ``system`` in a CodeableConcept."""
        return [
            (f"{item_path}.code", self.string(item, "code", item_path, required=True))
            for item_path, item in self.objects(concept, "coding", path)
            if item.get("system") == system
        ]

    def resolve(self, node: Mapping[str, object], path: str, resource_type: str) -> int | None:
        """Return the entry index a Reference points to, when it is a resource of that type."""
        expected = (
            f"a reference to a {resource_type} of this Bundle (its fullUrl or {resource_type}/id)"
        )
        reference = self.string(node, "reference", path, required=True, expected=expected)
        if reference is None:
            return None
        target = self.targets.get(reference)
        if target is None or target.resource_type != resource_type:
            self.problem(f"{path}.reference", reference, expected)
            return None
        return target.index

    # resources --------------------------------------------------------------------------------

    def episode_of(
        self, resource: Mapping[str, object], path: str, *, subject_required: bool
    ) -> tuple[str, int | None] | None:
        """Return the episode (id, patient entry) an extension links to; check ``subject``."""
        found = self.extension(
            resource,
            EXT_EPISODE,
            path,
            required=True,
            what="valueReference = the episode's Condition",
        )
        if found is None:
            return None
        link_path, link = found
        reference = self.child(
            link, "valueReference", link_path, required=True, what="a Reference to a Condition"
        )
        index = (
            None
            if reference is None
            else self.resolve(reference, f"{link_path}.valueReference", "Condition")
        )
        episode = None if index is None else self.episodes.get(index)
        if episode is not None:
            self.check_subject(resource, path, episode, required=subject_required)
        return episode

    def check_subject(
        self,
        resource: Mapping[str, object],
        path: str,
        episode: tuple[str, int | None],
        *,
        required: bool,
    ) -> None:
        subject = self.child(
            resource, "subject", path, required=required, what="a Reference to the Patient"
        )
        if subject is None:
            return
        index = self.resolve(subject, f"{path}.subject", "Patient")
        if index is not None and episode[1] is not None and index != episode[1]:
            patient = self.patient_ids.get(episode[1], "?")
            self.problem(
                f"{path}.subject.reference",
                subject.get("reference"),
                f"a reference to the Patient of episode {episode[0]} (patient_id {patient})",
            )

    def patient(self, path: str, index: int, resource: Mapping[str, object]) -> None:
        patient_id = self.identifier(resource, PATIENT_SYSTEM, path, what="the patient_id")
        sex_codes = TABLES["patients"][1].codes
        sex = self.string(
            resource,
            "gender",
            path,
            required=True,
            expected="one of " + ", ".join(sex_codes),
            choices=sex_codes,
        )
        birth_year = None
        birth = self.string(
            resource,
            "birthDate",
            path,
            required=False,
            expected="a date YYYY, YYYY-MM or YYYY-MM-DD",
        )
        if birth is not None:
            matched = _BIRTH_DATE.fullmatch(birth)
            if matched is None:
                self.problem(f"{path}.birthDate", birth, "a date YYYY, YYYY-MM or YYYY-MM-DD")
            else:
                birth_year = matched["year"]  # the bundle records the year of birth only
        age = None
        found = self.extension(resource, EXT_AGE, path, required=False, what="valueAge in years")
        if found is not None:
            age = self.age(*found)
        if patient_id is not None:
            self.patient_ids[index] = patient_id
        self.add_row(
            "patients",
            path,
            {"patient_id": patient_id, "sex": sex, "birth_year": birth_year, "age_years": age},
        )

    def age(self, path: str, extension: Mapping[str, object]) -> str | None:
        kind = "valueQuantity" if "valueQuantity" in extension else "valueAge"
        value = self.child(extension, kind, path, required=True, what="an Age in years (UCUM 'a')")
        if value is None:
            return None
        self.ucum(value, f"{path}.{kind}", ("a",))
        return self.number(value, "value", f"{path}.{kind}", integer=True)

    def ucum(
        self, quantity: Mapping[str, object], path: str, accepted: tuple[str, ...]
    ) -> str | None:
        """Check ``system`` is UCUM and ``code`` accepted; return the code."""
        listed = ", ".join(accepted)
        self.string(quantity, "system", path, required=True, expected=UCUM, choices=(UCUM,))
        return self.string(
            quantity,
            "code",
            path,
            required=True,
            expected=f"a UCUM unit code: {listed}",
            choices=accepted,
        )

    def condition(self, path: str, index: int, resource: Mapping[str, object]) -> None:
        episode_id = self.identifier(resource, EPISODE_SYSTEM, path, what="the episode_id")
        patient_index = None
        subject = self.child(
            resource, "subject", path, required=True, what="a Reference to the Patient"
        )
        if subject is not None:
            patient_index = self.resolve(subject, f"{path}.subject", "Patient")
        phenotype = None
        concept = self.child(resource, "code", path, required=True, what="the phenotype")
        if concept is not None:
            phenotype = self.dresskit_code(
                concept, f"{path}.code", PHENOTYPE_CODES, tuple(_PHENOTYPES), "the phenotype"
            )
        onset = self.date_text(resource, "onsetDateTime", path, required=True, what="the onset")
        values: dict[str, str | None] = {
            "episode_id": episode_id,
            "patient_id": None if patient_index is None else self.patient_ids.get(patient_index),
            "phenotype": phenotype,
            "onset_date": onset,
        }
        for column, url, required in (
            ("admission_date", EXT_ADMISSION, False),
            ("last_follow_up_date", EXT_LAST_FOLLOW_UP, True),
        ):
            found = self.extension(resource, url, path, required=required, what="valueDate")
            if found is not None:
                values[column] = self.date_text(
                    found[1], "valueDate", found[0], required=True, what=column
                )
        outcomes = TABLES["episodes"][5].codes
        found = self.extension(resource, EXT_OUTCOME, path, required=True, what="valueCode")
        if found is not None:
            values["outcome"] = self.string(
                found[1],
                "valueCode",
                found[0],
                required=True,
                expected="one of " + ", ".join(outcomes),
                choices=outcomes,
            )
        if episode_id is not None:
            self.episodes[index] = (episode_id, patient_index)
        self.add_row("episodes", path, values)

    def dresskit_code(
        self,
        concept: Mapping[str, object],
        path: str,
        system: str,
        accepted: tuple[str, ...],
        what: str,
    ) -> str | None:
        found = self.codings(concept, path, system)
        if not found:
            self.problem(f"{path}.coding", MISSING, f"a coding with system {system} ({what})")
            return None
        code_path, code = found[0]
        if code is not None and code not in accepted:
            self.problem(code_path, code, f"{what}: one of " + ", ".join(accepted))
            return None
        return code

    def statement(self, path: str, index: int, resource: Mapping[str, object]) -> None:
        episode = self.episode_of(resource, path, subject_required=True)
        drug, atc = self.medication(resource, path)
        roles = TABLES["drug_exposures"][3].codes
        role = None
        found = self.extension(resource, EXT_ROLE, path, required=True, what="valueCode")
        if found is not None:
            role = self.string(
                found[1],
                "valueCode",
                found[0],
                required=True,
                expected="one of " + ", ".join(roles),
                choices=roles,
            )
        start = stop = None
        period = self.child(resource, "effectivePeriod", path, required=False, what="a Period")
        if period is not None:
            start = self.date_text(
                period, "start", f"{path}.effectivePeriod", required=False, what="first dose"
            )
            stop = self.date_text(
                period, "end", f"{path}.effectivePeriod", required=False, what="last dose"
            )
        episode_id = None if episode is None else episode[0]
        if episode_id is not None and drug is not None:
            self.exposures[index] = (episode_id, drug)
        self.add_row(
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

    def medication(
        self, resource: Mapping[str, object], path: str
    ) -> tuple[str | None, str | None]:
        concept = self.child(
            resource,
            "medicationCodeableConcept",
            path,
            required=True,
            what="a CodeableConcept whose text is the drug's generic name",
        )
        if concept is None:
            return None, None
        concept_path = f"{path}.medicationCodeableConcept"
        name = self.string(
            concept, "text", concept_path, required=True, expected="the generic name"
        )
        codes = [code for _, code in self.codings(concept, concept_path, ATC) if code is not None]
        return name, codes[0] if codes else None

    def adverse_event(self, path: str, resource: Mapping[str, object]) -> None:
        links = self.objects(resource, "resultingCondition", path)
        if len(links) != 1:
            self.problem(
                f"{path}.resultingCondition",
                MISSING if not links else len(links),
                "one Reference to the episode's Condition",
            )
            return
        index = self.resolve(links[0][1], links[0][0], "Condition")
        episode = None if index is None else self.episodes.get(index)
        if episode is None:
            return
        self.check_subject(resource, path, episode, required=True)
        for suspect_path, suspect in self.objects(resource, "suspectEntity", path):
            instance = self.child(
                suspect, "instance", suspect_path, required=True, what="a Reference"
            )
            target = (
                None
                if instance is None
                else self.resolve(instance, f"{suspect_path}.instance", "MedicationStatement")
            )
            exposure = None if target is None else self.exposures.get(target)
            if exposure is not None and exposure[0] != episode[0]:
                self.problem(
                    f"{suspect_path}.instance.reference",
                    instance.get("reference") if instance else None,
                    f"a MedicationStatement of episode {episode[0]}",
                )
                exposure = None
            for causality_path, causality in self.objects(suspect, "causality", suspect_path):
                self.causality(causality_path, causality, exposure)

    def causality(
        self,
        path: str,
        causality: Mapping[str, object],
        exposure: tuple[str, str] | None,
    ) -> None:
        answers = [
            (item_path, item)
            for item_path, item in self.objects(causality, "extension", path)
            if item.get("url") == EXT_ANSWER
        ]
        if not answers:
            return  # an overall assessment alone has no place in the bundle (item answers only)
        instrument = None
        method = self.child(causality, "method", path, required=True, what="the instrument")
        if method is not None:
            instrument = self.dresskit_code(
                method,
                f"{path}.method",
                INSTRUMENT_CODES,
                tuple(ASSESSMENT_ANSWERS),
                "the instrument",
            )
        for answer_path, answer in answers:
            parts: dict[str, str | None] = {}
            for part in ("item", "answer"):
                found = self.extension(answer, part, answer_path, required=True, what="valueCode")
                if found is not None:
                    parts[part] = self.string(found[1], "valueCode", found[0], required=True)
            self.add_row(
                "drug_assessments",
                answer_path,
                {
                    "episode_id": None if exposure is None else exposure[0],
                    "drug": None if exposure is None else exposure[1],
                    "instrument": instrument,
                    **parts,
                },
            )

    def observation(self, path: str, resource: Mapping[str, object]) -> None:
        concept = self.child(resource, "code", path, required=True, what="the observation code")
        if concept is None:
            return
        codings = concept.get("coding")
        if isinstance(codings, list) and any(
            isinstance(c, Mapping) and c.get("system") == FINDING_CODES for c in codings
        ):
            self.finding(path, resource, concept)
            return
        code = self.observation_code(concept, f"{path}.code")
        episode = self.episode_of(resource, path, subject_required=False)
        on, at = self.effective(resource, path)
        values: dict[str, str | None] = {
            "episode_id": None if episode is None else episode[0],
            "date": on,
            "time": at,
            "code": code,
        }
        definition = None if code is None else OBSERVATION_CODES[code]
        label = (
            ""
            if definition is None
            else f" for {code}" + (f" (LOINC {definition.loinc})" if definition.loinc else "")
        )
        quantity = self.child(resource, "valueQuantity", path, required=False, what="a Quantity")
        text = None
        if quantity is not None:
            quantity_path = f"{path}.valueQuantity"
            values["value"] = self.number(quantity, "value", quantity_path, integer=False)
            if definition is not None:
                listed = ", ".join(definition.accepted_units)
                self.string(
                    quantity, "system", quantity_path, required=True, expected=UCUM, choices=(UCUM,)
                )
                values["unit"] = self.string(
                    quantity,
                    "code",
                    quantity_path,
                    required=True,
                    expected=f"a UCUM unit accepted{label}: {listed}",
                    choices=definition.accepted_units,
                )
            for item_path, item in self.objects(resource, "interpretation", path):
                for code_path, v3 in self.codings(item, item_path, _INTERPRETATION):
                    if v3 in _TEXT_BY_INTERPRETATION:
                        text = (code_path, _TEXT_BY_INTERPRETATION[v3])
        elif "valueCodeableConcept" in resource:
            result = self.child(
                resource, "valueCodeableConcept", path, required=True, what="a CodeableConcept"
            )
            if result is not None:
                text = self.text_result(result, f"{path}.valueCodeableConcept")
        elif "valueString" in resource:
            value = self.string(resource, "valueString", path, required=True)
            text = None if value is None else (f"{path}.valueString", value)
        else:
            self.problem(
                f"{path}.value[x]",
                MISSING,
                "valueQuantity, or a text result (valueCodeableConcept, valueString)",
            )
        if text is not None and definition is not None:
            if not definition.qualitative:
                self.problem(
                    text[0],
                    text[1],
                    f"a numeric result{label}: only qualitative codes take a text result",
                )
            elif text[1] not in definition.text_values:
                self.problem(text[0], text[1], "one of " + ", ".join(definition.text_values))
            else:
                values["text"] = text[1]
        self.add_row("observations", path, values)

    def observation_code(self, concept: Mapping[str, object], path: str) -> str | None:
        """Return the dresskit code of an Observation.code, from LOINC or the dresskit coding."""
        codes: set[str] = set()
        ok = True
        for code_path, loinc in self.codings(concept, path, LOINC):
            if loinc is None:
                ok = False
            elif loinc not in _CODE_BY_LOINC:
                ok = False
                self.problem(
                    code_path,
                    loinc,
                    "a LOINC code dresskit reads: "
                    + ", ".join(f"{n} ({c})" for n, c in _CODE_BY_LOINC.items()),
                )
            else:
                codes.add(_CODE_BY_LOINC[loinc])
        for code_path, own in self.codings(concept, path, OBSERVATION_CODE_SYSTEM):
            if own is None:
                ok = False
            elif own not in OBSERVATION_CODES:
                ok = False
                self.problem(code_path, own, "one of " + ", ".join(OBSERVATION_CODES))
            else:
                codes.add(own)
        if not ok:
            return None
        if not codes:
            self.problem(
                f"{path}.coding",
                MISSING,
                f"a coding with system {LOINC} or {OBSERVATION_CODE_SYSTEM}",
            )
            return None
        if len(codes) > 1:
            self.problem(f"{path}.coding", sorted(codes), "codings that name one measurement")
            return None
        return codes.pop()

    def text_result(self, concept: Mapping[str, object], path: str) -> tuple[str, str] | None:
        for code_path, snomed in self.codings(concept, path, SNOMED):
            if snomed in _TEXT_BY_SNOMED:
                return code_path, _TEXT_BY_SNOMED[snomed]
        text = self.string(concept, "text", path, required=True, expected="the result as text")
        return None if text is None else (f"{path}.text", text)

    def effective(self, resource: Mapping[str, object], path: str) -> tuple[str | None, str | None]:
        expected = "a date YYYY-MM-DD or a dateTime to the minute (seconds 00, with a zone)"
        text = self.string(resource, "effectiveDateTime", path, required=True, expected=expected)
        if text is None:
            return None, None
        matched = _DATE_TIME.fullmatch(text)
        if (
            matched is None
            or not _real_date(matched["date"])
            or (matched["s"] is not None and matched["s"] != "00")
            or (matched["f"] is not None and set(matched["f"][1:]) != {"0"})
        ):
            self.problem(f"{path}.effectiveDateTime", text, expected)
            return None, None
        clock: str | None = matched["hm"]
        found = self.extension(resource, EXT_LOCAL_TIME, path, required=False, what="valueTime")
        if found is not None:
            local = self.string(
                found[1], "valueTime", found[0], required=True, expected="a time hh:mm:00"
            )
            matched_time = None if local is None else _TIME.fullmatch(local)
            if local is not None and matched_time is None:
                self.problem(f"{found[0]}.valueTime", local, "a time hh:mm:00")
            elif matched_time is not None:
                if clock is not None and clock != matched_time["hm"]:
                    self.problem(
                        f"{found[0]}.valueTime", local, f"the time of effectiveDateTime ({clock})"
                    )
                clock = matched_time["hm"]
        return matched["date"], clock

    def finding(
        self, path: str, resource: Mapping[str, object], concept: Mapping[str, object]
    ) -> None:
        code = self.dresskit_code(
            concept, f"{path}.code", FINDING_CODES, tuple(FINDING_VALUES), "a finding code"
        )
        episode = self.episode_of(resource, path, subject_required=False)
        on = self.date_text(resource, "effectiveDateTime", path, required=True, what="the day")
        value = None
        result = self.child(
            resource, "valueCodeableConcept", path, required=True, what="the finding's value"
        )
        if result is not None:
            result_path = f"{path}.valueCodeableConcept"
            found = self.codings(result, result_path, FINDING_VALUE_CODES)
            value_path, value = (
                found[0]
                if found
                else (
                    f"{result_path}.text",
                    self.string(result, "text", result_path, required=True, expected="the value"),
                )
            )
            if code is not None and value is not None and value not in FINDING_VALUES[code]:
                self.problem(
                    value_path, value, f"for {code}: one of " + ", ".join(FINDING_VALUES[code])
                )
        detail = None
        found_detail = self.extension(
            resource, EXT_DETAIL, path, required=False, what="valueString"
        )
        if found_detail is not None:
            detail = self.string(found_detail[1], "valueString", found_detail[0], required=True)
        self.add_row(
            "findings",
            path,
            {
                "episode_id": None if episode is None else episode[0],
                "date": on,
                "code": code,
                "value": value,
                "detail": detail,
            },
        )

    def administration(self, path: str, resource: Mapping[str, object]) -> None:
        episode = self.episode_of(resource, path, subject_required=True)
        kinds = tuple(TREATMENT_DOSE_UNITS)
        values: dict[str, str | None] = {"episode_id": None if episode is None else episode[0]}
        found = self.extension(resource, EXT_KIND, path, required=True, what="valueCode")
        if found is not None:
            values["kind"] = self.string(
                found[1],
                "valueCode",
                found[0],
                required=True,
                expected="one of " + ", ".join(kinds),
                choices=kinds,
            )
        values["agent"] = self.medication(resource, path)[0]
        period = self.child(
            resource, "effectivePeriod", path, required=True, what="a Period with a start"
        )
        if period is not None:
            period_path = f"{path}.effectivePeriod"
            values["start_date"] = self.date_text(
                period, "start", period_path, required=True, what="first day"
            )
            values["end_date"] = self.date_text(
                period, "end", period_path, required=False, what="last day"
            )
        found = self.extension(
            resource, EXT_INTERVAL, path, required=False, what="valuePositiveInt"
        )
        if found is not None:
            values["interval_days"] = self.number(
                found[1], "valuePositiveInt", found[0], integer=True
            )
        found = self.extension(
            resource, EXT_LOADING_DOSE, path, required=False, what="valueQuantity in mg"
        )
        if found is not None:
            loading = self.child(
                found[1], "valueQuantity", found[0], required=True, what="a Quantity in mg"
            )
            if loading is not None:
                self.ucum(loading, f"{found[0]}.valueQuantity", ("mg",))
                values["loading_dose"] = self.number(
                    loading, "value", f"{found[0]}.valueQuantity", integer=False
                )
        route_concept = None
        dosage = self.child(resource, "dosage", path, required=False, what="a Dosage")
        if dosage is not None:
            dose = self.child(dosage, "dose", f"{path}.dosage", required=False, what="a Quantity")
            if dose is not None:
                dose_path = f"{path}.dosage.dose"
                values["dose"] = self.number(dose, "value", dose_path, integer=False)
                unit_key = "code" if "code" in dose else "unit"
                values["dose_unit"] = self.string(dose, unit_key, dose_path, required=False)
            route = self.child(
                dosage, "route", f"{path}.dosage", required=False, what="a CodeableConcept"
            )
            if route is not None:
                route_concept = (f"{path}.dosage.route", route)
        found = self.extension(
            resource, EXT_ROUTE, path, required=False, what="valueCodeableConcept"
        )
        if found is not None:
            route = self.child(
                found[1], "valueCodeableConcept", found[0], required=True, what="a CodeableConcept"
            )
            if route is not None:
                route_concept = (f"{found[0]}.valueCodeableConcept", route)
        if route_concept is not None:
            values["route"] = self.route(*route_concept)
        self.add_row("treatments", path, values)

    def route(self, path: str, concept: Mapping[str, object]) -> str | None:
        for code_path, snomed in self.codings(concept, path, SNOMED):
            if snomed is not None and snomed in _ROUTE_BY_SNOMED:
                return _ROUTE_BY_SNOMED[snomed]
            self.problem(
                code_path,
                snomed,
                "a SNOMED CT route: "
                + ", ".join(f"{code} ({route})" for route, (code, _) in _ROUTES.items()),
            )
            return None
        return self.string(
            concept,
            "text",
            path,
            required=True,
            expected="one of " + ", ".join(_ROUTES),
            choices=_ROUTES,
        )


def _at(path: str, key: str) -> str:
    """Return the JSON path of ``key`` inside ``path`` (the document itself is ``""``)."""
    return f"{path}.{key}" if path else key


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Read:
    tables: dict[str, pl.DataFrame]
    origins: dict[str, list[str]]


def _read(document: object, source: str) -> _Read:
    reader = _Reader(source)
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
    manifest = _manifest(reader, bundle)
    by_type: dict[str, list[tuple[str, int, Mapping[str, object]]]] = {
        t: [] for t in _RESOURCE_TYPES
    }
    identifiers: dict[tuple[str, str, str], str] = {}
    for index, (_, item) in enumerate(reader.array(bundle, "entry", "")):
        entry_path = f"entry[{index}]"
        entry = reader.mapping(item, entry_path)
        if entry is None:
            continue
        resource = reader.child(entry, "resource", entry_path, required=True, what="a resource")
        if resource is None:
            continue
        path = f"{entry_path}.resource"
        resource_type = reader.string(
            resource,
            "resourceType",
            path,
            required=True,
            expected="one of " + ", ".join(_RESOURCE_TYPES),
            choices=_RESOURCE_TYPES,
        )
        if resource_type is None:
            continue
        by_type[resource_type].append((path, index, resource))
        keys = []
        full_url = reader.string(
            entry, "fullUrl", entry_path, required=False, expected="an absolute URI"
        )
        if full_url is not None:
            keys.append((f"{entry_path}.fullUrl", full_url))
        resource_id = reader.string(resource, "id", path, required=False, expected="a resource id")
        if resource_id is not None:
            keys.append((f"{path}.id", f"{resource_type}/{resource_id}"))
        for key_path, key in keys:
            if key in reader.targets:
                other = reader.targets[key].index
                reader.problem(key_path, key, f"unique: entry[{other}] has it already")
            else:
                reader.targets[key] = _Target(resource_type, index)
        for id_path, identifier in reader.objects(resource, "identifier", path):
            system, value = identifier.get("system"), identifier.get("value")
            if not isinstance(system, str) or not isinstance(value, str):
                continue
            unique = (resource_type, system, value)
            if unique in identifiers:
                reader.problem(
                    f"{id_path}.value",
                    value,
                    f"unique: {identifiers[unique]} has the {resource_type} identifier "
                    f"{system}|{value} already",
                )
            else:
                identifiers[unique] = entry_path
    # Referenced resources first, whatever the document's order.
    for path, index, resource in by_type["Patient"]:
        reader.patient(path, index, resource)
    for path, index, resource in by_type["Condition"]:
        reader.condition(path, index, resource)
    for path, index, resource in by_type["MedicationStatement"]:
        reader.statement(path, index, resource)
    for path, _, resource in by_type["AdverseEvent"]:
        reader.adverse_event(path, resource)
    for path, _, resource in by_type["Observation"]:
        reader.observation(path, resource)
    for path, _, resource in by_type["MedicationAdministration"]:
        reader.administration(path, resource)
    if reader.errors:
        raise InputErrors(reader.errors)
    tables = {
        "manifest": pl.DataFrame(
            {"key": list(manifest), "value": list(manifest.values())},
            schema={"key": pl.Utf8, "value": pl.Utf8},
        )
    }
    for name in TABLES:
        if name == "manifest":
            continue
        tables[name] = pl.DataFrame(
            reader.rows.get(name, []),
            schema={column.name: pl.Utf8 for column in TABLES[name]},
            orient="row",
        )
    return _Read(tables, {**reader.origins, "manifest": ["meta"] * len(manifest)})


def _manifest(reader: _Reader, bundle: Mapping[str, object]) -> dict[str, str]:
    """Manifest entries from Bundle.meta; a document without them is format 1.0."""
    entries: dict[str, str] = {}
    meta = reader.child(bundle, "meta", "", required=False, what="a Meta")
    if meta is not None:
        for path, extension in reader.objects(meta, "extension", "meta"):
            if extension.get("url") != EXT_MANIFEST:
                continue
            parts = {}
            for part in ("key", "value"):
                found = reader.extension(extension, part, path, required=True, what="valueString")
                if found is not None:
                    parts[part] = reader.string(found[1], "valueString", found[0], required=True)
            key, value = parts.get("key"), parts.get("value")
            if key is not None and value is not None:
                if key in entries:
                    reader.problem(path, key, "a manifest key given once")
                entries[key] = value
    if not entries:
        entries = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    return entries


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
        As :func:`fhir_to_tables`, then as :func:`~dresskit.course.bundle.validate_tables`.
    """
    read = _read(document, source)
    try:
        return validate_tables(read.tables, source=source)
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


def write_fhir(bundle: Bundle, path: str | Path, *, utc_offset: str | None = None) -> Path:
    """Write a bundle as a FHIR R4 Bundle JSON file (UTF-8, indented); return the path.

    See :func:`bundle_to_fhir` for ``utc_offset``.
    """
    target = Path(path)
    document = bundle_to_fhir(bundle, utc_offset=utc_offset)
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def read_fhir(path: str | Path) -> Bundle:
    """Read and validate a FHIR R4 Bundle JSON file.

    Raises
    ------
    InputErrors
        Naming the file: when it cannot be read or is not JSON, then every problem of
        :func:`fhir_to_bundle`. Nothing is loaded from an invalid file.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputErrors(
            [InputError("<file>", source, f"a readable UTF-8 JSON file ({exc})", source=source)]
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputErrors(
            [
                InputError(
                    "<file>",
                    f"line {exc.lineno}, column {exc.colno}: {exc.msg}",
                    "a JSON document",
                    source=source,
                )
            ]
        ) from None
    return fhir_to_bundle(document, source=source)
