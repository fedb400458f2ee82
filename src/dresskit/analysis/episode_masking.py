"""One episode as a researcher may see it: pseudonyms, coded drug names, days instead of dates.

The de-identified export (:mod:`dresskit.registry.deidentify`) works on whole tables; a
patient page shows one course and everything derived from it, and the derived texts (score
evidence, culprit explanations, response remarks) quote ids, drug names, free text and dates.
Rather than scrubbing those texts afterwards, the course itself is masked *before* anything is
derived (:func:`masked_course`), in ways that cannot change a derived result:

* episode and patient ids become the pseudonyms the registry gives this reader;
* a drug or agent name outside the shipped vocabulary becomes ``unlisted-drug-N`` (numbered
  within the episode in order of first dose, as the export numbers them), so that drugs stay
  distinct and a Naranjo answer stays with its drug; a listed name is kept (it is a code of the
  vocabulary, and the notoriety list names only listed drugs);
* a finding detail becomes ``detail-N`` per distinct value (RegiSCAR counts distinct lymph-node
  sites, so distinctness is what matters), except the names of other-cause tests, which are
  codes (the export keeps those too); an observation's free text that is not one of its code's
  coded results becomes ``withheld``;
* the birth year is dropped once the age at onset is known from it.

Dates stay in the course (every derivation counts days between them); every text shown is
passed through :func:`days_for_dates`, which writes each ISO date as days since onset, and the
page shows no date field. The result is what HIPAA's Safe Harbor method asks of a bundle
(45 CFR §164.514(b)(2): no ids, no elements of dates but the year, ages over 89 grouped) [1]_;
a test scans the researcher's pages for every id and date of the example bundles.

References
----------
.. [1] 45 CFR §164.514(b)(2), de-identification by the "Safe Harbor" method;
   docs/security.md; :mod:`dresskit.registry.deidentify` (the same rules for whole bundles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Final

from dresskit.bundle.drugs import UNLISTED_DRUG, resolve_drug_name
from dresskit.bundle.schema import OTHER_CAUSE_TESTS
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.model import Finding, Observation, PatientCourse

__all__ = [
    "OLDEST_AGE_SHOWN",
    "WITHHELD",
    "age_at_onset",
    "age_text",
    "day_text",
    "days_for_dates",
    "masked_course",
]

#: Ages above this are shown as ``"90+"`` to a researcher (45 CFR §164.514(b)(2)(i)(C)).
OLDEST_AGE_SHOWN: Final = 89
#: What replaces a free text a researcher may not read.
WITHHELD: Final = "withheld"

_ISO_DATE: Final = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_CODED_TEXT: Final = frozenset(
    value for definition in OBSERVATION_CODES.values() for value in definition.text_values
)


def age_at_onset(course: PatientCourse) -> int | None:
    """Return the patient's age at the episode's onset: recorded, else from the birth year.

    ``None`` when neither is recorded (unknown stays unknown).
    """
    patient = course.patient
    if patient.age_years is not None:
        return patient.age_years
    if patient.birth_year is not None:
        return course.episode.onset.year - patient.birth_year
    return None


def age_text(age: int | None, *, identified: bool) -> str | None:
    """Return an age as shown: ``"54"``, or ``"90+"`` above 89 to a researcher; None unknown.

    Examples
    --------
    >>> age_text(93, identified=False), age_text(93, identified=True), age_text(None, identified=False)
    ('90+', '93', None)
    """  # noqa: E501
    if age is None:
        return None
    if not identified and age > OLDEST_AGE_SHOWN:
        return f"{OLDEST_AGE_SHOWN + 1}+"
    return str(age)


def day_text(on: date, onset: date) -> str:
    """Return a date as days since onset: ``"day 0"``, ``"day 12"``, ``"day -3"``.

    Examples
    --------
    >>> day_text(date(2020, 1, 13), date(2020, 1, 1))
    'day 12'
    """
    return f"day {(on - onset).days}"


def days_for_dates(text: str, onset: date) -> str:
    """Write every ISO date (``YYYY-MM-DD``) in ``text`` as days since ``onset``.

    A string that looks like a date but is none (month 13) is withheld as well: it could
    still be a date written wrongly.

    Examples
    --------
    >>> days_for_dates("40 days at >= 1 mg/kg/day from 2012-05-26", date(2012, 5, 21))
    '40 days at >= 1 mg/kg/day from day 5'
    """

    def day(match: re.Match[str]) -> str:
        try:
            on = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return "(date withheld)"
        return day_text(on, onset)

    return _ISO_DATE.sub(day, text)


def _drug_codes(course: PatientCourse) -> dict[str, str]:
    """Each drug or agent name of the course -> the name a researcher sees."""
    codes: dict[str, str] = {}
    unlisted = 0
    exposures = sorted(course.drugs, key=lambda d: (d.start or date.max, d.drug))
    agents = [d.drug for d in exposures]
    agents += [b.agent for b in sorted(course.biologics, key=lambda b: (b.start, b.agent))]
    agents += [t.agent for t in sorted(course.other_treatments, key=lambda t: (t.start, t.agent))]
    for name in agents:
        if name in codes:
            continue
        resolved = resolve_drug_name(name)
        if resolved.entry is not None:
            codes[name] = resolved.entry.name
        else:
            unlisted += 1
            codes[name] = f"{UNLISTED_DRUG}-{unlisted}"
    return codes


def _finding_details(findings: tuple[Finding, ...]) -> dict[str, str]:
    """Each finding detail -> the text a researcher sees (test names kept, others numbered)."""
    details: dict[str, str] = {}
    numbered = 0
    for finding in findings:
        detail = finding.detail
        if detail is None or detail in details:
            continue
        if finding.code == "other_cause_test" and detail in OTHER_CAUSE_TESTS:
            details[detail] = detail
        else:
            numbered += 1
            details[detail] = f"detail-{numbered}"
    return details


def _observation(observation: Observation, episode: str) -> Observation:
    text = observation.text
    if text is not None and text not in _CODED_TEXT:
        text = WITHHELD
    return replace(observation, episode_id=episode, text=text)


def masked_course(
    course: PatientCourse, *, episode_name: str, patient_name: str
) -> tuple[PatientCourse, Mapping[str, str]]:
    """Return the course as a researcher sees it, and each drug name's replacement.

    Parameters
    ----------
    course
        The course as recorded.
    episode_name, patient_name
        The pseudonyms this reader knows the episode and patient by.

    Returns
    -------
    tuple
        The masked course (see the module docstring: every derived result is the same as
        the original course's) and ``{recorded drug name: name shown}``.
    """
    drugs = _drug_codes(course)
    details = _finding_details(course.findings)
    age = age_at_onset(course)
    patient = replace(course.patient, patient_id=patient_name, birth_year=None, age_years=age)
    episode = replace(course.episode, episode_id=episode_name, patient_id=patient_name)
    masked = replace(
        course,
        patient=patient,
        episode=episode,
        drugs=tuple(replace(d, episode_id=episode_name, drug=drugs[d.drug]) for d in course.drugs),
        observations=tuple(_observation(o, episode_name) for o in course.observations),
        findings=tuple(
            replace(
                f,
                episode_id=episode_name,
                detail=details[f.detail] if f.detail is not None else None,
            )
            for f in course.findings
        ),
        steroids=tuple(replace(s, episode_id=episode_name) for s in course.steroids),
        ivig=tuple(replace(i, episode_id=episode_name) for i in course.ivig),
        biologics=tuple(
            replace(b, episode_id=episode_name, agent=drugs[b.agent]) for b in course.biologics
        ),
        other_treatments=tuple(
            replace(t, episode_id=episode_name, agent=drugs[t.agent])
            for t in course.other_treatments
        ),
        notes=(),
    )
    return masked, drugs
