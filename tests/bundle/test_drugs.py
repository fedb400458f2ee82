"""The shipped drug vocabulary: canonical names, synonyms, ATC codes, and the file's own rules."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dresskit.bundle.drugs import (
    ATC_PATTERN,
    UNLISTED_DRUG,
    VOCABULARY_DATE,
    VOCABULARY_VERSION,
    DrugEntry,
    entry_for_atc,
    known_atc_codes,
    normalise_drug_text,
    parse_vocabulary,
    resolve_drug_name,
    vocabulary,
)
from dresskit.course.culprit import NOTORIETY
from dresskit.course.steroids import EQUIVALENT_DOSE_MG
from dresskit.errors import ConfigurationError, InputError

ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = ROOT / "src" / "dresskit" / "bundle" / "data" / "drug_vocabulary.csv"
HEADER = f"# version: {VOCABULARY_VERSION}\n# date: {VOCABULARY_DATE}\n"
COLUMNS = "name,atc_codes,synonyms,brand_names\n"


def example_rows(table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((ROOT / "examples").glob(f"*/{table}.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    assert rows, f"no example {table}.csv found"
    return rows


# --- resolution -------------------------------------------------------------------------------


def test_canonical_name_written_exactly_resolves_as_canonical() -> None:
    resolved = resolve_drug_name("allopurinol")
    assert (resolved.name, resolved.how, resolved.written) == (
        "allopurinol",
        "canonical",
        "allopurinol",
    )
    assert resolved.entry is vocabulary()["allopurinol"]


@pytest.mark.parametrize(
    "written",
    ["Allopurinol", "allopurinol ", " ALLOPURINOL", "\tAlloPurinol\n", "allopurinol\u00a0"],
)
def test_case_and_surrounding_spaces_resolve_to_one_drug_as_normalised(written: str) -> None:
    resolved = resolve_drug_name(written)
    assert (resolved.name, resolved.how, resolved.written) == ("allopurinol", "normalised", written)
    assert resolved.entry is vocabulary()["allopurinol"]


def test_internal_spaces_are_collapsed_before_lookup() -> None:
    resolved = resolve_drug_name("Amphotericin    B")
    assert (resolved.name, resolved.how) == ("amphotericin b", "normalised")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Zyloprim", "allopurinol"),
        ("acetaminophen", "paracetamol"),
        ("Rifampin", "rifampicin"),
        ("cyclosporine", "ciclosporin"),
        ("Co-trimoxazole", "trimethoprim-sulfamethoxazole"),
        ("Bactrim", "trimethoprim-sulfamethoxazole"),
        ("Tegretol", "carbamazepine"),
        ("Dilantin", "phenytoin"),
        ("phenytoin sodium", "phenytoin"),
        ("Lamictal", "lamotrigine"),
        ("Dupixent", "dupilumab"),
        ("sulphasalazine", "sulfasalazine"),
        ("phenobarbitone", "phenobarbital"),
        ("intravenous immunoglobulin", "ivig"),
        ("mycophenolate mofetil", "mycophenolic acid"),
        ("Solu-Medrol", "methylprednisolone"),
        ("imatinib mesylate", "imatinib"),
    ],
)
def test_spelling_salt_and_brand_names_resolve_as_synonym(written: str, canonical: str) -> None:
    resolved = resolve_drug_name(written)
    assert (resolved.name, resolved.how, resolved.written) == (canonical, "synonym", written)
    assert resolved.entry is vocabulary()[canonical]


def test_unknown_name_is_unlisted_with_its_normalised_text() -> None:
    resolved = resolve_drug_name("  Jane   DOE ")
    assert (resolved.name, resolved.how, resolved.entry) == ("jane doe", "unlisted", None)
    assert resolved.written == "  Jane   DOE "


def test_unlisted_code_is_not_a_drug_of_the_vocabulary() -> None:
    assert UNLISTED_DRUG == "unlisted-drug"
    assert resolve_drug_name(UNLISTED_DRUG).how == "unlisted"


@pytest.mark.parametrize("written", ["", " ", "   ", "\t\n", "\u00a0", "\u2003 \r\n"])
def test_blank_drug_name_is_refused_naming_the_field(written: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_drug_name(written)
    assert caught.value.field == "drug"
    assert caught.value.value == written
    assert "drug name" in caught.value.expected
    assert "'drug'" in str(caught.value)


def test_drug_name_that_is_not_text_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        resolve_drug_name(None)  # type: ignore[arg-type]
    assert caught.value.field == "drug"


def test_normalising_folds_case_collapses_whitespace_and_composes() -> None:
    assert normalise_drug_text("  Phenytoin \t\n SODIUM ") == "phenytoin sodium"
    assert normalise_drug_text("Cafe\u0301") == "caf\u00e9"  # NFC
    assert normalise_drug_text(" \t ") == ""


# --- coverage of the drugs dresskit names -----------------------------------------------------


def test_every_notoriety_drug_is_a_canonical_name() -> None:
    missing = [drug for drug in NOTORIETY if drug not in vocabulary()]
    assert missing == []


def test_every_example_drug_is_in_the_vocabulary_with_its_atc_code() -> None:
    for row in example_rows("drug_exposures"):
        resolved = resolve_drug_name(row["drug"])
        assert resolved.how == "canonical", row
        assert resolved.entry is not None
        if row["atc_code"]:
            assert row["atc_code"] in resolved.entry.atc_codes, row


def test_every_example_treatment_agent_is_in_the_vocabulary() -> None:
    for row in example_rows("treatments"):
        assert resolve_drug_name(row["agent"]).how == "canonical", row


def test_every_drug_of_the_published_cases_is_in_the_vocabulary() -> None:
    # The drugs named in src/dresskit/datasets/data/cases/*.json (citations and notes) and in
    # the two seed papers of examples/README.md.
    drugs = {
        "allopurinol",
        "phenytoin",
        "carbamazepine",
        "naproxen",
        "vancomycin",
        "ivermectin",
        "echinacea",
        "buspirone",
        "oxcarbazepine",
        "dupilumab",
        "adalimumab",
        "ivig",
        "dapsone",
    }
    assert drugs - set(vocabulary()) == set()


def test_every_systemic_corticosteroid_agent_is_in_the_vocabulary_with_its_h02ab_code() -> None:
    for agent in EQUIVALENT_DOSE_MG:
        entry = vocabulary()[agent]
        assert entry.atc_codes[0].startswith("H02AB"), entry


@pytest.mark.parametrize(
    "drug",
    [
        "ivig",
        "ciclosporin",
        "mycophenolic acid",
        "cyclophosphamide",
        "azathioprine",
        "methotrexate",
        "mepolizumab",
        "reslizumab",
        "benralizumab",
        "dupilumab",
        "omalizumab",
        "tofacitinib",
        "baricitinib",
        "upadacitinib",
        "tocilizumab",
        "infliximab",
        "etanercept",
        "adalimumab",
        "rituximab",
        "ganciclovir",
        "valganciclovir",
        "foscarnet",
        "cidofovir",
        "vemurafenib",
        "imatinib",
        "febuxostat",
    ],
)
def test_treatments_of_severe_drug_eruptions_are_in_the_vocabulary_with_atc(drug: str) -> None:
    assert vocabulary()[drug].atc_codes


# --- the shipped file -------------------------------------------------------------------------


def test_shipped_vocabulary_loads_with_a_few_hundred_drugs() -> None:
    assert len(vocabulary()) >= 300
    assert vocabulary() is vocabulary()  # loaded once


def test_shipped_canonical_names_are_normalised_and_unique() -> None:
    names = list(vocabulary())
    assert len(names) == len(set(names))
    for name, entry in vocabulary().items():
        assert entry.name == name == normalise_drug_text(name)
        assert re.fullmatch(r"[a-z]+(?:[ -][a-z]+)*", name), name


def test_shipped_synonyms_each_name_one_drug_and_never_a_canonical_name() -> None:
    owner: dict[str, str] = {}
    for entry in vocabulary().values():
        for synonym in entry.synonyms:
            assert synonym == normalise_drug_text(synonym) != ""
            assert synonym not in vocabulary(), synonym
            assert owner.setdefault(synonym, entry.name) == entry.name, synonym


def test_shipped_atc_codes_match_the_who_pattern_and_index_back_to_their_drug() -> None:
    codes: set[str] = set()
    for entry in vocabulary().values():
        assert len(set(entry.atc_codes)) == len(entry.atc_codes)
        for code in entry.atc_codes:
            assert re.fullmatch(ATC_PATTERN, code), (entry.name, code)
            assert entry in entry_for_atc(code)
        codes.update(entry.atc_codes)
    assert known_atc_codes() == codes
    assert entry_for_atc("M04AA01") == (vocabulary()["allopurinol"],)
    assert entry_for_atc("Z99ZZ99") == ()


def test_only_products_without_a_who_atc_code_have_none() -> None:
    assert [name for name, entry in vocabulary().items() if not entry.atc_codes] == ["echinacea"]


def test_shipped_file_states_version_date_and_sources() -> None:
    head = DATA_FILE.read_text(encoding="utf-8").split("\nname,", 1)[0]
    assert f"# version: {VOCABULARY_VERSION}" in head
    assert f"# date: {VOCABULARY_DATE}" in head
    assert "WHO Collaborating Centre for Drug Statistics Methodology" in head
    assert "International Nonproprietary Names" in head
    assert "not a complete formulary" in head.lower()


def test_documented_counts_match_the_shipped_vocabulary() -> None:
    docs = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    section = docs.split("## Drug vocabulary", 1)[1].split("\n## ", 1)[0]
    synonyms = sum(len(entry.synonyms) for entry in vocabulary().values())
    stated = f"{len(vocabulary()):,} drugs, {synonyms:,} synonyms and brand names, and "
    flowing = " ".join(section.split())
    assert stated + f"{len(known_atc_codes()):,} ATC codes" in flowing
    assert f"version {VOCABULARY_VERSION}, {VOCABULARY_DATE}" in flowing


def test_parsed_file_equals_the_loaded_vocabulary() -> None:
    parsed = parse_vocabulary(DATA_FILE.read_text(encoding="utf-8"))
    assert dict(parsed) == dict(vocabulary())


def test_valid_minimal_file_parses_with_brand_names_normalised() -> None:
    parsed = parse_vocabulary(
        HEADER + COLUMNS + "# a comment\nallopurinol,M04AA01,,Zyloprim\nechinacea,,,\n"
    )
    assert parsed == {
        "allopurinol": DrugEntry("allopurinol", ("M04AA01",), ("zyloprim",)),
        "echinacea": DrugEntry("echinacea", (), ()),
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Allopurinol,M04AA01,,\n", "not lower-case letters"),
        (" allopurinol,M04AA01,,\n", "not lower-case letters"),
        ("allopurinol 2,M04AA01,,\n", "not lower-case letters"),
        ("=cmd,M04AA01,,\n", "not lower-case letters"),
        ("allopurinol,M04AA01,,\nallopurinol,M04AA01,,\n", "already listed"),
        ("allopurinol,M04AA1,,\n", "does not match"),
        ("allopurinol,m04aa01,,\n", "does not match"),
        ("allopurinol,M04AA01;;M04AA02,,\n", "does not match"),
        ("allopurinol,M04AA01;M04AA01,,\n", "listed twice"),
        ("allopurinol,M04AA01,,Zyloprim;zyloprim\n", "listed twice"),
        ("allopurinol,M04AA01,Allopurinol,\n", "listed twice"),
        ("allopurinol,M04AA01,;,\n", "empty synonym"),
        ("allopurinol,M04AA01,,Zyl\x07prim\n", "control character"),
        ("allopurinol,M04AA01,,Zyloprim\nfebuxostat,M04AA03,,ZYLOPRIM\n", "already names"),
        ("allopurinol,M04AA01,febuxostat,\nfebuxostat,M04AA03,,\n", "already listed"),
        ("allopurinol,M04AA01,,\nfebuxostat,M04AA03,Allopurinol,\n", "already names"),
        ("allopurinol,M04AA01,\n", "expected 4 fields"),
        ("allopurinol,M04AA01,,\n\nfebuxostat,M04AA03,,\n", "blank line"),
        ('allopurinol,M04AA01,"zyl\n', "not a CSV row"),
        ("", "holds no drug"),
    ],
)
def test_broken_vocabulary_file_fails_loudly(rows: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_vocabulary(HEADER + COLUMNS + rows, source="broken.csv")


@pytest.mark.parametrize(
    "text",
    [
        COLUMNS + "allopurinol,M04AA01,,\n",  # no version or date
        f"# version: 1999.1\n# date: {VOCABULARY_DATE}\n" + COLUMNS + "allopurinol,M04AA01,,\n",
        HEADER + "drug,atc\nallopurinol,M04AA01\n",
        HEADER,
    ],
)
def test_vocabulary_file_without_its_header_or_version_fails_loudly(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_vocabulary(text, source="broken.csv")


# --- properties -------------------------------------------------------------------------------

KNOWN_TEXTS = sorted(
    {entry.name for entry in vocabulary().values()}
    | {synonym for entry in vocabulary().values() for synonym in entry.synonyms}
)
WHITESPACE = st.text(alphabet=" \t\n\r\u00a0\u2003", min_size=1, max_size=3)


@st.composite
def respelled(draw: st.DrawFn, base: st.SearchStrategy[str]) -> tuple[str, str]:
    """A name, and the same name with its case changed and its whitespace redrawn."""
    text = draw(base)
    cased = "".join(
        character.upper() if draw(st.booleans()) else character.lower() for character in text
    )
    first, *rest = cased.split()
    variant = first
    for word in rest:
        variant += draw(WHITESPACE) + word
    return text, draw(st.just("") | WHITESPACE) + variant + draw(st.just("") | WHITESPACE)


ASCII_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -/", min_size=1, max_size=30).filter(
    lambda text: text.strip() != ""
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(respelled(st.sampled_from(KNOWN_TEXTS) | ASCII_NAMES))
def test_resolution_ignores_case_and_whitespace(pair: tuple[str, str]) -> None:
    text, variant = pair
    first, second = resolve_drug_name(text), resolve_drug_name(variant)
    assert (second.name, second.entry) == (first.name, first.entry)
    assert (first.how == "unlisted") == (second.how == "unlisted")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(KNOWN_TEXTS) | st.text(min_size=1))
def test_resolution_is_idempotent_on_its_output_name(text: str) -> None:
    if not normalise_drug_text(text):
        return  # blank: refused (tested above)
    first = resolve_drug_name(text)
    again = resolve_drug_name(first.name)
    assert (again.name, again.entry) == (first.name, first.entry)
    assert again.how in ("canonical", "unlisted")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text())
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_drug_text(text)
    assert normalise_drug_text(once) == once
    assert once == once.strip()
    assert "  " not in once
