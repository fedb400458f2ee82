"""Import (bundle, FHIR R4, REDCap) and export through the API.

``POST /api/v1/imports`` takes one file as ``multipart/form-data`` into one site the account
is granted. The upload is counted while it arrives and refused past
:attr:`~dresskit.web.settings.WebSettings.max_upload_bytes` (413) before it is all read; the
file is then read as ``dresskit import`` reads it (:mod:`dresskit.registry.transfer`: the
format by the name's ending, the archive limits against zip bombs, JSON limits, every row
validated) and imported in one transaction, all or nothing. A refused file is a 422 problem
listing every problem with its file, row, field, value and what is accepted, named after the
file sent (the copy on the server has a name of dresskit's choosing, never the client's); a
file holding another site's patients is a 409.

``GET /api/v1/exports?format=...`` downloads the episodes of the account's sites: a bundle
(.zip or .xlsx), FHIR R4 (.json), REDCap records (.zip) or the de-identified copy (.zip),
audited as ``dresskit export`` audits it (the same calls as the import / export page).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import JSONResponse, Response

from dresskit.bundle import ReadLimits
from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import Permission
from dresskit.registry.store import ImportRefusedError
from dresskit.registry.transfer import (
    EXPORT_KINDS,
    UPLOAD_ACCEPTED,
    export_sites,
    import_upload,
    read_upload,
    upload_format,
)
from dresskit.web.api.models import API_SECURITY, problem_responses
from dresskit.web.auth import ForbiddenError, engine_of, needs, require, settings_of
from dresskit.web.problems import input_problem, problem

__all__ = ["ImportResult", "router"]

router = APIRouter(tags=["exchange"], dependencies=API_SECURITY)

_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f]")
#: Uncompressed, an upload may hold at most this many times the upload limit (a .zip of
#: CSV deflates about 11 : 1), within the reader's own defaults (as the import page).
_INFLATION: Final = 20
#: Bytes of a multipart body besides its file (boundaries, part headers, the site field).
_FORM_OVERHEAD: Final = 64 * 1024


class ImportResult(BaseModel):
    """What one import wrote (nothing, when the registry already held it all)."""

    file: str = Field(description="The file's name as sent.")
    site: str
    changed_nothing: bool
    patients: int = Field(description="Patients written (new or changed).")
    episodes: int = Field(description="Episodes written (new or changed).")
    unchanged: int = Field(description="Episodes already held exactly as the file has them.")
    rows: dict[str, int] = Field(description="Rows written per table.")
    warnings: list[str] = Field(description="Values accepted but worth a second look.")


def _too_large(limit: int) -> Response:
    return problem(413, "The upload is too large", f"a file of at most {limit} bytes is accepted")


class _TooLargeError(Exception):
    """The upload grew past the limit."""


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _TooLargeError()
        yield chunk


def _shown_name(filename: str | None) -> str:
    """Return the file's name for messages: its last part, printable, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNPRINTABLE.sub("", name)[:200]


def _renamed(text: str, path: Path, shown: str) -> str:
    """Name the server's copy of the file as the client knows it."""
    return text.replace(str(path), shown).replace(str(path.parent) + "/", "")


def _relocated(error: InputError, path: Path, shown: str) -> InputError:
    """Return the error as the client knows the file: by its name, not the server's copy's."""
    value = _renamed(error.value, path, shown) if isinstance(error.value, str) else error.value
    return type(error)(
        error.field,
        value,
        _renamed(error.expected, path, shown),
        source=None if error.source is None else _renamed(error.source, path, shown),
        row=error.row,
    )


def _refused(field: str, value: object, accepted: str) -> Response:
    return input_problem(InputError(field, value, accepted))


async def _receive(request: Request, limit: int) -> FormData | Response:
    """Read the multipart form (one file, a few fields) within ``limit`` bytes."""
    kind = request.headers.get("content-type", "")
    if not kind.lower().startswith("multipart/form-data"):
        return problem(
            415,
            "Not a file upload",
            "send the file as multipart/form-data with a part named 'file'",
        )
    too_large = _too_large(limit)
    body_limit = limit + _FORM_OVERHEAD  # the file, with the form's boundaries and fields
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_limit:
        return too_large
    parser = MultiPartParser(
        request.headers,
        _capped(request, body_limit),
        max_files=1,
        max_fields=10,
        max_part_size=1024,
    )
    try:
        return await parser.parse()
    except _TooLargeError:
        return too_large
    except MultiPartException as error:
        return _refused("file", error.message, "a multipart/form-data body with one file")


