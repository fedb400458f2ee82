"""Web application commands: ``serve``, ``user`` (add, list, token) and ``site`` (add, list)."""

from __future__ import annotations

import secrets
from typing import Annotated

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
)

user_app = typer.Typer(help="Accounts of the web application and API.")
site_app = typer.Typer(help="Sites (hospitals or units): who sees which patients.")
app.add_typer(user_app, name="user")
app.add_typer(site_app, name="site")

_ROLES = "admin, clinician, coordinator, researcher or auditor"


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Send the session cookie over plain HTTP to hosts other than 127.0.0.1 and "
            "localhost (testing only; put a TLS proxy in front instead).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Worker processes (one per core is usual; 1 by default)."),
    ] = 1,
) -> None:
    """Serve the web application and the REST API (Ctrl-C stops it).

    When the registry has no admin yet, an account named "admin" is created and a one-time
    setup link is printed: there are no default passwords.
    """
    import uvicorn

    from dresskit.registry.access import Role
    from dresskit.registry.accounts import accounts, create_user
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import upgrade
    from dresskit.web import WebSettings, create_app

    with domain_errors():
        engine = engine_for(db)
        upgrade(engine)
        existing = accounts(engine)
        shown_host = f"[{host}]" if ":" in host else host
        base = f"http://{shown_host}:{port}"
        if not any(a.role == Role.ADMIN and a.active for a in existing):
            name = (
                "admin"
                if all(a.username != "admin" for a in existing)
                else "admin-" + secrets.token_hex(3)
            )
            token = create_user(engine, name, role=Role.ADMIN, actor="dresskit serve")
            stdout.print(
                f"No admin yet: account [bold]{name}[/] created. Choose its password once at\n"
                f"  {base}/setup/{token}\n(the link expires in 24 hours)"
            )
        shown = safe_text(engine.url.render_as_string(hide_password=True))
        stdout.print(f"dresskit serving {shown} at [bold]{base}/[/] (Ctrl-C stops it)")
        application = create_app(engine, WebSettings(secure_cookies=not insecure_cookies))
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False)
        return
    # Several processes: each builds its application from the environment.
    import os

    os.environ["DRESSKIT_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    os.environ["DRESSKIT_INSECURE_COOKIES"] = "1" if insecure_cookies else "0"
    uvicorn.run(
        "dresskit.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
    )


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The username.")],
    role: Annotated[str, typer.Option(metavar="ROLE", help=f"One of {_ROLES}.")],
    site: Annotated[
        list[str] | None,
        typer.Option(metavar="SITE", help="A site the user may see (repeat for several)."),
    ] = None,
    random_password: Annotated[
        bool,
        typer.Option(
            "--random-password",
            help="Give a random password, printed once, instead of a one-time setup link.",
        ),
    ] = False,
    db: DbOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an account; print its one-time setup link (or a random password, once)."""
    from dresskit.registry.accounts import create_user
    from dresskit.registry.db import engine_for

    with domain_errors():
        password = secrets.token_urlsafe(15) if random_password else None
        token = create_user(
            engine_for(db),
            name,
            role=role,
            sites=site or (),
            password=password,
            actor=actor_name(user),
        )
    if as_json:
        print_json(
            {
                "username": name,
                "role": role,
                "sites": site or [],
                "password": password,
                "setup_path": f"/setup/{token}" if token else None,
            }
        )
        return
    if password:
        stdout.print(
            f"account [bold]{safe_text(name)}[/] ({safe_text(role)}) created; "
            f"password (shown once): {password}"
        )
    else:
        stdout.print(
            f"account [bold]{safe_text(name)}[/] ({safe_text(role)}) created; its one-time setup "
            f"link (24 hours): http://127.0.0.1:8000/setup/{token}"
        )


@user_app.command("list")
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the accounts, their roles and sites."""
    from dresskit.registry.accounts import accounts
    from dresskit.registry.db import engine_for

    with domain_errors():
        found = accounts(engine_for(db))
    if as_json:
        print_json(
            [
                {
                    "username": a.username,
                    "role": a.role.value,
                    "sites": list(a.sites),
                    "active": a.active,
                }
                for a in found
            ]
        )
        return
    for a in found:
        state = "" if a.active else " (inactive)"
        stdout.print(
            f"{safe_text(a.username)}\t{a.role.value}\t{safe_text(', '.join(a.sites))}{state}"
        )


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The username.")],
    label: Annotated[
        str, typer.Option("--name", metavar="LABEL", help="What the token is for.")
    ] = "command line",
    db: DbOption = None,
) -> None:
    """Create a personal API token for NAME (printed once; stored hashed)."""
    from dresskit.registry.accounts import create_api_token
    from dresskit.registry.db import engine_for

    with domain_errors():
        token = create_api_token(engine_for(db), name, label)
    stdout.print(token)
    stderr.print("send it as 'Authorization: Bearer <token>'; it is not shown again")


@site_app.command("add")
def site_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Short name (lowercase).")],
    title: Annotated[str, typer.Option(help="Full name, shown on pages.")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Create a site."""
    from dresskit.registry.accounts import add_site
    from dresskit.registry.db import engine_for

    with domain_errors():
        add_site(engine_for(db), name, title, actor=actor_name(user))
    stdout.print(f"site [bold]{safe_text(name)}[/] created")


@site_app.command("list")
def site_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the sites and how many patients each holds."""
    from dresskit.registry.accounts import patient_site_counts, sites
    from dresskit.registry.db import engine_for

    with domain_errors():
        engine = engine_for(db)
        found, counts = sites(engine), patient_site_counts(engine)
    if as_json:
        print_json([{"name": n, "title": t, "patients": counts.get(n, 0)} for n, t in found])
        return
    for n, t in found:
        count = counts.get(n, 0)
        stdout.print(f"{safe_text(n)}\t{safe_text(t)}\t{count} patient{'s' if count != 1 else ''}")
