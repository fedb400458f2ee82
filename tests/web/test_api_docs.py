"""The curl examples of docs/api.md run, in order, against a registry holding the examples.

Each ``curl`` line of a ``sh`` block is replayed through the application (as the admin, who
may do everything the examples show): it must succeed, or answer the status its block says
(``# answers 422``). ``$JOB`` and ``$TOKEN_ID`` stand for a report job and a token made
before; ``@new-patients.zip`` for a bundle of new patients, ``@case.json`` for a RegiSCAR case.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dresskit.datasets import load_published_cases
from dresskit.registry.accounts import create_api_token, tokens_of
from tests.web.conftest import EXAMPLES, Registry

DOC = Path(__file__).parents[2] / "docs" / "api.md"
_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[list[str], int | None]]:
    found = []
    for block in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        expected = re.search(r"# answers (\d{3})", block)
        for line in block.splitlines():
            if line.startswith("curl "):
                found.append((shlex.split(line), int(expected[1]) if expected else None))
    return found


def _new_patients() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((EXAMPLES / "sim2022").iterdir()):
            archive.writestr(path.name, path.read_bytes().replace(b"SIM", b"DOC"))
    return buffer.getvalue()


def _request(argv: list[str], values: dict[str, Any]) -> dict[str, Any]:
    def filled(text: str) -> str:
        return re.sub(r"\$([A-Z_]+)", lambda m: values[m[1]], text)

    call: dict[str, Any] = {"method": "GET", "headers": {}, "files": {}, "data": {}}
    words = iter(argv[1:])
    for word in words:
        if word == "-X":
            call["method"] = next(words)
        elif word == "-H":
            name, _, value = filled(next(words)).partition(": ")
            call["headers"][name] = value
        elif word in ("-d", "--data-binary"):
            body = next(words)
            call["content"] = values["@" + body[1:]] if body.startswith("@") else body
            call["method"] = "POST" if call["method"] == "GET" else call["method"]
        elif word == "-F":
            name, _, value = next(words).partition("=")
            if value.startswith("@"):
                call["files"][name] = (value[1:], values[value])
            else:
                call["data"][name] = value
            call["method"] = "POST" if call["method"] == "GET" else call["method"]
        elif word.startswith("-"):
            continue  # --fail-with-body, -i, -OJ: how curl shows the answer
        else:
            call["url"] = filled(word).removeprefix("https://testserver")
    return call


def test_every_curl_example_runs(fresh_registry: Registry) -> None:
    engine = fresh_registry.engine
    case = {"instrument": "regiscar", "input": load_published_cases("regiscar")[0].input}
    token = create_api_token(engine, "admin", "docs")
    create_api_token(engine, "admin", "to revoke in the docs")
    spare = next(t.id for t in tokens_of(engine, "admin") if t.name != "docs")
    values: dict[str, Any] = {
        "DRESSKIT_URL": "https://testserver",
        "DRESSKIT_TOKEN": token,
        "TOKEN_ID": str(spare),
        "JOB": "",
        "@new-patients.zip": _new_patients(),
        "@case.json": json.dumps(case),
    }
    client = TestClient(fresh_registry.app(), base_url="https://testserver")  # type: ignore[arg-type]
    wrong = []
    examples = _examples()
    assert len(examples) >= 25
    for argv, expected in examples:
        call = _request(argv, values)
        answer = client.request(
            call["method"],
            call["url"],
            headers=call["headers"],
            content=call.get("content"),
            files=call["files"] or None,
            data=call["data"] or None,
        )
        ok = answer.status_code == expected if expected else answer.status_code < 300
        if not ok:
            wrong.append(f"{shlex.join(argv)[:160]} -> {answer.status_code} {answer.text[:300]}")
        if call["url"].endswith("/api/v1/reports") and answer.status_code == 202:
            values["JOB"] = answer.json()["id"]
    assert wrong == []
