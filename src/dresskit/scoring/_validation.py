"""Turn a mapping (parsed JSON) into an instrument's typed input, reporting every problem.

Pydantic validates; this module translates its errors into dresskit's
:class:`~dresskit.errors.InputError` template (where, which field, must be what, got what),
one error per field, so that a user sees all problems of a case at once.

An enzyme activity (any field named ``*_u_per_l``, such as DDS's ``alt_u_per_l``) may be given
with its unit, ``{"value": 270, "unit": "IU/L"}``: it is converted to U/L first
(:func:`dresskit.units.to_units_per_litre`: ``U/L``, ``IU/L`` = ``[IU]/L``, ``ukat/L``), so a
laboratory's IU/L is read as the U/L it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dresskit.errors import MISSING, InputError, InputErrors

__all__ = ["StrictInput", "accepted_description", "parse_input"]

_Model = TypeVar("_Model", bound=BaseModel)


class StrictInput(BaseModel):
    """Base of every instrument input: immutable, no unknown keys, no coercion of answers."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


def accepted_description(model: type[BaseModel], name: str) -> str | None:
    """Return the ``accepted`` text declared on a field of ``model`` (``json_schema_extra``)."""
    info = model.model_fields.get(name)
    if info is None or not isinstance(info.json_schema_extra, dict):
        return None
    accepted = info.json_schema_extra.get("accepted")
    return accepted if isinstance(accepted, str) else None


def _walk(data: object, loc: tuple[int | str, ...]) -> tuple[tuple[int | str, ...], object]:
    """Follow ``loc`` into ``data``; drop union-branch tags, which are not keys of the data."""
    path: list[int | str] = []
    current: object = data
    for segment in loc:
        is_key = isinstance(current, Mapping) and segment in current
        is_index = isinstance(current, list) and isinstance(segment, int) and segment < len(current)
        if is_key or is_index:
            current = current[segment]  # type: ignore[index]
            path.append(segment)
        elif isinstance(current, Mapping) and isinstance(segment, str) and not path_tag(segment):
            # A required key that is missing: the path names it, there is no value.
            path.append(segment)
            current = MISSING
        # Otherwise a union tag such as "literal['yes','no']" or a model name: skip it.
    return tuple(path), current


def path_tag(segment: str) -> bool:
    """Whether a pydantic location segment names a union branch rather than a key."""
    return "[" in segment or segment[:1].isupper() or segment.startswith(("function-", "json-"))


def _format_path(path: tuple[int | str, ...]) -> str:
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text or "<input>"


def _expected_from(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "present (every item is required; answer 'unknown' explicitly when not known)"
    if kind == "extra_forbidden":
        return "absent: it is not an input of this instrument"
    message = str(error["msg"])
    for prefix in ("Input should be ", "Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def parse_input(
    model: type[_Model], data: object, *, source: str | None = None, instrument: str = "input"
) -> _Model:
    """Validate ``data`` against ``model`` and return the typed input.

    Parameters
    ----------
    model
        The instrument's input model.
    data
        A mapping (for instance parsed JSON) or an instance of ``model``.
    source
        Where ``data`` came from, named in every error.
    instrument
        Instrument name, used in the message for a non-object input.

    Raises
    ------
    InputErrors
        Listing every problem, one per field.
    """
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise InputErrors(
            [InputError("<input>", data, f"a JSON object of {instrument} items", source=source)]
        )
    data = _enzyme_activities_in_u_per_l(data, (), source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _translate(model, data, exc, source) from None


#: Suffix of the fields that hold an enzyme activity in U/L.
_ENZYME_SUFFIX = "_u_per_l"


def _enzyme_activities_in_u_per_l(
    data: Mapping[str, Any], path: tuple[int | str, ...], source: str | None
) -> Mapping[str, Any]:
    """Return ``data`` with every ``*_u_per_l`` given as ``{"value", "unit"}`` in U/L.

    Anything else is left as it is (pydantic then judges it); a unit that is not an enzyme
    activity unit is refused here, naming the field.
    """
    changed: dict[str, Any] = {}
    for key, value in data.items():
        where = (*path, key)
        if (
            isinstance(key, str)
            and key.endswith(_ENZYME_SUFFIX)
            and isinstance(value, Mapping)
            and set(value) == {"value", "unit"}
            and isinstance(value["unit"], str)
        ):
            from dresskit.units import to_units_per_litre  # pint, only for a unit given

            field = _format_path(where)
            try:
                changed[key] = to_units_per_litre(value["value"], value["unit"], field=field)
            except InputError as error:  # a unit or value refused: named with its source
                error.source = source
                raise InputErrors([error]) from None
        elif isinstance(value, Mapping):
            inner = _enzyme_activities_in_u_per_l(value, where, source)
            if inner is not value:
                changed[key] = inner
        elif isinstance(value, list):
            items = [
                _enzyme_activities_in_u_per_l(item, (*where, index), source)
                if isinstance(item, Mapping)
                else item
                for index, item in enumerate(value)
            ]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                changed[key] = items
    return {**data, **changed} if changed else data


def _translate(
    model: type[BaseModel], data: Mapping[str, Any], exc: ValidationError, source: str | None
) -> InputErrors:
    by_path: dict[tuple[int | str, ...], tuple[object, list[str]]] = {}
    for error in exc.errors():
        path, value = _walk(data, tuple(error["loc"]))
        if path not in by_path:
            by_path[path] = (value, [])
        by_path[path][1].append(_expected_from(error))
    # A deeper error is the specific one; the union's "not a literal" error on its parent is noise.
    specific = {
        path: entry
        for path, entry in by_path.items()
        if not any(other[: len(path)] == path and other != path for other in by_path)
    }
    errors = []
    for path, (value, expectations) in specific.items():
        declared = accepted_description(model, str(path[0])) if len(path) == 1 else None
        if len(expectations) > 1 and declared is not None:
            expected = declared  # a union failed on every branch: say what the field accepts
        else:
            expected = "; or ".join(dict.fromkeys(expectations))
        errors.append(InputError(_format_path(path), value, expected, source=source))
    return InputErrors(errors)
