"""FHIR R4 exchange: bundle -> FHIR Bundle -> bundle, document structure, errors by JSON path."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dresskit.bundle import Bundle, read_bundle, validate_tables
from dresskit.errors import MISSING, InputError, InputErrors
from dresskit.registry.fhir import (
    bundle_to_fhir,
    fhir_to_bundle,
    fhir_to_tables,
    read_fhir,
    write_fhir,
)
from tests.bundle.fixture import ROWS, tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TABLE_NAMES = (
    "patients",
    "episodes",
    "drug_exposures",
    "drug_assessments",
    "observations",
    "findings",
    "treatments",
)
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SOURCE = "doc.json"

Document = dict[str, Any]


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def shen() -> Bundle:
    return read_bundle(EXAMPLES / "shen2024")


def rich_bundle() -> Bundle:
    """The shared fixture bundle plus the cases the examples lack.

    Naranjo and WHO-UMC answers (one for a concomitant drug), a numeric HHV-6 load with a text
    result, an 'other' treatment with a route but no dose, a repeated identical finding, a
    patient with a birth year only, an episode without admission that was lost to follow-up.
    """
    who_umc: dict[str, str | None] = {
        "time_relationship": "plausible",
        "explained_by_disease_or_other_drugs": "unlikely",
        "withdrawal_response": "yes",
        "definitive_pharmacologically_or_phenomenologically": "no",
        "rechallenge": "not_done",
        "information_sufficient": "yes",
        "more_data_expected": "no",
    }
    exposures = [
        *ROWS["drug_exposures"],
        {
            "episode_id": "E1",
            "drug": "pantoprazole",
            "atc_code": "A02BC02",
            "role": "concomitant",
            "start_date": None,
            "stop_date": None,
        },
    ]
    assessments: list[dict[str, str | None]] = [
        *ROWS["drug_assessments"],
        *[
            {
                "episode_id": "E1",
                "drug": "carbamazepine",
                "instrument": "who-umc",
                "item": item,
                "answer": answer,
            }
            for item, answer in who_umc.items()
        ],
        {
            "episode_id": "E1",
            "drug": "pantoprazole",
            "instrument": "naranjo",
            "item": "previous_reports",
            "answer": "no",
        },
    ]
    observations: list[dict[str, str | None]] = [
        *ROWS["observations"],
        {
            "episode_id": "E1",
            "date": "2020-03-08",
            "time": "07:30",
            "code": "hhv6_pcr",
            "value": "25000",
            "unit": "{copies}/mL",
            "text": "positive",
        },
    ]
    findings = [*ROWS["findings"], ROWS["findings"][0]]
    treatments = [
        *ROWS["treatments"],
        {
            "episode_id": "E1",
            "kind": "other",
            "agent": "clobetasol",
            "route": "topical",
            "start_date": "2020-03-05",
            "end_date": "2020-03-12",
            "dose": None,
            "dose_unit": None,
            "interval_days": None,
            "loading_dose": None,
        },
        {
            "episode_id": "E2",
            "kind": "other",
            "agent": "cyclosporine",
            "route": None,
            "start_date": "2021-05-12",
            "end_date": None,
            "dose": "3",
            "dose_unit": "mg/kg/d",
            "interval_days": None,
            "loading_dose": None,
        },
    ]
    raw = tables(
        drug_exposures=exposures,
        drug_assessments=assessments,
        observations=observations,
        findings=findings,
        treatments=treatments,
    )
    return validate_tables(raw, source="rich")


def round_trip(bundle: Bundle, **options: Any) -> Bundle:
    """Export, serialise as JSON text, parse, import and validate."""
    document = json.loads(json.dumps(bundle_to_fhir(bundle, **options)))
    return validate_tables(fhir_to_tables(document, source=SOURCE), source=SOURCE)


def codes_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Enumerated code columns as text.

    Whether validate_tables returns a code column (sex, phenotype, ...) as an enumeration or
    as text has depended on how the input was read (typed CSV read vs text); the comparison is
    of values, so both sides are brought to text.
    """
    return frame.with_columns(
        pl.col(name).cast(pl.Utf8) for name, dtype in frame.schema.items() if dtype == pl.Enum
    )


