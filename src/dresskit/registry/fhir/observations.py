"""Observation resources: the observations table (measurements) and the findings table.

An Observation coded in ``urn:dresskit:finding`` is a finding; every other one a measurement,
coded in LOINC or dresskit's observation codes.
"""

from __future__ import annotations

from collections.abc import Mapping

from dresskit.bundle.schema import FINDING_VALUES
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.errors import MISSING
from dresskit.registry.fhir.document import DocumentReader, is_real_date
from dresskit.registry.fhir.vocabulary import (
    _CODE_BY_LOINC,
    _DATE_TIME,
    _INTERPRETATION,
    _TEXT_BY_INTERPRETATION,
    _TEXT_BY_SNOMED,
    _TIME,
    EXT_DETAIL,
    EXT_LOCAL_TIME,
    FINDING_CODES,
    FINDING_VALUE_CODES,
    LOINC,
    OBSERVATION_CODE_SYSTEM,
    SNOMED,
    UCUM,
)


def read_observation(reader: DocumentReader, path: str, resource: Mapping[str, object]) -> None:
    """Add an Observation to observations, or to findings when it is a finding."""
    concept = reader.child(resource, "code", path, required=True, what="the observation code")
    if concept is None:
        return
    codings = concept.get("coding")
    if isinstance(codings, list) and any(
        isinstance(c, Mapping) and c.get("system") == FINDING_CODES for c in codings
    ):
        _finding(reader, path, resource, concept)
        return
    code = _observation_code(reader, concept, f"{path}.code")
    episode = reader.episode_of(resource, path, subject_required=False)
    on, at = _effective(reader, resource, path)
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
    quantity = reader.child(resource, "valueQuantity", path, required=False, what="a Quantity")
    text = None
    if quantity is not None:
        quantity_path = f"{path}.valueQuantity"
        values["value"] = reader.number(quantity, "value", quantity_path, integer=False)
        if definition is not None:
            listed = ", ".join(definition.accepted_units)
            reader.string(
                quantity, "system", quantity_path, required=True, expected=UCUM, choices=(UCUM,)
            )
            values["unit"] = reader.string(
                quantity,
                "code",
                quantity_path,
                required=True,
                expected=f"a UCUM unit accepted{label}: {listed}",
                choices=definition.accepted_units,
            )
        for item_path, item in reader.objects(resource, "interpretation", path):
            for code_path, v3 in reader.codings(item, item_path, _INTERPRETATION):
                if v3 in _TEXT_BY_INTERPRETATION:
                    text = (code_path, _TEXT_BY_INTERPRETATION[v3])
    elif "valueCodeableConcept" in resource:
        result = reader.child(
            resource, "valueCodeableConcept", path, required=True, what="a CodeableConcept"
        )
        if result is not None:
            text = _text_result(reader, result, f"{path}.valueCodeableConcept")
    elif "valueString" in resource:
        value = reader.string(resource, "valueString", path, required=True)
        text = None if value is None else (f"{path}.valueString", value)
    else:
        reader.problem(
            f"{path}.value[x]",
            MISSING,
            "valueQuantity, or a text result (valueCodeableConcept, valueString)",
        )
    if text is not None and definition is not None:
        if not definition.qualitative:
            reader.problem(
                text[0],
                text[1],
                f"a numeric result{label}: only qualitative codes take a text result",
            )
        elif text[1] not in definition.text_values:
            reader.problem(text[0], text[1], "one of " + ", ".join(definition.text_values))
        else:
            values["text"] = text[1]
    reader.add_row("observations", path, values)


def _observation_code(
    reader: DocumentReader, concept: Mapping[str, object], path: str
) -> str | None:
    """Return the dresskit code of an Observation.code, from LOINC or the dresskit coding."""
    codes: set[str] = set()
    ok = True
    for code_path, loinc in reader.codings(concept, path, LOINC):
        if loinc is None:
            ok = False
        elif loinc not in _CODE_BY_LOINC:
            ok = False
            reader.problem(
                code_path,
                loinc,
                "a LOINC code dresskit reads: "
                + ", ".join(f"{n} ({c})" for n, c in _CODE_BY_LOINC.items()),
            )
        else:
            codes.add(_CODE_BY_LOINC[loinc])
    for code_path, own in reader.codings(concept, path, OBSERVATION_CODE_SYSTEM):
        if own is None:
            ok = False
        elif own not in OBSERVATION_CODES:
            ok = False
            reader.problem(code_path, own, "one of " + ", ".join(OBSERVATION_CODES))
        else:
            codes.add(own)
    if not ok:
        return None
    if not codes:
        reader.problem(
            f"{path}.coding",
            MISSING,
            f"a coding with system {LOINC} or {OBSERVATION_CODE_SYSTEM}",
        )
        return None
    if len(codes) > 1:
        reader.problem(f"{path}.coding", sorted(codes), "codings that name one measurement")
        return None
    return codes.pop()


