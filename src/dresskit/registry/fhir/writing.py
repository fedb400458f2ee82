"""Export: a dresskit bundle as a FHIR R4 Bundle (see the package docstring for the mapping)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Final

from dresskit.atomic import atomic_file
from dresskit.bundle import Bundle
from dresskit.bundle.schema import (
    ASSESSMENT_ANSWERS,
    TREATMENT_DOSE_UNITS,
)
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.errors import DresskitError, InputError
from dresskit.registry.fhir.vocabulary import (
    _ADVERSE_EVENT_OUTCOME,
    _CATEGORIES,
    _CATEGORY_DISPLAY,
    _CLINICAL_STATUS,
    _CONDITION_CLINICAL,
    _EVENT_OUTCOME,
    _ICD10CM,
    _INSTRUMENTS,
    _INTERPRETATION,
    _NAMESPACE,
    _OBSERVATION_CATEGORY,
    _PHENOTYPES,
    _ROUTES,
    _TEXT_RESULTS,
    _UTC_OFFSET,
    ADVERSE_EVENT_SYSTEM,
    ATC,
    DRUG_EXPOSURE_SYSTEM,
    EPISODE_SYSTEM,
    EXT_ADMISSION,
    EXT_AGE,
    EXT_ANSWER,
    EXT_DEATH_DATE,
    EXT_DETAIL,
    EXT_EPISODE,
    EXT_INTERVAL,
    EXT_KIND,
    EXT_LAST_FOLLOW_UP,
    EXT_LOADING_DOSE,
    EXT_LOCAL_TIME,
    EXT_MANIFEST,
    EXT_OUTCOME,
    EXT_ROLE,
    EXT_ROUTE,
    FINDING_CODES,
    FINDING_RECORD_SYSTEM,
    FINDING_VALUE_CODES,
    ICD10CM,
    INSTRUMENT_CODES,
    JSON,
    LOINC,
    OBSERVATION_CODE_SYSTEM,
    OBSERVATION_SYSTEM,
    PATIENT_SYSTEM,
    PHENOTYPE_CODES,
    SNOMED,
    TREATMENT_SYSTEM,
    UCUM,
    _coding,
    _key,
    _period,
    _quantity,
    _reference,
)
from dresskit.scoring import naranjo, who_umc

#: Resource types whose ``identifier`` is a single Identifier in R4 (cardinality 0..1).
_SINGLE_IDENTIFIER: Final = frozenset({"AdverseEvent"})


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
        identifier: JSON = {"system": system, "value": value}
        resource: JSON = {
            "resourceType": resource_type,
            "id": resource_id,
            # R4 AdverseEvent.identifier is 0..1 (one Identifier, not an array); the other
            # resources written here allow 0..* (https://hl7.org/fhir/R4/adverseevent.html).
            "identifier": identifier if resource_type in _SINGLE_IDENTIFIER else [identifier],
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
    >>> import polars as pl
    >>> from dresskit.bundle import validate_tables
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
    episode_rows = list(bundle.episodes.iter_rows(named=True))
    deaths: dict[str, date] = {}
    for row in episode_rows:
        death = row.get("death_date")
        if death is not None and (
            row["patient_id"] not in deaths or death > deaths[row["patient_id"]]
        ):
            deaths[row["patient_id"]] = death
    patient_urls = {
        row["patient_id"]: writer.add(
            "Patient",
            PATIENT_SYSTEM,
            row["patient_id"],
            _patient(row, deaths.get(row["patient_id"])),
        )
        for row in bundle.patients.iter_rows(named=True)
    }
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


def _patient(row: Mapping[str, Any], death: date | None) -> JSON:
    """Return the Patient; ``deceasedDateTime`` = the death date of an episode ended by death."""
    body: JSON = {}
    if row["age_years"] is not None:
        age = {"value": row["age_years"], "unit": "years", "system": UCUM, "code": "a"}
        # age-1: an Age's value SHALL be positive, so age 0 is written as a plain Quantity.
        kind = "valueAge" if row["age_years"] > 0 else "valueQuantity"
        body["extension"] = [{"url": EXT_AGE, kind: age}]
    body["gender"] = row["sex"]
    if row["birth_year"] is not None:
        body["birthDate"] = f"{row['birth_year']:04d}"
    if death is not None:
        body["deceasedDateTime"] = death.isoformat()
    return body


def _condition(row: Mapping[str, Any], patient_url: str) -> JSON:
    extensions: list[JSON] = []
    if row["admission_date"] is not None:
        extensions.append({"url": EXT_ADMISSION, "valueDate": row["admission_date"].isoformat()})
    extensions.append(
        {"url": EXT_LAST_FOLLOW_UP, "valueDate": row["last_follow_up_date"].isoformat()}
    )
    extensions.append({"url": EXT_OUTCOME, "valueCode": row["outcome"]})
    if row.get("death_date") is not None:
        extensions.append({"url": EXT_DEATH_DATE, "valueDate": row["death_date"].isoformat()})
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


def write_fhir(
    bundle: Bundle,
    path: str | Path,
    *,
    utc_offset: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Path:
    """Write a bundle as a FHIR R4 Bundle JSON file (UTF-8, indented); return the path.

    See :func:`bundle_to_fhir` for ``utc_offset``. The file is written atomically
    (:func:`dresskit.atomic.write_file`): an earlier file at ``path`` is replaced only once
    the new one is complete, and a failure leaves it as it was. ``on_ready`` is called once
    the file is written in its temporary sibling, before it is renamed into place (the
    export's audit record); if it raises, nothing is replaced.

    Raises
    ------
    OutputError
        When the file cannot be written (disk full, permission denied, a folder at
        ``path``); the message names ``path``.
    """
    document = bundle_to_fhir(bundle, utc_offset=utc_offset)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    with atomic_file(path) as handle:
        handle.write(text.encode("utf-8"))
        if on_ready is not None:
            on_ready()
    return Path(path)
