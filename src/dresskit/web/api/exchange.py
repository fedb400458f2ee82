"""Import (bundle, FHIR R4, REDCap) and export through the API.

``POST /api/v1/imports`` takes one file as ``multipart/form-data`` into one site the account
is granted. The upload is counted while it arrives and refused past
:attr:`~dresskit.web.settings.WebSettings.max_upload_bytes` (413) before it is all read; the
file is then read as ``dresskit import`` reads it
(:func:`dresskit.registry.listing_api.read_exchange_file`: archive limits against zip
bombs, JSON limits, every row validated) and imported in one transaction, all or nothing
(:func:`dresskit.registry.store.import_bundle`). A refused file is a 422 problem listing every
problem with its file, row, field, value and what is accepted, named after the file sent
(the copy on the server has a name of dresskit's choosing, never the client's).

``GET /api/v1/exports?format=...`` downloads the episodes of the account's sites: a bundle
(.zip), FHIR R4 (.json), REDCap records (.zip) or the de-identified copy (.zip), audited as
``dresskit export`` audits it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import FileResponse, JSONResponse, Response

from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import Permission
from dresskit.registry.listing_api import export_sites, read_exchange_file
from dresskit.registry.store import ImportRefusedError, import_bundle
from dresskit.web.api.models import API_SECURITY, problem_responses
from dresskit.web.auth import ForbiddenError, engine_of, needs, require, settings_of
from dresskit.web.problems import input_problem, problem

__all__ = ["ImportResult", "router"]

router = APIRouter(tags=["exchange"], dependencies=API_SECURITY)

_SUFFIXES: Final = {".zip": "bundle", ".xlsx": "bundle", ".json": "fhir", ".csv": "redcap"}
_ACCEPTED_FILE: Final = (
    "a bundle (.zip or .xlsx), a FHIR R4 Bundle (.json) or REDCap records (.csv)"
)
_FORMATS: Final = ("auto", "bundle", "fhir", "redcap")
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f]")


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
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNPRINTABLE.sub("", name)[:200] or "upload"


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
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return problem(413, "The upload is too large", f"at most {limit} bytes are accepted")
    parser = MultiPartParser(
        request.headers, _capped(request, limit), max_files=1, max_fields=10, max_part_size=1024
    )
    try:
        form = await parser.parse()
    except _TooLargeError:
        return problem(413, "The upload is too large", f"at most {limit} bytes are accepted")
    except MultiPartException as error:
        return _refused("file", error.message, "a multipart/form-data body with one file")
    return form


def _import(
    request: Request, username: str, path: Path, format: str, site: str, shown: str
) -> dict[str, Any]:
    """Read and import the file (in a worker thread: both take a while)."""
    try:
        bundle = read_exchange_file(path, format)  # type: ignore[arg-type]
    except InputError as error:
        raise InputErrors([_relocated(error, path, shown)]) from None
    except InputErrors as errors:
        raise InputErrors([_relocated(e, path, shown) for e in errors.errors]) from None
    report = import_bundle(
        engine_of(request), bundle, actor=username, source=f"upload {shown}", site=site
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
                            "description": _ACCEPTED_FILE + ".",
                        },
                        "site": {
                            "type": "string",
                            "description": "The site new patients belong to (one of yours).",
                        },
                        "format": {
                            "type": "string",
                            "enum": list(_FORMATS),
                            "default": "auto",
                            "description": "auto: by the file's name (.zip/.xlsx bundle, "
                            ".json FHIR, .csv REDCap).",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/imports",
    dependencies=[Depends(needs(Permission.IMPORT))],
    response_model=ImportResult,
    responses=problem_responses(413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def imports(request: Request) -> Response:
    """Import one file into one of your sites: validated, all or nothing, idempotent."""
    visitor = require(request, Permission.IMPORT)
    limit = settings_of(request).max_upload_bytes
    received = await _receive(request, limit)
    if isinstance(received, Response):
        return received
    folder = Path(tempfile.mkdtemp(prefix="dresskit-upload-"))
    try:
        return await _import_form(
            request, visitor.username, visitor.account.sites, received, folder
        )
    finally:
        await received.close()
        shutil.rmtree(folder, ignore_errors=True)


async def _import_form(
    request: Request, username: str, sites: tuple[str, ...], form: FormData, folder: Path
) -> Response:
    """Check the form's file, site and format; copy the file and import it."""
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    upload = form.get("file")
    site, format = fields.get("site", ""), fields.get("format", "auto") or "auto"
    if not isinstance(upload, UploadFile):
        return _refused("file", None, _ACCEPTED_FILE)
    shown = _shown_name(upload.filename)
    if format not in _FORMATS:
        return _refused("format", format, "one of " + ", ".join(_FORMATS))
    if site not in sites:
        mine = ", ".join(sites) or "none: ask an administrator for a grant"
        return _refused("site", site, f"one of your sites ({mine})")
    suffix = Path(shown).suffix.lower()
    if format == "auto" and suffix not in _SUFFIXES:
        return _refused("file", shown, _ACCEPTED_FILE)
    if format != "auto" and _SUFFIXES.get(suffix) != format:
        suffix = {"fhir": ".json", "redcap": ".csv"}.get(format, suffix)
        if suffix not in _SUFFIXES:
            return _refused("file", shown, "a bundle as .zip or .xlsx")
    path = folder / f"upload{suffix}"
    with path.open("wb") as copy:
        await run_in_threadpool(shutil.copyfileobj, upload.file, copy)
    try:
        result = await run_in_threadpool(_import, request, username, path, format, site, shown)
    except ImportRefusedError as error:
        return problem(
            422,
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


_MEDIA: Final = {
    "bundle": "application/zip",
    "redcap": "application/zip",
    "deidentified": "application/zip",
    "fhir": "application/fhir+json",
}


@router.get(
    "/exports",
    # The least any format needs; an identified format also needs export_identified.
    dependencies=[Depends(needs(Permission.EXPORT_DEIDENTIFIED))],
    response_class=Response,
    responses={
        200: {
            "description": "The export, as a download (Content-Disposition: attachment).",
            "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/fhir+json": {"schema": {"type": "object"}},
            },
        },
        **problem_responses(422),
    },
)
def exports(
    request: Request,
    format: Annotated[
        Literal["bundle", "fhir", "redcap", "deidentified"],
        Query(
            description="bundle, fhir or redcap (identified: export_identified), or "
            "deidentified (pseudonyms, days from onset, codes only: export_deidentified)."
        ),
    ],
) -> Response:
    """Download the episodes of your sites; the export is written to the audit trail."""
    visitor = require(request)
    needed = (
        Permission.EXPORT_DEIDENTIFIED if format == "deidentified" else Permission.EXPORT_IDENTIFIED
    )
    if not visitor.may(needed):
        raise ForbiddenError(f"the {visitor.role.value} role may not do this ({needed.value})")
    folder = Path(tempfile.mkdtemp(prefix="dresskit-export-"))
    try:
        path, _ = export_sites(engine_of(request), visitor.account, format, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=_MEDIA[format],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
