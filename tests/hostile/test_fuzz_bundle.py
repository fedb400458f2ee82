"""Fuzz: bundles (folder, .zip, .xlsx) with hostile cells, headers and rows end cleanly.

A valid bundle (tests.bundle.fixture) is damaged at random: a cell replaced by hostile text, a
column dropped or added, a header renamed, a row dropped, repeated or cut short. It is written
as a folder of CSV files, a .zip of them or an .xlsx workbook, then validated, imported into a
new registry and reported on. Whatever the damage: exit 0, 1 or 2, never a traceback; a failed
import leaves no row; a failed report leaves no output.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.bundle.fixture import ROWS
from tests.hostile.fuzzing import hostile_text, leftovers, new_registry, registry_rows, run

TABLE_NAMES = list(ROWS)


def _header_and_rows(name: str) -> tuple[list[str], list[list[str]]]:
    header = list(ROWS[name][0])
    body = [["" if row[c] is None else str(row[c]) for c in header] for row in ROWS[name]]
    return header, body


@st.composite
def damaged_tables(draw: Any) -> dict[str, tuple[list[str], list[list[str]]]]:
    tables = {name: _header_and_rows(name) for name in TABLE_NAMES}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(TABLE_NAMES))
        header, body = tables[name]
        header, body = list(header), [list(row) for row in body]
        kind = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "drop_column",
                    "add_column",
                    "header",
                    "drop_row",
                    "repeat_row",
                    "short_row",
                    "long_row",
                ]
            )
        )
        if kind == "cell" and body:
            row = draw(st.integers(min_value=0, max_value=len(body) - 1))
            if not body[row]:
                continue
            # An earlier "short_row" may have left this row shorter than the header.
            column = draw(st.integers(min_value=0, max_value=len(body[row]) - 1))
            body[row][column] = draw(hostile_text)
        elif kind == "drop_column":
            index = draw(st.integers(min_value=0, max_value=len(header) - 1))
            del header[index]
            for row in body:
                del row[index]
        elif kind == "add_column":
            header.append(draw(hostile_text))
            for row in body:
                row.append(draw(hostile_text))
        elif kind == "header":
            header[draw(st.integers(min_value=0, max_value=len(header) - 1))] = draw(hostile_text)
        elif kind == "drop_row" and body:
            body.pop(draw(st.integers(min_value=0, max_value=len(body) - 1)))
        elif kind == "repeat_row" and body:
            body.append(list(body[draw(st.integers(min_value=0, max_value=len(body) - 1))]))
        elif kind == "short_row" and body:
            body[-1] = body[-1][: draw(st.integers(min_value=0, max_value=len(header) - 1))]
        elif kind == "long_row" and body:
            body[-1] = [*body[-1], draw(hostile_text)]
        tables[name] = (header, body)
    return tables


def _csv(header: list[str], body: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def write(tables: dict[str, tuple[list[str], list[list[str]]]], folder: Path, kind: str) -> Path:
    if kind == "folder":
        target = folder / "bundle"
        target.mkdir()
        for name, (header, body) in tables.items():
            (target / f"{name}.csv").write_bytes(_csv(header, body))
        return target
    if kind == "zip":
        target = folder / "bundle.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for name, (header, body) in tables.items():
                archive.writestr(f"{name}.csv", _csv(header, body))
        return target
    target = folder / "bundle.xlsx"
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, (header, body) in tables.items():
        sheet = workbook.create_sheet(name)
        for row in [header, *body]:
            # XML cannot hold some control characters: a workbook never carries them.
            sheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("", value.encode("utf-8", "replace").decode("utf-8"))
                    for value in row
                ]
            )
    workbook.save(target)
    return target


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=damaged_tables(), kind=st.sampled_from(["folder", "zip", "xlsx"]))
def test_a_damaged_bundle_ends_cleanly_and_writes_nothing_when_refused(
    tables: dict[str, tuple[list[str], list[list[str]]]], kind: str
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bundle = write(tables, folder, kind)
        url = new_registry(folder)
        validated = run(["validate", str(bundle)])
        imported = run(["import", str(bundle), "--db", url, "--user", "fuzz"])
        assert (validated.exit_code == 0) == (imported.exit_code == 0), (
            validated.output,
            imported.output,
        )
        if imported.exit_code != 0:
            assert registry_rows(url) == 0
            before = {path.name for path in folder.iterdir()}
            reported = run(["report", str(bundle), "--out", str(folder / "out"), "--no-pdf"])
            assert reported.exit_code == 1
            assert leftovers(folder, before) == set()
