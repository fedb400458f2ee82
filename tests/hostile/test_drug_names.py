"""Class 8: one canonical form for every drug name, resolved through the shipped vocabulary.

Bundles are written to real CSV files and read back (tests.hostile.fixture_files).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dresskit.bundle import Bundle
from dresskit.course.culprit import rank_culprits
from dresskit.errors import InputErrors
from tests.bundle.fixture import ROWS
from tests.hostile.fixture_files import Rows, changed, read, rows, write_folder


def load(tmp_path: Path, **changes: Rows) -> Bundle:
    return read(write_folder(tmp_path / "bundle", **changes))


def test_capitals_and_spaces_make_no_other_drug(tmp_path: Path) -> None:
    exposures = rows("drug_exposures")
    exposures[0]["drug"] = "Allopurinol"
    exposures[1]["drug"] = "  allopurinol "
    bundle = load(tmp_path, drug_exposures=exposures, drug_assessments=[])
    assert bundle.drug_exposures.get_column("drug").to_list() == ["allopurinol", "allopurinol"]
    assert [course.drugs[0].drug for course in bundle.courses()] == ["allopurinol"] * 2


def test_two_spellings_of_one_drug_in_an_episode_are_a_duplicate(tmp_path: Path) -> None:
    exposures = rows("drug_exposures")
    exposures.append({**exposures[0], "drug": "Tegretol"})
    with pytest.raises(InputErrors) as caught:
        load(tmp_path, drug_exposures=exposures)
    assert [(e.field, e.value, e.row) for e in caught.value.errors] == [
        ("drug", "carbamazepine", 1),
        ("drug", "carbamazepine", 3),
    ]
    assert "brand names count as the same drug" in caught.value.errors[0].expected


def test_blank_drug_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputErrors) as caught:
        load(tmp_path, **changed("drug_exposures", 1, drug="   "))
    (error,) = caught.value.errors
    assert (error.field, error.value, error.row) == ("drug", "   ", 2)
    assert "a drug name" in error.expected


def test_empty_drug_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputErrors) as caught:
        load(tmp_path, **changed("drug_exposures", 1, drug=None))
    (error,) = caught.value.errors
    assert (error.field, error.row) == ("drug", 2)


def test_brand_name_is_read_as_its_generic_name_and_said_so(tmp_path: Path) -> None:
    bundle = load(tmp_path, **changed("drug_exposures", 1, drug="Vancocin"))
    assert bundle.drug_exposures.get_column("drug").to_list()[1] == "vancomycin"
    (warning,) = bundle.warnings
    assert (warning.field, warning.value, warning.row) == ("drug", "Vancocin", 2)
    assert "read as 'vancomycin'" in warning.concern


def test_drug_outside_the_vocabulary_is_kept_lower_case_and_listed(tmp_path: Path) -> None:
    bundle = load(tmp_path, **changed("drug_exposures", 1, drug="Herbal  Tea X"))
    assert bundle.drug_exposures.get_column("drug").to_list()[1] == "herbal tea x"
    (warning,) = bundle.warnings
    assert "not in dresskit's drug vocabulary" in warning.concern


def test_assessment_finds_its_drug_whatever_the_capitals(tmp_path: Path) -> None:
    assessments = [{**row, "drug": "CARBAMAZEPINE"} for row in ROWS["drug_assessments"]]
    bundle = load(tmp_path, drug_assessments=assessments)
    assert bundle.course("E1").drugs[0].naranjo is not None


def test_steroid_brand_name_and_ivig_in_capitals_are_accepted(tmp_path: Path) -> None:
    treatments = rows("treatments")
    treatments[3]["agent"] = "Solu-Medrol"
    treatments[1]["agent"] = "IVIG"
    bundle = load(tmp_path, treatments=treatments)
    agents = bundle.treatments.get_column("agent").to_list()
    assert (agents[1], agents[3]) == ("ivig", "methylprednisolone")


def test_atc_code_of_another_drug_is_listed(tmp_path: Path) -> None:
    bundle = load(tmp_path, **changed("drug_exposures", 1, atc_code="M04AA01"))
    (warning,) = bundle.warnings
    assert (warning.field, warning.value) == ("atc_code", "M04AA01")
    assert "allopurinol" in warning.concern


def test_culprit_ranking_knows_a_drug_written_by_its_brand_name(tmp_path: Path) -> None:
    exposures = rows("drug_exposures")
    exposures[0]["drug"] = "Tegretol"
    assessments = [{**row, "drug": "Tegretol"} for row in ROWS["drug_assessments"]]
    course = load(tmp_path, drug_exposures=exposures, drug_assessments=assessments).course("E1")
    (ranked,) = rank_culprits(course)
    assert ranked.drug == "carbamazepine"
    assert ranked.notoriety is not None


def test_canonical_names_are_what_every_table_holds(tmp_path: Path) -> None:
    bundle = load(tmp_path, **changed("treatments", 2, agent="Dupixent"))
    assert bundle.treatments.filter(pl.col("kind") == "biologic").get_column("agent").item() == (
        "dupilumab"
    )
