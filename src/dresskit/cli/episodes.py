"""The ``episode`` commands: list the registry's episodes; show, change or delete one.

Changes use optimistic locking: ``--expected-version`` is the version ``episode show``
printed; if someone changed the episode since, the change is refused (exit code 1) and nothing
is written. (``--version`` was its name before 0.2: still read, hidden and deprecated, since
``dresskit --version`` shows the program's version.)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from dresskit.cli.common import (
    DbOption,
    JsonOption,
    UserOption,
    actor_name,
    app,
    domain_errors,
    print_json,
    safe_text,
    stderr,
    stdout,
    usage_error,
)
from dresskit.errors import InputError

episode_app = typer.Typer(help="List the registry's episodes; show, change or delete one.")
app.add_typer(episode_app, name="episode")

_ExpectedVersionOption = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        metavar="N",
        min=1,
        help="The version you read (`dresskit episode show`); a stale one is refused.",
        show_default=False,
    ),
]
_OldVersionOption = Annotated[
    int | None,
    typer.Option("--version", hidden=True, help="Deprecated: --expected-version."),
]
EpisodeIdArgument = Annotated[str, typer.Argument(metavar="EPISODE_ID", help="The episode id.")]


def _expected_version(expected: int | None, old: int | None) -> int:
    """Return the version to check: --expected-version, else the deprecated --version."""
    if expected is not None and old is not None and expected != old:
        usage_error("--expected-version and the deprecated --version disagree: give one")
    if expected is None and old is not None:
        stderr.print("[yellow]warning:[/] --version is deprecated here: use --expected-version")
        return old
    if expected is None:
        usage_error(
            "the version you read (`dresskit episode show`) is required",
            option="--expected-version",
        )
    return expected


def _date_columns() -> frozenset[str]:
    """Return the episode columns written as dates, from the bundle's declarations."""
    from dresskit.bundle.schema import TABLES  # polars: loaded only by the commands

    return frozenset(column.name for column in TABLES["episodes"] if column.kind == "date")


def _parse_assignment(assignment: str) -> tuple[str, Any]:
    """Read ``COLUMN=VALUE``: dates as YYYY-MM-DD, an empty value clears the column."""
    column, separator, text = assignment.partition("=")
    if not separator or not column:
        raise InputError(
            "--set", assignment, "COLUMN=VALUE, e.g. outcome=recovered", source="--set"
        )
    if text == "":
        return column, None
    if column in _date_columns():
        try:
            return column, date.fromisoformat(text)
        except ValueError:
            raise InputError(column, text, "a date as YYYY-MM-DD", source="--set") from None
    return column, text


def _engine(db: str | None) -> Any:
    from dresskit.registry.db import engine_for

    return engine_for(db)


@episode_app.command("list")
def episode_list(
    db: DbOption = None,
    patient: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this patient's episodes.")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            metavar="OUTCOME",
            help="Only episodes with this outcome (repeatable): recovered, died, ongoing, "
            "lost_to_follow_up, ...",
        ),
    ] = None,
    phenotype: Annotated[
        list[str] | None,
        typer.Option(metavar="PHENOTYPE", help="Only this phenotype (repeatable): dress, ..."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Onset on or after this date (YYYY-MM-DD)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Onset on or before this date (YYYY-MM-DD)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the registry's episodes (onset order), with their version, filtered by the options."""
    first, last = _iso_date(since, "--since"), _iso_date(until, "--until")
    with domain_errors():
        rows = _episode_rows(db, patient, status or [], phenotype or [], first, last)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"Episodes ({len(rows)})", title_justify="left")
    columns = ("episode_id", "patient_id", "phenotype", "onset_date", "outcome", "version")
    for column in columns:
        table.add_column(column.replace("_", " "), no_wrap=True)
    for row in rows:
        table.add_row(*("" if row[c] is None else safe_text(row[c]) for c in columns))
    stdout.print(table)


def _iso_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage_error(f"{text!r} is not a date as YYYY-MM-DD", option=option)


def _episode_rows(
    db: str | None,
    patient: str | None,
    outcomes: list[str],
    phenotypes: list[str],
    since: date | None,
    until: date | None,
) -> list[dict[str, Any]]:
    """Return the registry's episodes matching every filter given, by onset then id."""
    from sqlalchemy import select

    from dresskit.registry.schema import table

    episodes = table("episodes")
    columns: tuple[str, ...] = (
        "episode_id",
        "patient_id",
        "phenotype",
        "onset_date",
        "admission_date",
        "outcome",
        "last_follow_up_date",
        "death_date",
        "version",
    )
    query = select(*(episodes.c[name] for name in columns if name in episodes.c))
    if patient is not None:
        query = query.where(episodes.c.patient_id == patient)
    if outcomes:
        query = query.where(episodes.c.outcome.in_(outcomes))
    if phenotypes:
        query = query.where(episodes.c.phenotype.in_(phenotypes))
    if since is not None:
        query = query.where(episodes.c.onset_date >= since)
    if until is not None:
        query = query.where(episodes.c.onset_date <= until)
    query = query.order_by(episodes.c.onset_date, episodes.c.episode_id)
    with _engine(db).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


@episode_app.command("show")
def episode_show(
    episode_id: EpisodeIdArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an episode's columns, version and number of rows per table."""
    from dresskit.registry.editing import read_episode

    with domain_errors():
        episode = read_episode(_engine(db), episode_id)
    if as_json:
        print_json(episode)
        return
    from rich.table import Table

    # Values come from the database: printed as written, never as markup or control codes.
    table = Table(title=f"episode {safe_text(episode_id)}", show_header=False)
    rows = episode.pop("rows")
    for name, value in episode.items():
        table.add_row(safe_text(name), "" if value is None else safe_text(value))
    for name, count in rows.items():
        table.add_row(f"{safe_text(name)} rows", safe_text(count))
    stdout.print(table)


@episode_app.command("update")
def episode_update(
    episode_id: EpisodeIdArgument,
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="COLUMN=VALUE",
            help="COLUMN=VALUE (repeatable): outcome, phenotype, admission_date or "
            "last_follow_up_date; dates as YYYY-MM-DD; an empty value clears the column.",
        ),
    ],
    expected_version: _ExpectedVersionOption = None,
    db: DbOption = None,
    user: UserOption = None,
    old_version: _OldVersionOption = None,
) -> None:
    """Change an episode if nobody changed it since the version you read."""
    from dresskit.registry.editing import update_episode

    version = _expected_version(expected_version, old_version)
    with domain_errors():
        changes = dict(_parse_assignment(assignment) for assignment in assignments)
        new_version = update_episode(
            _engine(db),
            episode_id,
            expected_version=version,
            changes=changes,
            actor=actor_name(user),
        )
    listed = ", ".join(
        f"{name}={'' if value is None else value}" for name, value in changes.items()
    )
    stdout.print(
        f"[green]updated[/] {safe_text(episode_id)}: {safe_text(listed)}; now version {new_version}"
    )


@episode_app.command("delete")
def episode_delete(
    episode_id: EpisodeIdArgument,
    expected_version: _ExpectedVersionOption = None,
    db: DbOption = None,
    user: UserOption = None,
    old_version: _OldVersionOption = None,
) -> None:
    """Delete an episode and all its rows if nobody changed it since the version you read."""
    from dresskit.registry.editing import delete_episode

    version = _expected_version(expected_version, old_version)
    with domain_errors():
        delete_episode(_engine(db), episode_id, expected_version=version, actor=actor_name(user))
    stdout.print(
        f"[green]deleted[/] {safe_text(episode_id)} and its rows (recorded in the audit trail)"
    )