def assert_same(again: Bundle, original: Bundle) -> None:
    assert again.manifest == original.manifest
    for name in TABLE_NAMES:
        mine, theirs = codes_as_text(getattr(again, name)), codes_as_text(getattr(original, name))
        assert mine.schema == theirs.schema, name
        assert mine.equals(theirs), name
    # Observation codes and units leave validation as enumerations whatever the input.
    assert again.observations.schema == original.observations.schema


def resources(document: Document, resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in document["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]


def entry_index(document: Document, match: Callable[[dict[str, Any]], bool]) -> int:
    return next(i for i, entry in enumerate(document["entry"]) if match(entry["resource"]))


def loinc_of(resource: dict[str, Any]) -> str | None:
    codes = [c["code"] for c in resource["code"]["coding"] if c["system"] == LOINC]
    return codes[0] if codes else None


def errors_of(document: object) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        fhir_to_tables(document, source=SOURCE)  # type: ignore[arg-type]
    return list(caught.value.errors)


def only(errors: list[InputError], field: str) -> InputError:
    found = [error for error in errors if error.field == field]
    assert found, [error.message for error in errors]
    assert found[0].source == SOURCE
    return found[0]


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["sim2022", "shen2024"])
def test_examples_round_trip_table_by_table(example: str) -> None:
    original = read_bundle(EXAMPLES / example)
    assert_same(round_trip(original), original)


def test_rich_bundle_round_trips_assessments_text_results_and_other_treatments() -> None:
    original = rich_bundle()
    assert original.drug_assessments.height == 18
    assert_same(round_trip(original), original)


@pytest.mark.parametrize("offset", ["+09:00", "Z", "-05:30"])
def test_clock_times_round_trip_as_full_date_times_with_an_offset(offset: str) -> None:
    original = rich_bundle()
    document = bundle_to_fhir(original, utc_offset=offset)
    temperature = next(r for r in resources(document, "Observation") if loinc_of(r) == "8310-5")
    assert temperature["effectiveDateTime"] == f"2020-03-05T08:00:00{offset}"
    assert_same(round_trip(original, utc_offset=offset), original)


def test_a_bad_utc_offset_is_refused(shen: Bundle) -> None:
    with pytest.raises(InputError, match="utc_offset"):
        bundle_to_fhir(shen, utc_offset="+9")


def test_write_then_read_a_file_gives_an_equal_bundle(sim: Bundle, tmp_path: Path) -> None:
    path = write_fhir(sim, tmp_path / "sim.fhir.json")
    assert json.loads(path.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    assert_same(read_fhir(path), sim)


def test_fhir_to_bundle_equals_validating_the_tables(shen: Bundle) -> None:
    document = bundle_to_fhir(shen)
    assert_same(fhir_to_bundle(document, source=SOURCE), shen)


def test_entries_may_come_in_any_order(shen: Bundle) -> None:
    document = bundle_to_fhir(shen)
    document["entry"].reverse()
    again = validate_tables(fhir_to_tables(document, source=SOURCE), source=SOURCE)
    for name in TABLE_NAMES:
        # Rows come in document order: reversed, so compare as sets of rows.
        assert sorted(getattr(again, name).rows(), key=repr) == sorted(
            getattr(shen, name).rows(), key=repr
        ), name


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_subset_of_observation_rows_round_trips_in_its_order(
    data: st.DataObject,
) -> None:
    original = read_bundle(EXAMPLES / "sim2022")
    rows = data.draw(
        st.lists(st.integers(0, original.observations.height - 1), unique=True, max_size=60),
        label="observation rows",
    )
    offset = data.draw(st.sampled_from([None, "+09:00", "Z"]), label="utc_offset")
    subset = dataclasses.replace(
        original,
        observations=original.observations[rows] if rows else original.observations.clear(),
    )
    assert_same(round_trip(subset, utc_offset=offset), subset)


# --- structure -------------------------------------------------------------------------------


def test_document_is_a_collection_bundle_with_ids_full_urls_and_identifiers(sim: Bundle) -> None:
    document = bundle_to_fhir(sim)
    assert document["resourceType"] == "Bundle"
    assert document["type"] == "collection"
    ids = set()
    for entry in document["entry"]:
        resource = entry["resource"]
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", resource["id"])  # FHIR id datatype
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        identifier = resource["identifier"]
        if resource["resourceType"] == "AdverseEvent":  # R4: 0..1, one object
            assert isinstance(identifier, dict)
        else:
            (identifier,) = identifier
        assert identifier["system"].startswith("urn:dresskit:")
        ids.add(resource["id"])
    assert len(ids) == len(document["entry"])
    counts = {
        kind: len(resources(document, kind))
        for kind in (
            "Patient",
            "Condition",
            "MedicationStatement",
            "AdverseEvent",
            "Observation",
            "MedicationAdministration",
        )
    }
    assert counts == {
        "Patient": sim.patients.height,
        "Condition": sim.episodes.height,
        "MedicationStatement": sim.drug_exposures.height,
        "AdverseEvent": sim.episodes.height,
        "Observation": sim.observations.height + sim.findings.height,
        "MedicationAdministration": sim.treatments.height,
    }


def test_every_reference_resolves_to_an_entry_of_the_right_type(sim: Bundle) -> None:
    document = bundle_to_fhir(sim)
    types = {entry["fullUrl"]: entry["resource"]["resourceType"] for entry in document["entry"]}
    seen: list[tuple[str, str]] = []

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict):
            if "reference" in node:
                seen.append((key, types[node["reference"]]))  # KeyError = dangling reference
            for child_key, child in node.items():
                walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)

    walk(document["entry"], "entry")
    assert {("subject", "Patient"), ("valueReference", "Condition")} <= set(seen)
    assert ("resultingCondition", "Condition") in seen
    assert ("instance", "MedicationStatement") in seen


