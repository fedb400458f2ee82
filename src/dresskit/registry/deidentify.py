"""A de-identified copy of a bundle for researchers, with a text saying what was done.

What :func:`deidentify` does, table by table, follows the identifiers of the HIPAA Privacy
Rule's Safe Harbor method (45 CFR §164.514(b)(2)) that a bundle can hold:

* **Ids** (patient and episode ids may be medical record or case numbers, §164.514(b)(2)(i)
  (H) and (R)) are replaced by pseudonyms: HMAC-SHA256 of the id under a secret key, as 16
  hex characters. The same key gives the same pseudonyms (exports stay linkable for the key
  holder); another key gives unrelated ones. A keyed hash, unlike a plain hash, cannot be
  reversed by hashing guessed ids without the key.
* **Dates** (§164.514(b)(2)(i)(C): all elements of dates except the year) become whole days
  relative to the episode's onset (``dates="relative"``: onset is day 0, columns renamed
  ``*_day``), or are all shifted by one offset per patient (``dates="shifted"``: -180..+180
  days, never 0, derived from the key), which keeps every interval within a patient.
* **Ages** over 89 become ``"90+"`` (§164.514(b)(2)(i)(C)). The birth year is dropped for
  everyone: when only the birth year is recorded, the age at onset is derived from it and the
  first episode's onset year (and said so in ``age_basis``), so no year is exported.
* **Every other column is on an allow-list** (:data:`EXPORTED_COLUMNS`): each exported column
  is a pseudonym, a controlled code, a date (relative or shifted), a time of day or a number,
  and every text cell is checked against its column's list before anything is written (a
  cell outside it stops the export as a bug). Drug and agent names become the canonical name
  of the shipped drug vocabulary (:mod:`dresskit.bundle.drugs`), or ``unlisted-drug`` (numbered
  within the episode, so that causality assessments stay linked) when the name is not in it;
  ATC codes are kept only when the vocabulary knows them; units come from the closed unit
  lists; finding ``detail`` is kept only for ``other_cause_test`` (it names the test, a code)
  and observation ``text`` only when it is a coded result (``positive``/``negative``); the
  manifest keeps only ``format``, ``version``, ``dates`` and ``synthetic``.

What remains is coded clinical data and numbers. Safe Harbor also requires that the covered
entity have no actual knowledge that the rest could identify someone (§164.514(b)(2)(ii)):
a published single case, a rare drug or an unusual course can identify a patient, which no
code can check. Two choices here go beyond the letter of Safe Harbor and are said so in
:attr:`DeidentifiedTables.method`: keyed-hash pseudonyms are derived from the ids (a
re-identification code under §164.514(c) must not be), and shifted dates are still dates.

References
----------
.. [1] 45 CFR §164.514(b)(2), de-identification by the "Safe Harbor" method, and §164.514(c),
   re-identification codes (HIPAA Privacy Rule).
.. [2] U.S. Department of Health and Human Services, Office for Civil Rights. Guidance
   regarding methods for de-identification of protected health information in accordance
   with the HIPAA Privacy Rule. 26 November 2012.
.. [3] Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication.
   RFC 2104, 1997.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl

from dresskit import __version__
from dresskit.atomic import atomic_file, atomic_folder
from dresskit.bundle import Bundle
from dresskit.bundle.drugs import (
    UNLISTED_DRUG,
    VOCABULARY_VERSION,
    known_atc_codes,
    resolve_drug_name,
    vocabulary,
)
from dresskit.bundle.schema import (
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_VERSION,
    OTHER_CAUSE_TESTS,
    STEROID_AGENTS,
    TABLES,
    TREATMENT_DOSE_UNITS,
    manifest_frame,
)
from dresskit.course.codes import OBSERVATION_CODES, UNIT_ENUM
from dresskit.errors import ConfigurationError
from dresskit.spreadsheets import csv_bytes

__all__ = [
    "EXPORTED_COLUMNS",
    "DateMode",
    "DeidentifiedTables",
    "deidentify",
    "pseudonym",
    "shift_days",
    "write_deidentified",
]

DateMode = Literal["relative", "shifted"]

#: Length of a pseudonym (hex characters of HMAC-SHA256): 64 bits, no collision in practice.
PSEUDONYM_LENGTH: Final = 16
#: Shortest key accepted: a short key could be found by trying keys against known ids.
MINIMUM_KEY_BYTES: Final = 16
#: Largest date shift, days (either way).
MAX_SHIFT_DAYS: Final = 180
#: Oldest age exported as a number; older ages are "90+" (§164.514(b)(2)(i)(C)).
OLDEST_EXPORTED_AGE: Final = 89
OLDER_AGES: Final = "90+"
FORMAT_NAME: Final = "dresskit-deidentified"

_DATE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "episodes": ("onset_date", "admission_date", "last_follow_up_date"),
    "drug_exposures": ("start_date", "stop_date"),
    "observations": ("date",),
    "findings": ("date",),
    "treatments": ("start_date", "end_date"),
}


ExportKind = Literal["pseudonym", "code", "drug", "atc", "date", "time", "number", "age"]

#: The allow-list: every column an export holds, by table, and what it is. A column not listed
#: is never exported; every text cell of a listed column is checked against its kind before
#: anything is written (:func:`deidentify` fails rather than export a cell outside it). Date
#: columns are named here as in the bundle; relative exports rename them ``*_day``.
EXPORTED_COLUMNS: Final[Mapping[str, Mapping[str, ExportKind]]] = {
    "manifest": {"key": "code", "value": "code"},
    "patients": {
        "patient_id": "pseudonym",
        "sex": "code",
        "age_years": "age",
        "age_basis": "code",
    },
    "episodes": {
        "episode_id": "pseudonym",
        "patient_id": "pseudonym",
        "phenotype": "code",
        "onset_date": "date",
        "admission_date": "date",
        "outcome": "code",
        "last_follow_up_date": "date",
    },
    "drug_exposures": {
        "episode_id": "pseudonym",
        "drug": "drug",
        "atc_code": "atc",
        "role": "code",
        "start_date": "date",
        "stop_date": "date",
    },
    "drug_assessments": {
        "episode_id": "pseudonym",
        "drug": "drug",
        "instrument": "code",
        "item": "code",
        "answer": "code",
    },
    "observations": {
        "episode_id": "pseudonym",
        "date": "date",
        "time": "time",
        "code": "code",
        "value": "number",
        "unit": "code",
        "text": "code",
    },
    "findings": {
        "episode_id": "pseudonym",
        "date": "date",
        "code": "code",
        "value": "code",
        "detail": "code",
    },
    "treatments": {
        "episode_id": "pseudonym",
        "kind": "code",
        "agent": "drug",
        "route": "code",
        "start_date": "date",
        "end_date": "date",
        "dose": "number",
        "dose_unit": "code",
        "interval_days": "number",
        "loading_dose": "number",
    },
}
TABLE_ORDER: Final = tuple(name for name in EXPORTED_COLUMNS if name != "manifest")
_ALL_DATE_COLUMNS: Final = frozenset(c for columns in _DATE_COLUMNS.values() for c in columns)
_OBSERVATION_TEXT: Final = frozenset(
    value for definition in OBSERVATION_CODES.values() for value in definition.text_values
)
_DOSE_UNITS: Final = frozenset(unit for units in TREATMENT_DOSE_UNITS.values() for unit in units)


def _codes_of(table: str, column: str) -> frozenset[str]:
    declared = {c.name: c for c in TABLES[table]}
    return frozenset(declared[column].codes)


#: Every value a "code" column may hold.
_ALLOWED_CODES: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    ("manifest", "key"): frozenset({"format", "version", "dates", "synthetic"}),
    ("manifest", "value"): frozenset(
        {FORMAT_NAME, FORMAT_VERSION, "relative", "shifted", "yes", "no"}
    ),
    ("patients", "sex"): _codes_of("patients", "sex"),
    ("patients", "age_basis"): frozenset({"recorded", "birth_year"}),
    ("episodes", "phenotype"): _codes_of("episodes", "phenotype"),
    ("episodes", "outcome"): _codes_of("episodes", "outcome"),
    ("drug_exposures", "role"): _codes_of("drug_exposures", "role"),
    ("drug_assessments", "instrument"): frozenset(ASSESSMENT_ANSWERS),
    ("drug_assessments", "item"): frozenset(
        item for items in ASSESSMENT_ANSWERS.values() for item in items
    ),
    ("drug_assessments", "answer"): frozenset(
        answer
        for items in ASSESSMENT_ANSWERS.values()
        for answers in items.values()
        for answer in answers
    ),
    ("observations", "code"): frozenset(OBSERVATION_CODES),
    ("observations", "unit"): frozenset(UNIT_ENUM.categories.to_list()),
    ("observations", "text"): _OBSERVATION_TEXT,
    ("findings", "code"): frozenset(FINDING_VALUES),
    ("findings", "value"): frozenset(v for values in FINDING_VALUES.values() for v in values),
    ("findings", "detail"): frozenset(OTHER_CAUSE_TESTS),
    ("treatments", "kind"): frozenset(TREATMENT_DOSE_UNITS),
    ("treatments", "route"): _codes_of("treatments", "route"),
    ("treatments", "dose_unit"): _DOSE_UNITS,
}
_PATTERNS: Final[Mapping[ExportKind, str]] = {
    "pseudonym": r"^[0-9a-f]{16}$",
    "age": r"^([0-9]|[1-8][0-9]|90\+)$",
    "atc": r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$",
    "drug": rf"^{UNLISTED_DRUG}(-[0-9]+)?$",
}
_NOT_TEXT: Final[Mapping[ExportKind, tuple[type[pl.DataType], ...]]] = {
    "date": (pl.Date, pl.Int64, pl.Int32),
    "time": (pl.Time,),
    "number": (pl.Float64, pl.Int64, pl.Int32),
}


def _allowed_drugs() -> frozenset[str]:
    return frozenset(vocabulary()) | frozenset(STEROID_AGENTS) | {"ivig"}


def _check_allow_list(export: DeidentifiedTables, dates: DateMode) -> None:
    """Refuse to return an export holding anything outside :data:`EXPORTED_COLUMNS`.

    A failure here is a bug in dresskit (a rule above let a value through), never a user
    error: nothing is written and the message names the table, column and how many cells.
    """
    drugs = _allowed_drugs()
    atc = known_atc_codes()
    for table, frame in export.tables().items():
        declared = EXPORTED_COLUMNS[table]
        expected = [_exported_name(column, dates) for column in declared]
        if frame.columns != expected:
            raise ConfigurationError(
                f"de-identified {table} would hold columns {frame.columns}, not the allow-list "
                f"{expected}: nothing was written (a bug in dresskit)"
            )
        for column, (source, kind) in zip(frame.columns, declared.items(), strict=True):
            values = frame.get_column(column)
            if kind in _NOT_TEXT:
                if not isinstance(values.dtype, _NOT_TEXT[kind]) and values.null_count() < len(
                    values
                ):
                    raise ConfigurationError(
                        f"de-identified {table}.{column} would hold {values.dtype} values, not "
                        f"{kind}s: nothing was written (a bug in dresskit)"
                    )
                continue
            text = values.cast(pl.Utf8).drop_nulls().unique()
            if kind == "code":
                bad = text.filter(~text.is_in(list(_ALLOWED_CODES[(table, source)])))
            elif kind == "drug":
                bad = text.filter(~text.is_in(list(drugs)) & ~text.str.contains(_PATTERNS[kind]))
            elif kind == "atc":
                bad = text.filter(~text.is_in(list(atc)))
            else:
                bad = text.filter(~text.str.contains(_PATTERNS[kind]))
            if bad.len():
                raise ConfigurationError(
                    f"de-identified {table}.{column} would hold {bad.len()} value(s) outside its "
                    f"allow-list ({kind}): nothing was written (a bug in dresskit)"
                )


@dataclass(frozen=True)
class DeidentifiedTables:
    """A de-identified export: tables, manifest and the text documenting the method.

    Attributes
    ----------
    patients, episodes, drug_exposures, drug_assessments, observations, findings, treatments
        The tables (see :func:`deidentify` for their columns).
    manifest
        ``format`` (``dresskit-deidentified``), ``version`` (of the bundle format),
        ``dates`` (``relative`` or ``shifted``), ``synthetic`` when the bundle said so.
    method
        What was done, in words, for the export's README.
    """

    patients: pl.DataFrame
    episodes: pl.DataFrame
    drug_exposures: pl.DataFrame
    drug_assessments: pl.DataFrame
    observations: pl.DataFrame
    findings: pl.DataFrame
    treatments: pl.DataFrame
    manifest: Mapping[str, str]
    method: str

    def tables(self) -> dict[str, pl.DataFrame]:
        """Return the tables by file stem, manifest included."""
        return {
            "manifest": manifest_frame(self.manifest),
            "patients": self.patients,
            "episodes": self.episodes,
            "drug_exposures": self.drug_exposures,
            "drug_assessments": self.drug_assessments,
            "observations": self.observations,
            "findings": self.findings,
            "treatments": self.treatments,
        }


def _digest(key: bytes, purpose: str, value: str) -> bytes:
    # The purpose separates uses of the key: a patient and an episode with the same id get
    # unrelated pseudonyms, and the date shift says nothing about the pseudonym.
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, kind: Literal["patient", "episode"], identifier: str) -> str:
    """Return the pseudonym of an id: HMAC-SHA256 under ``key``, first 16 hex characters.

    Examples
    --------
    >>> pseudonym(b"0123456789abcdef", "patient", "P1")
    'db1a0b1c88780003'
    """
    return _digest(key, kind, identifier).hex()[:PSEUDONYM_LENGTH]


def shift_days(key: bytes, patient_id: str) -> int:
    """Return the patient's date shift: -180..-1 or 1..180 days, derived from ``key``.

    Examples
    --------
    >>> shift_days(b"0123456789abcdef", "P1") != 0
    True
    """
    number = int.from_bytes(_digest(key, "date-shift", patient_id)[:8], "big")
    offset = number % (2 * MAX_SHIFT_DAYS)  # 0..359, equally likely up to 2**-56
    return offset - MAX_SHIFT_DAYS if offset < MAX_SHIFT_DAYS else offset - MAX_SHIFT_DAYS + 1


def _pseudonyms(key: bytes, kind: Literal["patient", "episode"], ids: pl.Series) -> dict[str, str]:
    names = {value: pseudonym(key, kind, value) for value in ids.unique().to_list()}
    if len(set(names.values())) != len(names):  # 64 bits: never expected, but never merge ids
        raise ConfigurationError(f"two {kind} ids share a pseudonym under this key; use another")
    return names


def _age_text(age: pl.Expr) -> pl.Expr:
    return pl.when(age > OLDEST_EXPORTED_AGE).then(pl.lit(OLDER_AGES)).otherwise(age.cast(pl.Utf8))


def deidentify(
    bundle: Bundle,
    *,
    key: bytes,
    dates: DateMode = "relative",
) -> DeidentifiedTables:
    """Return a de-identified copy of a bundle for researchers.

    Parameters
    ----------
    bundle
        A validated bundle; it is not modified.
    key
        Secret key (at least 16 bytes, e.g. ``secrets.token_bytes(32)``) for the pseudonyms
        and the date shifts. Keep it apart from the export: whoever holds it can link the
        export back to the source ids by recomputing pseudonyms.
    dates
        ``"relative"``: every date becomes whole days from the episode's onset (onset = day 0;
        a laboratory value three days later is day 3), in ``*_day`` columns (``day`` for
        observations and findings). ``"shifted"``: every date of a patient moves by the same
        offset (-180..+180 days, never 0, from the key); columns keep their names.

    Returns
    -------
    DeidentifiedTables
        ``patients``: ``patient_id`` (pseudonym), ``sex``, ``age_years`` (text: ``0``..``89``
        or ``90+``), ``age_basis`` (``recorded``, ``birth_year`` or null). ``episodes``:
        ``episode_id`` and ``patient_id`` (pseudonyms), ``phenotype``, ``outcome`` and the
        dates. ``drug_exposures``, ``drug_assessments``, ``observations``, ``findings``,
        ``treatments``: the bundle's columns with pseudonymous ``episode_id``, dates as
        above and free text removed. Rows are sorted by pseudonym and day, so that row order
        says nothing of the source order. ``method`` documents all of this.

    Raises
    ------
    ConfigurationError
        When the key is shorter than 16 bytes or ``dates`` is not one of the two modes.

    References
    ----------
    .. [1] 45 CFR §164.514(b)(2) (Safe Harbor) and §164.514(c) (re-identification codes).
    .. [2] HHS Office for Civil Rights. Guidance regarding methods for de-identification of
       protected health information in accordance with the HIPAA Privacy Rule, 2012.

    Examples
    --------
    >>> from pathlib import Path
    >>> import dresskit
    >>> from dresskit.bundle import read_bundle
    >>> examples = Path(dresskit.__file__).parents[2] / "examples"  # in a source checkout
    >>> export = deidentify(read_bundle(examples / "shen2024"), key=b"0123456789abcdef")
    >>> export.episodes.columns
    ['episode_id', 'patient_id', 'phenotype', 'onset_day', 'admission_day', 'outcome', \
'last_follow_up_day']
    """
    if not isinstance(key, bytes) or len(key) < MINIMUM_KEY_BYTES:
        raise ConfigurationError(
            f"key must be at least {MINIMUM_KEY_BYTES} secret bytes "
            "(e.g. secrets.token_bytes(32)); a short key can be found by trial"
        )
    if dates not in ("relative", "shifted"):
        raise ConfigurationError(f"dates must be 'relative' or 'shifted'; got {dates!r}")
    patient_names = _pseudonyms(key, "patient", bundle.patients.get_column("patient_id"))
    episode_names = _pseudonyms(key, "episode", bundle.episodes.get_column("episode_id"))
    # Per episode: its pseudonym, its onset and its patient's shift, joined to every table.
    shifts = {patient: shift_days(key, patient) for patient in patient_names}
    episode_keys = bundle.episodes.select(
        "episode_id",
        pl.col("patient_id").replace_strict(shifts, return_dtype=pl.Int64).alias("__shift"),
        pl.col("onset_date").alias("__onset"),
    )

    def dated(frame: pl.DataFrame, table: str) -> pl.DataFrame:
        """Replace the table's dates and its episode id."""
        frame = frame.join(episode_keys, on="episode_id", how="left")
        columns = _DATE_COLUMNS[table]
        if dates == "relative":
            frame = frame.with_columns(
                [
                    (pl.col(c) - pl.col("__onset")).dt.total_days().alias(_day_name(c))
                    for c in columns
                ]
            ).drop(columns)
        else:
            frame = frame.with_columns(
                [pl.col(c) + pl.duration(days=pl.col("__shift")) for c in columns]
            )
        return frame.drop("__onset", "__shift").with_columns(
            pl.col("episode_id").replace_strict(episode_names, return_dtype=pl.Utf8)
        )

    names = {
        table: [_exported_name(c, dates) for c in EXPORTED_COLUMNS[table]] for table in TABLE_ORDER
    }
    drug_codes = _drug_codes(bundle.drug_exposures)
    coded_drug = pl.struct("episode_id", "drug").map_elements(
        lambda row: drug_codes[(row["episode_id"], row["drug"])], return_dtype=pl.Utf8
    )
    atc = known_atc_codes()
    patients = _patients(bundle, patient_names)
    episodes = (
        dated(bundle.episodes, "episodes")
        .with_columns(pl.col("patient_id").replace_strict(patient_names, return_dtype=pl.Utf8))
        .select(names["episodes"])
        .sort("patient_id", names["episodes"][3], "episode_id")
    )
    first = names["drug_exposures"][4]
    drug_exposures = (
        bundle.drug_exposures.with_columns(
            coded_drug.alias("drug"),
            pl.when(pl.col("atc_code").is_in(list(atc))).then(pl.col("atc_code")).alias("atc_code"),
        )
        .pipe(dated, "drug_exposures")
        .select(names["drug_exposures"])
        .sort("episode_id", "drug", first, nulls_last=True)
    )
    drug_assessments = (
        bundle.drug_assessments.with_columns(coded_drug.alias("drug"))
        .with_columns(
            pl.col("episode_id").replace_strict(episode_names, default=None, return_dtype=pl.Utf8)
        )
        .select(names["drug_assessments"])
        .sort("episode_id", "drug", "instrument", "item", nulls_last=True)
    )
    day = names["observations"][1]
    observations = (
        dated(bundle.observations, "observations")
        .with_columns(
            pl.when(pl.col("text").is_in(list(_OBSERVATION_TEXT)))
            .then(pl.col("text"))
            .alias("text")
        )
        .select(names["observations"])
        .sort("episode_id", day, "time", "code", nulls_last=True)
    )
    findings = (
        dated(bundle.findings, "findings")
        .with_columns(
            pl.when(
                (pl.col("code") == "other_cause_test")
                & pl.col("detail").is_in(list(OTHER_CAUSE_TESTS))
            )
            .then(pl.col("detail"))
            .alias("detail")
        )
        .select(names["findings"])
        .sort("episode_id", day, "code", "value", nulls_last=True)
    )
    start = names["treatments"][4]
    agents = {
        agent: _treatment_agent(agent)
        for agent in bundle.treatments.get_column("agent").unique().drop_nulls().to_list()
    }
    treatments = (
        dated(bundle.treatments, "treatments")
        .with_columns(
            pl.when(pl.col("kind").is_in(["steroid", "ivig"]))
            .then(pl.col("agent"))
            .otherwise(pl.col("agent").replace_strict(agents, default=None, return_dtype=pl.Utf8))
            .alias("agent"),
            pl.when(pl.col("dose_unit").is_in(list(_DOSE_UNITS)))
            .then(pl.col("dose_unit"))
            .alias("dose_unit"),
        )
        .select(names["treatments"])
        .sort("episode_id", start, "kind", "agent", nulls_last=True)
    )
    withheld = {
        "drug names outside the vocabulary (written as unlisted-drug)": sum(
            1 for code in drug_codes.values() if code.startswith(UNLISTED_DRUG)
        ),
        "treatment agents outside the vocabulary (written as unlisted-drug)": sum(
            1
            for agent in bundle.treatments.filter(pl.col("kind").is_in(["biologic", "other"]))
            .get_column("agent")
            .to_list()
            if agents.get(agent) == UNLISTED_DRUG
        ),
        "ATC codes the vocabulary does not know (left empty)": int(
            (
                bundle.drug_exposures.get_column("atc_code").is_not_null()
                & ~bundle.drug_exposures.get_column("atc_code").is_in(list(atc))
            ).sum()
        ),
    }
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "dates": dates}
    if bundle.manifest.get("synthetic") in ("yes", "no"):
        manifest["synthetic"] = bundle.manifest["synthetic"]
    export = DeidentifiedTables(
        patients=patients,
        episodes=episodes,
        drug_exposures=drug_exposures,
        drug_assessments=drug_assessments,
        observations=observations,
        findings=findings,
        treatments=treatments,
        manifest=manifest,
        method=_method(dates, withheld),
    )
    _check_allow_list(export, dates)
    return export


