"""Reading a course back: validated content is not validated again, anything else is."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dresskit.bundle import read_bundle
from dresskit.errors import InputErrors
from dresskit.registry.loading import load_course
from dresskit.registry.store import import_bundle

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_every_example_course_reads_back_equal_to_the_validated_one(engine: Engine) -> None:
    for name in ("sim2022", "shen2024"):
        bundle = read_bundle(EXAMPLES / name)
        import_bundle(engine, bundle, actor="t", source=name)
        for course in bundle.courses():
            assert load_course(engine, course.episode.episode_id) == course


def test_a_row_changed_by_hand_is_validated_again(engine: Engine) -> None:
    import_bundle(engine, read_bundle(EXAMPLES / "shen2024"), actor="t", source="shen2024")
    with engine.begin() as connection:
        # Outside dresskit: a temperature no body has (the fingerprint no longer matches).
        connection.execute(text("UPDATE observations SET value = 99 WHERE code = 'temperature'"))
    with pytest.raises(InputErrors, match="25-45 Cel"):
        load_course(engine, "SHEN")