@pytest.mark.parametrize(
    ("loinc", "unit", "category"),
    [
        ("8310-5", "Cel", "vital-signs"),
        ("1742-6", "U/L", "laboratory"),
        ("711-2", "10*9/L", "laboratory"),
        ("19113-0", "kU/L", "laboratory"),
    ],
)
def test_measurements_carry_loinc_and_the_canonical_ucum_unit(
    shen: Bundle, loinc: str, unit: str, category: str
) -> None:
    found = [r for r in resources(bundle_to_fhir(shen), "Observation") if loinc_of(r) == loinc]
    assert found, loinc
    for observation in found:
        quantity = observation["valueQuantity"]
        assert (quantity["system"], quantity["code"]) == (UCUM, unit)
        assert isinstance(quantity["value"], float)
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == category


def test_eosinophils_in_per_microlitre_are_exported_in_canonical_units() -> None:
    """Fixture: 1140 /uL = 1.14 10*9/L; 102.2 [degF] = 39 Cel; 5 ukat/L = 300 U/L."""
    document = bundle_to_fhir(rich_bundle())
    values = {
        loinc_of(r): r["valueQuantity"]["value"]
        for r in resources(document, "Observation")
        if "valueQuantity" in r and loinc_of(r) in ("711-2", "1742-6")
    }
    assert values == {"711-2": pytest.approx(1.14), "1742-6": pytest.approx(300)}


def test_clock_time_without_offset_is_kept_in_the_local_time_extension() -> None:
    document = bundle_to_fhir(rich_bundle())
    temperatures = [r for r in resources(document, "Observation") if loinc_of(r) == "8310-5"]
    first = temperatures[0]
    assert first["effectiveDateTime"] == "2020-03-05"
    assert {"url": "urn:dresskit:fhir:local-time", "valueTime": "08:00:00"} in first["extension"]