def _day_name(column: str) -> str:
    return "day" if column == "date" else column.removesuffix("_date") + "_day"


def _exported_name(column: str, dates: DateMode) -> str:
    """Return a column's exported name: ``*_day`` for relative dates, else unchanged."""
    if column in _ALL_DATE_COLUMNS and dates == "relative":
        return _day_name(column)
    return column


def _drug_codes(exposures: pl.DataFrame) -> dict[tuple[str, str], str]:
    """Each (episode, drug) -> the vocabulary's name, or ``unlisted-drug-N`` within the episode.

    Unlisted drugs are numbered per episode in the order of their first dose (then name), so
    that an episode's causality answers stay attached to the right drug without its name.
    """
    codes: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    ordered = exposures.sort("episode_id", "start_date", "drug", nulls_last=True)
    for episode_id, drug in ordered.select("episode_id", "drug").iter_rows():
        resolved = resolve_drug_name(drug)
        if resolved.entry is not None:
            codes[(episode_id, drug)] = resolved.entry.name
        else:
            counters[episode_id] = counters.get(episode_id, 0) + 1
            codes[(episode_id, drug)] = f"{UNLISTED_DRUG}-{counters[episode_id]}"
    return codes


def _treatment_agent(agent: str) -> str:
    """Return a biologic or other agent's vocabulary name, else ``unlisted-drug``."""
    resolved = resolve_drug_name(agent)
    return resolved.entry.name if resolved.entry is not None else UNLISTED_DRUG


