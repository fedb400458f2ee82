"""WHO-UMC system for standardised case causality assessment, as an ordered checklist.

The WHO-UMC causality categories have no points. Each lists assessment criteria, and "all
points should be reasonably complied with" [2]_. dresskit asks the criteria as seven explicit
questions and walks the categories in the order of the system, certain -> probable/likely ->
possible -> unlikely -> conditional/unclassified -> unassessable/unclassifiable: the first
category whose criteria are all met is the result. The criteria are declared once, in
:data:`CRITERIA`. An ``"unknown"`` answer establishes nothing, so it meets no criterion that
asks for a particular answer; the categories still reachable by answering it are reported.

Encoding decisions (the source is qualitative; wording from the UMC page as reproduced in
[2]_ [3]_ [4]_, clinical-reference.md §5):

- ``time_relationship``: ``"plausible"`` meets both the "plausible time relationship" of
  *certain* and the "reasonable time relationship" of *probable/likely* and *possible*: the
  system gives no operational difference between the two words. ``"improbable"`` is "a time to
  drug intake that makes a relationship improbable (but not impossible)" (*unlikely*). An
  impossible time relationship (drug started after onset) fits no WHO-UMC category: such a
  drug is not a suspect and is not assessed here.
- ``explained_by_disease_or_other_drugs`` has three grades because the system has three:
  ``"no"`` = cannot be explained (*certain*; also meets *probable*), ``"unlikely"`` = unlikely
  to be attributed (*probable/likely*), ``"yes"`` = could also be, or is plausibly, explained
  (*possible*; the second criterion of *unlikely*).
- ``withdrawal_response``: ``"yes"`` = a plausible, clinically reasonable response to
  withdrawal, meeting the wording of both *certain* ("plausible (pharmacologically,
  pathologically)") and *probable/likely* ("clinically reasonable"); ``"unknown"`` = the
  information is lacking or unclear.
- ``definitive_pharmacologically_or_phenomenologically`` is asked only by *certain*.
- ``rechallenge``: *certain* asks "rechallenge satisfactory, if necessary". ``"positive"`` and
  ``"not_necessary"`` meet it; ``"negative"``, ``"not_done"`` (not done although needed to be
  certain) and ``"unknown"`` do not. Certainty without a rechallenge must therefore be asserted
  with ``"not_necessary"`` (the assessor's judgement; in DRESS a rechallenge is usually
  contraindicated). *Probable/likely* states "rechallenge not required": any answer, a
  negative rechallenge included, is accepted there and below, as the system says nothing more.
- Permissive points: *possible*'s "could also be explained by disease or other drugs" and
  "information on drug withdrawal may be lacking or unclear" allow rather than require, so
  any answer meets them. Reading them as requirements would rank a case with no alternative
  explanation below one with an alternative explanation.
- *Unlikely* requires both its points: an improbable time relationship *and* a plausible
  explanation by disease or other drugs (``"yes"``).
- ``information_sufficient``: the four assessable categories presuppose information that is
  sufficient and consistent, so each lists ``information_sufficient == "yes"`` as a criterion;
  the last two categories are the system's place for insufficient or contradictory
  information.
- *Conditional/unclassified* and *unassessable/unclassifiable* are reached only when no
  assessable category has all its criteria met (more data are needed, or the case cannot be
  judged from the answers); ``more_data_expected`` then separates them: ``"yes"`` (additional
  data under examination) -> conditional/unclassified, ``"no"`` (data cannot be supplemented
  or verified) -> unassessable/unclassifiable. This also covers an unknown time relationship
  and answers that fit no assessable category (improbable time with no plausible alternative
  explanation).
- The common first point of every category, "event or laboratory test abnormality" (or
  "report suggesting an adverse reaction"), is the premise of an assessment and not asked.

References
----------
.. [1] Uppsala Monitoring Centre. The use of the WHO-UMC system for standardised case
   causality assessment. WHO Collaborating Centre for International Drug Monitoring, Uppsala
   (https://www.who-umc.org/media/2768/standardised-case-causality-assessment.pdf).
.. [2] Reproduced in: Allergy Asthma Clin Immunol. 2021;17 (s13223-021-00523-8), Table 1,
   footnote "All points should be reasonably complied with" (clinical-reference.md [S24]).
.. [3] F1000Research. 2018;7:243, Box 2, reproduced with permission of the UMC
   (clinical-reference.md [S22]).
.. [4] Cureus. 2024;16(5):e59975, Table 2 (clinical-reference.md [S23]).
.. [5] dresskit clinical-reference.md §5 and §12.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import Field

from dresskit.scoring._items import Citation, ItemResult, ScoreResult, reachable_by_enumeration
from dresskit.scoring._validation import StrictInput, parse_input

__all__ = [
    "ASSESSABLE",
    "CATEGORIES",
    "CHOICES",
    "CRITERIA",
    "QUESTIONS",
    "REFERENCE",
    "Criterion",
    "WhoUmcInput",
    "classify",
    "score",
]

#: The categories in the order they are tried (WHO-UMC [1]; clinical-reference.md §5).
CATEGORIES: Final[tuple[str, ...]] = (
    "certain",
    "probable/likely",
    "possible",
    "unlikely",
    "conditional/unclassified",
    "unassessable/unclassifiable",
)

#: The categories that judge the drug; the other two say the case cannot be judged (yet).
ASSESSABLE: Final[tuple[str, ...]] = CATEGORIES[:4]

TimeRelationship = Literal["plausible", "improbable", "unknown"]
Explanation = Literal["no", "unlikely", "yes", "unknown"]
YesNoUnknown = Literal["yes", "no", "unknown"]
Rechallenge = Literal["positive", "negative", "not_necessary", "not_done", "unknown"]
YesNo = Literal["yes", "no"]

#: The questions, in checklist order: the points of *certain* first, then the two that place a
#: case the assessable categories cannot (WHO-UMC [1]; clinical-reference.md §5).
QUESTIONS: Final[Mapping[str, str]] = {
    "time_relationship": "Is the time from drug intake to the event plausible, or does it make "
    "a relationship improbable (but not impossible)?",
    "explained_by_disease_or_other_drugs": "Can the event be explained by disease or other drugs?",
    "withdrawal_response": "Was the response to withdrawal of the drug plausible (clinically "
    "reasonable, pharmacologically or pathologically)?",
    "definitive_pharmacologically_or_phenomenologically": "Is the event definitive "
    "pharmacologically or phenomenologically (an objective and specific medical disorder or a "
    "recognised pharmacological phenomenon)?",
    "rechallenge": "Was a rechallenge done, with what result, or was none necessary?",
    "information_sufficient": "Is the information sufficient and consistent (not "
    "contradictory) to judge the case?",
    "more_data_expected": "Are more data for a proper assessment expected or under examination?",
}

#: The answers each question accepts, in the order of :data:`QUESTIONS`.
CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "time_relationship": ("plausible", "improbable", "unknown"),
    "explained_by_disease_or_other_drugs": ("no", "unlikely", "yes", "unknown"),
    "withdrawal_response": ("yes", "no", "unknown"),
    "definitive_pharmacologically_or_phenomenologically": ("yes", "no", "unknown"),
    "rechallenge": ("positive", "negative", "not_necessary", "not_done", "unknown"),
    "information_sufficient": ("yes", "no"),
    "more_data_expected": ("yes", "no"),
}

_ACCEPTED: Final[Mapping[str, str]] = {
    "time_relationship": "'plausible' (the time from intake to onset is plausible, i.e. "
    "reasonable, for the drug and the event), 'improbable' (it makes a relationship improbable "
    "but not impossible) or 'unknown'",
    "explained_by_disease_or_other_drugs": "'no' (cannot be explained by disease or other "
    "drugs), 'unlikely' (unlikely to be attributed to them), 'yes' (could also be, or is "
    "plausibly, explained by them) or 'unknown'",
    "withdrawal_response": "'yes' (the response to withdrawal is plausible, clinically "
    "reasonable), 'no' (it is not) or 'unknown' (information on withdrawal lacking or unclear)",
    "definitive_pharmacologically_or_phenomenologically": "'yes' (an objective and specific "
    "medical disorder or a recognised pharmacological phenomenon), 'no' or 'unknown'",
    "rechallenge": "'positive' (done, the event recurred), 'negative' (done, it did not "
    "recur), 'not_necessary' (not done and not needed to establish the relationship, in the "
    "assessor's judgement; e.g. contraindicated, as usual in DRESS), 'not_done' (not done "
    "although needed to be certain) or 'unknown'",
    "information_sufficient": "'yes' (sufficient and consistent to judge the case) or 'no' "
    "(insufficient or contradictory)",
    "more_data_expected": "'yes' (more data are expected or under examination) or 'no' (the "
    "data cannot be supplemented or verified)",
}


@dataclass(frozen=True)
class Criterion:
    """One assessment criterion of a WHO-UMC category, tied to the question that decides it.

    Attributes
    ----------
    text
        The criterion in the system's words (clinical-reference.md §5).
    question
        The id of the question (a key of :data:`QUESTIONS`) that decides it.
    met_by
        The answers that meet it. A criterion met by every answer is *permissive*: the system
        allows the situation rather than requiring it.
    """

    text: str
    question: str
    met_by: frozenset[str]

    @property
    def permissive(self) -> bool:
        """Whether every answer to the question meets the criterion."""
        return self.met_by >= frozenset(CHOICES[self.question])

    def is_met(self, answers: Mapping[str, str]) -> bool:
        """Whether ``answers`` meet the criterion."""
        return answers[self.question] in self.met_by


def _criterion(text: str, question: str, *met_by: str) -> Criterion:
    return Criterion(text, question, frozenset(met_by or CHOICES[question]))


_SUFFICIENT: Final = _criterion(
    "information sufficient and consistent to judge the case", "information_sufficient", "yes"
)

#: The criteria of each category, in the system's order (WHO-UMC [1] as reproduced in
#: [2]-[4]; clinical-reference.md §5). The first category whose criteria are all met is the
#: result. A criterion without answers listed accepts every answer (permissive).
CRITERIA: Final[Mapping[str, tuple[Criterion, ...]]] = {
    "certain": (
        _SUFFICIENT,
        _criterion("plausible time relationship to drug intake", "time_relationship", "plausible"),
        _criterion(
            "cannot be explained by disease or other drugs",
            "explained_by_disease_or_other_drugs",
            "no",
        ),
        _criterion(
            "response to withdrawal plausible (pharmacologically, pathologically)",
            "withdrawal_response",
            "yes",
        ),
        _criterion(
            "event definitive pharmacologically or phenomenologically",
            "definitive_pharmacologically_or_phenomenologically",
            "yes",
        ),
        _criterion(
            "rechallenge satisfactory, if necessary", "rechallenge", "positive", "not_necessary"
        ),
    ),
    "probable/likely": (
        _SUFFICIENT,
        _criterion("reasonable time relationship to drug intake", "time_relationship", "plausible"),
        _criterion(
            "unlikely to be attributed to disease or other drugs",
            "explained_by_disease_or_other_drugs",
            "no",
            "unlikely",
        ),
        _criterion("response to withdrawal clinically reasonable", "withdrawal_response", "yes"),
        _criterion("rechallenge not required", "rechallenge"),
    ),
    "possible": (
        _SUFFICIENT,
        _criterion("reasonable time relationship to drug intake", "time_relationship", "plausible"),
        _criterion(
            "could also be explained by disease or other drugs",
            "explained_by_disease_or_other_drugs",
        ),
        _criterion(
            "information on drug withdrawal may be lacking or unclear", "withdrawal_response"
        ),
    ),
    "unlikely": (
        _SUFFICIENT,
        _criterion(
            "time to drug intake makes a relationship improbable (but not impossible)",
            "time_relationship",
            "improbable",
        ),
        _criterion(
            "disease or other drugs provide plausible explanations",
            "explained_by_disease_or_other_drugs",
            "yes",
        ),
    ),
    "conditional/unclassified": (
        _criterion("additional data under examination", "more_data_expected", "yes"),
    ),
    "unassessable/unclassifiable": (
        _criterion("data cannot be supplemented or verified", "more_data_expected", "no"),
    ),
}

#: What reaching a non-assessable category means (its first point), checked by the walk order.
_NOT_JUDGED: Final = {
    "conditional/unclassified": "more data for proper assessment needed",
    "unassessable/unclassifiable": "cannot be judged (information insufficient or contradictory)",
}

REFERENCE: Final = Citation(
    text=(
        "Uppsala Monitoring Centre. The use of the WHO-UMC system for standardised case "
        "causality assessment. WHO Collaborating Centre for International Drug Monitoring, "
        "Uppsala."
    ),
    section="clinical-reference.md §5 (reproductions [S22][S23][S24], §12)",
    notes=(
        "Categories tried in order; the first whose criteria are all met is given ('all "
        "points should be reasonably complied with').",
        "'plausible' time relationship also meets the 'reasonable' wording.",
        "Certain needs rechallenge positive or not_necessary; not_done, negative and unknown "
        "rule it out. Probable and below: 'rechallenge not required', any answer.",
        "Possible: 'could also be explained' and 'withdrawal information may be lacking' "
        "allow, not require. Unlikely requires a plausible other explanation.",
        "Assessable categories require sufficient, consistent information; otherwise "
        "more_data_expected decides conditional/unclassified or unassessable/unclassifiable.",
    ),
)


def _field(question: str) -> object:
    return Field(json_schema_extra={"accepted": _ACCEPTED[question]})


class WhoUmcInput(StrictInput):
    """Answers to the WHO-UMC checklist for one drug.

    Every question is required (``"unknown"`` where the checklist allows it); ``drug`` is
    optional and names the drug assessed.
    """

    drug: Annotated[
        str | None,
        Field(
            min_length=1,
            json_schema_extra={"accepted": "the name of the drug assessed (optional)"},
        ),
    ] = None
    time_relationship: Annotated[TimeRelationship, _field("time_relationship")]
    explained_by_disease_or_other_drugs: Annotated[
        Explanation, _field("explained_by_disease_or_other_drugs")
    ]
    withdrawal_response: Annotated[YesNoUnknown, _field("withdrawal_response")]
    definitive_pharmacologically_or_phenomenologically: Annotated[
        YesNoUnknown, _field("definitive_pharmacologically_or_phenomenologically")
    ]
    rechallenge: Annotated[Rechallenge, _field("rechallenge")]
    information_sufficient: Annotated[YesNo, _field("information_sufficient")]
    more_data_expected: Annotated[YesNo, _field("more_data_expected")]


def classify(answers: Mapping[str, str]) -> str:
    """Return the WHO-UMC category of a complete set of answers.

    Walks :data:`CATEGORIES` in order and returns the first whose :data:`CRITERIA` are all
    met.

    Parameters
    ----------
    answers
        One answer per question of :data:`QUESTIONS`, each among its :data:`CHOICES` (as
        :func:`score` checks); other keys are ignored.

    Returns
    -------
    str
        One of :data:`CATEGORIES`.

    Raises
    ------
    KeyError
        If a question is missing.
    ValueError
        If an answer is not among the question's choices.

    References
    ----------
    Uppsala Monitoring Centre, the WHO-UMC system for standardised case causality assessment;
    clinical-reference.md §5.

    Examples
    --------
    >>> classify({"time_relationship": "plausible",
    ...           "explained_by_disease_or_other_drugs": "unlikely",
    ...           "withdrawal_response": "yes",
    ...           "definitive_pharmacologically_or_phenomenologically": "unknown",
    ...           "rechallenge": "not_done", "information_sufficient": "yes",
    ...           "more_data_expected": "no"})
    'probable/likely'
    """
    for question, choices in CHOICES.items():
        if answers[question] not in choices:
            raise ValueError(
                f"{question} must be one of {', '.join(choices)}; got {answers[question]!r}"
            )
    for category in CATEGORIES:
        if all(criterion.is_met(answers) for criterion in CRITERIA[category]):
            return category
    # more_data_expected is "yes" or "no", so one of the last two categories always applies.
    raise AssertionError("unreachable: no WHO-UMC category applies")  # pragma: no cover


def _grouped(entries: list[tuple[str, str]]) -> str:
    """Join ``(category, criterion text)`` pairs, grouping categories that share a text."""
    by_text: dict[str, list[str]] = {}
    for category, text in entries:
        by_text.setdefault(text, []).append(category)
    return "; ".join(f"{', '.join(categories)}: {text}" for text, categories in by_text.items())


def _item_reason(question: str, answer: str) -> str:
    satisfies: list[tuple[str, str]] = []
    blocks: list[tuple[str, str]] = []
    accepted_any: list[tuple[str, str]] = []
    for category in CATEGORIES:
        for criterion in CRITERIA[category]:
            if criterion.question != question:
                continue
            if criterion.permissive:
                accepted_any.append((category, criterion.text))
            elif answer in criterion.met_by:
                satisfies.append((category, criterion.text))
            else:
                blocks.append((category, criterion.text))
    head = f"answered {answer}"
    if answer == "unknown":
        head += " (not established, so it meets no criterion that asks for an answer)"
    parts = [head]
    if satisfies:
        parts.append(f"Satisfies {_grouped(satisfies)}")
    if blocks:
        parts.append(f"Blocks {_grouped(blocks)}")
    if accepted_any:
        parts.append(f"Any answer is accepted by {_grouped(accepted_any)}")
    return ". ".join(parts)


def _checked(criterion: Criterion, answers: Mapping[str, str]) -> str:
    state = "met" if criterion.is_met(answers) else "not met"
    if criterion.permissive:
        state += ", any answer"
    return f"{criterion.text} ({criterion.question} = {answers[criterion.question]}): {state}"


def _remarks(category: str, answers: Mapping[str, str], reachable: tuple[str, ...]) -> list[str]:
    remarks = []
    for tried in CATEGORIES[: CATEGORIES.index(category)]:
        failing = [
            f"{criterion.text} ({criterion.question} = {answers[criterion.question]})"
            for criterion in CRITERIA[tried]
            if not criterion.is_met(answers)
        ]
        remarks.append(f"{tried}: ruled out by {'; '.join(failing)}")
    checks = [_checked(criterion, answers) for criterion in CRITERIA[category]]
    if category in _NOT_JUDGED:
        checks.insert(
            0, f"{_NOT_JUDGED[category]} (no category above has all its criteria met): met"
        )
    remarks.append(f"{category}: every criterion met: {'; '.join(checks)}")
    unknown = [question for question in CHOICES if answers[question] == "unknown"]
    if unknown:
        remarks.append(
            f"{len(unknown)} question(s) unknown ({', '.join(unknown)}): not established, so "
            "not met for now; answering them could give: " + ", ".join(reachable)
        )
    return remarks


def score(answers: WhoUmcInput | Mapping[str, object], *, source: str | None = None) -> ScoreResult:
    """Assess the causality of one drug with the WHO-UMC categories.

    Parameters
    ----------
    answers
        A :class:`WhoUmcInput`, or a mapping with every question id of :data:`QUESTIONS`
        (answers from :data:`CHOICES`) and an optional ``drug``.
    source
        Where the answers came from (a file name), named in error messages.

    Returns
    -------
    ScoreResult
        ``classification`` is the category; there are no points (``total``,
        ``reachable_total``, ``total_range`` and every item's ``points`` are ``None``). Each
        item's reason says which category criteria its answer satisfies or blocks; the remarks
        say what ruled out each earlier category and list every criterion of the one given;
        ``reachable_classes`` are the categories reachable by answering the unknown questions.

    Raises
    ------
    dresskit.errors.InputErrors
        Listing every missing question, answer not accepted, empty drug name or unknown key.

    References
    ----------
    Uppsala Monitoring Centre, the WHO-UMC system for standardised case causality assessment;
    reproductions [S22][S23][S24]; clinical-reference.md §5.

    Examples
    --------
    >>> result = score({"drug": "vancomycin", "time_relationship": "plausible",
    ...     "explained_by_disease_or_other_drugs": "unknown", "withdrawal_response": "yes",
    ...     "definitive_pharmacologically_or_phenomenologically": "yes",
    ...     "rechallenge": "not_necessary", "information_sufficient": "yes",
    ...     "more_data_expected": "no"})
    >>> result.classification, result.reachable_classes
    ('possible', ('certain', 'probable/likely', 'possible'))
    >>> result.total is None and result.item("rechallenge").points is None
    True
    """
    parsed = parse_input(WhoUmcInput, answers, source=source, instrument="WHO-UMC")
    given = {question: str(getattr(parsed, question)) for question in QUESTIONS}
    category = classify(given)
    items = tuple(
        ItemResult(
            id=question,
            label=QUESTIONS[question],
            answer=answer,
            points=None,
            reason=_item_reason(question, answer),
            known=answer != "unknown",
        )
        for question, answer in given.items()
    )
    unknown_choices = {
        question: tuple(choice for choice in CHOICES[question] if choice != "unknown")
        for question, answer in given.items()
        if answer == "unknown"
    }
    reachable = reachable_by_enumeration(given, unknown_choices, classify)
    reachable_classes = tuple(c for c in CATEGORIES if c in reachable)
    return ScoreResult(
        instrument="who-umc",
        name="WHO-UMC causality assessment",
        version="UMC, standardised case causality assessment",
        total=None,
        classification=category,
        items=items,
        total_range=None,
        reachable_total=None,
        reachable_classes=reachable_classes,
        reference=REFERENCE,
        remarks=tuple(_remarks(category, given, reachable_classes)),
        subject=parsed.drug,
    )