def test_text_results_use_snomed_and_interpretation() -> None:
    document = bundle_to_fhir(rich_bundle())
    hhv6 = [
        r
        for r in resources(document, "Observation")
        if r["code"]["coding"][0]["code"] == "hhv6_pcr"
    ]
    text_only, with_load = hhv6
    assert "http://loinc.org" not in json.dumps(text_only["code"])  # no LOINC listed in codes.py
    assert text_only["valueCodeableConcept"]["coding"][0]["code"] == "10828004"
    assert with_load["valueQuantity"]["code"] == "{copies}/mL"
    assert with_load["interpretation"][0]["coding"][0]["code"] == "POS"


def test_patient_condition_and_adverse_event_content() -> None:
    document = bundle_to_fhir(rich_bundle())
    first, second = resources(document, "Patient")
    assert (first["gender"], first["birthDate"]) == ("female", "1970")
    assert second["extension"][0]["valueAge"] == {
        "value": 54,
        "unit": "years",
        "system": UCUM,
        "code": "a",
    }
    recovered, lost = resources(document, "Condition")
    assert recovered["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert "clinicalStatus" not in lost  # lost to follow-up says nothing about the status
    assert {"url": "urn:dresskit:fhir:outcome", "valueCode": "lost_to_follow_up"} in lost[
        "extension"
    ]
    assert {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D72.12"}.items() <= (
        recovered["code"]["coding"][1].items()
    )
    event = resources(document, "AdverseEvent")[0]
    suspects = event["suspectEntity"]
    assert len(suspects) == 2  # the suspect drug, and the concomitant drug that was assessed
    naranjo, who_umc = suspects[0]["causality"]
    assert naranjo["method"]["coding"][0]["code"] == "naranjo"
    assert naranjo["assessment"]["text"] == "doubtful (total 0)"
    assert len(naranjo["extension"]) == 10
    assert who_umc["method"]["coding"][0]["code"] == "who-umc"
    assert "assessment" not in suspects[1]["causality"][0]  # one item answered: not scored


def test_medication_statement_and_administration_content(sim: Bundle) -> None:
    document = bundle_to_fhir(sim)
    statement = resources(document, "MedicationStatement")[0]
    assert statement["medicationCodeableConcept"] == {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "J04BA02"}],
        "text": "dapsone",
    }
    assert statement["effectivePeriod"] == {"start": "2012-04-23", "end": "2012-05-21"}
    assert {"url": "urn:dresskit:fhir:drug-role", "valueCode": "suspect"} in statement["extension"]
    steroid, *_ = resources(document, "MedicationAdministration")
    assert steroid["dosage"]["dose"] == {
        "value": 132.0,
        "unit": "mg/d",
        "system": UCUM,
        "code": "mg/d",
    }
    assert steroid["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert steroid["effectivePeriod"] == {"start": "2012-05-26", "end": "2012-06-13"}


def test_route_without_dose_goes_to_an_extension() -> None:
    """mad-1: a dosage needs a dose or a rate, so no dosage element without a dose."""
    document = bundle_to_fhir(rich_bundle())
    topical = next(
        r
        for r in resources(document, "MedicationAdministration")
        if r["medicationCodeableConcept"]["text"] == "clobetasol"
    )
    assert "dosage" not in topical
    assert any(e["url"] == "urn:dresskit:fhir:route" for e in topical["extension"])


def _identifier_list(resource: Document) -> list[Document]:
    """A resource's identifiers as a list (R4 AdverseEvent has a single one)."""
    identifier = resource["identifier"]
    return [identifier] if isinstance(identifier, dict) else list(identifier)


def test_two_exports_are_identical_and_identifiers_unique() -> None:
    bundle = rich_bundle()
    first, second = bundle_to_fhir(bundle), bundle_to_fhir(bundle)
    assert json.dumps(first) == json.dumps(second)
    identifiers = [
        (entry["resource"]["resourceType"], i["system"], i["value"])
        for entry in first["entry"]
        for i in _identifier_list(entry["resource"])
    ]
    assert len(identifiers) == len(set(identifiers))  # the repeated finding is numbered


def test_ids_follow_identifiers_not_positions(shen: Bundle) -> None:
    full = bundle_to_fhir(shen)
    fewer = bundle_to_fhir(dataclasses.replace(shen, observations=shen.observations.slice(1)))
    ids = {e["resource"]["id"] for e in full["entry"]}
    assert {e["resource"]["id"] for e in fewer["entry"]} < ids


# --- errors ----------------------------------------------------------------------------------


@pytest.fixture
def document(shen: Bundle) -> Document:
    return copy.deepcopy(bundle_to_fhir(shen))


def test_a_document_that_is_not_a_bundle_is_refused(document: Document) -> None:
    patient = document["entry"][0]["resource"]
    error = only(errors_of(patient), "resourceType")
    assert error.value == "Patient"
    assert "Bundle" in error.expected
    assert only(errors_of([document]), "<document>").expected == "a JSON object"


def test_an_unknown_resource_type_names_its_entry(document: Document) -> None:
    document["entry"][3]["resource"]["resourceType"] = "Encounter"
    error = only(errors_of(document), "entry[3].resource.resourceType")
    assert error.value == "Encounter"
    assert "Observation" in error.expected
    assert "MedicationAdministration" in error.expected


def test_an_unknown_loinc_code_names_the_coding(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) is not None
    )
    document["entry"][index]["resource"]["code"]["coding"][0]["code"] = "9999-9"
    error = only(errors_of(document), f"entry[{index}].resource.code.coding[0].code")
    assert error.value == "9999-9"
    assert "8310-5 (temperature)" in error.expected
    assert "1742-6 (alt)" in error.expected
    assert f"{SOURCE}: field 'entry[{index}].resource.code.coding[0].code'" in error.message


