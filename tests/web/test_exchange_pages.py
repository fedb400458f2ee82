"""Import and export pages: every problem in one table, hostile uploads, exports by role."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient

from dresskit.registry.audit_search import AuditFilter, search
from dresskit.web import WebSettings, create_app
from tests.web.conftest import EXAMPLES, PASSWORD, Registry, Signed
from tests.web.test_role_matrix import IDENTIFIERS

SHEN: Final = EXAMPLES / "shen2024"


def bundle_zip(
    folder: Path = SHEN, changes: dict[str, Callable[[str], str]] | None = None
) -> bytes:
    """A .zip of a bundle folder's CSV files, each optionally changed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.csv")):
            text = path.read_text(encoding="utf-8")
            if changes and path.stem in changes:
                text = changes[path.stem](text)
            archive.writestr(path.name, text)
    return buffer.getvalue()


def upload(
    client: TestClient, registry: Registry, name: str, content: bytes, site: str = "south"
) -> str:
    """Upload a file on the import page; return the page (asserting nothing about it)."""
    answer = client.post(
        "/exchange/import",
        data={"csrf_token": registry.csrf(client), "site": site},
        files={"file": (name, content, "application/octet-stream")},
    )
    return f"{answer.status_code}\n{answer.text}"


def problem_rows(page: str) -> list[list[str]]:
    """The cells of the problem table, as shown (still escaped)."""
    table = re.search(r'<table class="data problems">.*?</table>', page, re.S)
    assert table is not None, page[:3000]
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def _bad_bundle() -> bytes:
    return bundle_zip(
        changes={
            "episodes": lambda t: t.replace(",dress,", ',"<script>alert(1)</script>",', 1),
            "patients": lambda t: t.replace("female", "feminine", 1),
        }
    )


def test_a_refused_bundle_lists_every_problem_with_file_row_field_value_and_accepted(
    registry: Registry, signed: Signed
) -> None:
    page = upload(signed("clin-south"), registry, "bad bundle.zip", _bad_bundle())
    assert page.startswith("422")
    assert "Nothing was written" in page
    sex, phenotype = problem_rows(page)
    assert sex == [
        "bad bundle.zip/patients.csv",
        "1",
        "sex",
        "feminine",
        "one of female, male, other, unknown",
    ]
    assert phenotype[:3] == ["bad bundle.zip/episodes.csv", "1", "phenotype"]
    assert "one of dress" in phenotype[4]
    assert "dresskit-upload" not in page
    assert str(registry.tmp) not in page  # the server's paths are never shown


def test_a_script_in_a_cell_is_shown_as_text(registry: Registry, signed: Signed) -> None:
    page = upload(signed("clin-south"), registry, "bad.zip", _bad_bundle())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_a_zip_with_path_traversal_is_refused_clearly(registry: Registry, signed: Signed) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/patients.csv", "patient_id,sex\n")
    page = upload(signed("clin-south"), registry, "evil.zip", buffer.getvalue())
    assert page.startswith("422")
    (row,) = problem_rows(page)
    assert row[:4] == ["evil.zip", "", "&lt;member&gt;", "../../etc/patients.csv"]
    assert "relative member path" in row[4]


def test_a_zip_bomb_is_refused_by_its_compression_ratio(registry: Registry, signed: Signed) -> None:
    buffer = io.BytesIO(bundle_zip())
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("padding.txt", b"\0" * (8 * 1024**2))
    page = upload(signed("clin-south"), registry, "bomb.zip", buffer.getvalue())
    assert page.startswith("422")
    (row,) = problem_rows(page)
    assert row[3] == "padding.txt"
    assert "compression ratio of at most 100 : 1" in row[4]


def test_a_csv_that_is_not_utf8_is_refused(registry: Registry, signed: Signed) -> None:
    records = "record_id,redcap_repeat_instrument\nPÄT,\n".encode("latin-1")
    page = upload(signed("clin-south"), registry, "ward 7.csv", records)
    assert page.startswith("422")
    rows = problem_rows(page)
    assert rows[0][0] == "ward 7.csv"
    assert "UTF-8" in " ".join(rows[0])