def _read_and_import(request: Request, path: Path, site: str, shown: str) -> dict[str, Any]:
    """Read and import the file (in a worker thread: both take a while)."""
    visitor = require(request)
    format, _ = upload_format(path.name)
    defaults = ReadLimits()
    limit = settings_of(request).max_upload_bytes * _INFLATION
    limits = ReadLimits(max_input_bytes=min(defaults.max_input_bytes, limit))
    try:
        bundle = read_upload(path, format, limits=limits)
    except InputError as error:
        raise InputErrors([_relocated(error, path, shown)]) from None
    except InputErrors as errors:
        raise InputErrors([_relocated(e, path, shown) for e in errors.errors]) from None
    report = import_upload(
        engine_of(request), visitor.account, bundle, site=site, source=f"upload {shown}"
    )
    return {
        "file": shown,
        "site": site,
        "changed_nothing": report.changed_nothing,
        "patients": report.patients,
        "episodes": report.episodes,
        "unchanged": report.unchanged,
        "rows": dict(report.rows),
        "warnings": [_renamed(w.message, path, shown) for w in bundle.warnings],
    }


_UPLOAD_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "site"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/octet-stream",
                            "description": UPLOAD_ACCEPTED + ": the format is told by the "
                            "name's ending.",
                        },
                        "site": {
                            "type": "string",
                            "description": "The site new patients belong to (one of yours).",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/imports",
    summary="Import a file into one of your sites",
    dependencies=[Depends(needs(Permission.IMPORT))],
    response_model=ImportResult,
    responses=problem_responses(409, 413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def imports(request: Request) -> Response:
    """Import one file into one of your sites: validated, all or nothing, idempotent."""
    require(request, Permission.IMPORT)
    received = await _receive(request, settings_of(request).max_upload_bytes)
    if isinstance(received, Response):
        return received
    try:
        return await _import_form(request, received)
    finally:
        await received.close()


async def _import_form(request: Request, form: FormData) -> Response:
    """Check the form's file and site, store the file under dresskit's name, import it."""
    site = form.get("site")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused("file", None, UPLOAD_ACCEPTED)
    shown = _shown_name(upload.filename)
    sites = require(request).account.sites
    if not isinstance(site, str) or site not in sites:
        # Before the file is read (import_upload checks it again, in the registry).
        granted = ", ".join(sites) or "none"
        return _refused("site", site or None, f"a site granted to you ({granted})")
    try:
        _, stored = upload_format(shown)
    except InputError as error:
        return input_problem(error)
    uploads = settings_of(request).work_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads))
    try:
        path = folder / stored
        with path.open("wb") as copy:
            await run_in_threadpool(shutil.copyfileobj, upload.file, copy)
        size = path.stat().st_size
        if not size:
            return _refused("file", shown, f"a file that is not empty: {UPLOAD_ACCEPTED}")
        if size > settings_of(request).max_upload_bytes:
            return _too_large(settings_of(request).max_upload_bytes)
        try:
            result = await run_in_threadpool(_read_and_import, request, path, site, shown)
        except ImportRefusedError as error:
            return problem(
                409,
                "The import was refused",
                _renamed(str(error), path, shown),
                errors=[
                    {
                        "field": "site",
                        "value": site,
                        "accepted": "a file whose patients are new or of this site",
                    }
                ],
            )
        return JSONResponse(ImportResult.model_validate(result).model_dump(mode="json"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


ExportFormat = Literal["bundle", "xlsx", "fhir", "redcap", "deidentified"]


@router.get(
    "/exports",
    summary="Export the episodes of your sites",
    # The least any format needs; an identified format also needs export_identified.
    dependencies=[Depends(needs(Permission.EXPORT_DEIDENTIFIED, Permission.EXPORT_IDENTIFIED))],
    response_class=Response,
    responses={
        200: {
            "description": "The export, as a download (Content-Disposition: attachment).",
            "content": {
                media: {
                    "schema": {"type": "object"}
                    if media.endswith("json")
                    else {"type": "string", "format": "binary"}
                }
                for media in sorted({media for _, media, _ in EXPORT_KINDS.values()})
            },
        },
        **problem_responses(422),
    },
)
def exports(
    request: Request,
    format: Annotated[
        ExportFormat,
        Query(
            description="bundle (.zip), xlsx, fhir (.json) or redcap (.zip): identified, "
            "needs export_identified; deidentified (.zip: pseudonyms, days from onset, codes "
            "only): needs export_deidentified."
        ),
    ],
) -> Response:
    """Download the episodes of your sites; the export is written to the audit trail."""
    visitor = require(request)
    _, _, identified = EXPORT_KINDS[format]
    needed = Permission.EXPORT_IDENTIFIED if identified else Permission.EXPORT_DEIDENTIFIED
    if not visitor.may(needed):
        raise ForbiddenError(f"the {visitor.role.value} role may not do this ({needed.value})")
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d-%H%M%S")
    exported = export_sites(engine_of(request), visitor.account, format, stamp=stamp)
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
    )
