"""The drug vocabulary shipped with dresskit: one canonical name per drug, its ATC codes, synonyms.

Every drug name a bundle holds (``drug_exposures.drug``, ``drug_assessments.drug``, the
``agent`` of a treatment) has one canonical form: the lower-case generic name (INN, or the
name the bundle format fixes, such as ``trimethoprim-sulfamethoxazole`` and ``ivig``).
:func:`resolve_drug_name` turns what a file says into that form: case and spacing are ignored
(``Allopurinol``, ``allopurinol `` and ``allopurinol`` are one drug), and another spelling,
a salt form or a brand name is resolved through the vocabulary (``Zyloprim`` ->
``allopurinol``, ``rifampin`` -> ``rifampicin``, ``phenytoin sodium`` -> ``phenytoin``). A
name outside the vocabulary is kept as written (normalised) and marked *unlisted*: it is not
refused, because the vocabulary is not a formulary, but a de-identified export writes
:data:`UNLISTED_DRUG` in its place.

The vocabulary is the package data file ``bundle/data/drug_vocabulary.csv`` (version
:data:`VOCABULARY_VERSION` of :data:`VOCABULARY_DATE`, described in
``docs/data-format.md``, section "Drug vocabulary"). It covers the drugs dresskit itself names
(the culprit notoriety list, the systemic corticosteroids, the examples and published cases),
the treatments of severe drug eruptions, and the culprits and common concomitant drugs of the
DRESS literature: a few hundred drugs, not a complete formulary. Each drug's ATC codes are
the level-5 codes the WHO ATC/DDD Index gives that single substance (the systemic code first);
the list is empty for a product the index does not classify (echinacea).

The file is checked when it is loaded (:func:`parse_vocabulary`): a broken rule is a
:class:`~dresskit.errors.ConfigurationError`, never a silently smaller vocabulary.

References
----------
.. [1] WHO Collaborating Centre for Drug Statistics Methodology. ATC/DDD Index 2026.
   Oslo: Norwegian Institute of Public Health; https://atcddd.fhi.no/atc_ddd_index/.
.. [2] WHO. International Nonproprietary Names (INN) for pharmaceutical substances:
   cumulative lists of recommended and proposed INN;
   https://www.who.int/teams/health-product-and-policy-standards/inn.
.. [3] British Approved Names and United States Adopted Names, for the other spellings
   (e.g. paracetamol / acetaminophen, rifampicin / rifampin, ciclosporin / cyclosporine).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final, Literal

from dresskit.errors import ConfigurationError, InputError

__all__ = [
    "ATC_PATTERN",
    "UNLISTED_DRUG",
    "VOCABULARY_DATE",
    "VOCABULARY_VERSION",
    "DrugEntry",
    "Resolution",
    "ResolvedDrugName",
    "entry_for_atc",
    "known_atc_codes",
    "normalise_drug_text",
    "parse_vocabulary",
    "resolve_drug_name",
    "vocabulary",
]

#: The code a de-identified export writes for a drug name outside the vocabulary.
UNLISTED_DRUG: Final = "unlisted-drug"

#: Version and date of the shipped vocabulary (also stated in the data file's header).
VOCABULARY_VERSION: Final = "2026.1"
VOCABULARY_DATE: Final = "2026-11-29"

#: A WHO ATC level-5 code: anatomical group letter, two digits, two letters, two digits.
ATC_PATTERN: Final = r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"

#: A canonical name: lower-case ASCII letters, words joined by one space or one hyphen. It
#: is written into exports as a code, so it can hold no digit, markup or formula character.
_NAME_PATTERN: Final = re.compile(r"^[a-z]+(?:[ -][a-z]+)*$")
_ATC: Final = re.compile(ATC_PATTERN)
_HEADER: Final = ("name", "atc_codes", "synonyms", "brand_names")
_SEPARATOR: Final = ";"
_DATA_FILE: Final = "data/drug_vocabulary.csv"
_BLANK_EXPECTED: Final = (
    "a drug name: the generic name (for example 'allopurinol'); another spelling or a brand "
    "name is resolved to it"
)

Resolution = Literal["canonical", "normalised", "synonym", "unlisted"]


@dataclass(frozen=True)
class DrugEntry:
    """One drug of the vocabulary.

    Attributes
    ----------
    name
        The canonical lower-case generic name.
    atc_codes
        Its WHO ATC codes, the systemic one first; empty when it has none.
    synonyms
        Other spellings, salt forms, abbreviations and brand names, each in canonical form
        (:func:`normalise_drug_text`).
    """

    name: str
    atc_codes: tuple[str, ...]
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedDrugName:
    """A drug name as written, and what the vocabulary makes of it.

    Attributes
    ----------
    written
        The text as written in the file.
    name
        The canonical name: the entry's name, or the normalised text when unlisted.
    entry
        The vocabulary entry; ``None`` when the name is not in the vocabulary.
    how
        ``canonical`` (written exactly as the entry's name), ``normalised`` (only case or
        spaces differed), ``synonym`` (another spelling, salt or brand name was resolved) or
        ``unlisted`` (not in the vocabulary).
    """

    written: str
    name: str
    entry: DrugEntry | None
    how: Resolution


def normalise_drug_text(text: str) -> str:
    r"""Return ``text`` trimmed, case-folded, with single spaces, in Unicode NFC.

    Every run of whitespace (spaces, tabs, line breaks, no-break spaces) becomes one space;
    nothing else is changed (a hyphen stays a hyphen, a typo stays a typo).

    Parameters
    ----------
    text
        A drug name as written.

    Returns
    -------
    str
        The normalised text; ``""`` when ``text`` holds only whitespace.

    References
    ----------
    Unicode Standard Annex #15, Unicode Normalization Forms (NFC); Python ``str.casefold``
    (Unicode default case folding, section 3.13 of the Unicode Standard).

    Examples
    --------
    >>> normalise_drug_text("  Trimethoprim-Sulfamethoxazole\t ")
    'trimethoprim-sulfamethoxazole'
    >>> normalise_drug_text("Phenytoin   SODIUM")
    'phenytoin sodium'
    """
    current = text
    # Case folding and composition can each undo the other's fixed point for a few code
    # points; repeating until nothing changes makes the function idempotent.
    for _ in range(4):
        following = unicodedata.normalize(
            "NFC", " ".join(unicodedata.normalize("NFC", current).casefold().split())
        )
        if following == current:
            break
        current = following
    return current


@dataclass(frozen=True)
class _Vocabulary:
    entries: Mapping[str, DrugEntry]
    synonyms: Mapping[str, DrugEntry]
    by_atc: Mapping[str, tuple[DrugEntry, ...]]


def _split(cell: str) -> list[str]:
    return cell.split(_SEPARATOR) if cell else []


def _problem(source: str, line: int, message: str) -> ConfigurationError:
    return ConfigurationError(f"{source}, line {line}: {message}")


def _entry(
    source: str, line: int, row: list[str], owners: dict[str, str]
) -> tuple[DrugEntry, list[str]]:
    """Check one data row and return its entry and the texts it claims (name, synonyms)."""
    if len(row) != len(_HEADER):
        raise _problem(source, line, f"expected {len(_HEADER)} fields, got {len(row)}")
    name, atc_cell, synonym_cell, brand_cell = row
    if not _NAME_PATTERN.fullmatch(name):
        raise _problem(
            source,
            line,
            f"canonical name {name!r} is not lower-case letters joined by single spaces or hyphens",
        )
    if name in owners:
        raise _problem(source, line, f"{name!r} is already listed (under {owners[name]!r})")
    codes = _split(atc_cell)
    for code in codes:
        if not _ATC.fullmatch(code):
            raise _problem(source, line, f"{name}: ATC code {code!r} does not match {ATC_PATTERN}")
    if len(set(codes)) != len(codes):
        raise _problem(source, line, f"{name}: an ATC code is listed twice")
    synonyms: list[str] = []
    for written in _split(synonym_cell) + _split(brand_cell):
        synonym = normalise_drug_text(written)
        if not synonym:
            raise _problem(source, line, f"{name}: an empty synonym or brand name")
        if any(unicodedata.category(character).startswith("C") for character in synonym):
            raise _problem(source, line, f"{name}: synonym {written!r} has a control character")
        if synonym == name or synonym in synonyms:
            raise _problem(source, line, f"{name}: synonym {written!r} is listed twice")
        if synonym in owners:
            raise _problem(
                source,
                line,
                f"{name}: synonym {written!r} already names {owners[synonym]!r}",
            )
        synonyms.append(synonym)
    return DrugEntry(name, tuple(codes), tuple(synonyms)), [name, *synonyms]


def _metadata(source: str, comments: list[str]) -> None:
    stated = {
        key.strip(): value.strip()
        for key, _, value in (comment.lstrip("#").partition(":") for comment in comments)
        if key.strip() in ("version", "date")
    }
    for key, expected in (("version", VOCABULARY_VERSION), ("date", VOCABULARY_DATE)):
        if stated.get(key) != expected:
            raise ConfigurationError(
                f"{source}: the header must state '# {key}: {expected}'; got {stated.get(key)!r}"
            )


def parse_vocabulary(text: str, *, source: str = _DATA_FILE) -> Mapping[str, DrugEntry]:
    r"""Read and check a drug vocabulary file; return canonical name -> entry.

    The file is UTF-8 CSV with the header ``name,atc_codes,synonyms,brand_names``; lines
    starting with ``#`` are comments, and the leading comments state ``# version: ...`` and
    ``# date: ...`` (which must equal :data:`VOCABULARY_VERSION` and
    :data:`VOCABULARY_DATE`). Multi-valued cells separate values with ``;``.

    Parameters
    ----------
    text
        The file's text.
    source
        The file's name, for messages.

    Returns
    -------
    Mapping[str, DrugEntry]
        The entries in file order, read-only.

    Raises
    ------
    ConfigurationError
        When a rule is broken: a canonical name that is not normalised lower-case letters or
        is listed twice; an ATC code that does not match :data:`ATC_PATTERN` or is repeated;
        an empty synonym; a synonym that is another drug's canonical name or another drug's
        synonym (it would resolve to two drugs); a missing header, version or date; a row
        with the wrong number of fields; a blank line.

    References
    ----------
    RFC 4180, Common Format and MIME Type for CSV Files. ATC code structure: WHO
    Collaborating Centre for Drug Statistics Methodology, Guidelines for ATC classification
    and DDD assignment, section "Structure and principles".

    Examples
    --------
    >>> text = "# version: 2026.1\n# date: 2026-11-29\nname,atc_codes,synonyms,brand_names\n"
    >>> parse_vocabulary(text + "allopurinol,M04AA01,,Zyloprim\n")["allopurinol"]
    DrugEntry(name='allopurinol', atc_codes=('M04AA01',), synonyms=('zyloprim',))
    """
    lines = text.splitlines()
    comments: list[str] = []
    position = 0
    while position < len(lines) and lines[position].startswith("#"):
        comments.append(lines[position])
        position += 1
    _metadata(source, comments)
    if position >= len(lines) or tuple(lines[position].split(",")) != _HEADER:
        raise _problem(source, position + 1, "the header must be " + ",".join(_HEADER))
    entries: dict[str, DrugEntry] = {}
    owners: dict[str, str] = {}
    for number, line in enumerate(lines[position + 1 :], start=position + 2):
        if line.startswith("#"):
            continue
        if not line.strip():
            raise _problem(source, number, "a blank line (a comment line starts with '#')")
        try:
            (row,) = csv.reader([line], strict=True)
        except (csv.Error, ValueError) as error:
            raise _problem(source, number, f"not a CSV row ({error})") from None
        entry, claimed = _entry(source, number, row, owners)
        entries[entry.name] = entry
        owners.update(dict.fromkeys(claimed, entry.name))
    if not entries:
        raise ConfigurationError(f"{source}: the vocabulary holds no drug")
    return MappingProxyType(entries)


@cache
def _loaded() -> _Vocabulary:
    resource = files("dresskit.bundle").joinpath("data").joinpath("drug_vocabulary.csv")
    entries = parse_vocabulary(resource.read_text(encoding="utf-8"), source=_DATA_FILE)
    synonyms = {synonym: entry for entry in entries.values() for synonym in entry.synonyms}
    by_atc: dict[str, list[DrugEntry]] = {}
    for entry in entries.values():
        for code in entry.atc_codes:
            by_atc.setdefault(code, []).append(entry)
    return _Vocabulary(
        entries=entries,
        synonyms=MappingProxyType(synonyms),
        by_atc=MappingProxyType(
            {code: tuple(sorted(found, key=lambda e: e.name)) for code, found in by_atc.items()}
        ),
    )


def vocabulary() -> Mapping[str, DrugEntry]:
    """Return the shipped vocabulary: canonical name -> :class:`DrugEntry` (read-only).

    Loaded once from the package data and cached.

    Raises
    ------
    ConfigurationError
        When the shipped file breaks a rule of :func:`parse_vocabulary`.

    Examples
    --------
    >>> vocabulary()["rifampicin"].atc_codes
    ('J04AB02',)
    """
    return _loaded().entries


def known_atc_codes() -> frozenset[str]:
    """Return every ATC code of the vocabulary.

    Examples
    --------
    >>> "M04AA01" in known_atc_codes()
    True
    """
    return frozenset(_loaded().by_atc)


def entry_for_atc(code: str) -> tuple[DrugEntry, ...]:
    """Return the entries that carry ATC ``code`` (exact match, upper case), by name.

    Returns
    -------
    tuple[DrugEntry, ...]
        Usually one entry; empty for a code no drug of the vocabulary carries.

    Examples
    --------
    >>> [entry.name for entry in entry_for_atc("J04BA02")]
    ['dapsone']
    >>> entry_for_atc("J04BA99")
    ()
    """
    return _loaded().by_atc.get(code, ())


def resolve_drug_name(text: str) -> ResolvedDrugName:
    """Resolve a drug name as written to its canonical name.

    One normalisation (:func:`normalise_drug_text`) and at most two dictionary look-ups:
    cheap enough to call once per distinct name of a column.

    Parameters
    ----------
    text
        The name as written in the file.

    Returns
    -------
    ResolvedDrugName
        With ``how`` = ``canonical``, ``normalised``, ``synonym`` or ``unlisted``; an unlisted
        name keeps its normalised text as ``name``.

    Raises
    ------
    InputError
        ``field='drug'`` when ``text`` is not text or is blank after normalising (empty,
        spaces only).

    References
    ----------
    docs/data-format.md, "Drug vocabulary"; WHO ATC/DDD Index 2026; WHO INN lists.

    Examples
    --------
    >>> resolve_drug_name("Zyloprim").name
    'allopurinol'
    >>> resolve_drug_name(" ALLOPURINOL").how
    'normalised'
    >>> resolved = resolve_drug_name("Drug  X")
    >>> (resolved.name, resolved.how, resolved.entry)
    ('drug x', 'unlisted', None)
    """
    if not isinstance(text, str):
        raise InputError("drug", text, _BLANK_EXPECTED)
    normalised = normalise_drug_text(text)
    if not normalised:
        raise InputError("drug", text, _BLANK_EXPECTED)
    loaded = _loaded()
    entry = loaded.entries.get(normalised)
    if entry is not None:
        how: Resolution = "canonical" if text == entry.name else "normalised"
        return ResolvedDrugName(text, entry.name, entry, how)
    entry = loaded.synonyms.get(normalised)
    if entry is not None:
        return ResolvedDrugName(text, entry.name, entry, "synonym")
    return ResolvedDrugName(text, normalised, None, "unlisted")