def _patients(bundle: Bundle, names: Mapping[str, str]) -> pl.DataFrame:
    """Pseudonymous patients with age at onset (90+ grouped) and no birth year."""
    first_onset = bundle.episodes.group_by("patient_id").agg(
        pl.col("onset_date").min().dt.year().alias("__onset_year")
    )
    frame = bundle.patients.join(first_onset, on="patient_id", how="left")
    derived = pl.col("__onset_year") - pl.col("birth_year")
    age = pl.coalesce(pl.col("age_years"), derived)
    basis = (
        pl.when(pl.col("age_years").is_not_null())
        .then(pl.lit("recorded"))
        .when(derived.is_not_null())
        .then(pl.lit("birth_year"))
    )
    return frame.select(
        pl.col("patient_id").replace_strict(names, return_dtype=pl.Utf8),
        "sex",
        _age_text(age).alias("age_years"),
        basis.alias("age_basis"),
    ).sort("patient_id")


def _method(dates: DateMode, withheld: Mapping[str, int]) -> str:
    if dates == "relative":
        date_text = (
            "Dates: every date is replaced by whole days from the onset of its episode "
            "(onset = day 0; a value three days after onset is day 3; earlier dates are "
            "negative), in columns named *_day (day for observations and findings). No "
            "calendar date, month or year is exported."
        )
        harbor = (
            "Relative days keep no element of a date (§164.514(b)(2)(i)(C)); whether "
            "intervals are acceptable is for the releasing institution to confirm."
        )
    else:
        date_text = (
            "Dates: every date of a patient is shifted by the same number of days, between "
            f"-{MAX_SHIFT_DAYS} and +{MAX_SHIFT_DAYS} and never 0, derived from the key and the "
            "patient; intervals within a patient are exact, calendar dates and weekdays are "
            "not."
        )
        harbor = (
            "Shifted dates are still dates: Safe Harbor removes all elements of dates except "
            "the year (§164.514(b)(2)(i)(C)), so this mode needs an expert determination "
            "(§164.514(b)(1)) or a data use agreement; prefer dates='relative' for release."
        )
    counts = "; ".join(f"{what}: {count}" for what, count in withheld.items())
    lines = [
        "# De-identified dresskit export",
        "",
        f"Produced by dresskit {__version__} from a dresskit bundle (format {FORMAT_VERSION}).",
        "It follows the HIPAA Privacy Rule's Safe Harbor identifiers (45 CFR §164.514(b)(2))",
        "as far as a bundle holds them; see the caveats at the end.",
        "",
        "## What was done",
        "",
        "- Ids: patient_id and episode_id are pseudonyms, the first "
        f"{PSEUDONYM_LENGTH} hex characters of HMAC-SHA256 of the source id under a secret "
        "key (patients and episodes hashed apart). The same key gives the same pseudonyms; "
        "another key gives unrelated ones. The key is not part of the export.",
        f"- {date_text}",
        "- Ages: age at onset as recorded; where only the birth year was recorded, the onset "
        "year of the patient's first episode minus the birth year (may be one year too high; "
        "age_basis says which). Ages over 89 are the single category '90+'. Birth years are "
        "not exported.",
        "- Allow-list: every column is a pseudonym, a controlled code, a date (as above), a "
        "time of day or a number; every text cell was checked against its column's list "
        "before anything was written. Drug and treatment agent names are the canonical names "
        f"of dresskit's drug vocabulary (version {VOCABULARY_VERSION}); a name outside it is "
        f"written as {UNLISTED_DRUG} (numbered within the episode for drug exposures, so that "
        "causality answers stay linked). ATC codes are kept only when the vocabulary knows "
        "them; units come from the bundle's closed unit lists. Finding detail is kept only for "
        "other_cause_test (the name of the test, a code); observation text only as a coded "
        "result (positive, negative). The bundle's title, source and any other manifest entry "
        f"are not exported. Counts: {counts}.",
        "- Kept: sex, phenotype, outcome, ATC codes, drug roles, causality answers, "
        "observation codes, values (canonical units) and times of day, finding codes and "
        "values, treatment kinds, routes and doses.",
        "- Row order: rows are sorted by pseudonym and day, not in the source order.",
        "",
        "## Caveats",
        "",
        f"- {harbor}",
        "- The pseudonyms are computed from the source ids. §164.514(c) allows a "
        "re-identification code only if it is not derived from information about the "
        "individual; treat these pseudonyms as a coded (pseudonymised) dataset unless the "
        "releasing institution accepts them, and keep the key secret and apart from the data.",
        "- Safe Harbor also requires no actual knowledge that the remaining information could "
        "identify a person (§164.514(b)(2)(ii)). A published case, a rare drug, an unusual "
        "course or a small cohort can identify a patient; review before release.",
        "",
        "## References",
        "",
        "- 45 CFR §164.514(b)(2) (Safe Harbor) and §164.514(c) (re-identification).",
        "- U.S. HHS Office for Civil Rights. Guidance regarding methods for de-identification "
        "of protected health information in accordance with the HIPAA Privacy Rule, 2012.",
        "- Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. "
        "RFC 2104, 1997.",
        "",
    ]
    return "\n".join(lines)


