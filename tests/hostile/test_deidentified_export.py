"""Class 1: the de-identified export is an allow-list; nothing identifying survives it.

Names, record numbers, phone numbers, e-mail addresses and real dates are planted in every
text column of a bundle that validation lets through (and in the ids); the export, in both date
modes, written as a folder and as a .zip, is then searched byte by byte for each of them.
Columns that validation closes (codes, units, ATC codes) are shown to refuse the plant instead.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dresskit.bundle import Bundle, validate_tables
from dresskit.bundle.schema import TABLES
from dresskit.cli import app
from dresskit.errors import InputErrors
from dresskit.registry import audit
from dresskit.registry.db import engine_for
from dresskit.registry.deidentify import EXPORTED_COLUMNS, deidentify, write_deidentified
from tests.bundle.fixture import ROWS, tables

KEY = bytes(range(32))
NAMES = ("Jane Doe", "Grey")
RECORD_NUMBERS = ("MRN00123456", "00123456")
PHONES = ("555-123-4567", "555 123 4567")
EMAILS = ("jane.doe@example.org",)
REAL_DATES = ("1984-07-12", "12/07/1984", "July 12, 1984")
PLANTED = (*NAMES, *RECORD_NUMBERS, *PHONES, *EMAILS, *REAL_DATES)
#: Free text carrying every kind of identifier at once.
NOTE = "seen by Jane Doe (MRN00123456, 555-123-4567, jane.doe@example.org) born 1984-07-12"


def planted_bundle() -> Bundle:
    """The fixture with identifiers in every text column that validation accepts."""
    patients = [dict(row) for row in ROWS["patients"]]
    patients[0]["patient_id"] = "MRN00123456"
    episodes = [dict(row) for row in ROWS["episodes"]]
    episodes[0].update(episode_id="jane.doe", patient_id="MRN00123456")

    def renamed(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
        return [
            {**row, "episode_id": "jane.doe" if row["episode_id"] == "E1" else row["episode_id"]}
            for row in rows
        ]

    exposures = renamed(ROWS["drug_exposures"])
    exposures += [
        {**exposures[0], "drug": "jane doe", "atc_code": None, "role": "concomitant"},
        {**exposures[0], "drug": "pills from dr grey 555 123 4567", "atc_code": "M12RN34"},
        {**exposures[0], "drug": "July 12, 1984 tablets", "atc_code": None},
    ]
    assessments = renamed(ROWS["drug_assessments"])
    assessments += [{**row, "drug": "jane doe"} for row in assessments[:10]]
    findings = renamed(ROWS["findings"])
    findings += [
        {
            "episode_id": "jane.doe",
            "date": "2020-03-06",
            "code": "lymph_nodes",
            "value": "enlarged",
            "detail": NOTE,
        },
        {
            "episode_id": "jane.doe",
            "date": "2020-03-06",
            "code": "organ_involvement",
            "value": "other",
            "detail": "12/07/1984 MRN00123456",
        },
    ]
    treatments = renamed(ROWS["treatments"])
    treatments += [
        {
            **treatments[3],
            "kind": "other",
            "agent": "ciclosporin per dr grey",
            "dose": "150",
            "dose_unit": "mg/d",
            "route": "oral",
        },
        {
            **treatments[3],
            "kind": "biologic",
            "agent": "MRN00123456",
            "dose": "100",
            "dose_unit": "mg",
            "interval_days": "28",
            "route": "sc",
        },
    ]
    observations = renamed(ROWS["observations"])
    manifest = [
        *ROWS["manifest"],
        {"key": "title", "value": "Ward of Dr Grey: Jane Doe and others"},
        {"key": "source", "value": "export by jane.doe@example.org on 1984-07-12"},
        {"key": "contact", "value": "555-123-4567"},
    ]
    frames = tables(
        patients=patients,
        episodes=episodes,
        drug_exposures=exposures,
        drug_assessments=assessments,
        findings=findings,
        treatments=treatments,
        observations=observations,
        manifest=manifest,
    )
    return validate_tables(frames, source="planted")


def written_text(folder_or_zip: Path) -> str:
    """Every byte of every file of an export, decoded."""
    if folder_or_zip.suffix == ".zip":
        with zipfile.ZipFile(folder_or_zip) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8") + "\n" + name for name in archive.namelist()
            )
    return "\n".join(
        path.read_text(encoding="utf-8") + "\n" + path.name
        for path in sorted(folder_or_zip.rglob("*"))
        if path.is_file()
    )


def leaks(text: str, needles: tuple[str, ...] = PLANTED) -> list[str]:
    folded = text.casefold()
    return [needle for needle in needles if needle.casefold() in folded]


def test_the_planted_bundle_is_valid_and_holds_every_identifier() -> None:
    bundle = planted_bundle()
    everything = " ".join(
        str(value)
        for name in TABLES
        if name != "manifest"
        for row in getattr(bundle, name).iter_rows()
        for value in row
    ) + " ".join(bundle.manifest.values())
    assert leaks(everything) == list(PLANTED)


@pytest.mark.parametrize("dates", ["relative", "shifted"])
@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_no_planted_identifier_survives_the_export(tmp_path: Path, dates: str, suffix: str) -> None:
    export = deidentify(planted_bundle(), key=KEY, dates=dates)  # type: ignore[arg-type]
    target = write_deidentified(export, tmp_path / f"export{suffix}")
    assert leaks(written_text(target)) == []


def test_relative_export_holds_no_calendar_date(tmp_path: Path) -> None:
    export = deidentify(planted_bundle(), key=KEY, dates="relative")
    text = written_text(write_deidentified(export, tmp_path / "export"))
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}", text)


def test_unlisted_drugs_become_numbered_codes_that_keep_their_assessments() -> None:
    export = deidentify(planted_bundle(), key=KEY)
    drugs = set(export.drug_exposures.get_column("drug"))
    assert drugs == {
        "carbamazepine",
        "vancomycin",
        "unlisted-drug-1",
        "unlisted-drug-2",
        "unlisted-drug-3",
    }
    assessed = set(export.drug_assessments.get_column("drug"))
    assert assessed <= drugs
    assert len(assessed - {"carbamazepine"}) == 1  # "jane doe"'s answers, under its code


def test_unknown_atc_code_is_dropped_and_known_one_kept() -> None:
    export = deidentify(planted_bundle(), key=KEY)
    assert set(export.drug_exposures.get_column("atc_code").drop_nulls()) == {"N03AF01"}


def test_only_format_version_dates_and_synthetic_leave_the_manifest() -> None:
    export = deidentify(planted_bundle(), key=KEY, dates="shifted")
    assert dict(export.manifest) == {
        "format": "dresskit-deidentified",
        "version": "1.0",
        "dates": "shifted",
        "synthetic": "yes",
    }


@pytest.mark.parametrize("dates", ["relative", "shifted"])
def test_every_exported_column_is_on_the_allow_list(dates: str) -> None:
    export = deidentify(planted_bundle(), key=KEY, dates=dates)  # type: ignore[arg-type]
    for name, frame in export.tables().items():
        declared = list(EXPORTED_COLUMNS[name])
        renamed = [
            (c.removesuffix("_date") + "_day" if c != "date" else "day")
            if dates == "relative" and c.endswith("date")
            else c
            for c in declared
        ]
        assert frame.columns == renamed, name


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("treatments", "dose_unit", "MRN00123456"),
        ("drug_exposures", "atc_code", "jane.doe@example.org"),
        ("observations", "text", "Jane Doe"),
        ("findings", "value", "555-123-4567"),
        ("drug_assessments", "answer", "1984-07-12"),
        ("patients", "patient_id", "jane.doe@example.org"),
        ("episodes", "episode_id", "Jane Doe"),
        ("drug_exposures", "drug", "+1 555 123 4567"),
    ],
)
def test_closed_columns_refuse_planted_identifiers(table: str, column: str, value: str) -> None:
    rows = [dict(row) for row in ROWS[table]]
    rows[-1][column] = value
    with pytest.raises(InputErrors) as caught:
        validate_tables(tables(**{table: rows}), source="planted")
    assert any(error.field == column and error.value == value for error in caught.value.errors)


_IDENTIFIER = st.one_of(
    st.from_regex(r"[A-Z][a-z]{2,8} [A-Z][a-z]{2,10}", fullmatch=True),
    st.from_regex(r"MRN[0-9]{6,9}", fullmatch=True),
    st.from_regex(r"[0-9]{3}-[0-9]{3}-[0-9]{4}", fullmatch=True),
    st.from_regex(r"[a-z]{3,8}\.[a-z]{3,8}@[a-z]{4,8}\.org", fullmatch=True),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identifier=_IDENTIFIER, column=st.sampled_from(["drug", "detail", "agent", "title"]))
def test_any_identifier_in_any_free_text_column_is_not_exported(
    identifier: str, column: str
) -> None:
    changes: dict[str, list[dict[str, str | None]]] = {}
    if column == "drug":
        changes["drug_exposures"] = [
            *ROWS["drug_exposures"],
            {**ROWS["drug_exposures"][0], "drug": identifier},
        ]
    elif column == "detail":
        changes["findings"] = [
            *ROWS["findings"],
            {
                **ROWS["findings"][0],
                "code": "lymph_nodes",
                "value": "enlarged",
                "detail": identifier,
            },
        ]
    elif column == "agent":
        changes["treatments"] = [
            *ROWS["treatments"],
            {**ROWS["treatments"][3], "kind": "other", "agent": identifier, "dose_unit": "mg/d"},
        ]
    else:
        changes["manifest"] = [*ROWS["manifest"], {"key": "title", "value": identifier}]
    bundle = validate_tables(tables(**changes), source="generated")
    for dates in ("relative", "shifted"):
        export = deidentify(bundle, key=KEY, dates=dates)  # type: ignore[arg-type]
        cells = " ".join(
            " ".join(str(value) for value in row)
            for frame in export.tables().values()
            for row in frame.iter_rows()
        )
        assert identifier.casefold() not in (cells + export.method).casefold()


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def registry(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    examples = Path(__file__).parents[2] / "examples" / "shen2024"
    assert runner.invoke(app, ["db", "init", "--db", url]).exit_code == 0
    assert runner.invoke(app, ["import", str(examples), "--db", url]).exit_code == 0
    return url


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "--deidentify"),
        (["--deidentify", "--identified"], "exclude each other"),
        (["--identified", "--dates", "shifted"], "--dates applies only with --deidentify"),
        (["--identified", "--key-file", "k.key"], "--key-file applies only with --deidentify"),
        (["--dates", "relative"], "--deidentify"),
    ],
)
def test_export_kind_must_be_said_and_options_are_never_ignored(
    registry: str, tmp_path: Path, options: list[str], message: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", str(out), "--db", registry, *options])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_deidentified_export_to_a_zip_writes_a_zip(
    registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRESSKIT_DEIDENTIFY_KEY", "k" * 32)
    out = tmp_path / "research.zip"
    result = runner.invoke(app, ["export", str(out), "--db", registry, "--deidentify"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
    assert names == sorted([*(f"{name}.csv" for name in EXPORTED_COLUMNS), "README.md"])


def test_deidentified_export_refuses_an_xlsx_target(
    registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRESSKIT_DEIDENTIFY_KEY", "k" * 32)
    out = tmp_path / "research.xlsx"
    result = runner.invoke(app, ["export", str(out), "--db", registry, "--deidentify"])
    assert result.exit_code == 2  # a usage error (issue 11: exit 2 for every usage error)
    assert "a folder or a .zip" in result.output
    assert not out.exists()


def test_identified_export_is_recorded_as_identified(registry: str, tmp_path: Path) -> None:
    out = tmp_path / "full"
    assert runner.invoke(app, ["export", str(out), "--db", registry, "--identified"]).exit_code == 0
    engine = engine_for(registry)
    (last,) = audit.records(engine, limit=1)
    engine.dispose()
    assert (last.action, json.loads(last.after or "{}")["identified"]) == ("export", True)
