"""Bundles whose names and texts are hostile to paths, terminals, figures and spreadsheets.

They are the example bundle of Shen et al. 2024 (one episode with steroids, IVIG, a biologic
and an "other" treatment), copied once per episode id, with drug names, "other" treatment
agents, an observation text, a finding detail and the manifest title replaced. Used by the
tests of the output side of issue 10 (paths, spreadsheets, terminal and report output,
atomic output).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

EXAMPLES = Path(__file__).parents[2] / "examples"
#: The console script of this environment: the real command line, with its top-level guard.
DRESSKIT = str(Path(sys.executable).parent / "dresskit")

#: Episode ids at the edges of the bundle's id pattern ([A-Za-z0-9][A-Za-z0-9._-]{0,63}).
EDGE_IDS = ("0", "Z" * 64, "a..b", "x-_.", "9.9")
#: Names that are paths, shell or TeX syntax, rich markup or escape sequences.
PATH_LIKE_NAMES = ("../../escape", "/etc/passwd", "a/b", "$HOME", "[x]", "..", "nul:")


def read_text_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """Every CSV of ``folder`` as text (what a reader sees)."""
    return {path.stem: pl.read_csv(path, infer_schema=False) for path in folder.glob("*.csv")}


def write_hostile_bundle(
    folder: Path,
    *,
    episode_ids: Sequence[str] = ("SHEN",),
    drugs: Sequence[str] = (),
    other_agents: Sequence[str] = (),
    observation_text: str | None = None,
    finding_detail: str | None = None,
    title: str | None = None,
    admission: bool = True,
) -> Path:
    """Write the Shen 2024 bundle once per episode id, with hostile names; return the folder.

    Parameters
    ----------
    folder
        Where to write the CSV files (created).
    episode_ids
        One copy of the episode per id; patient ids are ``P1``, ``P2``, ...
    drugs
        Concomitant drugs added to every episode (``drug_exposures.drug``).
    other_agents
        "other" treatments added to every episode (``treatments.agent``), one day each.
    observation_text, finding_detail, title
        Put into the first observation's ``text``, the first finding's ``detail`` and the
        manifest's ``title``.
    admission
        Keep the admission date (``False``: no episode has one, so ``--index admission``
        gives an empty cohort).
    """
    source = read_text_tables(EXAMPLES / "shen2024")
    tables: dict[str, list[pl.DataFrame]] = {name: [] for name in source}
    for number, episode_id in enumerate(episode_ids, start=1):
        patient = f"P{number}"
        for name, frame in source.items():
            if name == "manifest":
                continue
            copy = frame
            if "episode_id" in copy.columns:
                copy = copy.with_columns(pl.lit(episode_id).alias("episode_id"))
            if "patient_id" in copy.columns:
                copy = copy.with_columns(pl.lit(patient).alias("patient_id"))
            if name == "episodes" and not admission:
                copy = copy.with_columns(pl.lit(None, dtype=pl.Utf8).alias("admission_date"))
            if name == "drug_exposures" and drugs:
                added = pl.DataFrame(
                    {
                        "episode_id": [episode_id] * len(drugs),
                        "drug": list(drugs),
                        "atc_code": [None] * len(drugs),
                        "role": ["concomitant"] * len(drugs),
                        "start_date": ["2021-12-01"] * len(drugs),
                        "stop_date": ["2021-12-20"] * len(drugs),
                    },
                    schema=dict.fromkeys(copy.columns, pl.Utf8),
                )
                copy = pl.concat([copy, added])
            if name == "treatments" and other_agents:
                count = len(other_agents)
                added = pl.DataFrame(
                    {
                        "episode_id": [episode_id] * count,
                        "kind": ["other"] * count,
                        "agent": list(other_agents),
                        "route": ["oral"] * count,
                        "start_date": [f"2022-01-{10 + day:02d}" for day in range(count)],
                        "end_date": [f"2022-01-{10 + day:02d}" for day in range(count)],
                        "dose": [None] * count,
                        "dose_unit": [None] * count,
                        "interval_days": [None] * count,
                        "loading_dose": [None] * count,
                    },
                    schema=dict.fromkeys(copy.columns, pl.Utf8),
                )
                copy = pl.concat([copy, added])
            if name == "observations" and observation_text is not None:
                copy = copy.with_columns(
                    pl.when(pl.int_range(pl.len()) == 0)
                    .then(pl.lit(observation_text))
                    .otherwise(pl.col("text"))
                    .alias("text")
                )
            if name == "findings" and finding_detail is not None:
                copy = copy.with_columns(
                    pl.when(pl.int_range(pl.len()) == 0)
                    .then(pl.lit(finding_detail))
                    .otherwise(pl.col("detail"))
                    .alias("detail")
                )
            tables[name].append(copy)
    manifest = source["manifest"]
    if title is not None:
        manifest = manifest.with_columns(
            pl.when(pl.col("key") == "title")
            .then(pl.lit(title))
            .otherwise(pl.col("value"))
            .alias("value")
        )
    folder.mkdir(parents=True, exist_ok=True)
    manifest.write_csv(folder / "manifest.csv")
    for name, frames in tables.items():
        if name != "manifest":
            pl.concat(frames).write_csv(folder / f"{name}.csv")
    return folder


def run_dresskit(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``dresskit`` console script (wide terminal: tables are not wrapped)."""
    import os

    return subprocess.run(
        [DRESSKIT, *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1", **(env or {})},
    )


def assert_one_line_error(completed: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 1, no traceback, a first stderr line "error: ..." holding every fragment."""
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout, completed.stderr
    first = completed.stderr.strip().splitlines()[0]
    assert first.startswith("error:"), completed.stderr
    for fragment in fragments:
        assert fragment in first, (fragment, completed.stderr)
