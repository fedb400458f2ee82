"""RegiSCAR DRESS validation score (Kardaun 2007, 2013) and the RegiSCAR inclusion criteria.

The validation score grades how likely a reaction is DRESS: ten items, total -4..9, classes
*no case* (< 2), *possible* (2-3), *probable* (4-5), *definite* (>= 6). Items may be answered
directly (``"yes"``, ``"no"``, ``"unknown"``) or computed from raw values: the highest
temperature, eosinophil counts, the list of organs involved, the rash features present and the
results of tests for other causes.

Decisions where reproductions of the table disagree (clinical-reference.md section 11):
fever >= 38.5 °C; lymph nodes > 1 cm at >= 2 sites; eosinophilia 700-1 499/µL -> +1,
>= 1 500/µL -> +2, the percentage path (10-19.9 % -> +1, >= 20 % -> +2) only when leukocytes
are < 4.0 x 10⁹/L, and then the higher of the two paths; rash extent > 50 % BSA; "suggestive
rash" = >= 2 of oedema, infiltration, purpura, scaling; other causes +1 only when >= 3 tests
were done and none was positive.

References
----------
.. [1] Kardaun SH, Sidoroff A, Valeyrie-Allanore L, et al. Variability in the clinical pattern
   of cutaneous side-effects of drugs with systemic symptoms: does a DRESS syndrome really
   exist? Br J Dermatol. 2007;156(3):609-611 (scoring table).
.. [2] Kardaun SH, Sekula P, Valeyrie-Allanore L, et al. Drug reaction with eosinophilia and
   systemic symptoms (DRESS): an original multisystem adverse drug reaction. Results from the
   prospective RegiSCAR study. Br J Dermatol. 2013;169(5):1071-1080.
.. [3] dresskit clinical-reference.md sections 0, 1.1-1.5 and 11.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from dresskit.errors import InputError, InputErrors
from dresskit.scoring._items import (
    Citation,
    ItemResult,
    ScoreResult,
    band,
    reachable_additive_totals,
    signed,
)
from dresskit.scoring._validation import StrictInput, parse_input
from dresskit.units import to_degrees_celsius

__all__ = [
    "CELL_COUNT_TOLERANCE_PER_UL",
    "CLASSES",
    "COUNT_OVER_LEUKOCYTES_FACTOR",
    "DIFFERENTIAL_TOLERANCE_PCT",
    "EOSINOPHILS_HIGH_PCT",
    "EOSINOPHILS_HIGH_PER_UL",
    "EOSINOPHILS_LOW_PCT",
    "EOSINOPHILS_LOW_PER_UL",
    "FEVER_THRESHOLD_CEL",
    "LEUKOPENIA_BELOW_PER_UL",
    "ORGANS",
    "OTHER_CAUSE_TESTS_REQUIRED",
    "POINTS",
    "REFERENCE",
    "EosinophilCounts",
    "FeverMeasurement",
    "OtherCauseTests",
    "RegiscarInput",
    "SkinFeatures",
    "Temperature",
    "classify",
    "eosinophil_counts_problem",
    "score",
]

AnswerText = Literal["yes", "no", "unknown"]
EosinophiliaLevel = Literal["no", "unknown", "yes_700_to_1499", "yes_1500_or_more"]
OrganCount = Literal["no", "unknown", "one_organ", "two_or_more_organs"]
Organ = Literal["liver", "kidney", "lung", "heart_muscle", "pancreas", "other"]
RashFeature = Literal["oedema", "infiltration", "purpura", "scaling"]
OtherCauseTest = Literal[
    "ana", "blood_culture", "hav", "hbv", "hcv", "chlamydia", "mycoplasma", "other_serology_pcr"
]
TestResult = Literal["negative", "positive", "not_done"]

#: Organs the score lists (Kardaun 2007 [1]); "other" is any other internal organ.
ORGANS: Final[tuple[str, ...]] = ("liver", "kidney", "lung", "heart_muscle", "pancreas", "other")

#: Fever item threshold, °C, inclusive (Kardaun 2007 [1]; reference section 11).
FEVER_THRESHOLD_CEL: Final = 38.5
#: Absolute eosinophil thresholds, cells/µL, inclusive lower bounds (reference 1.2).
EOSINOPHILS_LOW_PER_UL: Final = 700.0
EOSINOPHILS_HIGH_PER_UL: Final = 1500.0
#: Percentage path thresholds, used only when leukocytes are below 4 000/µL (reference 1.2).
EOSINOPHILS_LOW_PCT: Final = 10.0
EOSINOPHILS_HIGH_PCT: Final = 20.0
LEUKOPENIA_BELOW_PER_UL: Final = 4000.0
#: Consistency of raw eosinophil values (one blood count): the count may exceed the leukocyte
#: count by at most this factor plus :data:`CELL_COUNT_TOLERANCE_PER_UL`, and may differ from
#: leukocytes x percentage by at most :data:`DIFFERENTIAL_TOLERANCE_PCT` percentage points of
#: the leukocytes plus :data:`CELL_COUNT_TOLERANCE_PER_UL`. A differential is reported to the
#: nearest 0.5-1 % (dresskit's tolerance for values typed from one report, not a published
#: rule; clinical-reference.md §1.2).
COUNT_OVER_LEUKOCYTES_FACTOR: Final = 1.005
DIFFERENTIAL_TOLERANCE_PCT: Final = 0.5
CELL_COUNT_TOLERANCE_PER_UL: Final = 1.0
#: Tests for other causes that must be done and negative for +1 (reference 1.4).
OTHER_CAUSE_TESTS_REQUIRED: Final = 3

#: Points per item and answer (Kardaun 2007 [1]; reference section 1.1). The single source of
#: the arithmetic: scoring, reachable ranges and the property tests all read this table.
POINTS: Final[Mapping[str, Mapping[str, int]]] = {
    "fever": {"yes": 0, "no": -1, "unknown": -1},
    "lymph_nodes": {"yes": 1, "no": 0, "unknown": 0},
    "eosinophilia": {"yes_1500_or_more": 2, "yes_700_to_1499": 1, "no": 0, "unknown": 0},
    "atypical_lymphocytes": {"yes": 1, "no": 0, "unknown": 0},
    "skin_extent_over_50pct": {"yes": 1, "no": 0, "unknown": 0},
    "skin_suggestive": {"yes": 1, "no": -1, "unknown": 0},
    "biopsy_suggestive": {"yes": 0, "no": -1, "unknown": 0},
    "organ_involvement": {"two_or_more_organs": 2, "one_organ": 1, "no": 0, "unknown": 0},
    "resolution_15_days": {"yes": 0, "no": -1, "unknown": -1},
    "other_causes_excluded": {"yes": 1, "no": 0, "unknown": 0},
}

_LABELS: Final[Mapping[str, str]] = {
    "fever": "Fever >= 38.5 °C",
    "lymph_nodes": "Enlarged lymph nodes (> 1 cm, >= 2 sites)",
    "eosinophilia": "Eosinophilia",
    "atypical_lymphocytes": "Atypical lymphocytes",
    "skin_extent_over_50pct": "Skin rash extent > 50 % BSA",
    "skin_suggestive": "Skin rash suggesting DRESS (>= 2 of oedema, infiltration, purpura, "
    "scaling)",
    "biopsy_suggestive": "Skin biopsy suggesting DRESS",
    "organ_involvement": "Internal organ involvement",
    "resolution_15_days": "Resolution >= 15 days",
    "other_causes_excluded": "Evaluation of other potential causes (>= 3 tests negative, "
    "none positive)",
}

#: Classes in order, with the lowest total of each (reference 1.1).
CLASSES: Final[tuple[tuple[str, int], ...]] = (
    ("no case", -4),
    ("possible", 2),
    ("probable", 4),
    ("definite", 6),
)

REFERENCE: Final = Citation(
    text=(
        "Kardaun SH, Sidoroff A, Valeyrie-Allanore L, et al. Variability in the clinical "
        "pattern of cutaneous side-effects of drugs with systemic symptoms: does a DRESS "
        "syndrome really exist? Br J Dermatol. 2007;156(3):609-611. Kardaun SH, Sekula P, "
        "Valeyrie-Allanore L, et al. Br J Dermatol. 2013;169(5):1071-1080."
    ),
    section="clinical-reference.md §1.1-1.4, §11",
    notes=(
        "Classes < 2 no case, 2-3 possible, 4-5 probable, >= 6 definite.",
        "Eosinophil percentage path used only when leukocytes < 4.0 ×10⁹/L; the higher of "
        "the two paths is scored (the table states no precedence).",
        "Unknown fever or resolution scores -1 and unknown biopsy 0, as the table gives.",
    ),
)

_ANSWER_WORDS = "'yes', 'no' or 'unknown'"


class Temperature(StrictInput):
    """A temperature reading with its UCUM unit (``Cel``, ``[degF]`` or ``K``)."""

    value: float
    unit: str


class FeverMeasurement(StrictInput):
    """Fever given as the highest temperature recorded."""

    max_temperature: Temperature


class EosinophilCounts(StrictInput):
    """Raw eosinophil values: any known subset of count, leukocytes and percentage."""

    eosinophils_per_ul: Annotated[float, Field(ge=0)] | None = None
    wbc_per_ul: Annotated[float, Field(gt=0)] | None = None
    eosinophils_pct: Annotated[float, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _at_least_one_value(self) -> EosinophilCounts:
        if self.eosinophils_per_ul is None and self.eosinophils_pct is None:
            raise ValueError(
                "eosinophils_per_ul or eosinophils_pct (with wbc_per_ul); "
                "answer 'unknown' if neither is known"
            )
        return self


class SkinFeatures(StrictInput):
    """The rash features present; >= 2 makes the rash suggestive of DRESS."""

    features: Annotated[list[RashFeature], Field(json_schema_extra={"uniqueItems": True})]


class OtherCauseTests(StrictInput):
    """Results of the tests for other causes; an omitted test counts as not done."""

    tests: dict[OtherCauseTest, TestResult]


def _accepted(text: str) -> dict[str, object]:
    return {"accepted": text}


class RegiscarInput(StrictInput):
    """Answers to the ten RegiSCAR items (canonical ids, clinical-reference.md section 0).

    Every key is required: an item not known must be answered ``"unknown"``.
    """

    fever: Annotated[
        AnswerText | FeverMeasurement,
        Field(
            json_schema_extra=_accepted(
                f"{_ANSWER_WORDS}, or {{'max_temperature': "
                "{'value': v, 'unit': 'Cel' or '[degF]'}}"
            )
        ),
    ]
    lymph_nodes: Annotated[AnswerText, Field(json_schema_extra=_accepted(_ANSWER_WORDS))]
    eosinophilia: Annotated[
        EosinophiliaLevel | EosinophilCounts,
        Field(
            json_schema_extra=_accepted(
                "'no', 'unknown', 'yes_700_to_1499' or 'yes_1500_or_more', or an object with "
                "any of eosinophils_per_ul, wbc_per_ul, eosinophils_pct"
            )
        ),
    ]
    atypical_lymphocytes: Annotated[AnswerText, Field(json_schema_extra=_accepted(_ANSWER_WORDS))]
    skin_extent_over_50pct: Annotated[AnswerText, Field(json_schema_extra=_accepted(_ANSWER_WORDS))]
    skin_suggestive: Annotated[
        AnswerText | SkinFeatures,
        Field(
            json_schema_extra=_accepted(
                f"{_ANSWER_WORDS}, or {{'features': [...]}} from "
                "oedema, infiltration, purpura, scaling"
            )
        ),
    ]
    biopsy_suggestive: Annotated[AnswerText, Field(json_schema_extra=_accepted(_ANSWER_WORDS))]
    organ_involvement: Annotated[
        OrganCount | list[Organ],
        Field(
            json_schema_extra=_accepted(
                "'no', 'unknown', 'one_organ' or 'two_or_more_organs', or a list of organs "
                f"from {', '.join(ORGANS)}"
            )
        ),
    ]
    resolution_15_days: Annotated[AnswerText, Field(json_schema_extra=_accepted(_ANSWER_WORDS))]
    other_causes_excluded: Annotated[
        AnswerText | OtherCauseTests,
        Field(json_schema_extra=_accepted(f"{_ANSWER_WORDS}, or {{'tests': {{name: result}}}}")),
    ]


@dataclass(frozen=True)
class _Resolved:
    """An item's answer after raw values were interpreted."""

    answer: str
    reason: str
    known: bool = True
    evidence: tuple[str, ...] = ()


