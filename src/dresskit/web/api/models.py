"""What every API module shares: the problem schema, pages of results, cursors, security.

* :class:`Problem` is the body of every error (RFC 9457 problem details, as
  :mod:`dresskit.web.problems` writes them); :func:`problem_responses` declares the error
  statuses of a route with it, under ``application/problem+json``, so that the OpenAPI
  document says exactly what an error looks like (Schemathesis checks every response
  against it). The schema is written out in each response rather than referenced, since a
  route cannot add a component of its own to the document.
* :class:`Page` is a list answer: ``{"items": [...], "next_cursor": ...}``. A cursor is
  opaque to the client (base64 of the last sort key, :func:`encode_cursor`); a cursor that
  does not decode is refused naming the parameter (:func:`decode_cursor`).
* :data:`API_SECURITY` declares how a client proves itself (a personal token, or the session
  cookie of a browser), so that the document lists both; the check itself is
  :func:`dresskit.web.auth.require`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Annotated, Any, Final, Generic, TypeVar

from fastapi import Depends, Query
from fastapi.params import Depends as DependsParam
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from dresskit.errors import InputError
from dresskit.web.auth import SESSION_COOKIE
from dresskit.web.problems import PROBLEM_JSON

__all__ = [
    "API_SECURITY",
    "MAX_LIMIT",
    "PROBLEM_SCHEMA",
    "CursorQuery",
    "LimitQuery",
    "Page",
    "Problem",
    "ProblemItem",
    "decode_cursor",
    "encode_cursor",
    "inline_schema",
    "problem_responses",
]

Item = TypeVar("Item")

#: The largest page a list answers with (``?limit=``).
MAX_LIMIT: Final = 500
_MAX_CURSOR: Final = 1000


class ProblemItem(BaseModel):
    """One refused value: where it was, which field, what came and what is accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    field: str | None = Field(None, description="The field (dotted path, or a file's column).")
    value: Any = Field(None, description="The value received (null when absent).")
    accepted: str | None = Field(None, description="What the field accepts, in words.")
    source: str | None = Field(None, description="The file or part the value came from.")
    row: int | None = Field(None, description="The 1-based data row of a table file.")
    message: str | None = Field(None, description="The whole message, in one line.")
    in_: str | None = Field(
        None, alias="in", description="Where a request value was: path, query, header, body."
    )


class Problem(BaseModel):
    """An error (RFC 9457 problem details); a refused input lists every value in ``errors``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="What went wrong, in a few words.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong here, and what to do.")
    errors: list[ProblemItem] | None = Field(None, description="Every value refused.")
    errors_not_shown: int | None = Field(
        None, description="How many more values were refused than are listed."
    )


def inline_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return a JSON Schema with its local ``$defs`` written in place of each ``$ref``.

    Pydantic's schemas point into their own ``$defs`` (``#/$defs/Name``), which means the
    document root once the schema is placed inside an OpenAPI document; written out, the
    schema stands anywhere. The models here are not recursive.
    """
    definitions = dict(schema.get("$defs", {}))

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                target = resolve(definitions[reference.removeprefix("#/$defs/")])
                rest = {k: resolve(v) for k, v in node.items() if k != "$ref"}
                return {**target, **rest}
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(dict(schema))
    return resolved


#: The JSON Schema of :class:`Problem`, self-contained.
PROBLEM_SCHEMA: Final = inline_schema(Problem.model_json_schema(by_alias=True))

_MEANINGS: Final[dict[int, str]] = {
    400: "The request could not be read.",
    401: "No valid personal API token or session: send 'Authorization: Bearer dk_...'.",
    403: "The account's role may not do this, or the session's CSRF token is missing.",
    404: "Not found, or not of a site the account is granted (the two are not told apart).",
    409: "The registry refused the change.",
    412: "The version sent in If-Match is not the current one: read it again.",
    413: "The upload is larger than the server accepts.",
    415: "The upload is not of a kind this endpoint reads.",
    422: "A value was refused: each is named with what is accepted.",
    428: "The change needs If-Match with the version read (optimistic locking).",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the ``responses`` of a route for these error statuses, each a :class:`Problem`.

    401 and 403 are always included (every API route requires a token or session).
    """
    wanted = sorted({401, 403, *statuses})
    return {
        status: {
            "description": _MEANINGS.get(status, "An error."),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in wanted
    }


class Page(BaseModel, Generic[Item]):
    """One page of a list; ask for the next with ``?cursor=<next_cursor>``."""

    items: list[Item]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


def encode_cursor(key: list[str | int]) -> str:
    """Return the opaque cursor of a page ending at sort key ``key``."""
    text = json.dumps(key, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, *, kinds: tuple[type, ...]) -> list[Any]:
    """Return the sort key a cursor holds, checking it has one value of each of ``kinds``.

    Raises
    ------
    InputError
        For a cursor this API did not make (field ``cursor``).
    """
    refused = InputError("cursor", cursor[:200], "a next_cursor value returned by this endpoint")
    if len(cursor) > _MAX_CURSOR:
        raise refused
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
    except (ValueError, UnicodeError, binascii.Error):
        raise refused from None
    if (
        not isinstance(key, list)
        or encode_cursor(key) != cursor
        or len(key) != len(kinds)
        or not all(
            isinstance(value, kind) and not isinstance(value, bool)
            for value, kind in zip(key, kinds, strict=True)
        )
    ):
        raise refused
    return key


LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=_MAX_CURSOR, description="The next_cursor of the previous page."),
]

_BEARER: Final = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal API token (`dk_...`), made on the page /account/tokens.",
)
_COOKIE: Final = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The browser's session cookie; writes also need the X-CSRF-Token header.",
)

#: Router dependencies declaring the two ways to sign a request (documentation only).
API_SECURITY: Final[list[DependsParam]] = [Depends(_BEARER), Depends(_COOKIE)]
