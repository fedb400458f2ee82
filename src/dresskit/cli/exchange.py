"""Exchange commands: ``import`` into the registry and ``export`` out of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dresskit.cli.common import DbOption, UserOption, actor_name, app, domain_errors, stdout
from dresskit.errors import InputError


def _read_any(source: str, format: str) -> Any:
    """Read a bundle, a FHIR R4 Bundle (.json) or REDCap records (.csv with --format redcap)."""
    if format == "redcap":
        from dresskit.registry.redcap import read_redcap_files

        return read_redcap_files(Path(source))
    if format == "fhir" or (format == "auto" and source.endswith(".json")):
        from dresskit.registry.fhir import read_fhir

        return read_fhir(source)
    if format not in ("auto", "bundle"):
        raise InputError("format", format, "auto, bundle, fhir or redcap")
    from dresskit.bundle import read_bundle

    return read_bundle(source)


@app.command("import")
def import_(
    source: Annotated[
        str,
        typer.Argument(help="Bundle folder/.zip/.xlsx, FHIR R4 Bundle .json, or REDCap CSV."),
    ],
    db: DbOption = None,
    format: Annotated[
        str, typer.Option(help="auto (by the file), bundle, fhir or redcap.")
    ] = "auto",
    user: UserOption = None,
) -> None:
    """Import into the registry: validated, all or nothing, idempotent."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.store import import_bundle

    with domain_errors():
        bundle = _read_any(source, format)
        report = import_bundle(engine_for(db), bundle, actor=actor_name(user), source=source)
        rows = ", ".join(f"{count} {name}" for name, count in report.rows.items())
        stdout.print(
            f"[green]imported[/]: {report.patients} patients, {report.episodes} episodes; {rows}"
        )


def _deidentify_key(key_file: Path | None) -> bytes:
    import os

    if key_file is not None:
        try:
            return key_file.read_bytes().strip()
        except OSError as error:
            raise InputError(
                "--key-file", str(key_file), f"a readable key file ({error})"
            ) from None
    key = os.environ.get("DRESSKIT_DEIDENTIFY_KEY")
    if not key:
        raise InputError(
            "--key-file",
            None,
            "a secret key (at least 16 bytes) in a file, or DRESSKIT_DEIDENTIFY_KEY: the same "
            "key gives the same pseudonyms; keep it apart from the export",
        )
    return key.encode("utf-8")


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Folder (or .zip / .xlsx / .json) to write.")],
    db: DbOption = None,
    format: Annotated[str, typer.Option(help="bundle, fhir or redcap.")] = "bundle",
    deidentify: Annotated[
        bool,
        typer.Option(
            help="Researchers' copy: keyed-hash ids, no free text, dates as days from onset."
        ),
    ] = False,
    dates: Annotated[
        str, typer.Option(help="With --deidentify: relative (days from onset) or shifted.")
    ] = "relative",
    key_file: Annotated[
        Path | None,
        typer.Option(help="With --deidentify: the secret key (else DRESSKIT_DEIDENTIFY_KEY)."),
    ] = None,
    user: UserOption = None,
) -> None:
    """Export the registry (validated on the way out); the export is recorded in the audit."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for
    from dresskit.registry.store import load_bundle

    with domain_errors():
        if format not in ("bundle", "fhir", "redcap"):
            raise InputError("format", format, "bundle, fhir or redcap")
        if deidentify and format != "bundle":
            raise InputError("format", format, "bundle with --deidentify (CSV tables)")
        if dates not in ("relative", "shifted"):
            raise InputError("dates", dates, "relative or shifted")
        engine = engine_for(db)
        bundle = load_bundle(engine)
        if deidentify:
            from dresskit.registry.deidentify import deidentify as make_deidentified
            from dresskit.registry.deidentify import write_deidentified

            tables = make_deidentified(
                bundle,
                key=_deidentify_key(key_file),
                dates=dates,  # type: ignore[arg-type]
            )
            write_deidentified(tables, out)
        elif format == "fhir":
            from dresskit.registry.fhir import write_fhir

            write_fhir(bundle, out)
        elif format == "redcap":
            from dresskit.registry.redcap import write_redcap_files

            write_redcap_files(bundle, out)
        else:
            from dresskit.bundle import write_bundle

            kind = "zip" if out.suffix == ".zip" else "xlsx" if out.suffix == ".xlsx" else "folder"
            write_bundle(bundle, out, format=kind)  # type: ignore[arg-type]
        with engine.begin() as connection:
            audit.append(
                connection,
                actor=actor_name(user),
                action="export",
                entity="bundle",
                entity_id=str(out),
                after={
                    "format": format,
                    "deidentified": deidentify,
                    "dates": dates if deidentify else None,
                    "episodes": bundle.episodes.height,
                },
            )
        what = "de-identified " if deidentify else ""
        stdout.print(
            f"[green]exported[/]: {bundle.episodes.height} episodes, {what}{format}, to {out}"
        )
