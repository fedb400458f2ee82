"""The exception tree and its message template."""

from __future__ import annotations

import pytest

from dresskit.errors import MISSING, DresskitError, InputError, InputErrors, UnitError


def test_input_error_message_says_where_field_expected_and_value() -> None:
    error = InputError("dose", "1,5", "a decimal number with '.'", source="courses.csv", row=14)
    assert str(error) == (
        "courses.csv, row 14: field 'dose' must be a decimal number with '.'; got '1,5'"
    )


def test_missing_value_is_said_as_absent() -> None:
    error = InputError("fever", MISSING, "present")
    assert "got nothing (the key is absent)" in str(error)
    assert error.as_dict()["missing"] is True


def test_every_error_is_a_dresskit_error() -> None:
    assert issubclass(UnitError, InputError)
    assert issubclass(InputErrors, DresskitError)


def test_located_copy_keeps_the_subclass() -> None:
    error = UnitError("t.unit", "F", "Cel").located(source="a.json")
    assert isinstance(error, UnitError)
    assert error.source == "a.json"


def test_empty_error_group_is_a_bug() -> None:
    with pytest.raises(ValueError, match="at least one"):
        InputErrors([])
