"""The documentation stays true: commands, instruments and examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.main import get_command

from dresskit.cli import app
from dresskit.scoring.catalogue import INSTRUMENTS, score_case

ROOT = Path(__file__).parents[1]
DOCS = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))


def test_docs_mention_every_command() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    for name in commands:
        assert f"dresskit {name}" in DOCS, name


def test_scores_doc_has_a_section_for_every_instrument() -> None:
    scores = (ROOT / "docs" / "scores.md").read_text(encoding="utf-8")
    for name in INSTRUMENTS:
        assert f"(`{name}`)" in scores, name


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _run_and_check_claims(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Run every Python block of ``path``; each ``print(...)  # text`` must print ``text``."""
    for block in python_blocks(path):
        exec(compile(block, str(path), "exec"), {})
        printed = capsys.readouterr().out.splitlines()
        claimed = [
            line.split("#", 1)[1].strip()
            for line in block.splitlines()
            if line.startswith("print(") and "#" in line
        ]
        assert len(printed) >= len(claimed), (path.name, claimed, printed)
        for claim, line in zip(claimed, printed, strict=False):
            assert line == claim, (path.name, claim, line)


def test_python_examples_in_readme_and_guide_run_and_print_what_they_claim(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in (ROOT / "README.md", ROOT / "docs" / "user-guide.md"):
        _run_and_check_claims(path, capsys)


def test_registry_guide_examples_run_on_a_registry_holding_the_sim_cohort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dresskit.bundle import read_bundle
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import upgrade
    from dresskit.registry.store import import_bundle

    monkeypatch.setenv("DRESSKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    engine = engine_for()
    upgrade(engine)
    import_bundle(engine, read_bundle(ROOT / "examples" / "sim2022"), actor="t", source="sim")
    engine.dispose()
    _run_and_check_claims(ROOT / "docs" / "registry.md", capsys)


def test_example_case_file_scores() -> None:
    data = json.loads(
        (ROOT / "docs" / "examples" / "regiscar_case.json").read_text(encoding="utf-8")
    )
    (result,) = score_case("regiscar", data)
    assert (result.total, result.classification) == (9, "definite")


def test_security_doc_names_every_hostile_test_module() -> None:
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for module in sorted((ROOT / "tests" / "hostile").glob("test_*.py")):
        assert module.name in security, module.name
