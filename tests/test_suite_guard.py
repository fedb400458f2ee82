"""The suite guard in tests/conftest.py: a test module that collects nothing fails the run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).parent / "conftest.py"


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(CONFTEST, folder / "conftest.py")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )


def test_module_without_tests_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_good.py").write_text("def test_ok():\n    assert True\n")
    (tmp_path / "test_empty.py").write_text(
        "class testLowerCase:\n    def test_x(self):\n        pass\n"
    )
    completed = run_pytest(tmp_path)
    assert completed.returncode != 0
    assert "test_empty.py" in completed.stdout + completed.stderr


def test_collected_count_is_printed(tmp_path: Path) -> None:
    (tmp_path / "test_good.py").write_text("def test_ok():\n    assert True\n")
    completed = run_pytest(tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "dresskit: 1 tests collected" in completed.stdout