def _files(tables: DeidentifiedTables) -> dict[str, bytes]:
    """Every file of the export: one spreadsheet-safe CSV per table, and ``README.md``."""
    files = {
        f"{name}.csv": csv_bytes(
            frame.with_columns(
                [pl.col(c).dt.strftime("%H:%M") for c, t in frame.schema.items() if t == pl.Time]
            )
        )
        for name, frame in tables.tables().items()
    }
    files["README.md"] = tables.method.encode("utf-8")
    return files


def write_deidentified(
    tables: DeidentifiedTables,
    target: str | Path,
    *,
    on_ready: Callable[[], None] | None = None,
) -> Path:
    """Write the export as CSV files plus ``README.md``: a folder, or a ``.zip`` of them.

    The files are written atomically (:mod:`dresskit.atomic`): all of them appear, or none,
    and an earlier export at ``target`` stays as it was when writing fails. Text cells are
    spreadsheet-safe (:func:`dresskit.spreadsheets.csv_bytes`).

    Parameters
    ----------
    tables
        The result of :func:`deidentify`.
    target
        A folder (created; an earlier export there is replaced whole, a folder holding
        anything else is refused) or a path ending in ``.zip``.
    on_ready
        Called once every byte is written in the temporary sibling, before it is renamed
        into place (the export's audit record): if it raises, nothing is replaced.

    Returns
    -------
    pathlib.Path
        The folder or the .zip file.

    Raises
    ------
    OutputError
        When the target cannot be written (nothing was changed).

    References
    ----------
    .. [1] 45 CFR §164.514(b)(2) (Safe Harbor); the README documents the method applied.
    """
    path = Path(target)
    files = _files(tables)
    if path.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        with atomic_file(path) as handle:
            handle.write(buffer.getvalue())
            if on_ready is not None:
                on_ready()
        return path
    with atomic_folder(path, replaceable=lambda name: str(name) in files) as folder:
        for name, data in files.items():
            folder.write(name, data)
        if on_ready is not None:
            on_ready()
    return path
