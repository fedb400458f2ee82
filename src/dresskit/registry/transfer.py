"""Import and export for one account: an uploaded file into a site, a site's data out.

The same library calls as ``dresskit import`` and ``dresskit export`` (the command line), with
the account's rules added: an import goes into one of the account's sites only, an export
holds the patients of the account's sites only, and the kind of export is bound to the
account's permissions (identified, or de-identified for researchers). Both are written to
the audit trail as the command line writes them (the import by
:func:`dresskit.registry.store.import_bundle`, an export once it is complete and before it is
handed out).

An uploaded file's format is told by its name: ``.zip`` or ``.xlsx`` (a bundle), ``.json`` (a
FHIR R4 Bundle), ``.csv`` (REDCap records). The bundle reader's limits apply to it
(:class:`~dresskit.bundle.ReadLimits`: size, archive members, compression ratio; members
with ``..``, absolute paths or links refused), and the FHIR reader's size limit is the same.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Final, Literal

from sqlalchemy import Engine

from dresskit.bundle import Bundle, ReadLimits, read_bundle, write_bundle
from dresskit.errors import InputError
from dresskit.json_input import FHIR_JSON_LIMITS
from dresskit.registry import audit
from dresskit.registry.access import Permission, allowed
from dresskit.registry.accounts import Account
from dresskit.registry.cohorts import CohortFilter, choose_cohort
from dresskit.registry.db import writing
from dresskit.registry.deidentify import deidentify, write_deidentified
from dresskit.registry.fhir import read_fhir, write_fhir
from dresskit.registry.redcap import read_redcap_files, write_redcap_files
from dresskit.registry.scoped import pseudonym_key
from dresskit.registry.store import ImportReport, import_bundle

__all__ = [
    "EXPORT_KINDS",
    "UPLOAD_ACCEPTED",
    "ExportKind",
    "ExportedFile",
    "UploadFormat",
    "export_sites",
    "import_upload",
    "read_upload",
    "upload_format",
]

UploadFormat = Literal["bundle", "fhir", "redcap"]
ExportKind = Literal["bundle", "xlsx", "fhir", "redcap", "deidentified"]

#: What an upload's name may end with, in words (said when a name is refused).
UPLOAD_ACCEPTED: Final = (
    "a bundle (.zip or .xlsx), a FHIR R4 Bundle (.json) or REDCap records (.csv)"
)
#: Upload name ending -> (format, the name it is stored under while read).
_UPLOADS: Final[dict[str, tuple[UploadFormat, str]]] = {
    ".zip": ("bundle", "upload.zip"),
    ".xlsx": ("bundle", "upload.xlsx"),
    ".json": ("fhir", "upload.json"),
    ".csv": ("redcap", "records.csv"),
}
#: Each export: (its file name ending, media type, whether it is identified).
EXPORT_KINDS: Final[dict[ExportKind, tuple[str, str, bool]]] = {
    "bundle": (".zip", "application/zip", True),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", True),
    "fhir": (".json", "application/fhir+json", True),
    "redcap": (".zip", "application/zip", True),
    "deidentified": (".zip", "application/zip", False),
}


def upload_format(filename: str) -> tuple[UploadFormat, str]:
    """Return an upload's format and the fixed name to store it under, from its name.

    Raises
    ------
    InputError
        For a name with another ending (the field ``file``).
    """
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower() if filename else ""
    if suffix not in _UPLOADS:
        raise InputError("file", filename, UPLOAD_ACCEPTED)
    return _UPLOADS[suffix]


def read_upload(path: Path, format: UploadFormat, *, limits: ReadLimits) -> Bundle:
    """Read and validate an uploaded file as the command line's ``import`` does.

    Raises
    ------
    InputErrors
        Every problem, each with its file, row, field, value and what is accepted.
    """
    if format == "redcap":
        return read_redcap_files(path, limits=limits)
    if format == "fhir":
        json_limits = replace(
            FHIR_JSON_LIMITS, max_bytes=min(FHIR_JSON_LIMITS.max_bytes, limits.max_input_bytes)
        )
        return read_fhir(path, limits=json_limits)
    return read_bundle(path, limits=limits)


def import_upload(
    engine: Engine, account: Account, bundle: Bundle, *, site: str, source: str
) -> ImportReport:
    """Import a validated bundle into one of the account's sites (all or nothing).

    Raises
    ------
    InputError
        When the account may not import, or ``site`` is not one of its sites.
    dresskit.registry.store.ImportRefusedError
        When the bundle holds another site's patients, or the database refuses it.
    """
    if not allowed(account.role, Permission.IMPORT):
        raise InputError("site", site, "an account allowed to import")
    if site not in account.sites:
        granted = ", ".join(account.sites) or "none"
        raise InputError("site", site, f"a site granted to you ({granted})")
    return import_bundle(engine, bundle, actor=account.username, source=source, site=site)


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """An export ready to hand out: its bytes, download name and media type."""

    content: bytes
    filename: str
    media_type: str
    episodes: int


def _zip_folder(folder: Path) -> bytes:
    target = folder.parent / (folder.name + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    return target.read_bytes()


def export_sites(engine: Engine, account: Account, kind: ExportKind, *, stamp: str) -> ExportedFile:
    """Export the patients of the account's sites, recorded in the audit trail.

    Parameters
    ----------
    engine
        The registry.
    account
        Whose sites; ``deidentified`` needs the de-identified export permission, every
        other kind the identified one.
    kind
        ``bundle`` (.zip of CSV), ``xlsx`` (one workbook), ``fhir`` (FHIR R4 JSON),
        ``redcap`` (.zip of the REDCap files) or ``deidentified`` (.zip: pseudonyms under
        the registry's key, as the researcher sees them; dates as days from onset).
    stamp
        Text for the download's name (e.g. the date), letters, digits and ``-`` only.

    Raises
    ------
    InputError
        An unknown kind, a kind the account may not export, or an account without sites.
    """
    if kind not in EXPORT_KINDS:
        raise InputError("kind", kind, "one of " + ", ".join(EXPORT_KINDS))
    suffix, media_type, identified = EXPORT_KINDS[kind]
    needed = Permission.EXPORT_IDENTIFIED if identified else Permission.EXPORT_DEIDENTIFIED
    if not allowed(account.role, needed):
        accepted = [
            name
            for name, (_, _, ident) in EXPORT_KINDS.items()
            if allowed(
                account.role,
                Permission.EXPORT_IDENTIFIED if ident else Permission.EXPORT_DEIDENTIFIED,
            )
        ]
        may = ", ".join(accepted) or "none"
        raise InputError("kind", kind, f"an export your role may make ({may})")
    # The account's sites, identified: a de-identified export is made from it below.
    cohort = choose_cohort(engine, account, CohortFilter(), deidentified=False, source="export")
    bundle, left_out = cohort.bundle, list(cohort.left_out)
    filename = f"dresskit-{kind}-{stamp}{suffix}"

    def record_export() -> None:
        with writing(engine).begin() as connection:
            audit.append(
                connection,
                actor=account.username,
                action="export",
                entity="bundle",
                entity_id=filename,
                after={
                    "format": "bundle" if kind in ("xlsx", "deidentified") else kind,
                    "file": filename,
                    "deidentified": not identified,
                    "identified": identified,
                    "dates": "relative" if not identified else None,
                    "sites": list(account.sites),
                    "episodes": bundle.episodes.height,
                    "episodes_left_out": left_out if identified else cohort.left_out_count,
                },
            )

    with tempfile.TemporaryDirectory(prefix="dresskit-export-") as folder:
        target = Path(folder) / ("export" + suffix)
        if kind == "deidentified":
            tables = deidentify(bundle, key=pseudonym_key(engine), dates="relative")
            write_deidentified(tables, target, on_ready=record_export)
        elif kind == "fhir":
            write_fhir(bundle, target, on_ready=record_export)
        elif kind == "redcap":
            write_redcap_files(bundle, Path(folder) / "redcap", on_ready=record_export)
            return ExportedFile(
                _zip_folder(Path(folder) / "redcap"), filename, media_type, bundle.episodes.height
            )
        else:
            write_bundle(
                bundle, target, format="xlsx" if kind == "xlsx" else "zip", on_ready=record_export
            )
        return ExportedFile(target.read_bytes(), filename, media_type, bundle.episodes.height)
