"""Import: a FHIR R4 Bundle back into the bundle's tables, every problem reported at once."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

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
from dresskit.errors import MISSING, InputError, InputErrors
from dresskit.registry.fhir.vocabulary import (
    _BIRTH_DATE,
    _BUNDLE_TYPES,
    _CODE_BY_LOINC,
    _DATE_TIME,
    _INTERPRETATION,
    _PHENOTYPES,
    _RESOURCE_TYPES,
    _ROUTE_BY_SNOMED,
    _ROUTES,
    _TEXT_BY_INTERPRETATION,
    _TEXT_BY_SNOMED,
    _TIME,
    ATC,
    EPISODE_SYSTEM,
    EXT_ADMISSION,
    EXT_AGE,
    EXT_ANSWER,
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
    FINDING_VALUE_CODES,
    INSTRUMENT_CODES,
    LOINC,
    OBSERVATION_CODE_SYSTEM,
    PATIENT_SYSTEM,
    PHENOTYPE_CODES,
    SNOMED,
    UCUM,
)


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
