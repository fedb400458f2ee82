"""Import and export through the API: all or nothing, every problem listed, sites kept apart."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dresskit.registry.audit import records
from tests.web.conftest import EXAMPLES, Registry
from tests.web.test_role_matrix import IDENTIFIERS


def _client(registry: Registry, username: str = "clin-north", **settings: object) -> TestClient:
    """A client sending a personal token of ``username`` (one per registry and user)."""
    client = TestClient(registry.app(**settings), base_url="https://testserver")  # type: ignore[arg-type]
    client.headers["authorization"] = f"Bearer {registry.api_token(username)}"
    return client


def _zipped(folder: Path, change: dict[str, tuple[bytes, bytes]] | None = None) -> bytes:
    """The bundle in ``folder`` as a .zip, with ``{file: (old, new)}`` replaced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            data = path.read_bytes()
            if change and path.name in change:
                old, new = change[path.name]
                data = data.replace(old, new)
            archive.writestr(path.name, data)
    return buffer.getvalue()


def _renamed_sim(tag: str) -> bytes:
    """sim2022 with every patient and episode id changed: new patients for a registry."""
    renames = {}
    for name in (
        "patients.csv",
        "episodes.csv",
        "drug_exposures.csv",
        "drug_assessments.csv",
        "observations.csv",
        "findings.csv",
        "treatments.csv",
    ):
        renames[name] = (b"SIM", tag.encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((EXAMPLES / "sim2022").iterdir()):
            data = path.read_bytes()
            if path.name in renames:
                data = data.replace(*renames[path.name])
            archive.writestr(path.name, data)
    return buffer.getvalue()


def _upload(client: TestClient, name: str, data: bytes, site: str = "north", **fields: str):
    return client.post(
        "/api/v1/imports", data={"site": site, **fields}, files={"file": (name, data)}
    )


def test_a_bundle_imports_into_the_site_all_at_once(fresh_registry: Registry):
    client = _client(fresh_registry)
    answer = _upload(client, "new.zip", _renamed_sim("NEW"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["file"], report["site"], report["episodes"]) == ("new.zip", "north", 18)
    listed = client.get("/api/v1/patients?patient=NEWP01").json()["items"]
    assert [p["site"] for p in listed] == ["north"]
    imported = [r for r in records(fresh_registry.engine) if r.action == "import"][-1]
    assert imported.actor == "clin-north"
    again = _upload(client, "new.zip", _renamed_sim("NEW")).json()
    assert again["changed_nothing"] is True


def test_a_refused_file_lists_every_problem_by_the_files_own_name(registry: Registry):
    client = _client(registry)
    before = len(records(registry.engine))
    broken = _zipped(EXAMPLES / "sim2022", {"observations.csv": (b",Cel,", b",Celsius,")})
    answer = _upload(client, "ward 7 export.zip", broken)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert len(errors) > 1
    assert {e["field"] for e in errors} == {"unit"}
    assert {e["value"] for e in errors} == {"Celsius"}
    assert all(e["source"] == "ward 7 export.zip/observations.csv" for e in errors)
    assert all(isinstance(e["row"], int) and "Cel" in e["accepted"] for e in errors)
    assert "/tmp" not in answer.text
    assert "upload" not in answer.text
    assert len(records(registry.engine)) == before  # nothing written


def test_a_site_not_granted_is_refused_naming_the_sites_granted(registry: Registry):
    answer = _upload(_client(registry), "x.zip", _renamed_sim("ELSE"), site="south")
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["value"]) == ("site", "south")
    assert "north" in error["accepted"]


def test_another_sites_patients_are_refused_whole(registry: Registry):
    answer = _upload(_client(registry), "shen.zip", _zipped(EXAMPLES / "shen2024"))
    assert answer.status_code == 409
    assert "SHENP" in answer.json()["detail"]
    assert _client(registry).get("/api/v1/episodes/SHEN").status_code == 404


@pytest.mark.parametrize("size", [2049, 5000, 200_000])
def test_an_upload_over_the_limit_is_a_413(registry: Registry, size: int):
    client = _client(registry, max_upload_bytes=2048)
    answer = _upload(client, "big.zip", b"\0" * size)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_zip_bomb_is_refused_by_the_archive_limits(registry: Registry):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in (EXAMPLES / "sim2022").iterdir():
            archive.writestr(path.name, path.read_bytes())
        archive.writestr("padding.txt", b"\0" * (8 * 1024**2))
    answer = _upload(_client(registry), "bomb.zip", buffer.getvalue())
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["source"], error["value"]) == ("bomb.zip", "padding.txt")
    assert "compression ratio" in error["accepted"]