def test_a_unit_the_loinc_code_does_not_accept_is_refused(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) == "1742-6"
    )
    document["entry"][index]["resource"]["valueQuantity"]["code"] = "mg/dL"
    error = only(errors_of(document), f"entry[{index}].resource.valueQuantity.code")
    assert error.value == "mg/dL"
    assert "LOINC 1742-6" in error.expected
    assert "U/L, [IU]/L, ukat/L" in error.expected


def test_a_quantity_without_the_ucum_system_is_refused(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) is not None
    )
    del document["entry"][index]["resource"]["valueQuantity"]["system"]
    error = only(errors_of(document), f"entry[{index}].resource.valueQuantity.system")
    assert error.value is MISSING
    assert error.expected == UCUM


def test_a_duplicate_identifier_is_refused(document: Document) -> None:
    twin = copy.deepcopy(document["entry"][0])
    twin["fullUrl"] = "urn:uuid:00000000-0000-5000-8000-000000000000"
    twin["resource"]["id"] = "twin"
    document["entry"].append(twin)
    last = len(document["entry"]) - 1
    error = only(errors_of(document), f"entry[{last}].resource.identifier[0].value")
    assert error.value == "SHENP"
    assert "unique" in error.expected
    assert "entry[0]" in error.expected


def test_a_duplicate_full_url_is_refused(document: Document) -> None:
    document["entry"][5]["fullUrl"] = document["entry"][4]["fullUrl"]
    error = only(errors_of(document), "entry[5].fullUrl")
    assert "entry[4]" in error.expected


def test_a_reference_to_a_missing_patient_is_refused(document: Document) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Condition")
    document["entry"][index]["resource"]["subject"]["reference"] = "urn:uuid:nobody"
    error = only(errors_of(document), f"entry[{index}].resource.subject.reference")
    assert error.value == "urn:uuid:nobody"
    assert error.expected.startswith("a reference to a Patient of this Bundle")


def test_a_reference_to_a_missing_episode_is_refused(document: Document) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Observation")
    document["entry"][index]["resource"]["extension"][0]["valueReference"]["reference"] = (
        "Condition/gone"
    )
    field = f"entry[{index}].resource.extension[0].valueReference.reference"
    error = only(errors_of(document), field)
    assert error.value == "Condition/gone"
    assert "Condition" in error.expected