def classify(total: int) -> str:
    """Return the RegiSCAR class of a total.

    References: Kardaun 2007 (scoring table); clinical-reference.md §1.1.

    Examples
    --------
    >>> [classify(total) for total in (1, 2, 3, 4, 5, 6)]
    ['no case', 'possible', 'possible', 'probable', 'probable', 'definite']
    """
    return band(total, CLASSES)


def _direct(item_id: str, answer: str) -> _Resolved:
    points = POINTS[item_id][answer]
    if answer == "unknown":
        return _Resolved(answer, f"answered unknown: the score gives {signed(points)}", known=False)
    return _Resolved(answer, f"answered {answer}: {signed(points)}")


def _fever(value: AnswerText | FeverMeasurement) -> _Resolved:
    if isinstance(value, str):
        return _direct("fever", value)
    reading = value.max_temperature
    celsius = to_degrees_celsius(reading.value, reading.unit, field="fever.max_temperature.value")
    evidence = (f"max temperature = {reading.value:g} {reading.unit} ({celsius:g} Cel)",)
    if celsius >= FEVER_THRESHOLD_CEL:
        return _Resolved("yes", f"{celsius:g} °C >= 38.5 °C: 0", evidence=evidence)
    return _Resolved("no", f"{celsius:g} °C < 38.5 °C: -1", evidence=evidence)


