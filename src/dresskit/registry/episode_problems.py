"""Which episode each validation problem belongs to, so that one episode never blocks the rest.

The registry holds what was valid when it was written. Rules can tighten (a plausibility limit
added by a newer dresskit), "today" moves, and a database can be changed by hand; then one
episode may no longer pass the bundle's rules. Loading the whole registry (``export``,
``report --db``) must not fail for everyone because of it: each problem is traced to its
episode through its table and row, those episodes are left out and said so, and the rest is
loaded. An episode edit is refused only for problems of the episode being edited (or its
patient), never for another episode's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import polars as pl

from dresskit.bundle.schema import TABLES
from dresskit.errors import InputError

__all__ = ["problems_by_episode", "without_episodes"]


def problems_by_episode(
    errors: Iterable[InputError],
    tables: Mapping[str, pl.DataFrame],
    file_of: Callable[[str], str],
) -> tuple[dict[str, list[InputError]], list[InputError]]:
    """Split validation problems by the episode they belong to.

    Parameters
    ----------
    errors
        The problems of one :func:`~dresskit.bundle.validate_tables` call.
    tables
        The tables that were validated (row ``n`` of a problem is ``tables[table][n - 1]``).
    file_of
        How the validation named each table's place (to find a problem's table).

    Returns
    -------
    tuple
        Episode id -> its problems (a patient's problem counts for each of its episodes), and
        the problems that belong to no single episode (the manifest, a missing column, the
        count of problems beyond the cap).
    """
    table_of = {file_of(name): name for name in TABLES}
    by_episode: dict[str, list[InputError]] = {}
    unplaced: list[InputError] = []
    episodes = tables.get("episodes")
    for error in errors:
        table = table_of.get(error.source or "")
        frame = tables.get(table or "")
        if table in (None, "manifest") or frame is None or error.row is None:
            unplaced.append(error)
            continue
        if not 1 <= error.row <= frame.height:
            unplaced.append(error)
            continue
        if table == "patients":
            patient = frame.get_column("patient_id")[error.row - 1]
            owners = (
                []
                if episodes is None
                else episodes.filter(pl.col("patient_id") == patient)
                .get_column("episode_id")
                .to_list()
            )
        else:
            owners = [frame.get_column("episode_id")[error.row - 1]]
        owners = [str(owner) for owner in owners if owner is not None]
        if not owners:
            unplaced.append(error)
        for owner in owners:
            by_episode.setdefault(owner, []).append(error)
    return by_episode, unplaced


def without_episodes(
    tables: Mapping[str, pl.DataFrame], episode_ids: Iterable[str]
) -> dict[str, pl.DataFrame]:
    """Return the tables without ``episode_ids``, their rows and patients left with none."""
    dropped = pl.Series(list(episode_ids), dtype=pl.Utf8)
    out = dict(tables)
    for name, frame in tables.items():
        if "episode_id" in frame.columns:
            out[name] = frame.filter(~pl.col("episode_id").cast(pl.Utf8).is_in(dropped.implode()))
    if "episodes" in tables and "patients" in tables:
        episode, patient = pl.col("episode_id").cast(pl.Utf8), pl.col("patient_id").cast(pl.Utf8)
        touched = tables["episodes"].filter(episode.is_in(dropped.implode())).select(patient)
        kept = out["episodes"].select(patient).to_series()
        gone = touched.to_series().filter(~touched.to_series().is_in(kept.implode()))
        out["patients"] = tables["patients"].filter(~patient.is_in(gone.implode()))
    return out
