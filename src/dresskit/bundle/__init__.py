"""The dresskit bundle: the file format of a team's course data, in one package.

A bundle is a folder of CSV files, a .zip of that folder or one .xlsx workbook
(``docs/data-format.md``). This package is the one place that knows the format.
:func:`read_bundle` (:mod:`~dresskit.bundle.public`, also ``dresskit.read_bundle``) is the
entry point for analysis: it reads a bundle, validates it and returns a :class:`Bundle`.

* :mod:`~dresskit.bundle.schema` declares every table and column once;
* :mod:`~dresskit.bundle.reading` reads files as text (folder, .zip, .xlsx), within
  :class:`ReadLimits` (:mod:`~dresskit.bundle.archive` opens .zip and .xlsx safely,
  :mod:`~dresskit.bundle.csv_text` reads one CSV table, :mod:`~dresskit.bundle.workbook`
  one workbook);
* :mod:`~dresskit.bundle.validation` checks every rule and returns a typed :class:`Bundle`
  (with :mod:`~dresskit.bundle.columns`, :mod:`~dresskit.bundle.checks`,
  :mod:`~dresskit.bundle.lookups` and :mod:`~dresskit.bundle.problems`);
* :mod:`~dresskit.bundle.writing` writes a bundle back;
* :mod:`~dresskit.bundle.from_courses` lays course objects out as a bundle's tables;
* :mod:`~dresskit.bundle.plausibility`, :mod:`~dresskit.bundle.drugs` and
  :mod:`~dresskit.bundle.drug_names` hold the plausibility limits and the drug vocabulary;
  :mod:`~dresskit.bundle.fingerprints` tells a changed episode from an unchanged one.

:mod:`dresskit.course` keeps the patient model and the derivations and does no file I/O; the
registry, the analysis and the command line read and write bundles through this package.
"""

from __future__ import annotations

from dresskit.bundle.archive import ReadLimits
from dresskit.bundle.from_courses import course_tables
from dresskit.bundle.public import read_bundle
from dresskit.bundle.reading import read_tables, typed_schema
from dresskit.bundle.schema import FORMAT_NAME, FORMAT_VERSION, TABLES, Column
from dresskit.bundle.validation import Bundle, validate_tables
from dresskit.bundle.writing import BundleFormat, as_text, write_bundle

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "TABLES",
    "Bundle",
    "BundleFormat",
    "Column",
    "ReadLimits",
    "as_text",
    "course_tables",
    "read_bundle",
    "read_tables",
    "typed_schema",
    "validate_tables",
    "write_bundle",
]
