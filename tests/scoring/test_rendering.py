"""Text and JSON renderers over one score result."""

from __future__ import annotations

import json

from dresskit.scoring import regiscar
from dresskit.scoring.rendering import result_as_dict, result_as_text

CASE = dict.fromkeys(regiscar.POINTS, "unknown") | {
    "fever": {"max_temperature": {"value": 102.2, "unit": "[degF]"}},
    "organ_involvement": ["liver"],
}


def test_dict_is_json_serialisable_and_complete() -> None:
    data = json.loads(json.dumps(result_as_dict(regiscar.score(CASE))))
    assert data["instrument"] == "regiscar"
    assert data["class"] == regiscar.score(CASE).classification
    assert [item["id"] for item in data["items"]] == list(regiscar.POINTS)
    assert data["items"][0]["evidence"] == ["max temperature = 102.2 [degF] (39 Cel)"]
    assert "Kardaun" in data["reference"]["text"]


def test_text_shows_every_item_its_rule_and_the_unknowns() -> None:
    result = regiscar.score(CASE)
    text = result_as_text(result)
    for item in result.items:
        assert item.label in text
        assert item.reason in text
    assert "Unknown items:" in text
    assert f"Total: {result.total} (range -4..9)" in text
