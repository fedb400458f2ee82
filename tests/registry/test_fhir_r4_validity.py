"""FHIR export validated against a maintained R4 model library; third-party R4 examples read.

Every resource that :func:`bundle_to_fhir` writes is validated with ``fhir.resources`` 8.x,
using its ``fhir.resources.R4B`` models: R4B (4.3.0) is the R4-compatible release of FHIR,
whose Patient, Condition, Observation, MedicationStatement, MedicationAdministration and
AdverseEvent keep the R4 (4.0.1) elements and cardinalities used here (fhir.resources 8 ships
R5 as its default and R4B as its R4 line; it has no separate R4 package). The examples in
``tests/data/fhir/`` are modelled on the HL7 FHIR R4 examples (see its README.md).

Issue 11: each AdverseEvent carried ``identifier`` as a list; R4 allows one Identifier.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources import R4B

from dresskit.bundle import Bundle, read_bundle, validate_tables
from dresskit.errors import InputError, InputErrors
from dresskit.registry.fhir import bundle_to_fhir, fhir_to_bundle, fhir_to_tables
from tests.bundle.fixture import ROWS, tables
from tests.registry.test_fhir import rich_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
THIRD_PARTY = Path(__file__).resolve().parents[1] / "data" / "fhir"
SOURCE = "third-party.json"

Document = dict[str, Any]


def died_bundle() -> Bundle:
    """The fixture bundle with its first episode ended by death on 2020-04-20."""
    episodes = [{**row, "death_date": None} for row in ROWS["episodes"]]
    episodes[0].update(outcome="died", death_date="2020-04-20")
    return validate_tables(tables(episodes=episodes), source="died")


def validate_r4(document: Document) -> int:
    """Validate the Bundle and each of its resources with the R4B models; return the count."""
    R4B.get_fhir_model_class("Bundle").model_validate(document)
    for entry in document["entry"]:
        resource = entry["resource"]
        R4B.get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return len(document["entry"])


@pytest.mark.parametrize("name", ["sim2022", "shen2024"])
def test_every_exported_resource_of_the_examples_is_valid_r4(name: str) -> None:
    document = json.loads(json.dumps(bundle_to_fhir(read_bundle(EXAMPLES / name))))
    assert validate_r4(document) == len(document["entry"]) > 0


@pytest.mark.parametrize("offset", [None, "+09:00"])
def test_every_exported_resource_of_the_rich_and_died_bundles_is_valid_r4(
    offset: str | None,
) -> None:
    for bundle in (rich_bundle(), died_bundle()):
        document = json.loads(json.dumps(bundle_to_fhir(bundle, utc_offset=offset)))
        validate_r4(document)


def test_adverse_event_identifier_is_one_object_as_r4_requires() -> None:
    document = bundle_to_fhir(rich_bundle())
    events = [
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "AdverseEvent"
    ]
    assert events
    for event in events:
        assert isinstance(event["identifier"], dict)
        assert event["identifier"]["system"].startswith("urn:dresskit:")
    # The list form of before the fix is what the R4 model refuses.
    listed = copy.deepcopy(events[0])
    listed["identifier"] = [listed["identifier"]]
    with pytest.raises(ValueError, match="identifier"):
        R4B.get_fhir_model_class("AdverseEvent").model_validate(listed)


def test_an_adverse_event_identifier_list_of_older_exports_is_still_read() -> None:
    bundle = rich_bundle()
    document = bundle_to_fhir(bundle)
    for entry in document["entry"]:
        if entry["resource"]["resourceType"] == "AdverseEvent":
            entry["resource"]["identifier"] = [entry["resource"]["identifier"]]
    again = fhir_to_bundle(document, source=SOURCE)
    assert again.drug_assessments.height == bundle.drug_assessments.height


def test_an_adverse_event_identifier_that_is_neither_object_nor_list_of_one_is_refused() -> None:
    document = bundle_to_fhir(rich_bundle())
    index = next(
        i
        for i, e in enumerate(document["entry"])
        if e["resource"]["resourceType"] == "AdverseEvent"
    )
    document["entry"][index]["resource"]["identifier"] = "E1"
    with pytest.raises(InputErrors) as caught:
        fhir_to_tables(document, source=SOURCE)
    (error,) = caught.value.errors
    assert (error.field, error.value) == (f"entry[{index}].resource.identifier", "E1")
    assert "one Identifier object" in error.expected


def test_death_date_goes_to_the_condition_and_patient_deceased_date_time() -> None:
    document = bundle_to_fhir(died_bundle())
    resources = [entry["resource"] for entry in document["entry"]]
    (dead,) = [r for r in resources if r["resourceType"] == "Patient" and "deceasedDateTime" in r]
    assert dead["deceasedDateTime"] == "2020-04-20"
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    assert {"url": "urn:dresskit:fhir:death-date", "valueDate": "2020-04-20"} in condition[
        "extension"
    ]
    event = next(r for r in resources if r["resourceType"] == "AdverseEvent")
    assert event["outcome"]["coding"][0]["code"] == "fatal"


def test_death_date_survives_export_and_import() -> None:
    again = fhir_to_bundle(json.loads(json.dumps(bundle_to_fhir(died_bundle()))), source=SOURCE)
    assert again.course("E1").episode.death == date(2020, 4, 20)
    assert again.course("E2").episode.death is None


def test_a_death_dated_only_by_patient_deceased_date_time_is_read() -> None:
    """Another system may date the death on the Patient only (R4 Patient.deceasedDateTime)."""
    document = bundle_to_fhir(died_bundle())
    for entry in document["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Condition":
            resource["extension"] = [
                e for e in resource["extension"] if e["url"] != "urn:dresskit:fhir:death-date"
            ]
    again = fhir_to_bundle(document, source=SOURCE)
    assert again.course("E1").episode.death == date(2020, 4, 20)


def test_a_died_episode_without_any_date_of_death_is_refused_naming_the_entry() -> None:
    document = bundle_to_fhir(died_bundle())
    index = 0
    for number, entry in enumerate(document["entry"]):
        resource = entry["resource"]
        resource.pop("deceasedDateTime", None)
        if resource["resourceType"] == "Condition" and index == 0:
            index = number
            resource["extension"] = [
                e for e in resource["extension"] if e["url"] != "urn:dresskit:fhir:death-date"
            ]
    with pytest.raises(InputErrors) as caught:
        fhir_to_bundle(document, source=SOURCE)
    (error,) = caught.value.errors
    assert error.field == f"entry[{index}].resource (episodes.death_date)"
    assert "required when outcome is 'died'" in error.expected


# --- third-party R4 examples ----------------------------------------------------------------


def third_party(*names: str) -> Document:
    """A collection Bundle of the example resources, with absolute fullUrls as on hl7.org."""
    resources = [json.loads((THIRD_PARTY / f"{name}.json").read_text()) for name in names]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
            }
            for r in resources
        ],
    }


def errors_of(document: Document) -> dict[str, InputError]:
    """The reader's errors by field (the last one of a field that has several)."""
    with pytest.raises(InputErrors) as caught:
        fhir_to_tables(document, source=SOURCE)
    return {error.field: error for error in caught.value.errors}


