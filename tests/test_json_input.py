"""dresskit.json_input: one JSON reader, every RFC 8259 hazard refused with its field path."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dresskit.errors import ConfigurationError, InputError, InputErrors
from dresskit.json_input import (
    FHIR_JSON_LIMITS,
    SCORE_JSON_LIMITS,
    JsonLimits,
    parse_json,
    read_json,
)

LIMITS = SCORE_JSON_LIMITS


def _errors(data: bytes, limits: JsonLimits = LIMITS) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        parse_json(data, source="case.json", limits=limits)
    assert all(error.source == "case.json" for error in caught.value.errors)
    return list(caught.value.errors)


def _only(data: bytes, limits: JsonLimits = LIMITS) -> InputError:
    errors = _errors(data, limits)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_valid_document_is_returned_as_parsed() -> None:
    data = b'{"fever": {"max_temperature": {"value": 38.5, "unit": "Cel"}}, "n": [1, -2]}'
    assert parse_json(data, source="x", limits=LIMITS) == json.loads(data)


def test_a_utf8_bom_is_accepted() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', source="x", limits=LIMITS) == {"a": 1}


def test_a_document_over_the_size_limit_is_refused_naming_the_option() -> None:
    error = _only(b"[" + b" " * 100 + b"]", JsonLimits(max_bytes=50))
    assert (error.field, error.value) == ("<document>", "more than 50 bytes")
    assert error.expected == "a JSON document of at most 50 bytes"
    with pytest.raises(InputErrors, match="raise the limit with --max-input-bytes"):
        parse_json(
            b"[" + b" " * 100 + b"]",
            source="x",
            limits=JsonLimits(max_bytes=50),
            option="--max-input-bytes",
        )


def test_invalid_utf8_names_line_and_column() -> None:
    error = _only(b'{\n  "drug": "caf\xe9"\n}')
    assert error.field == "<document>"
    assert error.value == "byte 0xe9 at line 2 column 15"
    assert "UTF-8" in error.expected


def test_a_syntax_error_names_line_and_column() -> None:
    error = _only(b'{\n  "fever": \n}')
    assert error.value == "line 3 column 1"
    assert error.expected == "a JSON document (syntax error: Expecting value)"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_naming_the_field(constant: str) -> None:
    error = _only(b'{"fever": {"max_temperature": {"value": ' + constant.encode() + b"}}}")
    assert error.field == "fever.max_temperature.value"
    assert error.value == constant
    assert error.expected.startswith("a finite number")


def test_a_number_that_overflows_a_double_is_refused() -> None:
    error = _only(b'{"dose": [1, 2, 1e400]}')
    assert (error.field, error.value) == ("dose[2]", "1e400")
    assert "finite number" in error.expected


def test_an_over_long_integer_is_refused_without_converting_it() -> None:
    # Converting 100 000 digits would take long (CVE-2020-10735); it is refused by length.
    error = _only(b'{"items": [{"count": ' + b"7" * 100_000 + b"}]}")
    assert error.field == "items[0].count"
    assert error.value == "77777777777777777777... (100000 digits)"
    assert error.expected == "an integer of at most 19 digits"


def test_an_integer_of_19_digits_is_accepted() -> None:
    assert parse_json(b"[-9223372036854775807]", source="x", limits=LIMITS) == [
        -9223372036854775807
    ]


def test_duplicate_keys_are_refused_naming_each() -> None:
    errors = _errors(b'{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}')
    assert {(error.field, error.value) for error in errors} == {("a", "a"), ("b.c", "c")}
    assert all(error.expected.startswith("each key once") for error in errors)


def test_a_problem_hidden_under_a_repeated_key_is_reported_too() -> None:
    fields = {error.field for error in _errors(b'{"a": [NaN], "a": 1}')}
    assert fields == {"a", "a[0]"}


def test_every_problem_is_reported_together() -> None:
    errors = _errors(b'{"x": NaN, "y": [Infinity, 1e999], "z": "\\ud800", "x": 1}')
    assert {error.field for error in errors} == {"x", "y[0]", "y[1]", "z"}


def test_a_lone_surrogate_is_refused_in_a_value_and_in_a_key() -> None:
    errors = _errors(b'{"drug": "a\\udc00b", "\\ud800": 1}')
    by_field = {error.field: error for error in errors}
    assert by_field["drug"].value == "a\\udc00b"
    assert "unpaired surrogates" in by_field["drug"].expected
    assert "\\ud800" in by_field


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    assert parse_json(b'["\\ud83d\\ude00"]', source="x", limits=LIMITS) == ["\U0001f600"]


def test_an_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    assert parse_json(b'["\\\\ud800"]', source="x", limits=LIMITS) == ["\\ud800"]


def test_nesting_deeper_than_the_limit_is_refused_naming_the_path() -> None:
    data = b'{"a": {"b": [' + b"[" * 40 + b"]" * 40 + b"]}}"
    error = _only(data)
    assert error.field == "a.b" + "[0]" * 30
    assert error.expected == "at most 32 levels of nesting"


def test_nesting_of_a_hostile_depth_is_refused_without_recursion() -> None:
    error = _only(b"[" * 200_000 + b"]" * 200_000, JsonLimits(max_bytes=10**6))
    assert error.field == "[0]" * 64  # the default depth of JsonLimits


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = json.dumps({"text": "[" * 100 + "{" * 100}).encode()
    assert parse_json(data, source="x", limits=LIMITS) == {"text": "[" * 100 + "{" * 100}


def test_an_unterminated_string_full_of_escapes_is_refused_quickly() -> None:
    # A scanner that retried from every quote would take quadratic time on this input.
    data = b'["' + b'\\"' * 200_000
    error = _only(data, JsonLimits(max_bytes=10**6, max_depth=2))
    assert error.value == "line 1 column 2"


def test_read_json_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(InputErrors) as caught:
        read_json(missing, limits=LIMITS, field="--input")
    error = caught.value.errors[0]
    assert (error.field, error.value) == ("--input", str(missing))
    assert "an existing, readable UTF-8 JSON file" in error.expected


def test_read_json_reads_a_file_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"a": [1, 2.5, "x", null, true]}', encoding="utf-8")
    assert read_json(path, limits=LIMITS) == {"a": [1, 2.5, "x", None, True]}


def test_read_json_refuses_a_large_file_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"0," * 1_000_000 + b"0]")
    with pytest.raises(InputErrors, match="at most 1048576 bytes"):
        read_json(path, limits=LIMITS)


def test_the_fhir_limits_are_larger_than_the_score_limits() -> None:
    assert FHIR_JSON_LIMITS.max_bytes > SCORE_JSON_LIMITS.max_bytes
    assert FHIR_JSON_LIMITS.max_depth >= SCORE_JSON_LIMITS.max_depth


def test_limits_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="max_depth"):
        JsonLimits(max_bytes=10, max_depth=0)


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**18), max_value=10**18)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_DOCUMENTS)
def test_any_document_within_the_limits_reads_back_as_written(document: object) -> None:
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    assert parse_json(data, source="x", limits=FHIR_JSON_LIMITS) == document


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_refused_with_input_errors(data: bytes) -> None:
    limits = JsonLimits(max_bytes=150, max_depth=5)
    try:
        document = parse_json(data, source="x", limits=limits)
    except InputErrors as errors:
        refused = errors.errors
    else:
        refused = ()
        assert json.loads(data.removeprefix(b"\xef\xbb\xbf")) == document
        assert not _has_non_finite(document)
    assert all(error.source == "x" for error in refused)


def _has_non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_has_non_finite(item) for item in value)
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in value.values())
    return False
