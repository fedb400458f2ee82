"""Fuzz: ``dresskit score`` on hostile JSON ends cleanly (exit 0, 1 or 2, never a traceback)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dresskit.datasets import load_published_cases
from dresskit.scoring.catalogue import INSTRUMENTS
from tests.hostile.fuzzing import hostile_text, run

CASES = list(load_published_cases())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=12,
)


def _replace_somewhere(document: Any, value: Any, path: list[int]) -> Any:
    """Replace one value of ``document``, chosen by the numbers in ``path``, with ``value``."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = _replace_somewhere(copy[key], value, path[1:])  # type: ignore[index]
    return copy


raw_documents = st.one_of(
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    hostile_text,
    st.sampled_from(
        [
            "{" * 100_000,
            "[" * 5000 + "]" * 5000,
            '{"fever": 1, "fever": 2}',
            '{"fever": NaN}',
            '{"fever": Infinity}',
            '{"fever": ' + "9" * 5000 + "}",
            '{"fever": "\\ud800"}',
            "\ufeff{}",
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(CASES),
    value=json_values,
    path=st.lists(st.integers(min_value=0, max_value=50), max_size=4),
    as_stdin=st.booleans(),
)
def test_a_published_case_with_any_value_replaced_ends_cleanly(
    case: Any, value: Any, path: list[int], as_stdin: bool
) -> None:
    document = _replace_somewhere(case.input, value, path)
    text = json.dumps(document, ensure_ascii=False)
    if as_stdin:
        run(["score", case.instrument, "--input", "-"], stdin=text)
        return
    with tempfile.TemporaryDirectory() as folder:
        path_ = Path(folder) / "case.json"
        path_.write_text(text, encoding="utf-8")
        run(["score", case.instrument, "--input", str(path_), "--json"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instrument=st.sampled_from(sorted(INSTRUMENTS)), raw=raw_documents)
def test_any_bytes_as_a_case_end_cleanly(instrument: str, raw: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.json"
        path.write_bytes(raw.encode("utf-8", "surrogatepass"))
        result = run(["score", instrument, "--input", str(path)])
        assert result.exit_code in (0, 1)
