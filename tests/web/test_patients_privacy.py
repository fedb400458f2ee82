"""What a researcher may see on the patient pages, and hostile text shown as text."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from dresskit.bundle import read_bundle
from dresskit.registry.store import import_bundle
from tests.web.conftest import EXAMPLES, Registry

PSEUDONYM_LINK = re.compile(r'href="/patients/([0-9a-f]{16})"')
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def identifiers() -> tuple[set[str], set[str]]:
    """Every episode and patient id, and every date, of the two example bundles."""
    ids: set[str] = set()
    dates: set[str] = set()
    for bundle in ("sim2022", "shen2024"):
        for path in (EXAMPLES / bundle).glob("*.csv"):
            with path.open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    for column, value in row.items():
                        if column in ("episode_id", "patient_id") and value:
                            ids.add(value)
                        elif value and ISO_DATE.fullmatch(value):
                            dates.add(value)
    return ids, dates


def test_a_researcher_sees_no_real_id_or_date_in_any_page_or_timeline(
    registry: Registry,
) -> None:
    ids, dates = identifiers()
    assert {"SIM01", "SIMP18", "SHEN", "SHENP", "2012-05-21"} <= ids | dates
    client = registry.client("researcher")
    listing = client.get("/patients?per_page=200").text
    shown = PSEUDONYM_LINK.findall(listing)
    assert len(shown) == 19
    answers = [listing]
    for name in shown:
        page = client.get(f"/patients/{name}")
        timeline = client.get(f"/patients/{name}/timeline.json")
        assert page.status_code == timeline.status_code == 200
        answers += [page.text, timeline.text]
    for text in answers:
        assert not ISO_DATE.search(text), ISO_DATE.search(text)
        # Ids as whole words (a pseudonym's hex digits cannot spell SIM.. or SHEN).
        found = {word for word in re.findall(r"[A-Za-z0-9_.-]+", text) if word in ids}
        assert not found


def test_a_researchers_figure_holds_no_real_id_or_date(registry: Registry) -> None:
    client = registry.client("researcher")
    name = PSEUDONYM_LINK.findall(client.get("/patients?site=south").text)[0]
    svg = client.get(f"/patients/{name}/timeline.svg").text
    assert "SHEN" not in svg
    assert not ISO_DATE.search(svg)
    assert name in svg  # titled by the pseudonym


def _bundle_with_drug_named(tmp: Path, name: str) -> Path:
    """The shen2024 example as a new patient (ids XSS1, XSSP) with a hostile drug name."""
    folder = tmp / "hostile"
    shutil.copytree(EXAMPLES / "shen2024", folder)
    for path in folder.glob("*.csv"):
        text = path.read_text(encoding="utf-8").replace("SHENP", "XSSP").replace("SHEN", "XSS1")
        if path.name == "drug_exposures.csv":
            quoted = '"' + name.replace('"', '""') + '"'
            text = text.replace("buspirone", quoted)
        path.write_text(text, encoding="utf-8")
    return folder


def test_a_hostile_drug_name_is_escaped_everywhere(fresh_registry: Registry) -> None:
    payload = "<img src=x onerror=alert(1)>\"'&<script>alert(2)</script>"
    bundle = read_bundle(_bundle_with_drug_named(fresh_registry.tmp, payload))
    import_bundle(fresh_registry.engine, bundle, actor="test", source="hostile", site="north")
    stored = bundle.drug_exposures.get_column("drug").to_list()
    hostile = next(drug for drug in stored if "alert" in drug)
    client = fresh_registry.client("clin-north")
    listing = client.get("/patients", params={"q": "xss1"}).text
    page = client.get("/patients/XSS1").text
    for text in (listing, page):
        assert "<img" not in text
        assert "<script>alert" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
    timeline = client.get("/patients/XSS1/timeline.json")
    assert timeline.headers["content-type"] == "application/json"
    assert hostile in {lane["lane"] for lane in timeline.json()["lanes"]}
    # A researcher reads the unlisted drug as a code, never its name.
    researcher = fresh_registry.client("researcher")
    names = PSEUDONYM_LINK.findall(researcher.get("/patients?q=unlisted").text)
    assert len(names) == 1
    coded = researcher.get(f"/patients/{names[0]}").text
    assert "alert" not in coded
    assert "unlisted-drug-1" in coded
