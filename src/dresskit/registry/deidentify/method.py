"""The README of a de-identified export: what was done, its caveats and its references."""

from __future__ import annotations

from collections.abc import Mapping

from dresskit import __version__
from dresskit.bundle.drugs import (
    UNLISTED_DRUG,
    VOCABULARY_VERSION,
)
from dresskit.bundle.schema import (
    FORMAT_VERSION,
)
from dresskit.registry.deidentify.tables import MAX_SHIFT_DAYS, PSEUDONYM_LENGTH, DateMode

__all__ = ["readme_text"]


def readme_text(dates: DateMode, withheld: Mapping[str, int]) -> str:
    """Return the export's README: the method applied, the counts, the caveats, the sources.

    ``withheld`` counts what the allow-list turned into codes or left empty, by kind.
    """
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
