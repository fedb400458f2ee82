"""AdverseEvent resources: the drug_assessments table (causality item answers by drug).

Read after the Conditions and MedicationStatements, which an AdverseEvent refers to.
"""

from __future__ import annotations

from collections.abc import Mapping

from dresskit.bundle.schema import ASSESSMENT_ANSWERS
from dresskit.errors import MISSING
from dresskit.registry.fhir.document import DocumentReader
from dresskit.registry.fhir.vocabulary import EXT_ANSWER, INSTRUMENT_CODES


def read_adverse_event(reader: DocumentReader, path: str, resource: Mapping[str, object]) -> None:
    """Add the item answers of an AdverseEvent's causality assessments to drug_assessments."""
    links = reader.objects(resource, "resultingCondition", path)
    if len(links) != 1:
        reader.problem(
            f"{path}.resultingCondition",
            MISSING if not links else len(links),
            "one Reference to the episode's Condition",
        )
        return
    index = reader.resolve(links[0][1], links[0][0], "Condition")
    episode = None if index is None else reader.episodes.get(index)
    if episode is None:
        return
    reader.check_subject(resource, path, episode, required=True)
    for suspect_path, suspect in reader.objects(resource, "suspectEntity", path):
        instance = reader.child(
            suspect, "instance", suspect_path, required=True, what="a Reference"
        )
        target = (
            None
            if instance is None
            else reader.resolve(instance, f"{suspect_path}.instance", "MedicationStatement")
        )
        exposure = None if target is None else reader.exposures.get(target)
        if exposure is not None and exposure[0] != episode[0]:
            reader.problem(
                f"{suspect_path}.instance.reference",
                instance.get("reference") if instance else None,
                f"a MedicationStatement of episode {episode[0]}",
            )
            exposure = None
        for causality_path, causality in reader.objects(suspect, "causality", suspect_path):
            _causality(reader, causality_path, causality, exposure)


def _causality(
    reader: DocumentReader,
    path: str,
    causality: Mapping[str, object],
    exposure: tuple[str, str] | None,
) -> None:
    answers = [
        (item_path, item)
        for item_path, item in reader.objects(causality, "extension", path)
        if item.get("url") == EXT_ANSWER
    ]
    if not answers:
        return  # an overall assessment alone has no place in the bundle (item answers only)
    instrument = None
    method = reader.child(causality, "method", path, required=True, what="the instrument")
    if method is not None:
        instrument = reader.dresskit_code(
            method,
            f"{path}.method",
            INSTRUMENT_CODES,
            tuple(ASSESSMENT_ANSWERS),
            "the instrument",
        )
    for answer_path, answer in answers:
        parts: dict[str, str | None] = {}
        for part in ("item", "answer"):
            found = reader.extension(answer, part, answer_path, required=True, what="valueCode")
            if found is not None:
                parts[part] = reader.string(found[1], "valueCode", found[0], required=True)
        reader.add_row(
            "drug_assessments",
            answer_path,
            {
                "episode_id": None if exposure is None else exposure[0],
                "drug": None if exposure is None else exposure[1],
                "instrument": instrument,
                **parts,
            },
        )
