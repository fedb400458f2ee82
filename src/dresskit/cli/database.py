"""Registry database commands: ``db`` (create, upgrade, status) and ``audit`` (log, verify)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dresskit.cli.common import (
    DbOption,
    JsonOption,
    app,
    domain_errors,
    print_json,
    safe_text,
    stderr,
    stdout,
)
from dresskit.printable import printable

db_app = typer.Typer(help="Create, upgrade and inspect the registry database.")
audit_app = typer.Typer(help="Show and check the registry's audit trail.")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


@db_app.command("init")
def db_init(db: DbOption = None) -> None:
    """Create the registry tables (the same as `dresskit db upgrade` on a new database)."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import upgrade

    with domain_errors():
        engine = engine_for(db)
        revision = upgrade(engine)
        shown = safe_text(engine.url.render_as_string(hide_password=True))
        stdout.print(f"[green]registry ready[/]: {shown} ({revision})")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every migration the database does not have yet."""
    db_init(db)


@db_app.command("status")
def db_status(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the database, its schema revision and the newest one."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import schema_status

    with domain_errors():
        status = schema_status(engine_for(db))
        if as_json:
            print_json(
                {
                    "database": status.url,
                    "revision": status.current,
                    "newest": status.head,
                    "up_to_date": status.up_to_date,
                }
            )
            return
        state = "up to date" if status.up_to_date else "needs `dresskit db upgrade`"
        stdout.print(
            f"{safe_text(status.url)}: revision {status.current or 'none (not initialised)'}, "
            f"newest {status.head}: {state}"
        )


@audit_app.command("log")
def audit_log(
    db: DbOption = None,
    last: Annotated[
        int, typer.Option(metavar="N", min=0, help="Show the last N records (0: all).")
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show the audit records, newest last, and the newest hash (note it to check later)."""
    from rich.table import Table

    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with domain_errors():
        rows = audit.records(engine_for(db), limit=last or None)
        if as_json:
            print_json(
                [
                    {
                        "id": record.id,
                        "at": record.at.isoformat(timespec="seconds"),
                        "actor": record.actor,
                        "action": record.action,
                        "entity": record.entity,
                        "entity_id": record.entity_id,
                        "before": None if record.before is None else json.loads(record.before),
                        "after": None if record.after is None else json.loads(record.after),
                        "hash": record.hash,
                    }
                    for record in rows
                ]
            )
            return
        table = Table(title="Audit trail", title_justify="left")
        for column in ("#", "when", "who", "action", "what", "change"):
            table.add_column(column)
        for record in rows:
            # Actors, ids and changes are data: shown as written, never as markup or control
            # codes (cut to 80 characters after the control characters are gone).
            change = printable(record.after or record.before or "")
            table.add_row(
                str(record.id),
                record.at.isoformat(timespec="seconds"),
                safe_text(record.actor),
                safe_text(record.action),
                safe_text(f"{record.entity} {record.entity_id or ''}".strip()),
                safe_text(change if len(change) <= 80 else change[:77] + "..."),
            )
        stdout.print(table)
        if rows:
            stdout.print(f"newest hash: {safe_text(rows[-1].hash)}")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    head: Annotated[
        str | None,
        typer.Option(
            metavar="HASH", help="A newest hash noted earlier, to detect cut-off records."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the hash chain; exit 1 if any record was edited, inserted or deleted."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with domain_errors():
        check = audit.verify(engine_for(db), expected_head=head)
    if as_json:
        print_json(
            {
                "intact": check.intact,
                "checked": check.checked,
                "broken_at": check.broken_at,
                "reason": check.reason or None,
            }
        )
        if not check.intact:
            raise typer.Exit(1)
        return
    if not check.intact:
        stderr.print(f"[bold red]audit trail broken[/]: {check.reason}")
        raise typer.Exit(1)
    stdout.print(
        f"[green]audit trail intact[/]: {check.checked} records"
        + (f" ({check.reason})" if check.reason else "")
    )
