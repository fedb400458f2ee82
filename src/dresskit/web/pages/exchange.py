"""Import and export pages: upload a file and read its problem table; (de-identified) exports.

``/exchange`` uploads a bundle (.zip, .xlsx), a FHIR R4 Bundle (.json) or REDCap records
(.csv) into one of the visitor's sites, all or nothing: a refused file shows every problem in
one table (file, row, field, value, what is accepted) and writes nothing; an accepted one
shows what was written. The upload is copied to a temporary folder of its own, under a name
chosen here, read with the bundle reader's limits (and at most
:attr:`~dresskit.web.settings.WebSettings.max_upload_bytes`), and removed whatever happens.
Exports (identified, or de-identified for researchers) hold the visitor's sites only and are
written to the audit trail as the command line writes them
(:mod:`dresskit.registry.transfer`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from dresskit.bundle import Bundle, ReadLimits
from dresskit.errors import DresskitError, InputError, InputErrors, InputWarning
from dresskit.registry.access import Permission
from dresskit.registry.db import RegistryUnavailableError
from dresskit.registry.store import ImportRefusedError, ImportReport
from dresskit.registry.transfer import (
    EXPORT_KINDS,
    UPLOAD_ACCEPTED,
    ExportKind,
    export_sites,
    import_upload,
    read_upload,
    upload_format,
)
from dresskit.web.auth import Visitor, check_csrf, engine_of, needs, require, settings_of
from dresskit.web.templating import render

__all__ = ["router", "shown_name"]

router = APIRouter(include_in_schema=False)

#: Problems shown in the table (the rest are counted).
MAX_SHOWN: Final = 500
_CHUNK: Final = 1024 * 1024
_MAX_VALUE: Final = 300
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._ ()+-]")
_EXPORT_LABELS: Final[dict[str, str]] = {
    "bundle": "Bundle (.zip of CSV tables)",
    "xlsx": "Bundle as one workbook (.xlsx)",
    "fhir": "FHIR R4 Bundle (.json)",
    "redcap": "REDCap records and data dictionary (.zip)",
    "deidentified": "De-identified bundle for researchers (.zip: pseudonyms, days from onset)",
}


def _size(count: int) -> str:
    return f"{count / 1024**2:.3g} MiB" if count >= 1024**2 else f"{count} bytes"


def shown_name(filename: str | None) -> str:
    """Return an upload's name fit to show: its last part, unusual characters replaced."""
    last = PurePath((filename or "").replace("\\", "/")).name
    return _UNSAFE_NAME.sub("_", last)[:120] or "upload"


def _export_kinds(visitor: Visitor) -> list[tuple[str, str]]:
    return [
        (kind, _EXPORT_LABELS[kind])
        for kind, (_, _, identified) in EXPORT_KINDS.items()
        if visitor.may(
            Permission.EXPORT_IDENTIFIED if identified else Permission.EXPORT_DEIDENTIFIED
        )
    ]


def _page(request: Request, visitor: Visitor, *, status: int = 200, **context: Any) -> Response:
    values = {
        "may_import": visitor.may(Permission.IMPORT),
        "sites": visitor.account.sites,
        "exports": _export_kinds(visitor),
        "accepted": UPLOAD_ACCEPTED,
        "max_upload": _size(settings_of(request).max_upload_bytes),
        "problems": [],
        "problems_not_shown": 0,
        "message": None,
        "report": None,
        "warnings": [],
        "chosen_site": None,
        "filename": None,
        **context,
    }
    return render(request, "exchange/index.html", values, status=status)


_EXCHANGE: Final = (
    Permission.IMPORT,
    Permission.EXPORT_IDENTIFIED,
    Permission.EXPORT_DEIDENTIFIED,
)


@router.get("/exchange", dependencies=[Depends(needs(*_EXCHANGE))])
def exchange_page(request: Request) -> Response:
    """Show the upload form and the exports the visitor may make (what the role allows)."""
    visitor = require(request)
    return _page(request, visitor)


@dataclass(frozen=True, slots=True)
class _Upload:
    """Where an upload is stored while read, and the name its owner knows it by."""

    folder: Path
    stored: str
    original: str

    def located(self, text: str | None) -> str | None:
        """Name a file as the user knows it, never by the server's temporary path."""
        if text is None:
            return None
        for prefix in (str(self.folder / self.stored), str(self.folder)):
            if self.stored and prefix in text:
                head, _, rest = text.partition(prefix)
                rest = rest.lstrip("/")
                return head + self.original + ("/" + rest if rest and rest[0] != " " else rest)
        return text


