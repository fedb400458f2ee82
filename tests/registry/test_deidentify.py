"""De-identified export: no ids, dates or free text left; pseudonyms, days, shifts, ages.

The age rule (over 89 -> "90+") and the date rule follow 45 CFR §164.514(b)(2)(i)(C).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.bundle import Bundle, read_bundle, validate_tables
from dresskit.bundle.schema import OTHER_CAUSE_TESTS
from dresskit.errors import ConfigurationError
from dresskit.registry.deidentify import (
    DeidentifiedTables,
    deidentify,
    pseudonym,
    shift_days,
    write_deidentified,
)
from tests.bundle.fixture import ROWS, tables

EXAMPLES = Path(__file__).parents[2] / "examples"
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
DATE_COLUMNS = {
    "episodes": ("onset_date", "admission_date", "last_follow_up_date"),
    "drug_exposures": ("start_date", "stop_date"),
    "observations": ("date",),
    "findings": ("date",),
    "treatments": ("start_date", "end_date"),
}


def fixture_bundle(**changes: list[dict[str, str | None]]) -> Bundle:
    return validate_tables(tables(**changes), source="fixture")


def with_free_text() -> Bundle:
    """The fixture with identifying-looking free text in every free-text column."""
    findings = [
        *ROWS["findings"],
        {
            "episode_id": "E1",
            "date": "2020-03-06",
            "code": "lymph_nodes",
            "value": "enlarged",
            "detail": "left axilla, seen by Dr Smith",
        },
        {
            "episode_id": "E1",
            "date": "2020-03-06",
            "code": "organ_involvement",
            "value": "kidney",
            "detail": "biopsy 2020-03-07 at St Elsewhere",
        },
    ]
    treatments = [
        *ROWS["treatments"],
        {
            "episode_id": "E2",
            "kind": "other",
            "agent": "ciclosporin batch 4711 (J. Doe)",
            "route": "oral",
            "start_date": "2021-05-12",
            "end_date": None,
            "dose": "150",
            "dose_unit": "mg/d",
            "interval_days": None,
            "loading_dose": None,
        },
    ]
    manifest = [
        *ROWS["manifest"],
        {"key": "title", "value": "Ward 7 cohort of Dr Smith"},
        {"key": "source", "value": "St Elsewhere Hospital EHR extract"},
    ]
    return fixture_bundle(findings=findings, treatments=treatments, manifest=manifest)


def cells(export: DeidentifiedTables) -> list[str]:
    """Every cell of every table, as text."""
    out: list[str] = []
    for frame in export.tables().values():
        text = frame.with_columns(
            [pl.col(c).dt.strftime("%H:%M") for c, t in frame.schema.items() if t == pl.Time]
        ).select(pl.all().cast(pl.Utf8))
        for column in text.columns:
            out.extend(v for v in text.get_column(column).to_list() if v is not None)
        out.extend(frame.columns)
    return out


def source_dates(bundle: Bundle) -> set[str]:
    found: set[str] = set()
    for table, columns in DATE_COLUMNS.items():
        frame = getattr(bundle, table)
        for column in columns:
            found.update(d.isoformat() for d in frame.get_column(column).drop_nulls().to_list())
    return found


BUNDLES = {
    "fixture": with_free_text,
    "shen2024": lambda: read_bundle(EXAMPLES / "shen2024"),
    "sim2022": lambda: read_bundle(EXAMPLES / "sim2022"),
}


@pytest.mark.parametrize("name", list(BUNDLES))
def test_no_source_id_date_name_or_free_text_appears_in_any_cell(name: str, tmp_path: Path) -> None:
    bundle = BUNDLES[name]()
    export = deidentify(bundle, key=KEY)
    everything = cells(export)
    ids = set(bundle.patients.get_column("patient_id")) | set(
        bundle.episodes.get_column("episode_id")
    )
    free_text = {bundle.manifest[k] for k in ("title", "source") if k in bundle.manifest}
    free_text |= {
        d
        for d in bundle.findings.get_column("detail").drop_nulls().to_list()
        if d not in OTHER_CAUSE_TESTS
    }
    assert not ids & set(everything)
    for cell in everything:
        assert not re.search(r"\d{4}-\d{2}-\d{2}", cell), cell
        for text in free_text:
            assert text not in cell
    # The written files (CSV and README) hold none of them either.
    folder = write_deidentified(export, tmp_path / "export")
    written = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))
    for value in ids:
        assert not re.search(rf"\b{re.escape(value)}\b", written), value
    for value in source_dates(bundle) | free_text:
        assert value not in written, value


def test_free_text_columns_keep_only_coded_values() -> None:
    export = deidentify(with_free_text(), key=KEY)
    details = export.findings.select("code", "detail").rows()
    assert ("other_cause_test", "hbv") in details
    assert all(detail is None for code, detail in details if code != "other_cause_test")
    other = export.treatments.filter(pl.col("kind") == "other").row(0, named=True)
    assert (other["agent"], other["dose_unit"], other["dose"]) == ("unlisted-drug", "mg/d", 150.0)
    assert "treatment agents outside the vocabulary (written as unlisted-drug): 1" in (
        export.method
    )
    assert set(export.treatments.get_column("agent").drop_nulls()) == {
        "prednisolone",
        "ivig",
        "dupilumab",
        "methylprednisolone",
        "unlisted-drug",
    }


def test_coded_observation_text_is_kept() -> None:
    export = deidentify(fixture_bundle(), key=KEY)
    assert export.observations.get_column("text").drop_nulls().to_list() == ["positive"]


def test_manifest_title_and_source_are_replaced() -> None:
    export = deidentify(with_free_text(), key=KEY)
    assert dict(export.manifest) == {
        "format": "dresskit-deidentified",
        "version": "1.0",
        "dates": "relative",
        "synthetic": "yes",
    }


# --- pseudonyms ------------------------------------------------------------------------------


def test_pseudonyms_are_stable_for_the_same_key() -> None:
    bundle = read_bundle(EXAMPLES / "sim2022")
    first, second = deidentify(bundle, key=KEY), deidentify(bundle, key=KEY)
    for name, frame in first.tables().items():
        assert frame.equals(second.tables()[name]), name


def test_pseudonyms_differ_for_another_key() -> None:
    bundle = read_bundle(EXAMPLES / "sim2022")
    mine = set(deidentify(bundle, key=KEY).patients.get_column("patient_id"))
    theirs = set(deidentify(bundle, key=OTHER_KEY).patients.get_column("patient_id"))
    assert len(mine) == len(theirs) == 18
    assert not mine & theirs


def test_pseudonyms_are_16_hex_characters_of_the_keyed_hash_and_keep_links() -> None:
    bundle = fixture_bundle()
    export = deidentify(bundle, key=KEY)
    patients = export.patients.get_column("patient_id").to_list()
    assert sorted(patients) == sorted(pseudonym(KEY, "patient", p) for p in ("P1", "P2"))
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in patients)
    episodes = dict(export.episodes.select("episode_id", "patient_id").rows())
    assert episodes == {
        pseudonym(KEY, "episode", "E1"): pseudonym(KEY, "patient", "P1"),
        pseudonym(KEY, "episode", "E2"): pseudonym(KEY, "patient", "P2"),
    }
    for table in ("drug_exposures", "drug_assessments", "observations", "findings", "treatments"):
        assert set(getattr(export, table).get_column("episode_id")) <= set(episodes), table


def test_patient_and_episode_with_the_same_id_get_different_pseudonyms() -> None:
    assert pseudonym(KEY, "patient", "X1") != pseudonym(KEY, "episode", "X1")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 16 secret bytes"):
        deidentify(fixture_bundle(), key=b"secret")


# --- dates -----------------------------------------------------------------------------------


def test_relative_days_count_from_the_episode_onset() -> None:
    observations = [dict(row) for row in ROWS["observations"]]
    observations[4]["date"] = "2020-03-04"  # the ALT, 3 days after the onset on 2020-03-01
    export = deidentify(fixture_bundle(observations=observations), key=KEY)
    e1 = pseudonym(KEY, "episode", "E1")
    days = dict(export.observations.filter(pl.col("episode_id") == e1).select("code", "day").rows())
    assert days["alt"] == 3
    assert days["weight"] == 0  # on the onset day
    episode = export.episodes.filter(pl.col("episode_id") == e1).row(0, named=True)
    assert (episode["onset_day"], episode["admission_day"], episode["last_follow_up_day"]) == (
        0,
        1,
        60,
    )
    exposure = export.drug_exposures.filter(pl.col("episode_id") == e1).row(0, named=True)
    assert (exposure["start_day"], exposure["stop_day"]) == (-29, 0)
    assert "onset_date" not in export.episodes.columns


def test_relative_day_columns_are_renamed() -> None:
    export = deidentify(fixture_bundle(), key=KEY)
    assert export.drug_exposures.columns[-2:] == ["start_day", "stop_day"]
    assert "day" in export.observations.columns
    assert "day" in export.findings.columns
    assert export.treatments.select("start_day", "end_day").dtypes == [pl.Int64, pl.Int64]


def test_shifted_dates_keep_every_interval_within_a_patient() -> None:
    bundle = read_bundle(EXAMPLES / "sim2022")
    shifted = deidentify(bundle, key=KEY, dates="shifted")
    relative = deidentify(bundle, key=KEY, dates="relative")
    onsets = dict(shifted.episodes.select("episode_id", "onset_date").rows())
    for table, columns in DATE_COLUMNS.items():
        moved = getattr(shifted, table)
        days = getattr(relative, table)
        for column in columns:
            day = "day" if column == "date" else column.removesuffix("_date") + "_day"
            from_onset = moved.select(
                (pl.col(column) - pl.col("episode_id").replace_strict(onsets, return_dtype=pl.Date))
                .dt.total_days()
                .alias("d")
            ).get_column("d")
            assert from_onset.to_list() == days.get_column(day).to_list(), (table, column)


def test_shifted_dates_move_by_one_nonzero_offset_per_patient() -> None:
    bundle = read_bundle(EXAMPLES / "sim2022")
    shifted = deidentify(bundle, key=KEY, dates="shifted")
    original = dict(bundle.episodes.select("episode_id", "onset_date").rows())
    offsets = {}
    for episode_id, patient_id in bundle.episodes.select("episode_id", "patient_id").rows():
        moved = shifted.episodes.filter(
            pl.col("episode_id") == pseudonym(KEY, "episode", episode_id)
        ).item(0, "onset_date")
        offsets[patient_id] = (moved - original[episode_id]).days
        assert offsets[patient_id] == shift_days(KEY, patient_id)
    assert all(offset != 0 and -180 <= offset <= 180 for offset in offsets.values())
    assert len(set(offsets.values())) > 1  # per patient, not one global shift


def test_two_episodes_of_a_patient_share_the_shift() -> None:
    episodes = [dict(row) for row in ROWS["episodes"]]
    episodes[1]["patient_id"] = "P1"
    bundle = fixture_bundle(episodes=episodes)
    shifted = deidentify(bundle, key=KEY, dates="shifted")
    onsets = sorted(shifted.episodes.get_column("onset_date").to_list())
    assert (onsets[1] - onsets[0]).days == (date(2021, 5, 10) - date(2020, 3, 1)).days


@given(st.text(min_size=1, max_size=30), st.binary(min_size=16, max_size=64))
def test_shift_is_never_zero_and_at_most_180_days(patient_id: str, key: bytes) -> None:
    offset = shift_days(key, patient_id)
    assert offset != 0
    assert -180 <= offset <= 180


def test_shifted_method_says_shifted_dates_are_not_safe_harbor() -> None:
    export = deidentify(fixture_bundle(), key=KEY, dates="shifted")
    assert "never 0" in export.method
    assert "expert determination" in export.method
    assert export.manifest["dates"] == "shifted"


def test_unknown_date_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'relative' or 'shifted'"):
        deidentify(fixture_bundle(), key=KEY, dates="kept")  # type: ignore[arg-type]


# --- ages ------------------------------------------------------------------------------------


def test_ages_over_89_are_grouped_and_birth_years_are_not_exported() -> None:
    patients = [
        {"patient_id": "P1", "sex": "female", "birth_year": None, "age_years": "91"},
        {"patient_id": "P2", "sex": "male", "birth_year": None, "age_years": "89"},
    ]
    export = deidentify(fixture_bundle(patients=patients), key=KEY)
    ages = dict(export.patients.select("patient_id", "age_years").rows())
    assert ages == {pseudonym(KEY, "patient", "P1"): "90+", pseudonym(KEY, "patient", "P2"): "89"}
    assert "birth_year" not in export.patients.columns


def test_age_from_birth_year_uses_the_first_onset_year() -> None:
    patients = [
        {"patient_id": "P1", "sex": "female", "birth_year": "1925", "age_years": None},
        {"patient_id": "P2", "sex": "male", "birth_year": "1970", "age_years": None},
    ]
    export = deidentify(fixture_bundle(patients=patients), key=KEY)
    rows = {
        r[0]: r[1:] for r in export.patients.select("patient_id", "age_years", "age_basis").rows()
    }
    assert rows[pseudonym(KEY, "patient", "P1")] == ("90+", "birth_year")  # 2020 - 1925 = 95
    assert rows[pseudonym(KEY, "patient", "P2")] == ("51", "birth_year")  # 2021 - 1970
    cells_text = cells(export)
    assert "1925" not in cells_text
    assert "1970" not in cells_text


def test_unknown_age_stays_unknown() -> None:
    patients = [
        {"patient_id": "P1", "sex": "female", "birth_year": None, "age_years": None},
        {"patient_id": "P2", "sex": "male", "birth_year": None, "age_years": "40"},
    ]
    export = deidentify(fixture_bundle(patients=patients), key=KEY)
    row = export.patients.filter(pl.col("patient_id") == pseudonym(KEY, "patient", "P1")).row(0)
    assert row[2:] == (None, None)


# --- input untouched, files ------------------------------------------------------------------


@pytest.mark.parametrize("dates", ["relative", "shifted"])
def test_the_input_bundle_is_not_modified(dates: str) -> None:
    bundle = with_free_text()
    before = {
        name: getattr(bundle, name).clone()
        for name in (
            "patients",
            "episodes",
            "drug_exposures",
            "drug_assessments",
            "observations",
            "findings",
            "treatments",
        )
    }
    manifest = dict(bundle.manifest)
    deidentify(bundle, key=KEY, dates=dates)  # type: ignore[arg-type]
    for name, frame in before.items():
        assert getattr(bundle, name).equals(frame), name
        assert getattr(bundle, name).schema == frame.schema, name
    assert dict(bundle.manifest) == manifest


def test_written_export_reads_back_with_a_readme(tmp_path: Path) -> None:
    export = deidentify(read_bundle(EXAMPLES / "shen2024"), key=KEY)
    folder = write_deidentified(export, tmp_path / "out")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*(f"{n}.csv" for n in export.tables()), "README.md"])
    observations = pl.read_csv(folder / "observations.csv", infer_schema=False)
    assert observations.height == export.observations.height
    times = observations.get_column("time").drop_nulls().to_list()
    assert times
    assert all(re.fullmatch(r"\d{2}:\d{2}", t) for t in times)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme == export.method
    assert "§164.514(b)(2)" in readme