def test_the_third_party_examples_are_valid_r4() -> None:
    for path in sorted(THIRD_PARTY.glob("*.json")):
        resource = json.loads(path.read_text())
        R4B.get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_third_party_patient_without_a_dresskit_identifier_is_refused_clearly() -> None:
    errors = errors_of(third_party("patient-example"))
    error = errors.pop("entry[0].resource.identifier")
    assert error.value == "urn:oid:1.2.36.146.595.217.0.1"
    assert error.expected.startswith("an identifier with system urn:dresskit:patient")
    assert "other systems are not read" in error.expected
    assert str(error).startswith(f"{SOURCE}: field 'entry[0].resource.identifier' must be")
    # gender, birthDate, deceasedBoolean, name, address...: read or ignored, never an error.
    assert errors == {}


def test_third_party_observation_with_an_unread_loinc_code_names_the_code_and_the_codes() -> None:
    errors = errors_of(third_party("observation-example-f001-glucose"))
    code = errors["entry[0].resource.code.coding[0].code"]
    assert code.value == "15074-8"
    assert code.expected.startswith("a LOINC code dresskit reads:")
    assert "1742-6 (alt)" in code.expected
    period = errors["entry[0].resource.effectivePeriod"]
    assert period.value == {"start": "2013-04-02T09:30:10+01:00"}
    assert "effectivePeriod of an Observation is not read" in period.expected
    assert "urn:dresskit:fhir:episode" in errors["entry[0].resource.extension"].expected


def test_third_party_medication_statement_names_the_unread_medication_reference() -> None:
    errors = errors_of(third_party("medicationstatement-example-example001"))
    error = errors["entry[0].resource.medicationReference"]
    assert error.value == "#med0309"
    assert "medicationCodeableConcept" in error.expected
    assert "is not read" in error.expected
    with pytest.raises(InputErrors) as caught:
        fhir_to_tables(third_party("medicationstatement-example-example001"), source=SOURCE)
    missing = [e.expected for e in caught.value.errors if e.field == "entry[0].resource.extension"]
    assert any("urn:dresskit:fhir:episode" in text for text in missing)
    assert any("urn:dresskit:fhir:drug-role" in text for text in missing)


def test_third_party_patient_and_loinc_observation_import_once_linked_to_an_episode() -> None:
    """What the reader takes from a third-party Patient and a LOINC Observation as they are.

    Only the dresskit links are added (the patient_id identifier, a Condition for the episode
    and the episode extension); gender, birthDate and the LOINC-coded ALT in UCUM U/L are
    imported from the example resources unchanged.
    """
    document = third_party("patient-example", "observation-alt-loinc")
    patient, observation = (entry["resource"] for entry in document["entry"])
    patient["identifier"].append({"system": "urn:dresskit:patient", "value": "P-example"})
    condition_url = "urn:uuid:0b6bd7a4-1d54-4f7c-8a53-1b2c6b1f0c11"
    document["entry"].insert(
        1,
        {
            "fullUrl": condition_url,
            "resource": {
                "resourceType": "Condition",
                "identifier": [{"system": "urn:dresskit:episode", "value": "E-example"}],
                "extension": [
                    {"url": "urn:dresskit:fhir:last-follow-up-date", "valueDate": "2013-05-01"},
                    {"url": "urn:dresskit:fhir:outcome", "valueCode": "recovered"},
                ],
                "code": {"coding": [{"system": "urn:dresskit:phenotype", "code": "dress"}]},
                "subject": {"reference": "Patient/example"},
                "onsetDateTime": "2013-03-28",
            },
        },
    )
    observation["extension"] = [
        {"url": "urn:dresskit:fhir:episode", "valueReference": {"reference": condition_url}}
    ]
    validate_r4(document)
    bundle = fhir_to_bundle(document, source=SOURCE)
    patient_row = bundle.patients.row(0, named=True)
    assert (patient_row["patient_id"], str(patient_row["sex"]), patient_row["birth_year"]) == (
        "P-example",
        "male",
        1974,
    )
    alt = bundle.observations.row(0, named=True)
    assert (str(alt["code"]), alt["value"], str(alt["unit"]), alt["date"]) == (
        "alt",
        270.0,
        "U/L",
        date(2013, 4, 2),
    )
