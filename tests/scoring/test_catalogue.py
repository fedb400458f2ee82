"""The instrument catalogue and the public names of dresskit.scoring."""

from __future__ import annotations

import pytest

import dresskit.scoring
from dresskit.errors import InputError, InputErrors
from dresskit.scoring.catalogue import INSTRUMENTS, get_instrument, input_schema, score_case

EXPECTED_INSTRUMENTS = {
    "regiscar",
    "regiscar-inclusion",
    "jscar",
    "bocquet",
    "naranjo",
    "who-umc",
    "alden",
    "dds",
}


def test_catalogue_holds_every_instrument_of_the_issue() -> None:
    assert set(INSTRUMENTS) == EXPECTED_INSTRUMENTS


def test_scoring_public_names_are_pinned() -> None:
    assert sorted(dresskit.scoring.__all__) == sorted(
        [
            "Answer",
            "Citation",
            "ItemResult",
            "ScoreResult",
            "signed",
            "alden",
            "bocquet",
            "dds",
            "jscar",
            "naranjo",
            "regiscar",
            "regiscar_inclusion",
            "who_umc",
        ]
    )


def test_unknown_instrument_name_lists_the_catalogue() -> None:
    with pytest.raises(InputError) as caught:
        get_instrument("sofa")
    assert "regiscar" in caught.value.expected


@pytest.mark.parametrize("name", sorted(EXPECTED_INSTRUMENTS))
def test_every_input_schema_requires_its_items(name: str) -> None:
    schema = input_schema(name)
    assert schema["required"]
    assert schema.get("additionalProperties") is False


@pytest.mark.parametrize("name", sorted(EXPECTED_INSTRUMENTS))
def test_every_instrument_refuses_an_empty_case(name: str) -> None:
    with pytest.raises(InputErrors):
        score_case(name, {}, source="empty.json")


@pytest.mark.parametrize("name", sorted(EXPECTED_INSTRUMENTS))
def test_every_instrument_refuses_a_non_object(name: str) -> None:
    with pytest.raises(InputErrors) as caught:
        score_case(name, [1, 2], source="list.json")
    assert caught.value.errors[0].source == "list.json"
