"""Fuzz: REDCap records with hostile cells, headers and rows end cleanly.

The small valid bundle is exported as REDCap records, then damaged at random (a cell replaced,
a header renamed, a row dropped, repeated or cut short) and imported. Whatever the damage: exit
0, 1 or 2, never a traceback, and a refused import leaves no row in the registry.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dresskit.bundle import validate_tables
from dresskit.registry.redcap import redcap_export
from tests.bundle.fixture import tables
from tests.hostile.fuzzing import hostile_text, new_registry, registry_rows, run

_RECORDS, _ = redcap_export(validate_tables(tables(), source="fixture"))
HEADER = _RECORDS.columns
BODY = [["" if value is None else str(value) for value in row] for row in _RECORDS.iter_rows()]


@st.composite
def damaged(draw: Any) -> tuple[list[str], list[list[str]]]:
    header, body = list(HEADER), [list(row) for row in BODY]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(
            st.sampled_from(["cell", "cell", "cell", "header", "drop", "repeat", "short", "long"])
        )
        if kind == "cell":
            row = draw(st.integers(min_value=0, max_value=len(body) - 1))
            if not body[row]:
                continue
            # An earlier "short" may have left this row shorter than the header.
            column = draw(st.integers(min_value=0, max_value=len(body[row]) - 1))
            body[row][column] = draw(hostile_text)
        elif kind == "header":
            header[draw(st.integers(min_value=0, max_value=len(header) - 1))] = draw(hostile_text)
        elif kind == "drop" and len(body) > 1:
            body.pop(draw(st.integers(min_value=0, max_value=len(body) - 1)))
        elif kind == "repeat":
            body.append(list(body[draw(st.integers(min_value=0, max_value=len(body) - 1))]))
        elif kind == "short":
            body[-1] = body[-1][: draw(st.integers(min_value=0, max_value=len(header) - 1))]
        elif kind == "long":
            body[-1] = [*body[-1], draw(hostile_text)]
    return header, body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=damaged())
def test_damaged_redcap_records_end_cleanly_and_write_nothing_when_refused(
    records: tuple[list[str], list[list[str]]],
) -> None:
    header, body = records
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "records.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
        url = new_registry(folder)
        result = run(["import", str(path), "--db", url, "--format", "redcap"])
        if result.exit_code != 0:
            assert registry_rows(url) == 0
