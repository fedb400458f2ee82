r"""Read JSON input safely: one reader for ``score --input`` and the FHIR importer.

Python's :func:`json.loads` accepts what RFC 8259 leaves undefined or forbids, and trusts its
input's shape: it keeps the last of two equal keys, reads ``NaN``, ``Infinity`` and
``-Infinity``, turns ``1e400`` into infinity, converts a digit string of any length to an
integer (quadratic time: CVE-2020-10735), keeps a lone UTF-16 surrogate (``"\ud800"``) that no
UTF-8 file or database can hold, and recurses once per level of nesting. :func:`read_json`
and :func:`parse_json` refuse all of these, and a document larger than the size limit, before
any value reaches dresskit:

* the size is capped while reading (a file, or standard input with ``-``);
* the text must be UTF-8 (a BOM is accepted); a bad byte is named by line and column;
* the nesting depth is measured before parsing, without recursion;
* duplicate keys, non-finite numbers, integers longer than the digit cap and lone surrogates
  are collected while parsing and reported together, each with the path of its field in the
  dotted style of the scoring errors (``fever.max_temperature.value``, ``entry[2].resource``);
* a syntax error names its line and column.

This module imports nothing from dresskit's layered packages: every layer may use it.

References
----------
RFC 8259, *The JavaScript Object Notation (JSON) Data Interchange Format*: section 4 (names
within an object SHOULD be unique), section 6 (Infinity and NaN are not permitted), section 8.1
(UTF-8; a BOM MUST NOT be added, parsers MAY ignore one), section 8.2 (unpaired surrogates),
section 9 (parsers may limit size, depth and number range). RFC 7493 (I-JSON), sections 2.2
and 2.3. CVE-2020-10735 (Python int parsing of long digit strings). CWE-400, CWE-674
(uncontrolled recursion).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from dresskit.errors import ConfigurationError, InputError, InputErrors

__all__ = [
    "FHIR_JSON_LIMITS",
    "SCORE_JSON_LIMITS",
    "JsonLimits",
    "parse_json",
    "read_json",
]


@dataclass(frozen=True)
class JsonLimits:
    """Caps on one JSON document.

    Attributes
    ----------
    max_bytes
        Bytes of the document as read.
    max_depth
        Levels of nested objects and arrays (the document's own object is level 1).
    max_integer_digits
        Digits of an integer (19 is the width of a signed 64-bit integer).

    Raises
    ------
    ConfigurationError
        When a limit is not positive.
    """

    max_bytes: int
    max_depth: int = 64
    max_integer_digits: int = 19

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_depth", "max_integer_digits"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be positive; got {getattr(self, name)!r}")


#: ``score --input``: one case, a few kilobytes; 1 MiB leaves room for any real case.
SCORE_JSON_LIMITS: Final = JsonLimits(max_bytes=1024**2, max_depth=32)
#: A FHIR R4 Bundle of a registry: about 1 KiB per resource; 256 MiB holds about a quarter of
#: a million resources (the example bundles are under 1 MiB). Depth: FHIR resources nest
#: about 8 levels inside a Bundle entry.
FHIR_JSON_LIMITS: Final = JsonLimits(max_bytes=256 * 1024**2, max_depth=64)

# A JSON string, or the rest of the text after an unterminated one: always matches from a
# quote, so scanning is linear whatever the input (no retry from every later quote).
_STRING: Final = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_BRACKETS: Final = frozenset(b"[]{}")
_NOT_BRACKETS: Final = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_TOKEN: Final = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{},:]', re.DOTALL)
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _document_error(source: str, value: object, expected: str) -> InputErrors:
    return InputErrors([InputError("<document>", value, expected, source=source)])


def read_json(
    path: str | Path, *, limits: JsonLimits, field: str = "<file>", option: str | None = None
) -> object:
    """Read and parse a JSON file, or standard input for ``-``, within ``limits``.

    Parameters
    ----------
    path
        The file, or ``"-"`` for standard input (named ``<stdin>`` in errors).
    limits
        Size, depth and integer caps (:data:`SCORE_JSON_LIMITS`, :data:`FHIR_JSON_LIMITS`).
    field
        The field named when the file cannot be read (``"--input"`` on the command line).
    option
        The command-line option that raises the size limit, named in its error.

    Returns
    -------
    object
        The document: dicts, lists, str, int, float, bool and None.

    Raises
    ------
    InputErrors
        As :func:`parse_json`, and when the file is absent or unreadable (naming it).

    References
    ----------
    RFC 8259, sections 4, 6, 8 and 9.
    """
    source = "<stdin>" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limits.max_bytes + 1)
        else:
            with Path(path).open("rb") as file:
                data = file.read(limits.max_bytes + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputErrors(
            [
                InputError(
                    field,
                    str(path),
                    f"an existing, readable UTF-8 JSON file, or - for standard input ({reason})",
                    source=source,
                )
            ]
        ) from None
    return parse_json(data, source=source, limits=limits, option=option)


def parse_json(
    data: bytes, *, source: str, limits: JsonLimits, option: str | None = None
) -> object:
    """Parse one JSON document (UTF-8 bytes) within ``limits``.

    Parameters
    ----------
    data
        The document as read.
    source
        Named in every error (a file name, ``<stdin>``).
    limits
        Size, depth and integer caps.
    option
        The command-line option that raises the size limit, named in its error.

    Returns
    -------
    object
        The document.

    Raises
    ------
    InputErrors
        One error, naming ``source``, for a document over the size limit, a byte that is not
        UTF-8 (line and column), nesting deeper than the limit (the field path where it
        happens) or a syntax error (line and column); otherwise every duplicate key,
        ``NaN``/``Infinity``/``-Infinity`` or other non-finite number, integer longer than
        the digit cap and lone surrogate, each with its field path.

    References
    ----------
    RFC 8259, sections 4, 6, 8 and 9; CVE-2020-10735.

    Examples
    --------
    >>> parse_json(b'{"fever": {"value": 38.5}}', source="case.json",
    ...            limits=SCORE_JSON_LIMITS)
    {'fever': {'value': 38.5}}
    >>> try:
    ...     parse_json(b'{"a": 1, "a": 2}', source="case.json", limits=SCORE_JSON_LIMITS)
    ... except InputErrors as errors:
    ...     print(errors.errors[0].message)
    case.json: field 'a' must be each key once in its object (RFC 8259 section 4); got 'a'
    """
    if len(data) > limits.max_bytes:
        raise_with = f" (raise the limit with {option})" if option else ""
        raise _document_error(
            source,
            f"more than {limits.max_bytes} bytes",
            f"a JSON document of at most {limits.max_bytes} bytes{raise_with}",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        raise _document_error(
            source,
            f"byte 0x{data[error.start]:02x} at line {line} column {column}",
            "UTF-8 text (RFC 8259 section 8.1)",
        ) from None
    _check_depth(data, source, limits.max_depth)
    collector = _Collector(limits.max_integer_digits)
    try:
        document = json.loads(
            text,
            object_pairs_hook=collector.object,
            parse_constant=collector.constant,
            parse_int=collector.integer,
            parse_float=collector.real,
        )
    except json.JSONDecodeError as error:
        raise _document_error(
            source,
            f"line {error.lineno} column {error.colno}",
            f"a JSON document (syntax error: {error.msg})",
        ) from None
    except RecursionError:  # cannot happen within the depth limit; kept as a last guard
        raise _document_error(
            source, "nesting too deep", f"at most {limits.max_depth} levels of nesting"
        ) from None
    if collector.flagged or _SURROGATE_ESCAPE.search(data):
        problems = list(_problems(document, collector, source))
        if problems:
            raise InputErrors(problems)
    return document


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _check_depth(data: bytes, source: str, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` without parsing (and so without recursion)."""
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                raise _document_error_at(data, source, max_depth)


def _document_error_at(data: bytes, source: str, max_depth: int) -> InputErrors:
    """Name the field where the nesting first goes deeper than ``max_depth``."""
    # Each frame: [is_array, index or key]. Only run on a refused document.
    stack: list[list[Any]] = []
    last_string: bytes | None = None
    for match in _TOKEN.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            if len(stack) == max_depth:
                return InputErrors(
                    [
                        InputError(
                            _path_of(stack) or "<document>",
                            f"more than {max_depth} levels of nested objects and arrays",
                            f"at most {max_depth} levels of nesting",
                            source=source,
                        )
                    ]
                )
            stack.append([token == b"[", 0 if token == b"[" else None])
        elif token in (b"]", b"}"):
            if stack:
                stack.pop()
        elif token == b",":
            if stack and stack[-1][0]:
                stack[-1][1] += 1
        elif token == b":":
            if stack and not stack[-1][0] and last_string is not None:
                try:
                    stack[-1][1] = json.loads(last_string)
                except ValueError:
                    stack[-1][1] = last_string.decode("utf-8", errors="replace")
        else:
            last_string = token
    return _document_error(source, "nesting too deep", f"at most {max_depth} levels of nesting")


def _path_of(stack: list[list[Any]]) -> str:
    path = ""
    for is_array, where in stack:
        if is_array:
            path += f"[{where}]"
        elif where is not None:
            path += f".{where}" if path else str(where)
    return path


class _Refused:
    """A value refused while parsing, kept in place so its path can be named afterwards."""

    __slots__ = ("expected", "text")

    def __init__(self, text: str, expected: str) -> None:
        self.text = text
        self.expected = expected


class _Collector:
    """Hooks for :func:`json.loads` that keep every refused value in its place."""

    def __init__(self, max_integer_digits: int) -> None:
        self.max_integer_digits = max_integer_digits
        self.flagged = False
        #: id -> (the object, all its pairs); the object is kept so its id stays unique.
        self.duplicates: dict[int, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}

    def object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            # Every pair is kept, so that a value hidden by a later equal key is checked too.
            self.duplicates[id(result)] = (result, pairs)
            self.flagged = True
        return result

    def constant(self, name: str) -> _Refused:
        self.flagged = True
        return _Refused(name, "a finite number (NaN and Infinity are not JSON: RFC 8259 section 6)")

    def integer(self, digits: str) -> int | _Refused:
        if len(digits.lstrip("-")) > self.max_integer_digits:
            self.flagged = True
            shown = digits if len(digits) <= 40 else f"{digits[:20]}... ({len(digits)} digits)"
            return _Refused(shown, f"an integer of at most {self.max_integer_digits} digits")
        return int(digits)

    def real(self, text: str) -> float | _Refused:
        value = float(text)
        if not math.isfinite(value):
            self.flagged = True
            shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
            return _Refused(shown, "a finite number (this one overflows a double)")
        return value


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _problems(document: object, collector: _Collector, source: str) -> Iterator[InputError]:
    """Walk the parsed document (iteratively) and yield every refused value with its path."""
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            yield InputError(path or "<document>", value.text, value.expected, source=source)
        elif isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                yield InputError(
                    path or "<document>",
                    value.encode("utf-8", errors="backslashreplace").decode("ascii", "replace"),
                    "text without unpaired surrogates (\\ud800-\\udfff alone is not a character: "
                    "RFC 8259 section 8.2)",
                    source=source,
                )
        elif isinstance(value, dict):
            entry = collector.duplicates.get(id(value))
            pairs = entry[1] if entry is not None and entry[0] is value else value.items()
            children: list[tuple[object, str]] = []
            seen: set[str] = set()
            for key, item in pairs:
                shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
                if key in seen:
                    yield InputError(
                        _child(path, shown),
                        shown,
                        "each key once in its object (RFC 8259 section 4)",
                        source=source,
                    )
                seen.add(key)
                if _LONE_SURROGATE.search(key):
                    yield InputError(
                        _child(path, shown),
                        shown,
                        "a key without unpaired surrogates (RFC 8259 section 8.2)",
                        source=source,
                    )
                children.append((item, _child(path, shown)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(item, _child(path, i)) for i, item in enumerate(value)]))