def _value(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"


def _problem_rows(
    errors: tuple[InputError, ...], upload: _Upload | None = None
) -> list[dict[str, Any]]:
    def located(text: str | None) -> str | None:
        return upload.located(text) if upload is not None else text

    return [
        {
            "source": located(error.source),
            "row": error.row,
            "field": error.field,
            "value": None if error.value_absent else _value(error.value),
            "value_absent": error.value_absent,
            "expected": located(error.expected),
        }
        for error in errors[:MAX_SHOWN]
    ]


def _warning_rows(warnings: tuple[InputWarning, ...], upload: _Upload) -> list[dict[str, Any]]:
    return [
        {
            "source": upload.located(warning.source),
            "row": warning.row,
            "field": warning.field,
            "value": _value(warning.value),
            "concern": warning.concern,
        }
        for warning in warnings[:MAX_SHOWN]
    ]


class _TooLargeError(InputError):
    """An upload over the size limit (answered 413)."""


async def _save_upload(upload: UploadFile, target: Path, limit: int, shown: str) -> None:
    """Copy the upload to ``target``, refusing it past ``limit`` bytes."""
    written = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise _TooLargeError(
                    "file",
                    shown,
                    f"a file of at most {_size(limit)} (this server's limit)",
                )
            out.write(chunk)
    if written == 0:
        raise InputError("file", shown, f"a file that is not empty: {UPLOAD_ACCEPTED}")


def _read_and_import(
    request: Request, visitor: Visitor, path: Path, site: str, source: str
) -> tuple[Bundle, ImportReport]:
    format, _ = upload_format(path.name)
    # Uncompressed, an upload may hold at most 20 times the upload limit (a .zip of CSV
    # deflates about 11 : 1), within the reader's own default limits.
    defaults = ReadLimits()
    limits = ReadLimits(
        max_input_bytes=min(defaults.max_input_bytes, settings_of(request).max_upload_bytes * 20)
    )
    bundle = read_upload(path, format, limits=limits)
    report = import_upload(engine_of(request), visitor.account, bundle, site=site, source=source)
    return bundle, report


@router.post("/exchange/import", dependencies=[Depends(needs(Permission.IMPORT))])
async def import_page(request: Request) -> Response:
    """Import an uploaded file into one of the visitor's sites; show every problem if refused."""
    visitor = require(request, Permission.IMPORT)
    limit = settings_of(request).max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        message = f"The upload is larger than this server accepts ({_size(limit)})."
        return _page(request, visitor, status=413, message=message)
    async with request.form(max_files=1, max_fields=10, max_part_size=64 * 1024) as form:
        token = form.get("csrf_token")
        check_csrf(visitor, token if isinstance(token, str) else None)
        site_value = form.get("site")
        site = site_value if isinstance(site_value, str) else ""
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problem = InputError("file", None, UPLOAD_ACCEPTED)
            rows = _problem_rows((problem,))
            return _page(request, visitor, status=422, problems=rows, chosen_site=site)
        original = shown_name(upload.filename)
        uploads = settings_of(request).work_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads))
        place = _Upload(folder, "", original)
        try:
            try:
                _, stored = upload_format(upload.filename)
                place = _Upload(folder, stored, original)
                await _save_upload(upload, folder / stored, limit, original)
            except InputError as error:
                return _page(
                    request,
                    visitor,
                    status=413 if isinstance(error, _TooLargeError) else 422,
                    problems=_problem_rows((error,), place),
                    chosen_site=site,
                    filename=original,
                )
            try:
                bundle, report = await run_in_threadpool(
                    _read_and_import, request, visitor, folder / stored, site, original
                )
            except (InputError, InputErrors) as error:
                found = error.errors if isinstance(error, InputErrors) else (error,)
                return _page(
                    request,
                    visitor,
                    status=422,
                    problems=_problem_rows(found, place),
                    problems_not_shown=max(0, len(found) - MAX_SHOWN),
                    chosen_site=site,
                    filename=original,
                )
            except (ImportRefusedError, RegistryUnavailableError) as error:
                status = 503 if isinstance(error, RegistryUnavailableError) else 409
                return _page(
                    request,
                    visitor,
                    status=status,
                    message=place.located(str(error)),
                    chosen_site=site,
                    filename=original,
                )
            return _page(
                request,
                visitor,
                report=report,
                warnings=_warning_rows(bundle.warnings, place),
                chosen_site=site,
                filename=original,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _export(request: Request, visitor: Visitor, kind: str, kinds: tuple[str, ...]) -> Response:
    if kind not in kinds:
        problem = InputError("kind", kind, "one of " + ", ".join(kinds))
        return _page(request, visitor, status=422, problems=_problem_rows((problem,)))
    chosen: ExportKind = kind  # type: ignore[assignment]  # one of the table's kinds
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d-%H%M%S")
    try:
        exported = export_sites(engine_of(request), visitor.account, chosen, stamp=stamp)
    except (InputError, InputErrors) as error:
        found = error.errors if isinstance(error, InputErrors) else (error,)
        return _page(request, visitor, status=422, problems=_problem_rows(found))
    except DresskitError as error:
        return _page(request, visitor, status=503, message=str(error))
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
    )


_IDENTIFIED_KINDS: Final = tuple(k for k, (_, _, identified) in EXPORT_KINDS.items() if identified)
_DEIDENTIFIED_KINDS: Final = tuple(
    k for k, (_, _, identified) in EXPORT_KINDS.items() if not identified
)


@router.post("/exchange/export", dependencies=[Depends(needs(Permission.EXPORT_IDENTIFIED))])
def export_identified(
    request: Request,
    kind: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Export the visitor's sites, identified (bundle, workbook, FHIR or REDCap); audited."""
    visitor = require(request, Permission.EXPORT_IDENTIFIED)
    check_csrf(visitor, csrf_token)
    return _export(request, visitor, kind, _IDENTIFIED_KINDS)


@router.post(
    "/exchange/export-deidentified",
    dependencies=[Depends(needs(Permission.EXPORT_DEIDENTIFIED))],
)
def export_deidentified(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Export the visitor's sites de-identified (the researchers' copy); audited."""
    visitor = require(request, Permission.EXPORT_DEIDENTIFIED)
    check_csrf(visitor, csrf_token)
    return _export(request, visitor, "deidentified", _DEIDENTIFIED_KINDS)