def _level_from_count(count: float) -> str:
    if count >= EOSINOPHILS_HIGH_PER_UL:
        return "yes_1500_or_more"
    if count >= EOSINOPHILS_LOW_PER_UL:
        return "yes_700_to_1499"
    return "no"


def _level_from_percentage(pct: float) -> str:
    if pct >= EOSINOPHILS_HIGH_PCT:
        return "yes_1500_or_more"
    if pct >= EOSINOPHILS_LOW_PCT:
        return "yes_700_to_1499"
    return "no"


def eosinophil_counts_problem(
    count: float | None, wbc: float | None, pct: float | None
) -> InputError | None:
    """Return why raw eosinophil values contradict each other, or None when they agree.

    The check :func:`score` applies to an ``eosinophilia`` object before interpreting it
    (counts per µL, percentage of leukocytes): a count above the leukocyte count, or a count
    that is not the leukocytes times the percentage, within the tolerances above. Exposed so
    that column-wise scoring (:mod:`dresskit.course.vectorised_regiscar`) refuses exactly
    what :func:`score` refuses, with the same message.

    Examples
    --------
    >>> eosinophil_counts_problem(1140.0, 9500.0, 12.0) is None
    True
    >>> eosinophil_counts_problem(2000.0, 9500.0, 12.0).field
    'eosinophilia'
    """
    # A differential is reported to the nearest 0.5-1 %; allow half a percentage point.
    if (
        count is not None
        and wbc is not None
        and count > wbc * COUNT_OVER_LEUKOCYTES_FACTOR + CELL_COUNT_TOLERANCE_PER_UL
    ):
        return InputError(
            "eosinophilia.eosinophils_per_ul",
            count,
            f"at most the leukocyte count (wbc_per_ul = {wbc:g}); the values contradict",
        )
    if count is not None and wbc is not None and pct is not None:
        implied = wbc * pct / 100
        tolerance = wbc * DIFFERENTIAL_TOLERANCE_PCT / 100 + CELL_COUNT_TOLERANCE_PER_UL
        if abs(count - implied) > tolerance:
            return InputError(
                "eosinophilia",
                {"eosinophils_per_ul": count, "wbc_per_ul": wbc, "eosinophils_pct": pct},
                f"consistent values: {pct:g} % of {wbc:g}/µL is {implied:g}/µL, not {count:g}/µL "
                "(give the values from one blood count, or only the count)",
            )
    return None


