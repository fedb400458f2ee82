"""Stateless scoring: ``POST /api/v1/scores/{instrument}`` (the same JSON as the command line).

The body is the case JSON that ``dresskit score NAME --input`` reads (or the published-case
envelope ``{"instrument": ..., "input": {...}}`` it also accepts), read with the same limits
(:func:`dresskit.json_input.parse_json`: 1 MiB, depth, duplicate keys, NaN, long integers,
lone surrogates) and scored by :func:`dresskit.scoring.catalogue.score_case`; the answer is
what ``dresskit score NAME --json`` prints. Nothing is written: a call costs the token check
(one indexed query) and the score.

Each instrument also has its own path (``/scores/regiscar``, ...) in the OpenAPI document,
with the exact schema of its answers; both paths are the same route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from dresskit.errors import InputError, InputErrors
from dresskit.json_input import SCORE_JSON_LIMITS, parse_json
from dresskit.registry.access import Permission
from dresskit.scoring.catalogue import INSTRUMENTS, score_case
from dresskit.scoring.rendering import result_as_dict
from dresskit.web.api.models import API_SECURITY, inline_schema, problem_responses
from dresskit.web.auth import Visitor, needs, require
from dresskit.web.problems import input_problem, problem

__all__ = [
    "InstrumentSummary",
    "ItemScore",
    "PerDrugScores",
    "ScoreReference",
    "ScoreResult",
    "router",
]

_NEEDS_SCORE: Final = needs(Permission.SCORE)


async def _may_score(request: Request) -> Visitor:
    """Require ``score``, as :func:`~dresskit.web.auth.needs` does, on the event loop.

    FastAPI runs a plain function dependency in a worker thread; the hop costs about a
    quarter of a scoring call, and the check is one indexed query, so it runs in place.
    """
    return _NEEDS_SCORE(request)


_may_score.permissions = _NEEDS_SCORE.permissions  # type: ignore[attr-defined]

router = APIRouter(tags=["scores"], dependencies=[*API_SECURITY, Depends(_may_score)])

_SOURCE: Final = "request body"
_ENVELOPE: Final = frozenset({"instrument", "input"})


class ItemScore(BaseModel):
    """One item as scored: the answer used, its points and the rule that gave them."""

    id: str
    label: str
    answer: str = Field(description="yes, no, unknown or a level (e.g. yes_1500_or_more).")
    points: int | None = Field(description="Points given; null for an instrument without points.")
    reason: str = Field(description="The rule applied, in words.")
    known: bool = Field(description="False when the answer is unknown.")
    alternatives: list[int] = Field(description="For an unknown item, the points it could take.")
    evidence: list[str] = Field(description="The raw values that fed the item (UCUM units).")


class ScoreReference(BaseModel):
    """Where the instrument's definition comes from."""

    text: str
    section: str = Field(description="The section of dresskit's clinical reference.")
    notes: list[str]


class ScoreResult(BaseModel):
    """An instrument's explained result, as ``dresskit score NAME --json`` prints it."""

    model_config = ConfigDict(populate_by_name=True)

    instrument: str
    name: str
    version: str
    subject: str | None = Field(description="What was scored when not the case (a drug).")
    total: int | None
    classification: str = Field(alias="class")
    total_range: tuple[int, int] | None
    items: list[ItemScore]
    unknown_items: list[str]
    reachable_total: tuple[int, int] | None = Field(
        description="Lowest and highest total if every unknown item were answered."
    )
    reachable_classes: list[str]
    remarks: list[str]
    reference: ScoreReference


class PerDrugScores(BaseModel):
    """The results of an instrument that scores every drug of a case (ALDEN)."""

    instrument: str
    drugs: list[ScoreResult]


class InstrumentSummary(BaseModel):
    """One instrument the API scores."""

    name: str = Field(description="Its name in the path: POST /api/v1/scores/{name}.")
    title: str
    purpose: str
    per_drug: bool = Field(description="True when the answer lists one result per drug.")


