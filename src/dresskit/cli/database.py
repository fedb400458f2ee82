"""Registry database commands: ``db`` (create, upgrade, status) and ``audit`` (log, verify)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dresskit.cli.common import DbOption, app, domain_errors, safe_text, stderr, stdout
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
def db_status(db: DbOption = None) -> None:
    """Show the database, its schema revision and the newest one."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import schema_status

    with domain_errors():
        status = schema_status(engine_for(db))
        state = "up to date" if status.up_to_date else "needs `dresskit db upgrade`"
        stdout.print(
            f"{safe_text(status.url)}: revision {status.current or 'none (not initialised)'}, "
            f"newest {status.head}: {state}"
        )


@audit_app.command("log")
def audit_log(
    db: DbOption = None,
    last: Annotated[int, typer.Option(help="Show the last N records (0: all).")] = 20,
) -> None:
    """Show the audit records, newest last, and the newest hash (note it to check later)."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with domain_errors():
        rows = audit.records(engine_for(db), limit=last or None)
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
        str | None, typer.Option(help="A newest hash noted earlier, to detect cut-off records.")
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 if any record was edited, inserted or deleted."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with domain_errors():
        check = audit.verify(engine_for(db), expected_head=head)
    if not check.intact:
        stderr.print(f"[bold red]audit trail broken[/]: {check.reason}")
        raise typer.Exit(1)
    stdout.print(
        f"[green]audit trail intact[/]: {check.checked} records"
        + (f" ({check.reason})" if check.reason else "")
    )