def _check_consistent(counts: EosinophilCounts) -> None:
    problem = eosinophil_counts_problem(
        counts.eosinophils_per_ul, counts.wbc_per_ul, counts.eosinophils_pct
    )
    if problem is not None:
        raise problem


def _eosinophilia(value: EosinophiliaLevel | EosinophilCounts) -> _Resolved:
    if isinstance(value, str):
        return _direct("eosinophilia", value)
    _check_consistent(value)
    count, wbc, pct = value.eosinophils_per_ul, value.wbc_per_ul, value.eosinophils_pct
    evidence = tuple(
        f"{name} = {number:g}"
        for name, number in (
            ("eosinophils_per_ul", count),
            ("wbc_per_ul", wbc),
            ("eosinophils_pct", pct),
        )
        if number is not None
    )
    derived = ""
    if count is None and pct is not None and wbc is not None:
        count = wbc * pct / 100
        derived = f" (derived: {pct:g} % x {wbc:g}/µL)"
    if count is None:
        # Only a percentage, no leukocyte count: the percentage path applies only when the
        # patient is leukopenic, which is not known, so the item cannot be decided.
        return _Resolved(
            "unknown",
            f"eosinophils {pct:g} % without a leukocyte count: the percentage path applies only "
            "when leukocytes < 4.0 ×10⁹/L; not decidable, scored 0",
            known=False,
            evidence=evidence,
        )
    by_count = _level_from_count(count)
    reason = f"eosinophils {count:g}/µL{derived}: {signed(POINTS['eosinophilia'][by_count])}"
    level = by_count
    if wbc is not None and wbc < LEUKOPENIA_BELOW_PER_UL and pct is not None:
        by_pct = _level_from_percentage(pct)
        if POINTS["eosinophilia"][by_pct] > POINTS["eosinophilia"][by_count]:
            level = by_pct
            reason = (
                f"leukocytes {wbc:g}/µL < 4 000/µL, so the percentage path applies: {pct:g} % "
                f"gives {signed(POINTS['eosinophilia'][by_pct])} (count path {count:g}/µL gives "
                f"{signed(POINTS['eosinophilia'][by_count])}; the higher is scored)"
            )
    return _Resolved(level, reason, evidence=evidence)


