"""Issue 10, class 2: no value from a bundle or database ever becomes part of a path.

Figures, tables and exported files are named by dresskit (``timeline_1.png``: the first
timeline), never after an episode id, a drug name or an agent. The bundle here has ids at the
edges of the id pattern and drug names and "other" agents that are paths, shell variables or
markup; every file written must be one of the documented names, inside the folder asked for.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from dresskit.bundle import read_bundle, write_bundle
from dresskit.bundle.schema import TABLES
from dresskit.registry.fhir import write_fhir
from dresskit.registry.redcap import write_redcap_files
from tests.hostile.output_bundles import (
    EDGE_IDS,
    PATH_LIKE_NAMES,
    run_dresskit,
    write_hostile_bundle,
)

#: Every file a report folder may hold (docs/analysis.md, "Files of a report").
REPORT_FILE = re.compile(
    r"report\.(html|pdf)|definitions\.html"
    r"|tables/(course_table|course_summary|baseline|paired_tests|time_to_event"
    r"|steroid_response|regiscar|published_comparison|data_quality)\.(csv|xlsx)"
    r"|figures/(before_after|kaplan_meier|cumulative_incidence|swimmer|timeline_[1-9][0-9]*)"
    r"\.(png|svg|pdf)"
)
BUNDLE_TABLES = set(TABLES)


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_bundle(
        tmp_path_factory.mktemp("hostile") / "bundle",
        episode_ids=EDGE_IDS,
        drugs=PATH_LIKE_NAMES,
        other_agents=PATH_LIKE_NAMES,
    )


def test_the_hostile_bundle_is_valid(hostile: Path) -> None:
    bundle = read_bundle(hostile)
    assert sorted(bundle.episode_ids()) == sorted(EDGE_IDS)
    agents = set(bundle.treatments.get_column("agent").to_list())
    assert {"../../escape", "/etc/passwd", "a/b", "[x]", ".."} <= agents


def test_report_files_are_named_by_dresskit_and_stay_inside_out(
    hostile: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    out = work / "report"
    work.mkdir()
    arguments = ["report", str(hostile), "--out", str(out), "--no-pdf", "--index", "a/b"]
    for episode_id in EDGE_IDS:
        arguments += ["--timeline", episode_id]
    completed = run_dresskit(*arguments)
    assert completed.returncode == 0, completed.stderr
    assert [path.name for path in work.iterdir()] == ["report"]  # nothing beside --out
    written = files_under(out)
    assert all(REPORT_FILE.fullmatch(name) for name in written), sorted(written)
    figures = sorted(
        name for name in written if name.startswith("figures/timeline_") and name.endswith(".png")
    )
    assert figures == [f"figures/timeline_{number}.png" for number in range(1, 6)]
    html = (out / "report.html").read_text(encoding="utf-8")
    # The ids are in the titles and in the mapping of file names, not in any path.
    for number, episode_id in enumerate(EDGE_IDS, start=1):
        assert f"figures/timeline_{number}.png = episode {episode_id}" in html
    assert "../../escape" not in "".join(written)
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize(
    ("format", "name"), [("folder", "b"), ("zip", "b.zip"), ("xlsx", "b.xlsx")]
)
def test_bundle_exports_hold_only_the_table_names(
    hostile: Path, tmp_path: Path, format: str, name: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = write_bundle(read_bundle(hostile), work / name, format=format)  # type: ignore[arg-type]
    assert [path.name for path in work.iterdir()] == [name]
    if format == "folder":
        assert files_under(target) == {f"{table}.csv" for table in BUNDLE_TABLES}
    elif format == "zip":
        with zipfile.ZipFile(target) as archive:
            assert set(archive.namelist()) == {f"{table}.csv" for table in BUNDLE_TABLES}
    else:
        from openpyxl import load_workbook

        assert set(load_workbook(target, read_only=True).sheetnames) == BUNDLE_TABLES


def test_fhir_and_redcap_exports_write_only_their_own_names(hostile: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    bundle = read_bundle(hostile)
    write_fhir(bundle, work / "export.json")
    write_redcap_files(bundle, work / "redcap")
    assert sorted(files_under(work)) == [
        "export.json",
        "redcap/data_dictionary.csv",
        "redcap/manifest.csv",
        "redcap/records.csv",
    ]
