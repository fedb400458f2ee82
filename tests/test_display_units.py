"""Tests for the one map from UCUM codes to the unit symbols people read."""

from __future__ import annotations

import pytest

from dresskit.course.codes import OBSERVATION_CODES
from dresskit.display_units import DISPLAY_SYMBOLS, display_unit, with_unit


@pytest.mark.parametrize(
    ("ucum", "symbol"),
    [("Cel", "°C"), ("10*9/L", "×10⁹/L"), ("U/L", "U/L"), ("kU/L", "kU/L"), ("ug/L", "µg/L")],
)
def test_display_unit_prints_the_journal_symbol(ucum: str, symbol: str) -> None:
    assert display_unit(ucum) == symbol


def test_every_canonical_observation_unit_has_a_display_symbol() -> None:
    missing = {c.canonical_unit for c in OBSERVATION_CODES.values()} - set(DISPLAY_SYMBOLS)
    assert not missing


def test_no_display_symbol_is_a_ucum_spelling() -> None:
    for symbol in DISPLAY_SYMBOLS.values():
        assert "*" not in symbol
        assert "[" not in symbol
        assert "{" not in symbol


def test_with_unit_puts_percent_against_the_number_and_spaces_other_units() -> None:
    assert with_unit("70", "%") == "70%"
    assert with_unit("38.5", "Cel") == "38.5 °C"
    assert with_unit("4", "{score}") == "4"


def test_unknown_code_prints_as_itself_and_none_as_nothing() -> None:
    assert display_unit("mmol/mol") == "mmol/mol"
    assert display_unit(None) == ""