def _skin_suggestive(value: AnswerText | SkinFeatures) -> _Resolved:
    if isinstance(value, str):
        return _direct("skin_suggestive", value)
    present = list(dict.fromkeys(value.features))
    if len(present) != len(value.features):
        raise InputError(
            "skin_suggestive.features", value.features, "a list without repeated features"
        )
    evidence = (f"features = {', '.join(present) or 'none'}",)
    if len(present) >= 2:
        return _Resolved("yes", f"{len(present)} of 4 features (>= 2): +1", evidence=evidence)
    return _Resolved("no", f"{len(present)} of 4 features (< 2): -1", evidence=evidence)


def _organ_involvement(value: OrganCount | list[Organ]) -> _Resolved:
    if isinstance(value, str):
        return _direct("organ_involvement", value)
    if len(set(value)) != len(value):
        raise InputError(
            "organ_involvement",
            value,
            "a list of distinct organs (each of liver, kidney, lung, heart_muscle, pancreas, "
            "other at most once)",
        )
    evidence = (f"organs = {', '.join(value) or 'none'}",)
    if not value:
        return _Resolved("no", "no organ involved: 0", evidence=evidence)
    if len(value) == 1:
        return _Resolved("one_organ", f"1 organ ({value[0]}): +1", evidence=evidence)
    return _Resolved(
        "two_or_more_organs", f"{len(value)} organs (>= 2): +2 (the item's cap)", evidence=evidence
    )


def _other_causes(value: AnswerText | OtherCauseTests) -> _Resolved:
    if isinstance(value, str):
        return _direct("other_causes_excluded", value)
    results = value.tests
    evidence = tuple(f"{test} = {result}" for test, result in results.items())
    positive = [test for test, result in results.items() if result == "positive"]
    negative = [test for test, result in results.items() if result == "negative"]
    if positive:
        return _Resolved(
            "no", f"positive test for another cause ({', '.join(positive)}): 0", evidence=evidence
        )
    if len(negative) >= OTHER_CAUSE_TESTS_REQUIRED:
        return _Resolved(
            "yes", f"{len(negative)} tests negative (>= 3), none positive: +1", evidence=evidence
        )
    return _Resolved(
        "unknown",
        f"only {len(negative)} test(s) done and negative; >= 3 are needed for +1: 0 for now",
        known=False,
        evidence=evidence,
    )


