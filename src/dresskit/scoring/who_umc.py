"""WHO-UMC system for standardised case causality assessment, as an ordered checklist.

The WHO-UMC categories have no points: each category lists criteria that "should be
reasonably complied with". dresskit asks the criteria as explicit questions and walks the
categories in order, certain -> probable/likely -> possible -> unlikely, the first whose
criteria are all met giving the category; when the information is insufficient, the result is
conditional/unclassified (more data expected) or unassessable/unclassifiable.

Encoding decisions (documented because the source is qualitative):

- ``time_relationship``: ``plausible`` satisfies both the "plausible" (certain) and the
  "reasonable" (probable, possible) wording; ``improbable`` gives unlikely.
- ``explained_by_disease_or_other_drugs``: ``no`` = cannot be explained (certain),
  ``unlikely`` = unlikely to be attributed (probable), ``yes`` = could also be explained
  (possible; with an improbable time relationship, unlikely).
- ``withdrawal_response``: ``yes`` = a plausible / clinically reasonable response to
  withdrawal; ``unknown`` = information lacking or unclear (enough for possible).
- ``definitive``: the event is definitive pharmacologically or phenomenologically (an
  objective, specific disorder or recognised pharmacological phenomenon), needed for certain.
- ``rechallenge``: ``positive`` (satisfactory), ``negative`` or ``not_done``; certain accepts
  ``not_done`` because the category asks a rechallenge only "if necessary" (in DRESS a
  rechallenge is usually contraindicated); a ``negative`` rechallenge rules out certain.

References
----------
.. [1] Uppsala Monitoring Centre. The use of the WHO-UMC system for standardised case
   causality assessment. WHO Collaborating Centre for International Drug Monitoring.
.. [2] Reproductions: F1000Research 2018;7:243 Box 2; Cureus 2024;16(5):e59975 Table 2;
   Allergy Asthma Clin Immunol 2021 (s13223-021-00523-8) Table 1.
.. [3] dresskit clinical-reference.md §5.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Final, Literal

from pydantic import Field

from dresskit.scoring._items import Citation, ItemResult, ScoreResult, reachable_by_enumeration
from dresskit.scoring._validation import StrictInput, parse_input

__all__ = ["CATEGORIES", "CHOICES", "REFERENCE", "WhoUmcInput", "classify", "score"]

#: Categories in the order they are tried (WHO-UMC; clinical-reference.md §5).
CATEGORIES: Final[tuple[str, ...]] = (
    "certain",
    "probable/likely",
    "possible",
    "unlikely",
    "conditional/unclassified",
    "unassessable/unclassifiable",
)

#: The answers each question accepts; "unknown" is not met for any category.
CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "information_sufficient": ("yes", "no"),
    "more_data_expected": ("yes", "no", "unknown"),
    "time_relationship": ("plausible", "improbable", "unknown"),
    "explained_by_disease_or_other_drugs": ("no", "unlikely", "yes", "unknown"),
    "withdrawal_response": ("yes", "no", "unknown"),
    "definitive": ("yes", "no", "unknown"),
    "rechallenge": ("positive", "negative", "not_done", "unknown"),
}

_LABELS: Final[Mapping[str, str]] = {
    "information_sufficient": "Information sufficient and consistent to assess",
    "more_data_expected": "More data expected / under examination",
    "time_relationship": "Time relationship to drug intake",
    "explained_by_disease_or_other_drugs": "Explained by disease or other drugs",
    "withdrawal_response": "Plausible response to withdrawal (dechallenge)",
    "definitive": "Event definitive pharmacologically or phenomenologically",
    "rechallenge": "Rechallenge",
}

REFERENCE: Final = Citation(
    text=(
        "Uppsala Monitoring Centre. The use of the WHO-UMC system for standardised case "
        "causality assessment. WHO Collaborating Centre for International Drug Monitoring."
    ),
    section="clinical-reference.md §5",
    notes=(
        "Categories tried in order; the first whose criteria are all met is given.",
        "'plausible' time relationship also satisfies the 'reasonable' wording.",
        "Certain accepts rechallenge not done (asked only 'if necessary'); negative rules it out.",
    ),
)

Answers = Mapping[str, str]


def _field(question: str) -> object:
    words = ", ".join(repr(choice) for choice in CHOICES[question])
    return Field(json_schema_extra={"accepted": f"one of {words}"})


class WhoUmcInput(StrictInput):
    """Answers to the WHO-UMC checklist for one drug (every key required)."""

    drug: Annotated[
        str | None,
        Field(min_length=1, json_schema_extra={"accepted": "the drug assessed (optional)"}),
    ] = None
    information_sufficient: Annotated[Literal["yes", "no"], _field("information_sufficient")]
    more_data_expected: Annotated[Literal["yes", "no", "unknown"], _field("more_data_expected")]
    time_relationship: Annotated[
        Literal["plausible", "improbable", "unknown"], _field("time_relationship")
    ]
    explained_by_disease_or_other_drugs: Annotated[
        Literal["no", "unlikely", "yes", "unknown"], _field("explained_by_disease_or_other_drugs")
    ]
    withdrawal_response: Annotated[Literal["yes", "no", "unknown"], _field("withdrawal_response")]
    definitive: Annotated[Literal["yes", "no", "unknown"], _field("definitive")]
    rechallenge: Annotated[
        Literal["positive", "negative", "not_done", "unknown"], _field("rechallenge")
    ]


#: The criteria of each assessable category, as predicates over the answers.
_CRITERIA: Final[Mapping[str, tuple[tuple[str, Callable[[Answers], bool]], ...]]] = {
    "certain": (
        ("plausible time relationship", lambda a: a["time_relationship"] == "plausible"),
        (
            "cannot be explained by disease or other drugs",
            lambda a: a["explained_by_disease_or_other_drugs"] == "no",
        ),
        ("plausible response to withdrawal", lambda a: a["withdrawal_response"] == "yes"),
        ("definitive pharmacologically or phenomenologically", lambda a: a["definitive"] == "yes"),
        (
            "rechallenge satisfactory, if necessary (positive or not done)",
            lambda a: a["rechallenge"] in ("positive", "not_done"),
        ),
    ),
    "probable/likely": (
        ("reasonable time relationship", lambda a: a["time_relationship"] == "plausible"),
        (
            "unlikely to be attributed to disease or other drugs",
            lambda a: a["explained_by_disease_or_other_drugs"] in ("no", "unlikely"),
        ),
        (
            "clinically reasonable response to withdrawal",
            lambda a: a["withdrawal_response"] == "yes",
        ),
    ),
    "possible": (
        ("reasonable time relationship", lambda a: a["time_relationship"] == "plausible"),
    ),
    "unlikely": (
        (
            "time to intake makes a relationship improbable",
            lambda a: a["time_relationship"] == "improbable",
        ),
    ),
}


def _met(category: str, answers: Answers) -> list[tuple[str, bool]]:
    return [(text, rule(answers)) for text, rule in _CRITERIA[category]]


def classify(answers: Answers) -> str:
    """Return the WHO-UMC category of a complete set of answers.

    Examples
    --------
    >>> classify({"information_sufficient": "yes", "more_data_expected": "no",
    ...           "time_relationship": "plausible",
    ...           "explained_by_disease_or_other_drugs": "unlikely",
    ...           "withdrawal_response": "yes", "definitive": "no", "rechallenge": "not_done"})
    'probable/likely'
    """
    if answers["information_sufficient"] == "no":
        if answers["more_data_expected"] == "yes":
            return "conditional/unclassified"
        return "unassessable/unclassifiable"
    for category in ("certain", "probable/likely", "possible", "unlikely"):
        if all(met for _, met in _met(category, answers)):
            return category
    # Sufficient information but no time relationship stated: more data are needed.
    return "conditional/unclassified"


#: Which categories each question is a criterion of (for the per-item explanation).
_USED_BY: Final[Mapping[str, str]] = {
    "information_sufficient": "conditional/unclassified vs unassessable/unclassifiable",
    "more_data_expected": "conditional/unclassified vs unassessable/unclassifiable",
    "time_relationship": "certain, probable/likely, possible, unlikely",
    "explained_by_disease_or_other_drugs": "certain, probable/likely",
    "withdrawal_response": "certain, probable/likely",
    "definitive": "certain",
    "rechallenge": "certain",
}


def _item_reason(question: str, answer: str) -> str:
    if answer == "unknown":
        return f"unknown: not met for {_USED_BY[question]}"
    return f"answered {answer}; criterion of {_USED_BY[question]}"


def score(answers: WhoUmcInput | Mapping[str, object], *, source: str | None = None) -> ScoreResult:
    """Assess causality with the WHO-UMC categories for one drug.

    Parameters
    ----------
    answers
        A :class:`WhoUmcInput` or a mapping with every question id (and optional ``drug``).
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        ``total`` is ``None`` (no points); ``classification`` is the category; the remarks
        list every criterion of the categories tried, met or not.

    Raises
    ------
    dresskit.errors.InputErrors
        For a missing question or an answer not accepted.

    References
    ----------
    Uppsala Monitoring Centre, WHO-UMC causality categories; clinical-reference.md §5.

    Examples
    --------
    >>> result = score({"drug": "vancomycin", "information_sufficient": "yes",
    ...     "more_data_expected": "no", "time_relationship": "plausible",
    ...     "explained_by_disease_or_other_drugs": "unknown", "withdrawal_response": "yes",
    ...     "definitive": "yes", "rechallenge": "not_done"})
    >>> result.classification, result.reachable_classes
    ('possible', ('certain', 'probable/likely', 'possible'))
    """
    parsed = parse_input(WhoUmcInput, answers, source=source, instrument="WHO-UMC")
    given = {question: str(getattr(parsed, question)) for question in CHOICES}
    category = classify(given)
    items = tuple(
        ItemResult(
            id=question,
            label=_LABELS[question],
            answer=answer,
            points=None,
            reason=_item_reason(question, answer),
            known=answer != "unknown",
        )
        for question, answer in given.items()
    )
    unknown = {
        question: tuple(choice for choice in CHOICES[question] if choice != "unknown")
        for question, answer in given.items()
        if answer == "unknown"
    }
    reachable = reachable_by_enumeration(given, unknown, classify)
    remarks = []
    for tried in ("certain", "probable/likely", "possible", "unlikely"):
        checks = _met(tried, given)
        listed = "; ".join(f"{text}: {'met' if met else 'not met'}" for text, met in checks)
        remarks.append(f"{tried}: {listed}")
        if tried == category:
            break
    return ScoreResult(
        instrument="who-umc",
        name="WHO-UMC causality assessment",
        version="WHO-UMC system (Uppsala Monitoring Centre)",
        total=None,
        classification=category,
        items=items,
        total_range=None,
        reachable_total=None,
        reachable_classes=tuple(c for c in CATEGORIES if c in reachable),
        reference=REFERENCE,
        remarks=tuple(remarks),
        subject=parsed.drug,
    )
