"""Personal API tokens through the API, and the rendered API reference page.

A token is shown once, when it is made, and stored as its SHA-256 only
(:func:`dresskit.registry.accounts.create_api_token`); it acts with its account's role and
sites, and stops working when revoked or when the account is deactivated. Tokens are made
from a signed-in browser session (with its CSRF token), never by another token, so that a
leaked token cannot mint a successor that outlives its revocation; a token may list and
revoke its account's tokens (itself included).

``GET /api/v1/reference`` renders the OpenAPI document of the running application
(``/api/v1/openapi.json``) as one HTML page: every path and method, its parameters, request
body and responses with their schemas, an example of each and a ``curl`` line. It is built
once per application, server-side, with no script and nothing from another site.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from dresskit.errors import InputError
from dresskit.registry.accounts import create_api_token, revoke_api_token, tokens_of
from dresskit.web.api.models import API_SECURITY, PROBLEM_SCHEMA, problem_responses
from dresskit.web.auth import ForbiddenError, engine_of, needs, require
from dresskit.web.problems import PROBLEM_JSON, problem
from dresskit.web.templating import render

__all__ = [
    "NewToken",
    "Operation",
    "SchemaRow",
    "TokenCreated",
    "TokenInfo",
    "reference_operations",
    "router",
    "text_parts",
]

router = APIRouter(tags=["tokens"], dependencies=[*API_SECURITY, Depends(needs(None))])


class TokenInfo(BaseModel):
    """A personal API token as listed (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None


class NewToken(BaseModel):
    """What to call a new token (to tell your tokens apart)."""

    name: str = Field(min_length=1, max_length=100, description="1 to 100 printable characters.")


class TokenCreated(TokenInfo):
    """A new token: ``token`` is shown this once and cannot be read again."""

    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")


def _listed(request: Request, username: str) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "name": t.name,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in tokens_of(engine_of(request), username)
    ]


@router.get(
    "/tokens",
    summary="List your API tokens",
    response_model=list[TokenInfo],
    responses=problem_responses(),
)
def tokens(request: Request) -> list[dict[str, Any]]:
    """List your personal API tokens, newest first (revoked ones included)."""
    visitor = require(request)
    return _listed(request, visitor.username)


@router.post(
    "/tokens",
    summary="Make an API token (shown once)",
    status_code=201,
    response_model=TokenCreated,
    responses=problem_responses(400, 422),
)
def token_create(request: Request, new: NewToken) -> Response:
    """Make a personal API token (from a signed-in session); the token is shown this once."""
    visitor = require(request)
    if visitor.via != "session":
        raise ForbiddenError("a token is made from a signed-in session, not with another token")
    token = create_api_token(engine_of(request), visitor.username, new.name)
    made = next(t for t in _listed(request, visitor.username) if t["name"] == new.name)
    body = TokenCreated.model_validate({**made, "token": token}).model_dump(mode="json")
    return JSONResponse(body, status_code=201)


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke an API token",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404, 422),
)
def token_revoke(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**62, description="The token's id.")],
) -> Response:
    """Revoke one of your tokens: it stops working at once."""
    visitor = require(request)
    try:
        revoke_api_token(engine_of(request), visitor.username, token_id)
    except InputError:
        return problem(
            404,
            "Token not found",
            "none of your tokens that is not revoked has this id",
            errors=[
                {
                    "field": "token_id",
                    "in": "path",
                    "value": token_id,
                    "accepted": "the id of one of your tokens that is not revoked",
                }
            ],
        )
    return Response(status_code=204)


# --- the rendered reference ----------------------------------------------------------------

_MAX_DEPTH: Final = 8
_CODE: Final = re.compile(r"``?([^`]+)``?")


def text_parts(text: str) -> list[tuple[str, bool]]:
    """Split a description at its code spans (Markdown `x` or reST ``x``): (text, is code)."""
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append((text[last : match.start()], False))
        parts.append((match[1], True))
        last = match.end()
    parts.append((text[last:], False))
    return [(part, code) for part, code in parts if part]


_METHODS: Final = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class SchemaRow:
    """One line of a schema as the reference page shows it (indented by ``depth``)."""

    depth: int
    name: str
    kind: str
    required: bool
    description: list[tuple[str, bool]]
    link: str | None = None


@dataclass
class Body:
    """A request or response body: its media type, schema lines and an example."""

    media_type: str
    rows: list[SchemaRow]
    example: str | None


@dataclass
class Answer:
    """One response of an operation."""

    status: str
    description: str
    bodies: list[Body]
    headers: list[tuple[str, str]]


@dataclass
class Operation:
    """One path and method, ready to render."""

    method: str
    path: str
    anchor: str
    summary: str
    description: list[tuple[str, bool]]
    tag: str
    parameters: list[dict[str, str]]
    bodies: list[Body]
    answers: list[Answer]
    curl: str
    security: list[str] = field(default_factory=list)