def _resolve(answers: RegiscarInput) -> dict[str, _Resolved]:
    resolvers: dict[str, Callable[[], _Resolved]] = {
        "fever": lambda: _fever(answers.fever),
        "lymph_nodes": lambda: _direct("lymph_nodes", answers.lymph_nodes),
        "eosinophilia": lambda: _eosinophilia(answers.eosinophilia),
        "atypical_lymphocytes": lambda: _direct(
            "atypical_lymphocytes", answers.atypical_lymphocytes
        ),
        "skin_extent_over_50pct": lambda: _direct(
            "skin_extent_over_50pct", answers.skin_extent_over_50pct
        ),
        "skin_suggestive": lambda: _skin_suggestive(answers.skin_suggestive),
        "biopsy_suggestive": lambda: _direct("biopsy_suggestive", answers.biopsy_suggestive),
        "organ_involvement": lambda: _organ_involvement(answers.organ_involvement),
        "resolution_15_days": lambda: _direct("resolution_15_days", answers.resolution_15_days),
        "other_causes_excluded": lambda: _other_causes(answers.other_causes_excluded),
    }
    resolved: dict[str, _Resolved] = {}
    errors: list[InputError] = []
    for item_id, resolver in resolvers.items():
        try:
            resolved[item_id] = resolver()
        except InputError as error:
            errors.append(error)
    if errors:
        raise InputErrors(errors)
    return resolved


def score(
    answers: RegiscarInput | Mapping[str, object], *, source: str | None = None
) -> ScoreResult:
    """Score the RegiSCAR DRESS validation score for one case.

    Parameters
    ----------
    answers
        A :class:`RegiscarInput` or a mapping with the ten canonical item ids.
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        Total (-4..9), class, per-item breakdown, unknown items and the reachable range.

    Raises
    ------
    dresskit.errors.InputErrors
        Listing every missing key, unaccepted answer or implausible raw value.

    References
    ----------
    Kardaun SH et al. Br J Dermatol. 2007;156:609-611 (table); Kardaun SH et al. Br J Dermatol.
    2013;169:1071-1080; clinical-reference.md §1.

    Examples
    --------
    The case of Shen et al. 2024 (J Investig Allergol Clin Immunol 34:145), facts stated in
    the text only:

    >>> result = score({
    ...     "fever": "yes",
    ...     "lymph_nodes": "yes",
    ...     "eosinophilia": {"eosinophils_per_ul": 1140},
    ...     "atypical_lymphocytes": "unknown",
    ...     "skin_extent_over_50pct": "unknown",
    ...     "skin_suggestive": "unknown",
    ...     "biopsy_suggestive": "unknown",
    ...     "organ_involvement": ["liver", "lung"],
    ...     "resolution_15_days": "yes",
    ...     "other_causes_excluded": "unknown",
    ... })
    >>> result.total, result.classification, result.reachable_total
    (4, 'probable', (2, 8))
    """
    parsed = parse_input(RegiscarInput, answers, source=source, instrument="RegiSCAR")
    try:
        resolved = _resolve(parsed)
    except InputErrors as errors:
        raise InputErrors(error.located(source=source) for error in errors.errors) from None
    items = tuple(
        ItemResult(
            id=item_id,
            label=_LABELS[item_id],
            answer=entry.answer,
            points=POINTS[item_id][entry.answer],
            reason=entry.reason,
            known=entry.known,
            alternatives=()
            if entry.known
            else tuple(sorted({p for a, p in POINTS[item_id].items() if a != "unknown"})),
            evidence=entry.evidence,
        )
        for item_id, entry in resolved.items()
    )
    total = sum(item.points or 0 for item in items)
    reachable = reachable_additive_totals(items)
    remarks = []
    unknown = [item.id for item in items if not item.known]
    if unknown:
        remarks.append(
            f"{len(unknown)} item(s) unknown ({', '.join(unknown)}); scored as the table gives "
            "for unknown. Answering them could give any total in "
            f"{min(reachable)}..{max(reachable)}."
        )
    if POINTS["organ_involvement"].get(resolved["organ_involvement"].answer, 0) > 0:
        remarks.append(
            "Organ involvement counts only after other explanations were excluded (Kardaun 2013)."
        )
    return ScoreResult(
        instrument="regiscar",
        name="RegiSCAR DRESS validation score",
        version="Kardaun 2007/2013",
        total=total,
        classification=classify(total),
        items=items,
        total_range=(-4, 9),
        reachable_total=(min(reachable), max(reachable)),
        reachable_classes=tuple(dict.fromkeys(classify(t) for t in sorted(reachable))),
        reference=REFERENCE,
        remarks=tuple(remarks),
    )
