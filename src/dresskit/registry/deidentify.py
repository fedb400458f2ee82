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
* **Free text** is dropped: finding ``detail`` is kept only for ``other_cause_test`` (where it
  names the test, a code); observation ``text`` only when it is a coded result of the code
  (``positive``/``negative``); drug and agent names only when they look like a generic name;
  the manifest's ``title`` and ``source`` are replaced.

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl

from dresskit import __version__
from dresskit.bundle import Bundle
from dresskit.bundle.schema import FORMAT_VERSION, OTHER_CAUSE_TESTS
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.errors import ConfigurationError

__all__ = [
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

#: A drug or agent name kept in the export: a lower-case generic name (no digits, so no
#: batch, record or phone numbers), at most four words.
_GENERIC_NAME: Final = r"^[a-z][a-z\-]*( [a-z][a-z\-]*){0,3}$"
#: A dose unit kept for "other" treatments: UCUM-like, no spaces.
_UNIT: Final = r"^[A-Za-z0-9/*.\[\]{}%_\-]{1,20}$"

_DATE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "episodes": ("onset_date", "admission_date", "last_follow_up_date"),
    "drug_exposures": ("start_date", "stop_date"),
    "observations": ("date",),
    "findings": ("date",),
    "treatments": ("start_date", "end_date"),
}


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
            "manifest": pl.DataFrame(
                {"key": list(self.manifest), "value": list(self.manifest.values())},
                schema={"key": pl.Utf8, "value": pl.Utf8},
            ),
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

    def renamed(table: str) -> list[str]:
        columns = _DATE_COLUMNS[table]
        if dates == "shifted":
            return list(columns)
        return [_day_name(c) for c in columns]

    patients = _patients(bundle, patient_names)
    episodes = dated(bundle.episodes, "episodes").with_columns(
        pl.col("patient_id").replace_strict(patient_names, return_dtype=pl.Utf8)
    )
    episodes = episodes.select(
        "episode_id",
        "patient_id",
        "phenotype",
        *renamed("episodes")[:2],
        "outcome",
        renamed("episodes")[2],
    ).sort("patient_id", renamed("episodes")[0], "episode_id")
    first, second = renamed("drug_exposures")
    drug_exposures = (
        dated(bundle.drug_exposures, "drug_exposures")
        .with_columns(_kept(pl.col("drug"), _GENERIC_NAME))
        .select("episode_id", "drug", "atc_code", "role", first, second)
        .sort("episode_id", "drug", first, nulls_last=True)
    )
    drug_assessments = (
        bundle.drug_assessments.with_columns(
            pl.col("episode_id").replace_strict(episode_names, default=None, return_dtype=pl.Utf8),
            _kept(pl.col("drug"), _GENERIC_NAME),
        )
        .select("episode_id", "drug", "instrument", "item", "answer")
        .sort("episode_id", "drug", "instrument", "item", nulls_last=True)
    )
    (day,) = renamed("observations")
    text_values = sorted({v for d in OBSERVATION_CODES.values() for v in d.text_values})
    observations = (
        dated(bundle.observations, "observations")
        .with_columns(pl.when(pl.col("text").is_in(text_values)).then(pl.col("text")).alias("text"))
        .select("episode_id", day, "time", "code", "value", "unit", "text")
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
        .select("episode_id", day, "code", "value", "detail")
        .sort("episode_id", day, "code", "value", nulls_last=True)
    )
    start, end = renamed("treatments")
    treatments = (
        dated(bundle.treatments, "treatments")
        .with_columns(
            _kept(pl.col("agent"), _GENERIC_NAME),
            _kept(pl.col("dose_unit"), _UNIT),
        )
        .select(
            "episode_id",
            "kind",
            "agent",
            "route",
            start,
            end,
            "dose",
            "dose_unit",
            "interval_days",
            "loading_dose",
        )
        .sort("episode_id", start, "kind", "agent", nulls_last=True)
    )
    withheld = {
        "drug names": _withheld(bundle.drug_exposures.get_column("drug"), _GENERIC_NAME),
        "treatment agents": _withheld(bundle.treatments.get_column("agent"), _GENERIC_NAME),
        "dose units": _withheld(bundle.treatments.get_column("dose_unit"), _UNIT),
    }
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "dates": dates}
    if bundle.manifest.get("synthetic") in ("yes", "no"):
        manifest["synthetic"] = bundle.manifest["synthetic"]
    return DeidentifiedTables(
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


def _day_name(column: str) -> str:
    return "day" if column == "date" else column.removesuffix("_date") + "_day"


def _kept(column: pl.Expr, pattern: str) -> pl.Expr:
    """Keep a text value only when it matches ``pattern`` (else null: withheld)."""
    return pl.when(column.str.contains(pattern)).then(column).alias(column.meta.output_name())


def _withheld(values: pl.Series, pattern: str) -> int:
    return int((values.is_not_null() & ~values.str.contains(pattern)).sum())


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
        "- Free text removed: finding detail kept only for other_cause_test (the name of the "
        "test, a code); observation text kept only as a coded result (positive, negative); "
        "drug and treatment agent names kept only when they are a lower-case generic name "
        "without digits, dose units only when UCUM-like; the bundle's title and source are "
        "not exported. Values withheld (left empty) for not meeting these rules: "
        f"{counts}.",
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


def write_deidentified(tables: DeidentifiedTables, folder: str | Path) -> Path:
    """Write the export as CSV files plus ``README.md`` (the method) in ``folder``.

    Parameters
    ----------
    tables
        The result of :func:`deidentify`.
    folder
        Created if absent; files of the same names are overwritten.

    Returns
    -------
    pathlib.Path
        The folder.

    References
    ----------
    .. [1] 45 CFR §164.514(b)(2) (Safe Harbor); the README documents the method applied.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.tables().items():
        text = frame.with_columns(
            [pl.col(c).dt.strftime("%H:%M") for c, t in frame.schema.items() if t == pl.Time]
        )
        text.write_csv(target / f"{name}.csv")
    (target / "README.md").write_text(tables.method, encoding="utf-8")
    return target