def test_a_hostile_file_name_is_shown_tamed(registry: Registry, signed: Signed) -> None:
    page = upload(signed("clin-south"), registry, "../<img src=x onerror=alert(1)>.zip", b"PK")
    assert page.startswith("422")
    assert "<img" not in page
    assert problem_rows(page)[0][0] == "_img src_x onerror_alert(1)_.zip"


def test_a_file_of_another_kind_is_refused_naming_what_is_accepted(
    registry: Registry, signed: Signed
) -> None:
    page = upload(signed("clin-south"), registry, "notes.exe", b"MZ")
    assert page.startswith("422")
    (row,) = problem_rows(page)
    assert row[2:4] == ["file", "notes.exe"]
    assert ".zip or .xlsx" in row[4]
    assert ".json" in row[4]
    assert ".csv" in row[4]


def test_a_bad_fhir_file_shows_its_problems(registry: Registry, signed: Signed) -> None:
    page = upload(signed("clin-south"), registry, "fhir.json", b'{"resourceType": "Patient"}')
    assert page.startswith("422")
    assert problem_rows(page)[0][0] == "fhir.json"


def test_an_upload_over_the_size_limit_is_refused(registry: Registry) -> None:
    app = create_app(
        registry.engine, WebSettings(work_dir=registry.tmp / "small", max_upload_bytes=1000)
    )
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    client.post("/sign-in", data={"username": "clin-south", "password": PASSWORD})
    page = upload(client, registry, "big.zip", bundle_zip())
    assert page.startswith("413")
    (row,) = problem_rows(page)
    assert row[2:4] == ["file", "big.zip"]
    assert "a file of at most 1000 bytes" in row[4]
    assert not list((registry.tmp / "small").glob("uploads/*"))


def test_the_uploaded_file_is_removed_whatever_the_outcome(
    registry: Registry, signed: Signed
) -> None:
    client = signed("clin-south")
    upload(client, registry, "bad.zip", _bad_bundle())
    upload(client, registry, "same.zip", bundle_zip())
    assert list((registry.tmp / "jobs" / "uploads").iterdir()) == []


def test_importing_what_the_registry_holds_changes_nothing_and_says_so(
    registry: Registry, signed: Signed
) -> None:
    page = upload(signed("clin-south"), registry, "shen.zip", bundle_zip())
    assert page.startswith("200")
    assert "shen.zip imported into site south" in page
    assert "already holds all 1 episode exactly as this file does" in page


def test_a_new_bundle_is_imported_and_what_was_written_is_shown(
    registry: Registry, signed: Signed
) -> None:
    # A patient of its own (NEWC): every other test of this module holds with or without it.
    client = signed("clin-south")
    renamed = bundle_zip(changes={name.stem: _renamed for name in SHEN.glob("*.csv")})
    page = upload(client, registry, "new.zip", renamed)
    assert page.startswith("200"), page[:2000]
    assert "Written: 1 patient, 1 episode" in page
    assert re.search(r"<td>observations</td><td class=\"num\">36</td>", page)
    found = search(registry.engine, AuditFilter(actor="clin-south", action="import"))
    assert [record.entity_id for record in found.records] == ["new.zip"]


def _renamed(text: str) -> str:
    return text.replace("SHEN", "NEWC")


def test_an_import_into_a_site_not_granted_is_refused(registry: Registry, signed: Signed) -> None:
    page = upload(signed("clin-south"), registry, "x.zip", bundle_zip(), site="north")
    assert page.startswith("422")
    (row,) = problem_rows(page)
    assert row[2:4] == ["site", "north"]
    assert "a site granted to you (south)" in row[4]


def test_another_sites_patients_are_refused_whole(registry: Registry, signed: Signed) -> None:
    page = upload(signed("clin-north"), registry, "shen.zip", bundle_zip(), site="north")
    assert page.startswith("409")
    assert "holds 1 patient(s) of another site" in page


