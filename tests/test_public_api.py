"""The public Python API: ``dresskit.read_bundle`` reads a bundle for analysis."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import dresskit
import dresskit.bundle
from dresskit.bundle import Bundle, ReadLimits, write_bundle
from dresskit.errors import InputErrors

ROOT = Path(__file__).parents[1]
SIM = ROOT / "examples" / "sim2022"


def test_read_bundle_is_public_at_the_top_and_in_the_bundle_package() -> None:
    assert "read_bundle" in dresskit.__all__
    assert "read_bundle" in dresskit.bundle.__all__
    assert dresskit.bundle.read_bundle.__module__ == "dresskit.bundle.public"
    assert dresskit.read_bundle is dresskit.bundle.read_bundle


def test_import_dresskit_loads_no_bundle_code_until_read_bundle_is_used() -> None:
    code = (
        "import sys, dresskit\n"
        "print('polars' in sys.modules, 'dresskit.bundle' in sys.modules)\n"
        "dresskit.read_bundle\n"
        "print('dresskit.bundle' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.split() == ["False", "False", "True"]


def test_read_bundle_returns_the_validated_bundle_with_typed_tables() -> None:
    bundle = dresskit.read_bundle(SIM)
    assert isinstance(bundle, Bundle)
    assert len(bundle.episode_ids()) == bundle.patients.height == 18
    assert bundle.episodes.schema["onset_date"] == pl.Date
    assert bundle.observations.schema["value"] == pl.Float64
    assert bundle.course("SIM01").episode.episode_id == "SIM01"


def test_read_bundle_accepts_a_path_as_text_and_a_zip_or_workbook(tmp_path: Path) -> None:
    bundle = dresskit.read_bundle(str(SIM))
    for name in ("sim.zip", "sim.xlsx"):
        write_bundle(bundle, tmp_path / name, format="zip" if name.endswith("zip") else "xlsx")
        again = dresskit.read_bundle(tmp_path / name)
        assert again.episode_ids() == bundle.episode_ids()
        assert again.observations.height == bundle.observations.height


def test_read_bundle_refuses_an_invalid_bundle_listing_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(SIM, broken)
    episodes = (broken / "episodes.csv").read_text(encoding="utf-8")
    (broken / "episodes.csv").write_text(
        episodes.replace("2012-05-21,2012-05-22", "2012-13-21,2012-05-22", 1), encoding="utf-8"
    )
    with pytest.raises(InputErrors) as raised:
        dresskit.read_bundle(broken)
    assert any("2012-13-21" in str(error) for error in raised.value.errors)


def test_read_bundle_applies_the_limits_it_is_given(tmp_path: Path) -> None:
    with pytest.raises(InputErrors):
        dresskit.read_bundle(SIM, limits=ReadLimits(max_input_bytes=1000))
