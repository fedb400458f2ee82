"""Make the de-identified copy of a bundle (:func:`deidentify`)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from dresskit.bundle import Bundle
from dresskit.bundle.drugs import (
    UNLISTED_DRUG,
    known_atc_codes,
    resolve_drug_name,
)
from dresskit.bundle.schema import (
    FORMAT_VERSION,
    OTHER_CAUSE_TESTS,
)
from dresskit.errors import ConfigurationError
from dresskit.registry.deidentify.allow_list import (
    DATE_COLUMNS,
    DOSE_UNITS,
    EXPORTED_COLUMNS,
    OBSERVATION_TEXT,
    TABLE_ORDER,
    check_allow_list,
    day_name,
    exported_name,
)
from dresskit.registry.deidentify.method import readme_text
from dresskit.registry.deidentify.pseudonyms import age_text, pseudonyms_of, shift_days
from dresskit.registry.deidentify.tables import (
    FORMAT_NAME,
    MINIMUM_KEY_BYTES,
    DateMode,
    DeidentifiedTables,
)

__all__ = ["deidentify"]


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
'last_follow_up_day', 'death_day']
    """
    if not isinstance(key, bytes) or len(key) < MINIMUM_KEY_BYTES:
        raise ConfigurationError(
            f"key must be at least {MINIMUM_KEY_BYTES} secret bytes "
            "(e.g. secrets.token_bytes(32)); a short key can be found by trial"
        )
    if dates not in ("relative", "shifted"):
        raise ConfigurationError(f"dates must be 'relative' or 'shifted'; got {dates!r}")
    patient_names = pseudonyms_of(key, "patient", bundle.patients.get_column("patient_id"))
    episode_names = pseudonyms_of(key, "episode", bundle.episodes.get_column("episode_id"))
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
        columns = DATE_COLUMNS[table]
        if dates == "relative":
            frame = frame.with_columns(
                [
                    (pl.col(c) - pl.col("__onset")).dt.total_days().alias(day_name(c))
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
        table: [exported_name(c, dates) for c in EXPORTED_COLUMNS[table]] for table in TABLE_ORDER
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
            pl.when(pl.col("text").is_in(list(OBSERVATION_TEXT))).then(pl.col("text")).alias("text")
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
            pl.when(pl.col("dose_unit").is_in(list(DOSE_UNITS)))
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
        method=readme_text(dates, withheld),
    )
    check_allow_list(export, dates)
    return export


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
        age_text(age).alias("age_years"),
        basis.alias("age_basis"),
    ).sort("patient_id")