@pytest.mark.parametrize(
    ("name", "fields", "field"),
    [
        ("notes.txt", {}, "file"),
        ("x.zip", {"site": ""}, "site"),
        ("x.zip", {"site": "nowhere"}, "site"),
    ],
)
def test_an_upload_of_an_unknown_kind_is_refused_naming_the_field(
    registry: Registry, name: str, fields: dict[str, str], field: str
):
    answer = _upload(_client(registry), name, b"PK\x03\x04", **fields)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field


def test_a_body_that_is_not_a_file_upload_is_a_415(registry: Registry):
    answer = _client(registry).post("/api/v1/imports", json={"site": "north"})
    assert answer.status_code == 415


def test_a_fhir_file_of_the_registry_reads_back_unchanged(registry: Registry):
    client = _client(registry)
    exported = client.get("/api/v1/exports?format=fhir")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/fhir+json"
    answer = _upload(client, "north.json", exported.content)
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.json()["episodes"] + answer.json()["unchanged"] == 18


def test_redcap_records_of_the_registry_read_back(registry: Registry):
    client = _client(registry)
    exported = client.get("/api/v1/exports?format=redcap")
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert sorted(archive.namelist()) == [
            "data_dictionary.csv",
            "manifest.csv",
            "records.csv",
        ]
        records_csv = archive.read("records.csv")
    answer = _upload(client, "records.csv", records_csv)
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.json()["episodes"] + answer.json()["unchanged"] == 18


def test_a_bundle_export_holds_the_sites_episodes_only_and_is_audited(registry: Registry):
    answer = _client(registry).get("/api/v1/exports?format=bundle")
    assert answer.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="dresskit-bundle-[0-9-]+\.zip"',
        answer.headers["content-disposition"],
    )
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        episodes = archive.read("episodes.csv").decode()
    assert "SIM01" in episodes
    assert "SHEN" not in episodes
    exported = [r for r in records(registry.engine) if r.action == "export"][-1]
    after = json.loads(exported.after or "{}")
    assert exported.actor == "clin-north"
    assert (after["format"], after["identified"], after["episodes"]) == ("bundle", True, 18)
    assert exported.entity_id == after["file"]
    assert after["sites"] == ["north"]


def test_a_researcher_exports_the_de_identified_copy_only(registry: Registry):
    client = _client(registry, "researcher")
    for kind in ("bundle", "xlsx", "fhir", "redcap"):
        assert client.get(f"/api/v1/exports?format={kind}").status_code == 403
    answer = client.get("/api/v1/exports?format=deidentified")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".csv"))
    assert not [i for i in IDENTIFIERS if re.search(rf"\b{re.escape(i)}\b", text)]
    exported = [r for r in records(registry.engine) if r.action == "export"][-1]
    assert json.loads(exported.after or "{}")["deidentified"] is True


def test_a_coordinator_may_import_but_not_export(registry: Registry):
    client = _client(registry, "coord-north")
    assert client.get("/api/v1/exports?format=deidentified").status_code == 403
    assert _upload(client, "x.txt", b"x").status_code == 422  # allowed: refused for the file


def test_an_export_format_must_be_named(registry: Registry):
    answer = _client(registry).get("/api/v1/exports?format=csv")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "format"