def test_a_reference_to_a_resource_of_another_type_is_refused(document: Document) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Observation")
    patient_url = document["entry"][0]["fullUrl"]
    document["entry"][index]["resource"]["extension"][0]["valueReference"]["reference"] = (
        patient_url
    )
    error = only(
        errors_of(document), f"entry[{index}].resource.extension[0].valueReference.reference"
    )
    assert "a reference to a Condition" in error.expected


def test_a_subject_that_is_not_the_episodes_patient_is_refused(document: Document) -> None:
    other = copy.deepcopy(document["entry"][0])
    other["fullUrl"] = "urn:uuid:other"
    other["resource"]["id"] = "other"
    other["resource"]["identifier"][0]["value"] = "OTHER"
    document["entry"].append(other)
    index = entry_index(document, lambda r: r["resourceType"] == "MedicationAdministration")
    document["entry"][index]["resource"]["subject"]["reference"] = "Patient/other"
    error = only(errors_of(document), f"entry[{index}].resource.subject.reference")
    assert "Patient of episode SHEN (patient_id SHENP)" in error.expected


@pytest.mark.parametrize(
    ("resource_type", "element", "field_end"),
    [
        ("Condition", "onsetDateTime", "onsetDateTime"),
        ("Patient", "gender", "gender"),
        ("Observation", "effectiveDateTime", "effectiveDateTime"),
        ("MedicationStatement", "medicationCodeableConcept", "medicationCodeableConcept"),
        ("MedicationAdministration", "effectivePeriod", "effectivePeriod"),
        ("Patient", "identifier", "identifier"),
    ],
)
def test_a_missing_required_element_is_named(
    document: Document, resource_type: str, element: str, field_end: str
) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == resource_type)
    del document["entry"][index]["resource"][element]
    error = only(errors_of(document), f"entry[{index}].resource.{field_end}")
    assert error.value is MISSING
    assert error.expected


def test_a_missing_episode_link_is_named(document: Document) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Observation")
    resource = document["entry"][index]["resource"]
    resource["extension"] = [e for e in resource["extension"] if "episode" not in e["url"]]
    error = only(errors_of(document), f"entry[{index}].resource.extension")
    assert "urn:dresskit:fhir:episode" in error.expected


def test_wrong_json_types_are_named(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) is not None
    )
    document["entry"][index]["resource"]["valueQuantity"]["value"] = "39.3"
    document["entry"][0]["resource"]["extension"][0]["valueAge"]["value"] = 18.5
    errors = errors_of(document)
    assert only(errors, f"entry[{index}].resource.valueQuantity.value").value == "39.3"
    assert only(errors, "entry[0].resource.extension[0].valueAge.value").expected == (
        "a whole number"
    )


def test_every_problem_is_reported_and_no_tables_are_returned(document: Document) -> None:
    document["entry"][3]["resource"]["resourceType"] = "Encounter"
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) is not None
    )
    document["entry"][index]["resource"]["code"]["coding"][0]["code"] = "0000-0"
    result: dict[str, pl.DataFrame] | None = None
    with pytest.raises(InputErrors) as caught:
        result = fhir_to_tables(document, source=SOURCE)
    assert result is None
    fields = {error.field for error in caught.value.errors}
    assert {"entry[3].resource.resourceType", f"entry[{index}].resource.code.coding[0].code"} <= (
        fields
    )


def test_one_bad_resource_loads_nothing_from_a_file(shen: Bundle, tmp_path: Path) -> None:
    document = bundle_to_fhir(shen)
    document["entry"][1]["resource"]["onsetDateTime"] = "2022-13-03"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_fhir(path)
    (error,) = caught.value.errors
    assert error.source == str(path)
    assert error.field == "entry[1].resource.onsetDateTime"
    assert error.value == "2022-13-03"


def test_bundle_rule_errors_name_the_entry_not_a_csv_row(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) == "8310-5"
    )
    document["entry"][index]["resource"]["valueQuantity"]["value"] = 60.0
    with pytest.raises(InputErrors) as caught:
        fhir_to_bundle(document, source=SOURCE)
    (error,) = caught.value.errors
    assert error.field == f"entry[{index}].resource (observations.value)"
    assert error.source == SOURCE
    assert error.value == 60.0
    assert "25-45 Cel" in error.expected


