"""The ``episode`` commands: show, change or delete one episode of the registry.

Changes use optimistic locking: ``--version`` is the version ``episode show`` printed; if
someone changed the episode since, the change is refused (exit code 1) and nothing is written.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from dresskit.bundle.schema import TABLES
from dresskit.cli.common import (
    DbOption,
    UserOption,
    actor_name,
    app,
    domain_errors,
    safe_text,
    stdout,
)
from dresskit.errors import InputError

episode_app = typer.Typer(help="Show, change or delete one episode of the registry.")
app.add_typer(episode_app, name="episode")

_VersionOption = Annotated[
    int,
    typer.Option(
        "--version",
        help="The version you read (`dresskit episode show`); a stale one is refused.",
    ),
]
#: The episode columns written as dates, from the bundle's declarations.
_DATE_COLUMNS = frozenset(column.name for column in TABLES["episodes"] if column.kind == "date")


def _parse_assignment(assignment: str) -> tuple[str, Any]:
    """Read ``COLUMN=VALUE``: dates as YYYY-MM-DD, an empty value clears the column."""
    column, separator, text = assignment.partition("=")
    if not separator or not column:
        raise InputError(
            "--set", assignment, "COLUMN=VALUE, e.g. outcome=recovered", source="--set"
        )
    if text == "":
        return column, None
    if column in _DATE_COLUMNS:
        try:
            return column, date.fromisoformat(text)
        except ValueError:
            raise InputError(column, text, "a date as YYYY-MM-DD", source="--set") from None
    return column, text


def _engine(db: str | None) -> Any:
    from dresskit.registry.db import engine_for

    return engine_for(db)


@episode_app.command("show")
def episode_show(
    episode_id: Annotated[str, typer.Argument(help="The episode id.")],
    db: DbOption = None,
) -> None:
    """Show an episode's columns, version and number of rows per table."""
    from dresskit.registry.editing import read_episode

    with domain_errors():
        episode = read_episode(_engine(db), episode_id)
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
    episode_id: Annotated[str, typer.Argument(help="The episode id.")],
    version: _VersionOption,
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="COLUMN=VALUE (repeatable): outcome, phenotype, admission_date or "
            "last_follow_up_date; dates as YYYY-MM-DD; an empty value clears the column.",
        ),
    ],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Change an episode if nobody changed it since the version you read."""
    from dresskit.registry.editing import update_episode

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
    episode_id: Annotated[str, typer.Argument(help="The episode id.")],
    version: _VersionOption,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Delete an episode and all its rows if nobody changed it since the version you read."""
    from dresskit.registry.editing import delete_episode

    with domain_errors():
        delete_episode(_engine(db), episode_id, expected_version=version, actor=actor_name(user))
    stdout.print(
        f"[green]deleted[/] {safe_text(episode_id)} and its rows (recorded in the audit trail)"
    )
