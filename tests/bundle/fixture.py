"""A small valid bundle as text tables (what a CSV reader returns), for bundle tests."""

from __future__ import annotations

import polars as pl

ROWS: dict[str, list[dict[str, str | None]]] = {
    "manifest": [
        {"key": "format", "value": "dresskit-bundle"},
        {"key": "version", "value": "1.0"},
        {"key": "synthetic", "value": "yes"},
    ],
    "patients": [
        {"patient_id": "P1", "sex": "female", "birth_year": "1970", "age_years": None},
        {"patient_id": "P2", "sex": "male", "birth_year": None, "age_years": "54"},
    ],
    "episodes": [
        {
            "episode_id": "E1",
            "patient_id": "P1",
            "phenotype": "dress",
            "onset_date": "2020-03-01",
            "admission_date": "2020-03-02",
            "outcome": "recovered",
            "last_follow_up_date": "2020-04-30",
        },
        {
            "episode_id": "E2",
            "patient_id": "P2",
            "phenotype": "dress",
            "onset_date": "2021-05-10",
            "admission_date": None,
            "outcome": "lost_to_follow_up",
            "last_follow_up_date": "2021-05-20",
        },
    ],
    "drug_exposures": [
        {
            "episode_id": "E1",
            "drug": "carbamazepine",
            "atc_code": "N03AF01",
            "role": "suspect",
            "start_date": "2020-02-01",
            "stop_date": "2020-03-01",
        },
        {
            "episode_id": "E2",
            "drug": "vancomycin",
            "atc_code": None,
            "role": "suspect",
            "start_date": "2021-04-20",
            "stop_date": None,
        },
    ],
    "drug_assessments": [
        {
            "episode_id": "E1",
            "drug": "carbamazepine",
            "instrument": "naranjo",
            "item": item,
            "answer": "unknown",
        }
        for item in (
            "previous_reports",
            "appeared_after_drug",
            "improved_on_withdrawal",
            "reappeared_on_readministration",
            "alternative_causes",
            "reappeared_with_placebo",
            "toxic_concentration",
            "dose_response",
            "previous_similar_reaction",
            "objective_evidence",
        )
    ],
    "observations": [
        {
            "episode_id": "E1",
            "date": "2020-03-01",
            "time": None,
            "code": "weight",
            "value": "60",
            "unit": "kg",
            "text": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "time": "08:00",
            "code": "temperature",
            "value": "102.2",
            "unit": "[degF]",
            "text": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "time": "20:00",
            "code": "temperature",
            "value": "37.1",
            "unit": "Cel",
            "text": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "time": None,
            "code": "eosinophils",
            "value": "1140",
            "unit": "/uL",
            "text": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "time": None,
            "code": "alt",
            "value": "5",
            "unit": "ukat/L",
            "text": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-06",
            "time": None,
            "code": "hhv6_pcr",
            "value": None,
            "unit": None,
            "text": "positive",
        },
        {
            "episode_id": "E2",
            "date": "2021-05-12",
            "time": None,
            "code": "creatinine",
            "value": "176.8",
            "unit": "umol/L",
            "text": None,
        },
    ],
    "findings": [
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "code": "organ_involvement",
            "value": "liver",
            "detail": None,
        },
        {
            "episode_id": "E1",
            "date": "2020-03-05",
            "code": "other_cause_test",
            "value": "negative",
            "detail": "hbv",
        },
    ],
    "treatments": [
        {
            "episode_id": "E1",
            "kind": "steroid",
            "agent": "prednisolone",
            "route": "oral",
            "start_date": "2020-03-05",
            "end_date": "2020-03-20",
            "dose": "1",
            "dose_unit": "mg/kg/d",
            "interval_days": None,
            "loading_dose": None,
        },
        {
            "episode_id": "E1",
            "kind": "ivig",
            "agent": "ivig",
            "route": "iv",
            "start_date": "2020-03-10",
            "end_date": "2020-03-14",
            "dose": "0.4",
            "dose_unit": "g/kg/d",
            "interval_days": None,
            "loading_dose": None,
        },
        {
            "episode_id": "E1",
            "kind": "biologic",
            "agent": "dupilumab",
            "route": "sc",
            "start_date": "2020-03-21",
            "end_date": None,
            "dose": "300",
            "dose_unit": "mg",
            "interval_days": "14",
            "loading_dose": "600",
        },
        {
            "episode_id": "E2",
            "kind": "steroid",
            "agent": "methylprednisolone",
            "route": "iv",
            "start_date": "2021-05-11",
            "end_date": None,
            "dose": "40",
            "dose_unit": "mg/d",
            "interval_days": None,
            "loading_dose": None,
        },
    ],
}


def tables(**changes: list[dict[str, str | None]]) -> dict[str, pl.DataFrame]:
    """The valid tables as text frames, with any table replaced by ``changes``."""
    rows = {**ROWS, **changes}
    out = {}
    for name, records in rows.items():
        columns = list(ROWS[name][0]) if ROWS[name] else []
        if records:
            columns = list(dict.fromkeys([*columns, *records[0]]))
        out[name] = pl.DataFrame(records, schema=dict.fromkeys(columns, pl.Utf8))
    return out


def with_row(table: str, index: int, **values: str | None) -> dict[str, pl.DataFrame]:
    """The valid tables with one cell (or more) of one row changed."""
    rows = [dict(row) for row in ROWS[table]]
    rows[index].update(values)
    return tables(**{table: rows})