def _text_result(
    reader: DocumentReader, concept: Mapping[str, object], path: str
) -> tuple[str, str] | None:
    for code_path, snomed in reader.codings(concept, path, SNOMED):
        if snomed in _TEXT_BY_SNOMED:
            return code_path, _TEXT_BY_SNOMED[snomed]
    text = reader.string(concept, "text", path, required=True, expected="the result as text")
    return None if text is None else (f"{path}.text", text)


def _effective(
    reader: DocumentReader, resource: Mapping[str, object], path: str
) -> tuple[str | None, str | None]:
    expected = "a date YYYY-MM-DD or a dateTime to the minute (seconds 00, with a zone)"
    if "effectiveDateTime" not in resource:
        for other in ("effectivePeriod", "effectiveInstant", "effectiveTiming"):
            if other in resource:
                reader.problem(
                    f"{path}.{other}",
                    resource[other],
                    f"an effectiveDateTime instead: {expected} (the {other} of an "
                    "Observation is not read: a bundle observation has one date)",
                )
                return None, None
    text = reader.string(resource, "effectiveDateTime", path, required=True, expected=expected)
    if text is None:
        return None, None
    matched = _DATE_TIME.fullmatch(text)
    if (
        matched is None
        or not is_real_date(matched["date"])
        or (matched["s"] is not None and matched["s"] != "00")
        or (matched["f"] is not None and set(matched["f"][1:]) != {"0"})
    ):
        reader.problem(f"{path}.effectiveDateTime", text, expected)
        return None, None
    clock: str | None = matched["hm"]
    found = reader.extension(resource, EXT_LOCAL_TIME, path, required=False, what="valueTime")
    if found is not None:
        local = reader.string(
            found[1], "valueTime", found[0], required=True, expected="a time hh:mm:00"
        )
        matched_time = None if local is None else _TIME.fullmatch(local)
        if local is not None and matched_time is None:
            reader.problem(f"{found[0]}.valueTime", local, "a time hh:mm:00")
        elif matched_time is not None:
            if clock is not None and clock != matched_time["hm"]:
                reader.problem(
                    f"{found[0]}.valueTime", local, f"the time of effectiveDateTime ({clock})"
                )
            clock = matched_time["hm"]
    return matched["date"], clock


def _finding(
    reader: DocumentReader, path: str, resource: Mapping[str, object], concept: Mapping[str, object]
) -> None:
    code = reader.dresskit_code(
        concept, f"{path}.code", FINDING_CODES, tuple(FINDING_VALUES), "a finding code"
    )
    episode = reader.episode_of(resource, path, subject_required=False)
    on = reader.date_text(resource, "effectiveDateTime", path, required=True, what="the day")
    value = None
    result = reader.child(
        resource, "valueCodeableConcept", path, required=True, what="the finding's value"
    )
    if result is not None:
        result_path = f"{path}.valueCodeableConcept"
        found = reader.codings(result, result_path, FINDING_VALUE_CODES)
        value_path, value = (
            found[0]
            if found
            else (
                f"{result_path}.text",
                reader.string(result, "text", result_path, required=True, expected="the value"),
            )
        )
        if code is not None and value is not None and value not in FINDING_VALUES[code]:
            reader.problem(
                value_path, value, f"for {code}: one of " + ", ".join(FINDING_VALUES[code])
            )
    detail = None
    found_detail = reader.extension(resource, EXT_DETAIL, path, required=False, what="valueString")
    if found_detail is not None:
        detail = reader.string(found_detail[1], "valueString", found_detail[0], required=True)
    reader.add_row(
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
