"""The public entry point for analysis: :func:`read_bundle`, exposed as ``dresskit.read_bundle``.

A script or a notebook that analyses a cohort starts here: one call reads a bundle (a folder
of CSV files, a .zip of it or one .xlsx workbook, ``docs/data-format.md``), checks every rule
of the format and returns the validated :class:`~dresskit.bundle.validation.Bundle`, the same
object the command line's ``dresskit report`` works from.
"""

from __future__ import annotations

from pathlib import Path

from dresskit.bundle import reading
from dresskit.bundle.archive import ReadLimits
from dresskit.bundle.validation import Bundle

__all__ = ["read_bundle"]


def read_bundle(path: str | Path, *, limits: ReadLimits | None = None) -> Bundle:
    """Read and validate a bundle for analysis.

    Parameters
    ----------
    path
        The bundle: a folder of CSV files, a ``.zip`` of that folder or one ``.xlsx``
        workbook with a sheet per table (``docs/data-format.md``).
    limits
        Caps on what the input may hold (default :class:`~dresskit.bundle.archive.ReadLimits`:
        2 GiB uncompressed, 1000 archive members); raise them for a larger trusted bundle.

    Returns
    -------
    Bundle
        The validated bundle: one polars data frame per table (``patients``, ``episodes``,
        ``drug_exposures``, ``drug_assessments``, ``observations``, ``findings``,
        ``treatments``) with typed columns and values in canonical units, the ``manifest``,
        the ``warnings`` (values accepted but worth a second look), and each episode's course
        (``bundle.course(episode_id)``, ``bundle.courses()``). Values that were not recorded
        are null, never zero.

    Raises
    ------
    InputErrors
        Every problem found, each with its file, row, column, value and what is accepted;
        nothing is returned from an invalid bundle.

    See Also
    --------
    dresskit.analysis.course_table : the per-episode course table and its summaries.
    dresskit.analysis.build_report : the whole cohort report.

    Examples
    --------
    >>> import dresskit
    >>> bundle = dresskit.read_bundle("examples/sim2022")
    >>> len(bundle.episode_ids()), bundle.patients.height
    (18, 18)
    >>> bundle.episodes.select("episode_id", "outcome").row(0)
    ('SIM01', 'recovered')
    >>> course = bundle.course("SIM01")
    >>> course.episode.onset.isoformat(), len(course.steroids), len(course.ivig)
    ('2012-05-21', 3, 5)
    """
    return reading.read_bundle(path, limits=limits)
