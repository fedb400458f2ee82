"""Packaging: one version everywhere, a valid citation, the licence, and optional extras."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

import dresskit
from dresskit._version import __version__

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CFF_SCHEMA = ROOT / "tests" / "data" / "citation_file_format" / "schema-1.2.0.json"


def _citation() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_version_has_one_source_read_by_the_package_metadata() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "dresskit._version.__version__"}
    assert dresskit.__version__ == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", __version__), __version__


def test_citation_cff_is_valid_cff_1_2_0() -> None:
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(_citation(), schema, cls=jsonschema.Draft7Validator)


def test_citation_cff_names_this_version_and_the_licence() -> None:
    citation = _citation()
    assert citation["version"] == __version__
    assert citation["license"] == PYPROJECT["project"]["license"] == "MIT"
    assert citation["authors"] == [{"name": "dresskit contributors"}]


def test_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", changelog, flags=re.M)[1:]
    if ".dev" in __version__:
        # Keep a Changelog: the version in development is the "Unreleased" section.
        (unreleased,) = (part for part in sections if part.startswith("[Unreleased]"))
        assert f"`{__version__}`" in unreleased
    else:
        assert any(
            re.match(rf"\[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}\n", part)
            for part in sections
        ), __version__


def test_licence_file_is_mit_for_the_contributors() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 dresskit contributors\n")


def test_pdf_and_postgres_are_extras_and_make_installs_every_extra() -> None:
    core = " ".join(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "weasyprint" not in core
    assert "psycopg" not in core
    assert any(name.startswith("weasyprint") for name in extras["pdf"])
    assert any(name.startswith("psycopg[binary]") for name in extras["postgres"])
    assert {"mkdocs-material", "mkdocstrings[python]"} <= {
        re.split(r"[<>=]", name)[0] for name in extras["docs"]
    }
    assert any(name.startswith("fhir.resources>=8") for name in extras["dev"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-e '.[dev,pdf,postgres,docs]'" in makefile
    assert re.search(r"^test: .*\bdocs\b", makefile, re.M)
    assert "mkdocs build --strict" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# A module set to None in sys.modules cannot be imported: as if the extras were not installed.
_WITHOUT_EXTRAS = """
import sys

for name in ("weasyprint", "psycopg", "psycopg_binary"):
    sys.modules[name] = None
"""


def _run_without_extras(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS + code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def test_core_imports_and_reads_a_bundle_without_the_pdf_and_postgres_extras() -> None:
    result = _run_without_extras(
        "import dresskit.cli, dresskit.analysis, dresskit.registry.db\n"
        "import dresskit.registry.store, dresskit.registry.copy_binary\n"
        "from dresskit.bundle import read_bundle\n"
        "print(len(read_bundle('examples/sim2022').episode_ids()))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "18"


def test_a_postgres_url_without_psycopg_says_to_install_the_postgres_extra() -> None:
    result = _run_without_extras(
        "from dresskit.registry.db import RegistryUnavailableError, engine_for\n"
        "try:\n"
        "    engine_for('postgresql://alice@localhost/registry')\n"
        "except RegistryUnavailableError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'dresskit[postgres]'" in result.stdout
    assert "SQLite registry needs nothing more" in result.stdout


@pytest.mark.parametrize("name", ["README.md", "docs/index.md"])
def test_readme_and_site_say_what_pdf_needs_on_a_mac_and_without_root(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "brew install pango" in text
    assert "--no-pdf" in text
    assert "root" in text