class _Schemas:
    """Walks the JSON Schemas of an OpenAPI document: lines, type names and examples."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def _resolve(self, schema: Any) -> tuple[dict[str, Any], str | None]:
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            name = schema["$ref"].rsplit("/", 1)[-1]
            return self.components.get(name, {}), name
        return (schema if isinstance(schema, dict) else {}), None

    def kind(self, schema: Any) -> str:
        """Return the schema's type in a few words (``array of string``, ``integer or null``)."""
        resolved, name = self._resolve(schema)
        if name is not None:
            return name
        options = resolved.get("anyOf") or resolved.get("oneOf")
        if options:
            return " or ".join(dict.fromkeys(self.kind(option) for option in options))
        if "enum" in resolved:
            return "one of " + ", ".join(json.dumps(v) for v in resolved["enum"])
        if "const" in resolved:
            return f"exactly {json.dumps(resolved['const'])}"
        kind = resolved.get("type")
        if kind == "array":
            if "prefixItems" in resolved:
                items = ", ".join(self.kind(i) for i in resolved["prefixItems"])
                return f"array [{items}]"
            return "array of " + self.kind(resolved.get("items", {}))
        if isinstance(kind, list):
            return " or ".join(str(k) for k in kind)
        if kind == "string" and "format" in resolved:
            return f"string ({resolved['format']})"
        if kind == "object" and "properties" not in resolved:
            extra = resolved.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return "object of " + self.kind(extra)
            return "object"
        if kind is None and resolved.get("title"):
            return str(resolved["title"])
        return str(kind or "any")

    def _note(self, schema: dict[str, Any]) -> str:
        parts = [str(schema.get("description") or "").strip()]
        if schema.get("accepted"):
            parts.append(f"Accepted: {schema['accepted']}.")
        bounds = [
            f"{word} {schema[key]}"
            for key, word in (
                ("minimum", "≥"),
                ("maximum", "≤"),
                ("minLength", "length ≥"),
                ("maxLength", "length ≤"),
                ("pattern", "matches"),
            )
            if key in schema
        ]
        if bounds:
            parts.append("(" + ", ".join(bounds) + ")")
        if "default" in schema and schema["default"] is not None:
            parts.append(f"Default {json.dumps(schema['default'])}.")
        return " ".join(part for part in parts if part)

    def rows(self, schema: Any, depth: int = 0) -> list[SchemaRow]:
        """Return the lines of an object's properties, nested ones indented, components linked."""
        resolved, name = self._resolve(schema)
        if name is not None and depth > 0:
            return []
        if depth > _MAX_DEPTH:
            return []
        found: list[SchemaRow] = []
        options = [
            o
            for o in (resolved.get("anyOf") or resolved.get("oneOf") or [])
            if o != {"type": "null"}
        ]
        if options and "properties" not in resolved:
            for option in options:
                found.extend(self.rows(option, depth))
            return found
        if resolved.get("type") == "array":
            return self.rows(resolved.get("items", {}), depth)
        required = set(resolved.get("required", ()))
        for prop, sub in resolved.get("properties", {}).items():
            sub_resolved, sub_name = self._resolve(sub)
            found.append(
                SchemaRow(
                    depth=depth,
                    name=prop,
                    kind=self.kind(sub),
                    required=prop in required,
                    description=text_parts(self._note(sub_resolved)),
                    link=f"schema-{sub_name}" if sub_name else None,
                )
            )
            if sub_name is None:
                found.extend(self.rows(sub, depth + 1))
        return found

    def example(self, schema: Any, depth: int = 0) -> Any:
        """Return an example value of ``schema`` (its own example where it gives one)."""
        resolved, _ = self._resolve(schema)
        if depth > _MAX_DEPTH:
            return None
        for key in ("example", "const", "default"):
            if key in resolved and resolved[key] is not None:
                return resolved[key]
        if resolved.get("examples"):
            return resolved["examples"][0]
        if resolved.get("enum"):
            return resolved["enum"][0]
        options = list(resolved.get("anyOf") or resolved.get("oneOf") or [])
        non_null = [o for o in options if self._resolve(o)[0].get("type") != "null"]
        if non_null:
            return self.example(non_null[0], depth + 1)
        kind = resolved.get("type")
        if kind == "object" or "properties" in resolved:
            return {
                prop: self.example(sub, depth + 1)
                for prop, sub in resolved.get("properties", {}).items()
            }
        if kind == "array":
            if "prefixItems" in resolved:
                return [self.example(i, depth + 1) for i in resolved["prefixItems"]]
            return [self.example(resolved.get("items", {}), depth + 1)]
        samples: dict[str, Any] = {
            "integer": resolved.get("minimum", 0),
            "number": resolved.get("minimum", 0.0),
            "boolean": True,
            "null": None,
        }
        if kind == "string":
            formats = {"date": "2024-01-31", "date-time": "2024-01-31T09:30:00Z"}
            return formats.get(str(resolved.get("format")), "text")
        return samples.get(str(kind))


