"""Fuzz: FHIR R4 Bundles with hostile values, missing or repeated parts end cleanly.

The small valid bundle is exported as a FHIR R4 Bundle, then damaged at random (a value
replaced, a key removed, a resource repeated) and imported. Whatever the damage: exit 0, 1 or
2, never a traceback, and a refused import leaves no row in the registry.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dresskit.bundle import validate_tables
from dresskit.registry.fhir import bundle_to_fhir
from tests.bundle.fixture import tables
from tests.hostile.fuzzing import hostile_text, new_registry, registry_rows, run

ORIGINAL = bundle_to_fhir(validate_tables(tables(), source="fixture"))

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
    st.just([]),
    st.just({}),
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, child in document.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(document, list):
        for index, child in enumerate(document):
            found += _paths(child, (*prefix, index))
    return found


PATHS = _paths(ORIGINAL)


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@st.composite
def damaged(draw: Any) -> Any:
    document = copy.deepcopy(ORIGINAL)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        try:
            parent = _parent(document, path)
            kind = draw(st.sampled_from(["replace", "replace", "delete", "repeat"]))
            if kind == "replace":
                parent[path[-1]] = draw(values)
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage removed this path
    return document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=damaged())
def test_a_damaged_fhir_bundle_ends_cleanly_and_writes_nothing_when_refused(
    document: Any,
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "bundle.json"
        path.write_text(
            json.dumps(document, ensure_ascii=False), encoding="utf-8", errors="replace"
        )
        url = new_registry(folder)
        result = run(["import", str(path), "--db", url, "--format", "fhir"])
        if result.exit_code != 0:
            assert registry_rows(url) == 0
