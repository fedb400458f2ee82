"""Exchange a bundle with REDCap: a records table and its data dictionary, and back.

Layout
------
One REDCap record is one **patient** (``record_id`` = ``patient_id``), because REDCap records
are study subjects and a patient may have several reaction episodes. The project is classic
(not longitudinal) with *repeating instruments*:

==================== ==================== ========== ====================================
REDCap form          bundle file          prefix     rows
==================== ==================== ========== ====================================
``patient``          patients.csv         ``pat_``   one per record (no repeat instrument)
``episode``          episodes.csv         ``epi_``   repeating, one instance per episode
``drug_exposure``    drug_exposures.csv   ``dex_``   repeating
``drug_assessment``  drug_assessments.csv ``das_``   repeating
``observation``      observations.csv     ``obs_``   repeating
``finding``          findings.csv         ``fnd_``   repeating
``treatment``        treatments.csv       ``trt_``   repeating
==================== ==================== ========== ====================================

REDCap cannot nest repeating instruments, so every repeating row other than an episode names
its episode in ``<prefix>_episode_id`` (which must be an episode of the same record).
Instances are numbered 1, 2, ... per record and instrument in the bundle's row order, and
rows are ordered record by record (in patients.csv order), form by form, instance by
instance, as REDCap itself exports them. Each row also carries ``<form>_complete`` = ``2``
(REDCap's "Complete" status) for its form; on import these status columns are checked
(0, 1 or 2) and otherwise ignored.

Every cell of the records table is text (null = empty), written exactly as REDCap exports
"raw" data: dates ``YYYY-MM-DD``, times ``HH:MM``, decimals with '.' and no exponent, codes as
their raw coded values. Code values that are not REDCap-safe raw values (only lower-case
letters, digits and ``_``) are written with ``_`` for the other characters (``who-umc`` becomes
``who_umc``) and translated back on import.

The bundle's manifest is not part of the records (REDCap keeps the project title and notes in
the project settings, not in records): :func:`redcap_import` writes ``format`` and
``version`` and whatever entries the caller passes as ``manifest``. On disk
(:mod:`~dresskit.registry.redcap.files`), the export writes the manifest as ``manifest.csv``
beside the records and the import reads it back from there.

References
----------
.. [1] REDCap data dictionary: the 18-column CSV layout, field types, validation types and
   variable name rules (lower-case letters, digits and underscores, starting with a letter;
   at most 26 characters recommended), in REDCap's online help "Data Dictionary" and the
   "Data Dictionary Codebook" (Vanderbilt University, https://projectredcap.org).
.. [2] REDCap "Repeating instruments and events": the ``redcap_repeat_instrument`` and
   ``redcap_repeat_instance`` columns of a flat (non-longitudinal) records export/import.
.. [3] Harris PA, Taylor R, Thielke R, et al. Research electronic data capture (REDCap).
   J Biomed Inform 2009;42(2):377-381.
"""

from dresskit.registry.redcap.exporting import redcap_export
from dresskit.registry.redcap.files import read_redcap_files, write_redcap_files
from dresskit.registry.redcap.forms import DATA_DICTIONARY_HEADER, redcap_data_dictionary
from dresskit.registry.redcap.importing import read_redcap, redcap_import

__all__ = [
    "DATA_DICTIONARY_HEADER",
    "read_redcap",
    "read_redcap_files",
    "redcap_data_dictionary",
    "redcap_export",
    "redcap_import",
    "write_redcap_files",
]
