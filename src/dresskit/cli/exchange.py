"""Exchange commands: ``import`` into the registry and ``export`` out of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from dresskit.cli.common import (
    DbOption,
    JsonOption,
    MaxArchiveMembersOption,
    MaxCompressionRatioOption,
    MaxInputBytesOption,
    UserOption,
    actor_name,
    app,
    domain_errors,
    print_json,
    print_warnings,
    progress,
    read_limits,
    safe_text,
    stdout,
    step,
    usage_error,
)
from dresskit.errors import InputError


def _read_any(source: str, format: str, limits: Any = None, json_bytes: int | None = None) -> Any:
    """Read a bundle, a FHIR R4 Bundle (.json, or ``-``: standard input) or REDCap records.

    ``limits``: the :class:`~dresskit.bundle.ReadLimits` of bundle and REDCap files;
    ``json_bytes``: the size limit of a FHIR file (default 256 MiB).
    """
    if format == "redcap":
        from dresskit.registry.redcap import read_redcap_files

        return read_redcap_files(Path(source), limits=limits)
    if source == "-" and format in ("bundle", "redcap"):
        usage_error(f"standard input (-) carries a FHIR JSON Bundle, not {format}: give a path")
    if format == "fhir" or (format == "auto" and (source.endswith(".json") or source == "-")):
        from dataclasses import replace

        from dresskit.json_input import FHIR_JSON_LIMITS
        from dresskit.registry.fhir import read_fhir

        json_limits = FHIR_JSON_LIMITS
        if json_bytes is not None:
            json_limits = replace(FHIR_JSON_LIMITS, max_bytes=json_bytes)
        return read_fhir(source, limits=json_limits)
    if format not in ("auto", "bundle"):
        raise InputError("format", format, "auto, bundle, fhir or redcap")
    from dresskit.bundle import read_bundle

    return read_bundle(source, limits=limits)


@app.command("import")
def import_(
    source: Annotated[
        str,
        typer.Argument(
            metavar="PATH",
            help="Bundle folder/.zip/.xlsx, FHIR R4 Bundle .json (- for standard input), or "
            "REDCap CSV.",
        ),
    ],
    db: DbOption = None,
    format: Annotated[
        Literal["auto", "bundle", "fhir", "redcap"],
        typer.Option(metavar="FORMAT", help="auto (by the file), bundle, fhir or redcap."),
    ] = "auto",
    user: UserOption = None,
    site: Annotated[
        str,
        typer.Option(
            metavar="SITE",
            help="The site new patients belong to (a bundle holding another site's patients "
            "is refused).",
        ),
    ] = "main",
    as_json: JsonOption = False,
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Import into the registry: validated, all or nothing, idempotent."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.store import import_bundle

    with domain_errors():
        limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
        with progress(show=not as_json) as display:
            step(display, f"reading and validating {safe_text(source)}", 0, 2)
            bundle = _read_any(source, format, limits, max_input_bytes)
            step(display, "writing to the registry", 1, 2)
            report = import_bundle(
                engine_for(db), bundle, actor=actor_name(user), source=source, site=site
            )
        if as_json:
            print_json(
                {
                    "source": source,
                    "changed_nothing": report.changed_nothing,
                    "patients": report.patients,
                    "episodes": report.episodes,
                    "unchanged": report.unchanged,
                    "rows": dict(report.rows),
                    "warnings": [warning.message for warning in bundle.warnings],
                }
            )
            return
        if report.changed_nothing:
            stdout.print(
                f"[green]unchanged[/]: the registry already holds all {report.unchanged} "
                "episode(s) exactly as this file does; nothing was written"
            )
        else:
            rows = ", ".join(f"{count} {name}" for name, count in report.rows.items())
            kept = f" ({report.unchanged} unchanged, left as they were)" if report.unchanged else ""
            stdout.print(
                f"[green]imported[/]: {report.patients} patients, {report.episodes} episodes"
                f"{kept}; {rows}"
            )
        print_warnings(bundle.warnings)


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


def _check_export_choice(
    *, deidentify: bool, identified: bool, dates: str | None, key: Path | None
) -> None:
    """Refuse an export whose kind is not said, or options that would be ignored (exit 2)."""
    if deidentify and identified:
        usage_error("--deidentify and --identified exclude each other: choose one")
    if not deidentify and not identified:
        usage_error(
            "say which copy to export: --deidentify (researchers' copy: pseudonyms, codes, "
            "relative dates) or --identified (ids, names and dates, recorded in the audit)"
        )
    for option, value in (("--dates", dates), ("--key-file", key)):
        if value is not None and not deidentify:
            usage_error(f"{option} applies only with --deidentify (it was not used)")


@app.command()
def export(
    out: Annotated[
        Path, typer.Argument(metavar="PATH", help="Folder (or .zip / .xlsx / .json) to write.")
    ],
    db: DbOption = None,
    format: Annotated[
        Literal["bundle", "fhir", "redcap"],
        typer.Option(metavar="FORMAT", help="bundle, fhir or redcap."),
    ] = "bundle",
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify",
            help="Researchers' copy: keyed-hash ids, controlled codes only, dates as days from "
            "onset (a folder, or a .zip).",
        ),
    ] = False,
    identified: Annotated[
        bool,
        typer.Option(
            "--identified",
            help="The full copy with ids, names and dates (recorded as such in the audit).",
        ),
    ] = False,
    dates: Annotated[
        Literal["relative", "shifted"] | None,
        typer.Option(
            metavar="KIND",
            help="With --deidentify: relative (days from onset, default) or shifted.",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="With --deidentify: the secret key (else DRESSKIT_DEIDENTIFY_KEY).",
        ),
    ] = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the registry (validated on the way out); the export is recorded in the audit.

    Say which copy: --deidentify (for researchers) or --identified (ids, names and dates).
    """
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for, writing
    from dresskit.registry.store import left_out_episodes, load_bundle

    _check_export_choice(deidentify=deidentify, identified=identified, dates=dates, key=key_file)
    if deidentify and format != "bundle":
        usage_error("--deidentify writes a bundle (CSV tables): leave --format out")
    if deidentify and out.suffix.lower() not in ("", ".zip"):
        usage_error("a folder or a .zip with --deidentify", option="PATH")
    with domain_errors(), progress(show=not as_json) as display:
        step(display, "reading the registry", 0, 2)
        engine = engine_for(db)
        bundle = load_bundle(engine)
        left_out = left_out_episodes(bundle)
        step(display, f"validating and writing {safe_text(out)}", 1, 2)

        def record_export() -> None:
            """Write the audit record once the export is complete, before it is in place."""
            with writing(engine).begin() as connection:
                audit.append(
                    connection,
                    actor=actor_name(user),
                    action="export",
                    entity="bundle",
                    entity_id=str(out),
                    after={
                        "format": format,
                        "deidentified": deidentify,
                        "identified": identified,
                        "dates": (dates or "relative") if deidentify else None,
                        "episodes": bundle.episodes.height,
                        "episodes_left_out": left_out,
                    },
                )

        if deidentify:
            from dresskit.registry.deidentify import deidentify as make_deidentified
            from dresskit.registry.deidentify import write_deidentified

            tables = make_deidentified(
                bundle,
                key=_deidentify_key(key_file),
                dates=dates or "relative",
            )
            write_deidentified(tables, out, on_ready=record_export)
        elif format == "fhir":
            from dresskit.registry.fhir import write_fhir

            write_fhir(bundle, out, on_ready=record_export)
        elif format == "redcap":
            from dresskit.registry.redcap import write_redcap_files

            write_redcap_files(bundle, out, on_ready=record_export)
        else:
            from dresskit.bundle import write_bundle

            kind = "zip" if out.suffix == ".zip" else "xlsx" if out.suffix == ".xlsx" else "folder"
            write_bundle(bundle, out, format=kind, on_ready=record_export)  # type: ignore[arg-type]
        step(display, "done", 2, 2)
        if as_json:
            print_json(
                {
                    "out": str(out),
                    "format": format,
                    "deidentified": deidentify,
                    "episodes": bundle.episodes.height,
                    "episodes_left_out": left_out,
                    "warnings": [warning.message for warning in bundle.warnings],
                }
            )
            return
        what = "de-identified " if deidentify else ""
        stdout.print(
            f"[green]exported[/]: {bundle.episodes.height} episodes, {what}{format}, to "
            f"{safe_text(out)}"
        )
        print_warnings(bundle.warnings)
