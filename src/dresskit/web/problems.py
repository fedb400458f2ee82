"""RFC 9457 problem details (``application/problem+json``) for the API's errors.

Each problem has ``type``, ``title``, ``status`` and ``detail``; a refused input also lists
``errors``, one per value, each naming the ``field``, the ``value`` received and what is
``accepted`` (and the ``source`` and ``row`` of a file), as the command line does.

References
----------
.. [1] Nottingham M, Wilde E, Dalal S. Problem Details for HTTP APIs. RFC 9457, 2023.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse

from dresskit.errors import InputError, InputErrors

__all__ = ["PROBLEM_JSON", "input_problem", "problem", "validation_problem"]

PROBLEM_JSON: Final = "application/problem+json"
_MAX_SHOWN: Final = 200


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value if not isinstance(value, str) else value[:500]
    return repr(value)[:500]


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """Return a problem+json response."""
    body: dict[str, Any] = {
        "type": f"/api/v1/problems/{kind or status}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if errors:
        body["errors"] = list(errors[:_MAX_SHOWN])
        if len(errors) > _MAX_SHOWN:
            body["errors_not_shown"] = len(errors) - _MAX_SHOWN
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _error_item(error: InputError) -> dict[str, Any]:
    return {
        "field": error.field,
        "value": None if error.value_absent else _plain(error.value),
        "accepted": error.expected,
        "source": error.source,
        "row": error.row,
        "message": error.message,
    }


def input_problem(error: InputError | InputErrors, *, status: int = 422) -> JSONResponse:
    """Return a refused input's problem: every value named with what is accepted."""
    found: Iterable[InputError] = error.errors if isinstance(error, InputErrors) else (error,)
    items = [_error_item(e) for e in found]
    count = len(items)
    return problem(
        status,
        "The input was refused",
        f"{count} problem{'s' if count != 1 else ''} in the input; nothing was written",
        errors=items,
        kind="invalid-input",
    )


def validation_problem(error: RequestValidationError) -> JSONResponse:
    """Return the problem of a request that does not match the API's schema."""
    items = []
    for issue in error.errors():
        location = [str(part) for part in issue.get("loc", ())]
        items.append(
            {
                "field": ".".join(location[1:]) or ".".join(location),
                "in": location[0] if location else None,
                "value": _plain(issue.get("input")),
                "accepted": str(issue.get("msg", "")),
            }
        )
    count = len(items)
    return problem(
        422,
        "The request does not match the API",
        f"{count} problem{'s' if count != 1 else ''} in the request",
        errors=items,
        kind="invalid-request",
    )