def test_an_import_without_the_csrf_token_is_refused(registry: Registry, signed: Signed) -> None:
    answer = signed("clin-south").post(
        "/exchange/import",
        data={"site": "south"},
        files={"file": ("x.zip", bundle_zip(), "application/zip")},
    )
    assert answer.status_code == 403


def test_a_researcher_may_not_import(registry: Registry, signed: Signed) -> None:
    answer = signed("researcher").post(
        "/exchange/import", files={"file": ("x.zip", b"PK", "application/zip")}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("kind", "suffix", "media"),
    [
        ("bundle", ".zip", "application/zip"),
        ("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("fhir", ".json", "application/fhir+json"),
        ("redcap", ".zip", "application/zip"),
    ],
)
def test_an_identified_export_downloads_with_a_safe_name_and_is_audited(
    registry: Registry, signed: Signed, kind: str, suffix: str, media: str
) -> None:
    client = signed("clin-south")
    answer = client.post(
        "/exchange/export", data={"csrf_token": registry.csrf(client), "kind": kind}
    )
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["content-type"].startswith(media)
    disposition = answer.headers["content-disposition"]
    name = re.fullmatch(r'attachment; filename="(dresskit-[a-z]+-[0-9-]+\.[a-z]+)"', disposition)
    assert name is not None, disposition
    assert name.group(1).endswith(suffix)
    found = search(registry.engine, AuditFilter(action="export", entity_id=name.group(1)))
    assert [r.actor for r in found.records] == ["clin-south"]


def test_an_export_holds_only_the_users_sites(registry: Registry, signed: Signed) -> None:
    client = signed("clin-south")
    answer = client.post(
        "/exchange/export", data={"csrf_token": registry.csrf(client), "kind": "bundle"}
    )
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        episodes = archive.read("episodes.csv").decode("utf-8")
    assert "SHEN," in episodes
    assert "SIM01" not in episodes


def test_the_de_identified_export_holds_no_identifier(registry: Registry, signed: Signed) -> None:
    client = signed("researcher")
    answer = client.post(
        "/exchange/export-deidentified", data={"csrf_token": registry.csrf(client)}
    )
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        text = " ".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    assert "README.md" in " ".join(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
    assert sorted(value for value in IDENTIFIERS if value in text) == []


def test_a_researcher_may_not_export_identified_data(registry: Registry, signed: Signed) -> None:
    client = signed("researcher")
    answer = client.post(
        "/exchange/export", data={"csrf_token": registry.csrf(client), "kind": "bundle"}
    )
    assert answer.status_code == 403
    page = client.get("/exchange").text
    assert "De-identified bundle" in page
    assert 'value="fhir"' not in page
    assert 'action="/exchange/import"' not in page


def test_an_export_without_the_csrf_token_is_refused(signed: Signed) -> None:
    assert signed("clin-south").post("/exchange/export", data={"kind": "fhir"}).status_code == 403


def test_a_role_that_may_neither_import_nor_export_is_refused(signed: Signed) -> None:
    assert signed("auditor").get("/exchange").status_code == 403


def test_a_coordinator_may_import_but_not_export(signed: Signed) -> None:
    page = signed("coord-north").get("/exchange").text
    assert 'action="/exchange/import"' in page
    assert "/exchange/export" not in page


@pytest.mark.parametrize(("kind", "member"), [("fhir", None), ("redcap", "records.csv")])
def test_an_export_imports_back_unchanged(
    registry: Registry, signed: Signed, kind: str, member: str | None
) -> None:
    client = signed("clin-south")
    exported = client.post(
        "/exchange/export", data={"csrf_token": registry.csrf(client), "kind": kind}
    ).content
    if member is not None:
        exported = zipfile.ZipFile(io.BytesIO(exported)).read(member)
    page = upload(client, registry, member or "export.json", exported)
    assert page.startswith("200"), page[:3000]
    assert re.search(r"already holds all \d+ episodes? exactly as this file does", page)