def _example(name: str) -> dict[str, Any] | None:
    """Return a published case's answers, as the example of the instrument's body."""
    from dresskit.datasets import load_published_cases

    cases = [c for c in load_published_cases(name) if c.reported_total is not None]
    return dict(cases[0].input) if cases else None


def _body(name: str) -> dict[str, Any]:
    schema = inline_schema(INSTRUMENTS[name].input_model.model_json_schema())
    media: dict[str, Any] = {"schema": schema}
    example = _example(name)
    if example is not None:
        media["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": media}}}


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """Return the body, or None once it grows past ``limit`` bytes (not read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


def _answers(document: object, instrument: str) -> object:
    """Accept the published-case envelope, as ``dresskit score --input`` does."""
    if isinstance(document, dict) and document.keys() >= _ENVELOPE:
        if document["instrument"] != instrument:
            raise InputError(
                "instrument",
                document["instrument"],
                f"{instrument!r}, the instrument named in the path",
                source=_SOURCE,
            )
        return document["input"]
    return document


async def _score(request: Request, instrument: str) -> Response:
    require(request, Permission.SCORE)
    entry = INSTRUMENTS.get(instrument)
    if entry is None:
        accepted = ", ".join(INSTRUMENTS)
        return problem(
            404,
            "Unknown instrument",
            f"no instrument {instrument[:100]!r}: one of {accepted}",
            errors=[
                {
                    "field": "instrument",
                    "in": "path",
                    "value": instrument[:200],
                    "accepted": accepted,
                }
            ],
        )
    data = await _read_capped(request, SCORE_JSON_LIMITS.max_bytes)
    if data is None:
        return problem(
            413,
            "The body is too large",
            f"a case is at most {SCORE_JSON_LIMITS.max_bytes} bytes of JSON",
        )
    try:
        document = parse_json(data, source=_SOURCE, limits=SCORE_JSON_LIMITS)
        results = score_case(instrument, _answers(document, instrument), source=_SOURCE)
    except (InputError, InputErrors) as error:
        return input_problem(error)
    if entry.per_drug:
        return JSONResponse(
            {"instrument": instrument, "drugs": [result_as_dict(r) for r in results]}
        )
    return JSONResponse(result_as_dict(results[0]))


_ERRORS: Final = problem_responses(404, 413, 422)


def _named_route(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def score_named(request: Request) -> Response:
        return await _score(request, name)

    score_named.__doc__ = f"Score one case with {INSTRUMENTS[name].title}."
    return score_named


for _name, _entry in INSTRUMENTS.items():
    router.add_api_route(
        f"/scores/{_name}",
        _named_route(_name),
        methods=["POST"],
        name=f"score_{_name}",
        operation_id=f"score_{_name.replace('-', '_')}",
        summary=f"Score {_entry.title}",
        description=f"{_entry.purpose}. The answers are those of `dresskit score {_name}`: "
        f"`dresskit score {_name} --help` lists each item and what it accepts.",
        response_model=PerDrugScores if _entry.per_drug else ScoreResult,
        responses=_ERRORS,
        openapi_extra=_body(_name),
    )


@router.post(
    "/scores/{instrument}",
    summary="Score a case with any instrument",
    response_model=ScoreResult | PerDrugScores,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "The answers of the instrument named in the path; "
                        "its own path (/scores/regiscar, ...) gives their exact schema.",
                    }
                }
            },
        }
    },
)
async def score(
    request: Request,
    instrument: str = Path(
        description="The instrument: " + ", ".join(INSTRUMENTS),
        examples=list(INSTRUMENTS),
    ),
) -> Response:
    """Score one case with any instrument (an unknown one is a 404 naming those accepted)."""
    return await _score(request, instrument)


@router.get(
    "/instruments",
    summary="List the instruments",
    response_model=list[InstrumentSummary],
    responses=problem_responses(),
)
def instruments(request: Request) -> list[InstrumentSummary]:
    """List the instruments the API scores (as ``dresskit instruments --json``, and more)."""
    require(request, Permission.SCORE)
    return [
        InstrumentSummary(
            name=entry.id, title=entry.title, purpose=entry.purpose, per_drug=entry.per_drug
        )
        for entry in INSTRUMENTS.values()
    ]