def _example_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _bodies(schemas: _Schemas, content: dict[str, Any]) -> list[Body]:
    found = []
    for media_type, media in content.items():
        schema = media.get("schema", {})
        binary = schema.get("format") == "binary" or media_type.startswith("multipart/")
        example = media.get("example", None if binary else schemas.example(schema))
        found.append(
            Body(
                media_type=media_type,
                rows=schemas.rows(schema),
                example=None if example is None else _example_text(example),
            )
        )
    return found


def _double_quoted(text: str) -> str:
    """``text`` in double quotes for a POSIX shell, ``$DRESSKIT_URL`` left to expand."""
    escaped = "".join("\\" + c if c in '"\\`$' else c for c in text)
    return '"' + escaped.replace("\\$DRESSKIT_URL", "$DRESSKIT_URL") + '"'


def _curl(method: str, path: str, operation: dict[str, Any], schemas: _Schemas) -> str:
    filled = path
    query = []
    for parameter in operation.get("parameters", []):
        example = schemas.example(parameter.get("schema", {}))
        if parameter.get("examples"):
            example = next(iter(parameter["examples"].values())).get("value", example)
        if parameter.get("in") == "path":
            filled = filled.replace("{" + parameter["name"] + "}", str(example))
        elif parameter.get("in") == "query" and parameter.get("required"):
            query.append(f"{parameter['name']}={example}")
    url = "$DRESSKIT_URL" + filled + ("?" + "&".join(query) if query else "")
    parts = ["curl", "--fail-with-body"]
    if method != "get":
        parts += ["-X", method.upper()]
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        parts += ["-F", "file=@bundle.zip", "-F", "site=north"]
    elif "application/json" in content:
        media = content["application/json"]
        body = media.get("example", schemas.example(media.get("schema", {})))
        parts += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    if method == "get" and "/exports" in path:
        parts += ["-OJ"]
    token = '-H "Authorization: Bearer $DRESSKIT_TOKEN"'
    return " ".join([shlex.quote(part) for part in parts] + [token, _double_quoted(url)])


def reference_operations(document: dict[str, Any]) -> list[Operation]:
    """Return every operation of an OpenAPI document, ready for the reference page."""
    schemas = _Schemas(document)
    operations = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                {
                    "name": parameter["name"],
                    "in": parameter.get("in", ""),
                    "kind": schemas.kind(parameter.get("schema", {})),
                    "required": "yes" if parameter.get("required") else "no",
                    "description": str(
                        parameter.get("description")
                        or parameter.get("schema", {}).get("description")
                        or ""
                    ),
                }
                for parameter in operation.get("parameters", [])
            ]
            answers = [
                Answer(
                    status=str(status),
                    description=str(response.get("description", "")),
                    bodies=_bodies(schemas, response.get("content", {})),
                    headers=[
                        (name, str(header.get("description", "")))
                        for name, header in response.get("headers", {}).items()
                    ],
                )
                for status, response in sorted(operation.get("responses", {}).items())
            ]
            anchor = operation.get("operationId") or f"{method}-{path}"
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor="op-" + "".join(c if c.isalnum() else "-" for c in anchor),
                    summary=str(operation.get("summary", "")),
                    description=text_parts(str(operation.get("description", ""))),
                    tag=str((operation.get("tags") or ["other"])[0]),
                    parameters=parameters,
                    bodies=_bodies(schemas, operation.get("requestBody", {}).get("content", {})),
                    answers=answers,
                    curl=_curl(method, path, operation, schemas),
                    security=[name for entry in operation.get("security", []) for name in entry],
                )
            )
    return operations


def _components(
    document: dict[str, Any],
) -> list[tuple[str, list[tuple[str, bool]], list[SchemaRow]]]:
    schemas = _Schemas(document)
    return [
        (name, text_parts(str(schema.get("description", ""))), schemas.rows(schema))
        for name, schema in sorted(schemas.components.items())
    ]


@router.get("/reference", include_in_schema=False)
def reference(request: Request) -> Response:
    """Show the API reference, rendered from the application's OpenAPI document."""
    built = getattr(request.app.state, "api_reference", None)
    if built is None:
        document = request.app.openapi()
        built = {
            "document": document,
            "operations": reference_operations(document),
            "components": _components(document),
            "problem_rows": _Schemas(document).rows(PROBLEM_SCHEMA),
            "problem_json": PROBLEM_JSON,
        }
        request.app.state.api_reference = built
    return render(request, "api/reference.html", built)
