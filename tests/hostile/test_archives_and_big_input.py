"""Class 4 of issue 10: archives and big input are capped and checked before they are read.

Every test writes real files (folders, .zip archives, .xlsx workbooks, JSON) and checks that
the error names the archive or file, the member or field, the value and what is accepted.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dresskit.bundle import ReadLimits, read_bundle, write_bundle
from dresskit.bundle.archive import open_archive, read_member
from dresskit.cli import app
from dresskit.datasets import load_published_cases
from dresskit.errors import InputError, InputErrors
from dresskit.json_input import FHIR_JSON_LIMITS, JsonLimits
from dresskit.registry.fhir import read_fhir
from tests.bundle.fixture import ROWS
from tests.hostile.fixture_files import fixture_csv

runner = CliRunner()
SHEN = next(case for case in load_published_cases("regiscar") if case.id.startswith("shen2024"))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


_csv = fixture_csv


def _files() -> dict[str, bytes]:
    return {f"{name}.csv": _csv(name) for name in ROWS}


def _zip(path: Path, members: dict[str, bytes], **kwargs: object) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            for key, value in kwargs.items():
                setattr(info, key, value)
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    for name, data in _files().items():
        (path / name).write_bytes(data)
    return path


def _only(caught: pytest.ExceptionInfo[InputErrors]) -> InputError:
    assert len(caught.value.errors) == 1, caught.value
    return caught.value.errors[0]


# --- zip: limits ----------------------------------------------------------------------------


def test_a_clean_zip_bundle_reads(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", {f"bundle/{n}": d for n, d in _files().items()})
    assert read_bundle(archive).episode_ids() == ("E1", "E2")


def test_zip_with_more_members_than_the_limit_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive, limits=ReadLimits(max_archive_members=5))
    error = _only(caught)
    assert error.source == str(archive)
    assert error.value == "8 members"
    assert "at most 5 members" in error.expected
    assert "--max-archive-members" in error.expected


def test_raising_the_member_limit_reads_the_same_zip(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    assert read_bundle(archive, limits=ReadLimits(max_archive_members=8)).episode_ids() == (
        "E1",
        "E2",
    )


def test_zip_whose_directory_declares_too_many_members_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 60000, 60000)  # entries on disk, in total
    archive.write_bytes(bytes(data))
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert (error.source, error.value) == (str(archive), "60000 members")
    assert "at most 1000 members" in error.expected


def test_zip_over_the_uncompressed_size_limit_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    total = sum(len(data) for data in _files().values())
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive, limits=ReadLimits(max_input_bytes=1000))
    error = _only(caught)
    assert error.source == str(archive)
    assert error.value == f"{total} bytes uncompressed"
    assert "at most 1000 bytes" in error.expected
    assert "--max-input-bytes" in error.expected


def test_zip_bomb_member_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    members = _files()
    members["padding.txt"] = b"\0" * (8 * 1024**2)  # deflates about 1000 : 1
    archive = _zip(tmp_path / "b.zip", members)
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert (error.source, error.field, error.value) == (str(archive), "<member>", "padding.txt")
    assert "compression ratio of at most 100 : 1" in error.expected
    assert "--max-compression-ratio" in error.expected


def test_a_highly_compressed_member_reads_once_the_ratio_limit_is_raised(tmp_path: Path) -> None:
    members = _files()
    members["padding.txt"] = b"\0" * (8 * 1024**2)
    archive = _zip(tmp_path / "b.zip", members)
    limits = ReadLimits(max_compression_ratio=5000)
    assert read_bundle(archive, limits=limits).episode_ids() == ("E1", "E2")


def test_a_small_member_is_not_held_to_the_ratio(tmp_path: Path) -> None:
    members = _files()
    members["notes.txt"] = b"\0" * 100_000  # 1000 : 1, but harmless at 100 kB
    archive = _zip(tmp_path / "b.zip", members)
    assert read_bundle(archive).episode_ids() == ("E1", "E2")


def test_reading_a_member_stops_at_the_running_byte_cap(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    limits = ReadLimits()
    with open_archive(archive, limits, what="a zip") as opened:
        info = opened.getinfo("observations.csv")
        with pytest.raises(InputErrors) as caught:
            read_member(opened, info, str(archive), limits, budget=100)
    error = _only(caught)
    assert (error.source, error.value) == (str(archive), "observations.csv")
    assert "for the whole input" in error.expected


def test_a_member_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    data = bytearray(archive.read_bytes())
    # Central directory entry of observations.csv: uncompressed size at offset 24.
    entry = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02"))
    while data[entry + 46 : entry + 46 + len(b"observations.csv")] != b"observations.csv":
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24 : entry + 28] = struct.pack("<I", 10)
    archive.write_bytes(bytes(data))
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert (error.source, error.value) == (str(archive), "observations.csv")
    assert "an intact member" in error.expected


# --- zip: members ---------------------------------------------------------------------------


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in _files().items():
                archive.writestr(name, data)
            archive.writestr("patients.csv", b"patient_id,sex\nP9,female\n")
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    error = _only(caught)
    assert (error.source, error.field, error.value) == (str(path), "<member>", "patients.csv")
    assert error.expected == "each member name once in the archive"


def test_two_candidates_for_the_same_table_in_different_folders_are_refused(
    tmp_path: Path,
) -> None:
    members = {f"bundle/{name}": data for name, data in _files().items()}
    members["old/patients.csv"] = _csv("patients")
    archive = _zip(tmp_path / "b.zip", members)
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert error.source == str(archive)
    assert error.value == "bundle/patients.csv and old/patients.csv"
    assert error.expected.startswith("one patients.csv in the archive")


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("/etc/patients.csv", "an absolute path"),
        ("bundle/../../patients.csv", "a '..' component"),
        ("..\\patients.csv", "a backslash"),
        ("C:/bundle/patients.csv", "a drive letter"),
    ],
)
def test_zip_with_an_unsafe_member_path_is_refused(
    tmp_path: Path, member: str, reason: str
) -> None:
    members = _files()
    members[member] = b"patient_id,sex\n"
    archive = _zip(tmp_path / "b.zip", members)
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert (error.source, error.field, error.value) == (str(archive), "<member>", member)
    assert f"this one has {reason}" in error.expected
    assert "relative member path" in error.expected


def test_zip_with_a_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _files().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("bundle/link.csv")
        link.external_attr = (0o120777 << 16) | 0x20
        link.create_system = 3
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    error = _only(caught)
    assert (error.source, error.value) == (str(path), "bundle/link.csv")
    assert "this member is a symlink" in error.expected


def _set_flag(data: bytearray, member: bytes, bit: int) -> None:
    """Set a general-purpose flag bit of ``member`` in its local and central headers."""
    for signature, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while data[at + name_at : at + name_at + len(member)] != member:
            at = data.find(signature, at + 4)
        (value,) = struct.unpack("<H", data[at + flags : at + flags + 2])
        data[at + flags : at + flags + 2] = struct.pack("<H", value | bit)


def test_zip_with_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    data = bytearray(archive.read_bytes())
    _set_flag(data, b"episodes.csv", 0x1)
    archive.write_bytes(bytes(data))
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    error = _only(caught)
    assert (error.source, error.value) == (str(archive), "episodes.csv")
    assert "password-protected" in error.expected


def test_zip_with_a_bad_crc_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in _files().items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    at = data.find(b"carbamazepine")
    data[at] = ord("C")  # the stored bytes change, the recorded CRC-32 does not
    path.write_bytes(bytes(data))
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    error = _only(caught)
    assert (error.source, error.value) == (str(path), "drug_exposures.csv")
    assert "a bad CRC-32" in error.expected


def test_zip_with_an_unsupported_compression_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _files().items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_BZIP2)
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    assert len(caught.value.errors) == len(ROWS)
    error = caught.value.errors[0]
    assert error.source == str(path)
    assert error.expected == (
        "a member compressed with stored or deflate (this one uses method 12)"
    )


def test_every_refused_member_is_reported_together(tmp_path: Path) -> None:
    members = _files()
    members["/abs.csv"] = b"x"
    members["a/../b.csv"] = b"x"
    archive = _zip(tmp_path / "b.zip", members)
    with pytest.raises(InputErrors) as caught:
        read_bundle(archive)
    assert {error.value for error in caught.value.errors} == {"/abs.csv", "a/../b.csv"}


# --- xlsx: checked as an archive before openpyxl opens it --------------------------------------


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_bundle(read_bundle(EXAMPLES / "shen2024"), tmp_path / "b.xlsx", format="xlsx")


def test_xlsx_with_more_members_than_the_limit_is_refused(workbook: Path) -> None:
    with pytest.raises(InputErrors) as caught:
        read_bundle(workbook, limits=ReadLimits(max_archive_members=5))
    error = _only(caught)
    assert error.source == str(workbook)
    assert "at most 5 members" in error.expected


def test_xlsx_with_an_unsafe_member_is_refused_before_openpyxl_reads_it(
    workbook: Path, tmp_path: Path
) -> None:
    rebuilt = tmp_path / "rebuilt.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("../../evil.xml", b"<x/>")
    with pytest.raises(InputErrors) as caught:
        read_bundle(rebuilt)
    error = _only(caught)
    assert (error.source, error.value) == (str(rebuilt), "../../evil.xml")


def test_xlsx_with_a_bad_crc_is_refused_naming_the_member(workbook: Path, tmp_path: Path) -> None:
    rebuilt = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), compress_type=zipfile.ZIP_STORED)
    data = bytearray(rebuilt.read_bytes())
    at = data.find(b"dupilumab")
    data[at] = ord("D")
    rebuilt.write_bytes(bytes(data))
    with pytest.raises(InputErrors) as caught:
        read_bundle(rebuilt)
    error = _only(caught)
    assert error.source == str(rebuilt)
    assert str(error.value).startswith("xl/")
    assert "a bad CRC-32" in error.expected


def test_xlsx_over_the_size_limit_is_refused(workbook: Path) -> None:
    with pytest.raises(InputErrors) as caught:
        read_bundle(workbook, limits=ReadLimits(max_input_bytes=2000))
    error = _only(caught)
    assert error.source == str(workbook)
    assert "at most 2000 bytes uncompressed" in error.expected


# --- folders ----------------------------------------------------------------------------------


def test_folder_with_a_symlinked_csv_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes(_csv("patients"))
    (folder / "patients.csv").unlink()
    (folder / "patients.csv").symlink_to(elsewhere)
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder)
    error = _only(caught)
    assert error.source == str(folder / "patients.csv")
    assert "symbolic link" in error.expected


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
def test_a_fifo_named_observations_csv_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    (folder / "observations.csv").unlink()
    os.mkfifo(folder / "observations.csv")  # reading it would wait for a writer forever
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder)
    error = _only(caught)
    assert error.source == str(folder / "observations.csv")
    assert "FIFO" in error.expected


def test_a_folder_named_like_a_table_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    (folder / "findings.csv").unlink()
    (folder / "findings.csv").mkdir()
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder)
    assert _only(caught).source == str(folder / "findings.csv")


def test_folder_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    sizes = {file: file.stat().st_size for file in folder.glob("*.csv")}
    largest = max(sizes, key=sizes.__getitem__)
    limit = sorted(sizes.values())[-2]  # only the largest file is over it
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder, limits=ReadLimits(max_input_bytes=limit))
    error = _only(caught)
    assert error.source == str(largest)
    assert error.value == f"{sizes[largest]} bytes"
    assert f"at most {limit} bytes" in error.expected
    assert "--max-input-bytes" in error.expected


def test_every_refused_file_of_a_folder_is_reported_together(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    for name in ("patients.csv", "episodes.csv"):
        (folder / name).unlink()
        (folder / name).symlink_to(tmp_path)
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder)
    assert {error.source for error in caught.value.errors} == {
        str(folder / "patients.csv"),
        str(folder / "episodes.csv"),
    }


def test_folder_over_the_size_limit_in_total_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    sizes = [file.stat().st_size for file in folder.glob("*.csv")]
    with pytest.raises(InputErrors) as caught:
        read_bundle(folder, limits=ReadLimits(max_input_bytes=max(sizes) + 1))
    error = _only(caught)
    assert error.source == str(folder)
    assert error.value == f"{sum(sizes)} bytes in its .csv files"


def test_limits_must_be_positive() -> None:
    from dresskit.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="max_archive_members"):
        ReadLimits(max_archive_members=0)


# --- the command line -------------------------------------------------------------------------


def test_validate_refuses_a_zip_over_the_member_limit_and_the_flag_raises_it(
    tmp_path: Path,
) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    refused = runner.invoke(app, ["validate", str(archive), "--max-archive-members", "5"])
    assert refused.exit_code == 1
    assert "8 members" in refused.stderr
    assert str(archive) in refused.stderr
    accepted = runner.invoke(app, ["validate", str(archive), "--max-archive-members", "8"])
    assert accepted.exit_code == 0, accepted.stderr


def test_validate_refuses_a_bundle_over_the_size_flag(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    result = runner.invoke(app, ["validate", str(folder), "--max-input-bytes", "100"])
    assert result.exit_code == 1
    assert "at most 100 bytes" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["course", "{archive}", "E1"],
        ["report", "{archive}", "--out", "{out}", "--no-pdf"],
        ["import", "{archive}", "--db", "{registry}"],
    ],
)
def test_every_command_that_reads_a_bundle_takes_the_limit_flags(
    tmp_path: Path, command: list[str]
) -> None:
    archive = _zip(tmp_path / "b.zip", _files())
    places = {"archive": archive, "out": tmp_path / "out", "registry": tmp_path / "r.sqlite3"}
    arguments = [part.format(**places) for part in command]
    refused = runner.invoke(app, [*arguments, "--max-archive-members", "5"])
    assert refused.exit_code == 1, refused.stderr
    assert "8 members" in refused.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "r.sqlite3").exists()


def test_a_limit_flag_of_zero_is_a_usage_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "bundle")
    assert runner.invoke(app, ["validate", str(folder), "--max-input-bytes", "0"]).exit_code == 2


def test_import_refuses_a_zip_over_the_ratio_limit_and_writes_nothing(tmp_path: Path) -> None:
    members = _files()
    members["padding.txt"] = b"\0" * (8 * 1024**2)
    archive = _zip(tmp_path / "b.zip", members)
    registry = tmp_path / "r.sqlite3"
    result = runner.invoke(app, ["import", str(archive), "--db", str(registry)])
    assert result.exit_code == 1
    assert "padding.txt" in result.stderr
    assert "--max-compression-ratio" in result.stderr
    assert not registry.exists()


# --- JSON: size and nesting ------------------------------------------------------------------


def test_score_input_over_the_size_limit_is_refused_and_the_flag_raises_it() -> None:
    padded = json.dumps(SHEN.input) + " " * (1024**2)
    refused = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=padded)
    assert refused.exit_code == 1
    assert "<stdin>" in refused.stderr
    assert "at most 1048576 bytes" in refused.stderr
    assert "--max-input-bytes" in refused.stderr
    accepted = runner.invoke(
        app, ["score", "regiscar", "-i", "-", "--max-input-bytes", str(4 * 1024**2)], input=padded
    )
    assert accepted.exit_code == 0, accepted.stderr


def test_score_input_nested_too_deep_is_refused_naming_the_field(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"fever": {"max_temperature": ' + "[" * 100 + "]" * 100 + "}}")
    result = runner.invoke(app, ["score", "regiscar", "-i", str(case)])
    assert result.exit_code == 1
    assert "fever.max_temperature[0]" in result.stderr
    assert "at most 32 levels of nesting" in result.stderr


def test_score_input_with_a_duplicate_key_names_the_field(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"fever": {"max_temperature": {"value": 38.5, "unit": "Cel", "value": 35}}}')
    result = runner.invoke(app, ["score", "regiscar", "-i", str(case)])
    assert result.exit_code == 1
    assert "fever.max_temperature.value" in result.stderr
    assert "each key once" in result.stderr
    assert str(case) in result.stderr


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_score_input_with_a_non_finite_number_names_the_field(constant: str) -> None:
    document = '{"fever": {"max_temperature": {"value": ' + constant + ', "unit": "Cel"}}}'
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=document)
    assert result.exit_code == 1
    assert "'fever.max_temperature.value' must be a finite number" in result.stderr
    assert constant in result.stderr


def test_score_input_with_an_over_long_integer_names_the_field() -> None:
    document = '{"fever": {"max_temperature": {"value": ' + "9" * 5000 + ', "unit": "Cel"}}}'
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=document)
    assert result.exit_code == 1
    assert "'fever.max_temperature.value' must be an integer of at most 19 digits" in (
        result.stderr
    )


def _fhir_document(tmp_path: Path) -> Path:
    from dresskit.registry.fhir import write_fhir

    return write_fhir(read_bundle(EXAMPLES / "shen2024"), tmp_path / "shen.json")


def test_fhir_file_over_its_size_limit_is_refused(tmp_path: Path) -> None:
    path = _fhir_document(tmp_path)
    with pytest.raises(InputErrors) as caught:
        read_fhir(path, limits=JsonLimits(max_bytes=1000))
    error = _only(caught)
    assert (error.source, error.field) == (str(path), "<document>")
    assert "at most 1000 bytes" in error.expected
    assert FHIR_JSON_LIMITS.max_bytes > 1024**2  # the FHIR default is the larger one


def test_fhir_file_with_a_duplicate_key_names_the_json_path(tmp_path: Path) -> None:
    path = _fhir_document(tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    text = json.dumps(document, indent=1)
    first = text.index('"resourceType"', text.index('"entry"'))
    text = text[:first] + '"resourceType": "Basic",\n' + text[first:]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_fhir(path)
    error = _only(caught)
    assert error.source == str(path)
    assert error.field == "entry[0].resource.resourceType"
    assert error.expected.startswith("each key once")


def test_import_refuses_a_fhir_file_over_the_size_flag(tmp_path: Path) -> None:
    path = _fhir_document(tmp_path)
    registry = tmp_path / "r.sqlite3"
    result = runner.invoke(
        app, ["import", str(path), "--db", str(registry), "--max-input-bytes", "1000"]
    )
    assert result.exit_code == 1
    assert "at most 1000 bytes" in result.stderr
    assert not registry.exists()


def test_stdin_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    """A stream larger than the limit is not read to its end (it could be endless)."""
    import subprocess

    script = (
        "import sys\n"
        "from dresskit.json_input import read_json, JsonLimits\n"
        "from dresskit.errors import InputErrors\n"
        "try:\n"
        "    read_json('-', limits=JsonLimits(max_bytes=1000))\n"
        "except InputErrors as errors:\n"
        "    print(errors.errors[0].message)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(b"[" + b"1," * 10_000)
        process.stdin.flush()
        output = process.stdout.read().decode()  # answers with stdin still open
        process.stdin.close()
    assert "<stdin>: field '<document>' must be a JSON document of at most 1000 bytes" in output