def test_a_finding_value_not_accepted_for_its_code_is_named(document: Document) -> None:
    index = entry_index(
        document,
        lambda r: (
            r["resourceType"] == "Observation"
            and r["code"]["coding"][0]["system"] == "urn:dresskit:finding"
        ),
    )
    resource = document["entry"][index]["resource"]
    resource["valueCodeableConcept"]["coding"][0]["code"] = "maybe"
    error = only(
        errors_of(document), f"entry[{index}].resource.valueCodeableConcept.coding[0].code"
    )
    assert error.value == "maybe"
    assert error.expected.startswith(f"for {resource['code']['coding'][0]['code']}: one of")


def test_a_file_that_is_not_json_or_absent_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputErrors, match="a JSON document") as caught:
        read_fhir(bad)
    assert caught.value.errors[0].source == str(bad)
    with pytest.raises(InputErrors, match="readable UTF-8 JSON file"):
        read_fhir(tmp_path / "absent.json")


def test_a_document_without_manifest_reads_as_the_current_format(document: Document) -> None:
    del document["meta"]
    manifest = fhir_to_tables(document, source=SOURCE)["manifest"]
    assert dict(manifest.iter_rows()) == {"format": "dresskit-bundle", "version": "1.0"}


def test_a_missing_bundle_type_is_named(document: Document) -> None:
    del document["type"]
    error = only(errors_of(document), "type")
    assert error.value is MISSING
    assert "collection" in error.expected


def test_a_text_result_for_a_numeric_code_is_refused(document: Document) -> None:
    index = entry_index(
        document, lambda r: r["resourceType"] == "Observation" and loinc_of(r) == "1742-6"
    )
    resource = document["entry"][index]["resource"]
    del resource["valueQuantity"]
    resource["valueString"] = "positive"
    error = only(errors_of(document), f"entry[{index}].resource.valueString")
    assert error.value == "positive"
    assert "only qualitative codes take a text result" in error.expected


def test_an_observation_without_a_value_is_named(document: Document) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Observation")
    del document["entry"][index]["resource"]["valueQuantity"]
    error = only(errors_of(document), f"entry[{index}].resource.value[x]")
    assert error.value is MISSING
    assert "valueQuantity" in error.expected


@pytest.mark.parametrize(
    "written", ["2022-01-03T18:00:30+08:00", "2022-01-03T18:00:00", "2022-01", "03/01/2022"]
)
def test_an_effective_time_not_to_the_minute_with_a_zone_is_refused(
    document: Document, written: str
) -> None:
    index = entry_index(document, lambda r: r["resourceType"] == "Observation")
    document["entry"][index]["resource"]["effectiveDateTime"] = written
    error = only(errors_of(document), f"entry[{index}].resource.effectiveDateTime")
    assert error.value == written
    assert "to the minute" in error.expected


def test_an_unknown_dresskit_observation_code_is_named(document: Document) -> None:
    index = entry_index(
        document,
        lambda r: (
            r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "itch_nrs"
        ),
    )
    document["entry"][index]["resource"]["code"]["coding"][0]["code"] = "itch"
    error = only(errors_of(document), f"entry[{index}].resource.code.coding[0].code")
    assert error.value == "itch"
    assert "itch_nrs" in error.expected


def test_age_zero_is_written_as_a_quantity_and_round_trips() -> None:
    """FHIR age-1: an Age's value SHALL be positive; a newborn's age 0 is a plain Quantity."""
    patients = [dict(row) for row in ROWS["patients"]]
    patients[1]["age_years"] = "0"
    original = validate_tables(tables(patients=patients), source="newborn")
    document = bundle_to_fhir(original)
    assert "valueQuantity" in resources(document, "Patient")[1]["extension"][0]
    assert_same(round_trip(original), original)
