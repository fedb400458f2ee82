"""Patient and Condition resources: the patients and episodes tables.

They are read before every other resource, which refers to them: a Condition's episode
(``episode_id``, Patient entry) is what the other resources' episode extension resolves to.
"""

from __future__ import annotations

from collections.abc import Mapping

from dresskit.bundle.schema import TABLES
from dresskit.registry.fhir.document import DocumentReader
from dresskit.registry.fhir.vocabulary import (
    _BIRTH_DATE,
    _PHENOTYPES,
    EPISODE_SYSTEM,
    EXT_ADMISSION,
    EXT_AGE,
    EXT_DEATH_DATE,
    EXT_LAST_FOLLOW_UP,
    EXT_OUTCOME,
    PATIENT_SYSTEM,
    PHENOTYPE_CODES,
)


def read_patient(
    reader: DocumentReader, path: str, index: int, resource: Mapping[str, object]
) -> None:
    """Add a Patient to patients; remember its patient_id by entry index."""
    patient_id = reader.identifier(resource, PATIENT_SYSTEM, path, what="the patient_id")
    sex_codes = TABLES["patients"][1].codes
    sex = reader.string(
        resource,
        "gender",
        path,
        required=True,
        expected="one of " + ", ".join(sex_codes),
        choices=sex_codes,
    )
    birth_year = None
    birth = reader.string(
        resource,
        "birthDate",
        path,
        required=False,
        expected="a date YYYY, YYYY-MM or YYYY-MM-DD",
    )
    if birth is not None:
        matched = _BIRTH_DATE.fullmatch(birth)
        if matched is None:
            reader.problem(f"{path}.birthDate", birth, "a date YYYY, YYYY-MM or YYYY-MM-DD")
        else:
            birth_year = matched["year"]  # the bundle records the year of birth only
    age = None
    found = reader.extension(resource, EXT_AGE, path, required=False, what="valueAge in years")
    if found is not None:
        age = _age(reader, *found)
    if "deceasedDateTime" in resource:
        death = reader.date_text(
            resource, "deceasedDateTime", path, required=True, what="the date of death"
        )
        if death is not None:
            reader.deaths[index] = death
    elif "deceasedBoolean" in resource and not isinstance(resource["deceasedBoolean"], bool):
        reader.problem(f"{path}.deceasedBoolean", resource["deceasedBoolean"], "true or false")
    if patient_id is not None:
        reader.patient_ids[index] = patient_id
    reader.add_row(
        "patients",
        path,
        {"patient_id": patient_id, "sex": sex, "birth_year": birth_year, "age_years": age},
    )


def _age(reader: DocumentReader, path: str, extension: Mapping[str, object]) -> str | None:
    kind = "valueQuantity" if "valueQuantity" in extension else "valueAge"
    value = reader.child(extension, kind, path, required=True, what="an Age in years (UCUM 'a')")
    if value is None:
        return None
    reader.ucum(value, f"{path}.{kind}", ("a",))
    return reader.number(value, "value", f"{path}.{kind}", integer=True)


def read_condition(
    reader: DocumentReader, path: str, index: int, resource: Mapping[str, object]
) -> None:
    """Add a Condition to episodes; remember its episode by entry index."""
    episode_id = reader.identifier(resource, EPISODE_SYSTEM, path, what="the episode_id")
    patient_index = None
    subject = reader.child(
        resource, "subject", path, required=True, what="a Reference to the Patient"
    )
    if subject is not None:
        patient_index = reader.resolve(subject, f"{path}.subject", "Patient")
    phenotype = None
    concept = reader.child(resource, "code", path, required=True, what="the phenotype")
    if concept is not None:
        phenotype = reader.dresskit_code(
            concept, f"{path}.code", PHENOTYPE_CODES, tuple(_PHENOTYPES), "the phenotype"
        )
    onset = reader.date_text(resource, "onsetDateTime", path, required=True, what="the onset")
    values: dict[str, str | None] = {
        "episode_id": episode_id,
        "patient_id": None if patient_index is None else reader.patient_ids.get(patient_index),
        "phenotype": phenotype,
        "onset_date": onset,
    }
    for column, url, required in (
        ("admission_date", EXT_ADMISSION, False),
        ("last_follow_up_date", EXT_LAST_FOLLOW_UP, True),
    ):
        found = reader.extension(resource, url, path, required=required, what="valueDate")
        if found is not None:
            values[column] = reader.date_text(
                found[1], "valueDate", found[0], required=True, what=column
            )
    outcomes = TABLES["episodes"][5].codes
    values["outcome"] = reader.extension_code(resource, EXT_OUTCOME, path, outcomes)
    found = reader.extension(resource, EXT_DEATH_DATE, path, required=False, what="valueDate")
    if found is not None:
        values["death_date"] = reader.date_text(
            found[1], "valueDate", found[0], required=True, what="death_date"
        )
    elif values["outcome"] == "died" and patient_index is not None:
        # A document from elsewhere: the Patient's deceasedDateTime dates the death.
        values["death_date"] = reader.deaths.get(patient_index)
    if episode_id is not None:
        reader.episodes[index] = (episode_id, patient_index)
    reader.add_row("episodes", path, values)
