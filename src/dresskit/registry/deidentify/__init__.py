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

from dresskit.registry.deidentify.allow_list import EXPORTED_COLUMNS
from dresskit.registry.deidentify.export import deidentify
from dresskit.registry.deidentify.files import write_deidentified
from dresskit.registry.deidentify.pseudonyms import pseudonym, shift_days
from dresskit.registry.deidentify.tables import DateMode, DeidentifiedTables

__all__ = [
    "EXPORTED_COLUMNS",
    "DateMode",
    "DeidentifiedTables",
    "deidentify",
    "pseudonym",
    "shift_days",
    "write_deidentified",
]
