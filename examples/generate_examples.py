"""Write the two bundled example bundles: synthetic reconstructions, not patient data.

- ``examples/sim2022/``: the 18 patients of Sim et al. 2022 Table 1 (steroid-hyporesponsive
  DRESS given IVIG), with daily temperatures, ALT, eosinophils, steroid and IVIG courses built so
  that dresskit's definitions (clinical-reference.md §10) give back every Table 1 value.
- ``examples/shen2024/``: the case of Shen et al. 2024 (steroid-dependent DRESS with a type 2
  profile, controlled with dupilumab), from its text.

Deterministic (seeded). Run: ``.venv/bin/python examples/generate_examples.py``. Every
assumption is listed in ``examples/README.md``.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).parent

#: Sim et al. Clin Transl Sci 2022;15:782, Table 1: (steroid mg/kg/day, days of steroid before
#: IVIG, IVIG g/kg, days of steroid after IVIG or None, days to defervescence, days to ALT
#: normalisation or None). Patient 14 was lost to follow-up ("—").
SIM_TABLE_1: dict[int, tuple[float, int, float, int | None, int, int | None]] = {
    1: (2, 11, 2, 49, 0, 15),
    2: (2, 11, 2, 91, 1, 13),
    3: (1, 14, 2, 79, 0, 13),
    4: (1, 2, 2, 16, 0, 9),
    5: (1, 3, 2, 67, 3, 4),
    6: (1, 10, 2, 3, 0, 0),
    7: (1, 11, 1.5, 36, 1, 14),
    8: (2, 4, 2, 7, 0, 7),
    9: (2, 8, 2, 131, 1, 13),
    10: (1.5, 5, 2, 5, 2, 3),
    11: (1, 3, 2, 37, 0, 20),
    12: (2, 10, 2, 25, 1, 13),
    13: (1, 4, 2, 74, 3, 13),
    14: (2, 2, 1.6, None, 1, None),
    15: (2, 4, 2, 50, 0, 7),
    16: (2, 3, 2, 28, 0, 27),
    17: (1.5, 9, 2, 56, 3, 15),
    18: (2, 12, 2, 25, 1, 7),
}

#: Culprits per the paper's text (dapsone 5, vancomycin 3 incl. patient 18's bone cement,
#: carbamazepine 3); the other seven are plausible DRESS culprits, not the paper's Table S1.
SIM_DRUGS = {
    1: ("dapsone", "J04BA02"),
    2: ("carbamazepine", "N03AF01"),
    3: ("dapsone", "J04BA02"),
    4: ("allopurinol", "M04AA01"),
    5: ("vancomycin", "J01XA01"),
    6: ("dapsone", "J04BA02"),
    7: ("phenytoin", "N03AB02"),
    8: ("carbamazepine", "N03AF01"),
    9: ("dapsone", "J04BA02"),
    10: ("lamotrigine", "N03AX09"),
    11: ("sulfasalazine", "A07EC01"),
    12: ("vancomycin", "J01XA01"),
    13: ("carbamazepine", "N03AF01"),
    14: ("dapsone", "J04BA02"),
    15: ("celecoxib", "M01AH01"),
    16: ("isoniazid", "J04AC01"),
    17: ("cefotaxime", "J01DD01"),
    18: ("vancomycin", "J01XA01"),
}
#: Latencies (days) with the paper's median 28 and range 8-92.
SIM_LATENCY = [28, 21, 35, 8, 14, 27, 45, 18, 30, 24, 52, 28, 26, 60, 40, 75, 28, 92]
#: Ages with the paper's median 54 and range 18-83; 9 men and 9 women.
SIM_AGES = [54, 61, 18, 47, 70, 35, 66, 52, 83, 44, 58, 29, 75, 49, 63, 54, 38, 72]
# Counts from the text (p. 784); which patients is assumed (Table S1 is not available):
# lymphadenopathy 16, atypical lymphocytes 14 (every patient without eosinophilia has them),
# renal involvement 4, facial oedema 6, oral mucosal involvement 4, HHV-6 tested in 17 with
# 3 positive.
SIM_NO_LYMPHADENOPATHY = (5, 12)
SIM_NO_ATYPICAL_LYMPHOCYTES = (2, 8, 13, 17)
SIM_KIDNEY = (9, 13, 17, 18)
SIM_FACIAL_OEDEMA = (1, 3, 7, 9, 14, 18)
SIM_MUCOSAL = (2, 6, 10, 15)
SIM_HHV6_POSITIVE = (9, 13, 18)
SIM_HHV6_NOT_TESTED = (14,)

_MANIFEST_KEYS = ("key", "value")


def _write(folder: Path, name: str, header: list[str], rows: list[dict[str, object]]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row.get(key) is None else row[key] for key in header})


HEADERS = {
    "patients": ["patient_id", "sex", "birth_year", "age_years"],
    "episodes": [
        "episode_id",
        "patient_id",
        "phenotype",
        "onset_date",
        "admission_date",
        "outcome",
        "last_follow_up_date",
        "death_date",
    ],
    "drug_exposures": ["episode_id", "drug", "atc_code", "role", "start_date", "stop_date"],
    "drug_assessments": ["episode_id", "drug", "instrument", "item", "answer"],
    "observations": ["episode_id", "date", "time", "code", "value", "unit", "text"],
    "findings": ["episode_id", "date", "code", "value", "detail"],
    "treatments": [
        "episode_id",
        "kind",
        "agent",
        "route",
        "start_date",
        "end_date",
        "dose",
        "dose_unit",
        "interval_days",
        "loading_dose",
    ],
}


class _Bundle:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = {name: [] for name in HEADERS}

    def add(self, table: str, **values: object) -> None:
        self.rows[table].append(
            {
                key: (value.isoformat() if isinstance(value, date) else value)
                for key, value in values.items()
            }
        )

    def obs(
        self, episode: str, on: date, code: str, value: float, unit: str, at: str | None = None
    ) -> None:
        self.add(
            "observations",
            episode_id=episode,
            date=on,
            time=at,
            code=code,
            value=f"{value:g}",
            unit=unit,
        )

    def write(self, folder: Path, manifest: dict[str, str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _write(
            folder,
            "manifest",
            list(_MANIFEST_KEYS),
            [{"key": k, "value": v} for k, v in manifest.items()],
        )
        for name, header in HEADERS.items():
            _write(folder, name, header, self.rows[name])


def _sim_patient(bundle: _Bundle, number: int, rng: random.Random) -> None:
    dose_mg_kg, before, ivig_g_kg, after, deferv, alt_day = SIM_TABLE_1[number]
    episode, patient = f"SIM{number:02d}", f"SIMP{number:02d}"
    weight = rng.choice(range(48, 82))
    day0 = date(2012, 3, 1) + timedelta(days=97 * number)  # IVIG start (day 0)
    steroid_start = day0 - timedelta(days=before)
    onset = steroid_start - timedelta(days=rng.randint(2, 5))
    lost, died = number == 14, number == 18
    if lost:
        last = day0 + timedelta(days=3)
    elif died:
        last = day0 + timedelta(days=after or 0)
    else:
        last = day0 + timedelta(days=(after or 0) + 30)
    outcome = "lost_to_follow_up" if lost else "died" if died else "recovered"
    bundle.add(
        "patients",
        patient_id=patient,
        sex="male" if number % 2 else "female",
        age_years=SIM_AGES[number - 1],
    )
    bundle.add(
        "episodes",
        episode_id=episode,
        patient_id=patient,
        phenotype="dress",
        onset_date=onset,
        admission_date=onset + timedelta(days=1),
        outcome=outcome,
        last_follow_up_date=last,
        death_date=last if died else None,  # died on the last steroid day (the last follow-up)
    )
    drug, atc = SIM_DRUGS[number]
    bundle.add(
        "drug_exposures",
        episode_id=episode,
        drug=drug,
        atc_code=atc,
        role="suspect",
        start_date=onset - timedelta(days=SIM_LATENCY[number - 1]),
        stop_date=onset,
    )
    bundle.obs(episode, onset, "weight", weight, "kg")
    # Steroids: the Table 1 dose until day 7 (or the end), then halved, then a quarter.
    end = None if after is None else day0 + timedelta(days=after)
    first_step = day0 + timedelta(days=7)
    if end is not None and end <= first_step:
        segments = [(steroid_start, end, dose_mg_kg)]
    elif end is None:
        segments = [(steroid_start, None, dose_mg_kg)]
    else:
        middle = first_step + (end - first_step) / 2
        segments = [
            (steroid_start, first_step, dose_mg_kg),
            (first_step + timedelta(days=1), middle, dose_mg_kg / 2),
            (middle + timedelta(days=1), end, dose_mg_kg / 4),
        ]
    for start, stop, mg_kg in segments:
        bundle.add(
            "treatments",
            episode_id=episode,
            kind="steroid",
            agent="prednisolone",
            route="iv" if start == steroid_start else "oral",
            start_date=start,
            end_date=stop,
            dose=f"{mg_kg:g}",
            dose_unit="mg/kg/d",
        )
    # IVIG: 0.4 g/kg/day (2 g/kg over 5 days), 0.5 x 3 (1.5), 0.4 x 4 (1.6).
    per_day, days = {2: (0.4, 5), 1.5: (0.5, 3), 1.6: (0.4, 4)}[ivig_g_kg]
    bundle.add(
        "treatments",
        episode_id=episode,
        kind="ivig",
        agent="ivig",
        route="iv",
        start_date=day0,
        end_date=day0 + timedelta(days=days - 1),
        dose=f"{per_day:g}",
        dose_unit="g/kg/d",
    )
    # Temperatures twice daily from onset: febrile until defervescence, then < 37.5 °C.
    temperature_end = min(last, day0 + timedelta(days=21))
    on = onset
    while on <= temperature_end:
        relative = (on - day0).days
        for at in ("06:00", "18:00"):
            if relative < deferv:
                value = (
                    round(rng.uniform(38.5, 39.6), 1)
                    if at == "18:00"
                    else round(rng.uniform(37.6, 38.4), 1)
                )
            else:
                value = round(rng.uniform(36.4, 37.3), 1)
            bundle.obs(episode, on, "temperature", value, "Cel", at)
        on += timedelta(days=1)
    # ALT daily from onset: high, falling to <= 40 U/L exactly on the Table 1 day.
    alt_end = min(last, day0 + timedelta(days=(alt_day or 0) + 10))
    peak = rng.uniform(250, 900)
    on = onset
    while on <= alt_end:
        relative = (on - day0).days
        if alt_day is None or relative < alt_day:
            reached = 0.0 if alt_day is None else max(0.0, (relative + before) / (alt_day + before))
            value = max(45.0, peak * (1 - reached) + 45 * reached + rng.uniform(0, 8))
        else:
            value = rng.uniform(18, 39)
        bundle.obs(episode, on, "alt", round(value), "U/L")
        on += timedelta(days=1)
    # Eosinophils every other day (15 of 18 patients with eosinophilia).
    eosinophilic = number not in (4, 11, 16)
    on = onset
    while on <= min(last, day0 + timedelta(days=21)):
        relative = (on - day0).days
        if eosinophilic:
            value = max(0.1, 2.4 - 0.15 * (relative + before)) + rng.uniform(0, 0.2)
        else:
            value = rng.uniform(0.1, 0.4)
        bundle.obs(episode, on, "eosinophils", round(value * 1000), "/uL")
        on += timedelta(days=2)
    bundle.add("findings", episode_id=episode, date=onset, code="rash", value="present")
    bundle.add(
        "findings",
        episode_id=episode,
        date=onset + timedelta(days=1),
        code="organ_involvement",
        value="liver",
    )
    _sim_findings(bundle, number, episode, onset)


def _sim_findings(bundle: _Bundle, number: int, episode: str, onset: date) -> None:
    """Add the text's counts of findings (p. 784) on the day after onset; no randomness."""
    seen = onset + timedelta(days=1)

    def finding(code: str, value: str, detail: str | None = None) -> None:
        bundle.add("findings", episode_id=episode, date=seen, code=code, value=value, detail=detail)

    if number in SIM_NO_LYMPHADENOPATHY:
        finding("lymph_nodes", "normal")
    else:
        finding("lymph_nodes", "enlarged", "axillary")
        finding("lymph_nodes", "enlarged", "inguinal")
    atypical = 0 if number in SIM_NO_ATYPICAL_LYMPHOCYTES else 8
    bundle.obs(episode, seen, "atypical_lymphocytes_pct", atypical, "%")
    if number in SIM_KIDNEY:
        finding("organ_involvement", "kidney")
    if number in SIM_FACIAL_OEDEMA:
        finding("facial_oedema", "present")
    finding("mucosal_involvement", "present" if number in SIM_MUCOSAL else "absent")
    if number not in SIM_HHV6_NOT_TESTED:
        finding("hhv6_reactivation", "present" if number in SIM_HHV6_POSITIVE else "absent")


def build_sim(folder: Path) -> None:
    """Write the Sim et al. 2022 reconstruction to ``folder``."""
    rng = random.Random(2022)
    bundle = _Bundle()
    for number in SIM_TABLE_1:
        _sim_patient(bundle, number, rng)
    bundle.write(
        folder,
        {
            "format": "dresskit-bundle",
            "version": "1.0",
            "title": "Sim et al. 2022, 18 adults with steroid-hyporesponsive DRESS given IVIG",
            "source": "Synthetic reconstruction consistent with Sim DW, Yu J, Koh YI. Clin Transl "
            "Sci 2022;15:782-788, Table 1; not patient data (see examples/README.md)",
            "synthetic": "yes",
        },
    )


def build_shen(folder: Path) -> None:
    """Shen et al. J Investig Allergol Clin Immunol 2024;34:145: dates are our reconstruction."""
    bundle, episode = _Bundle(), "SHEN"
    onset = date(2022, 1, 3)

    def day(number: int) -> date:
        return onset + timedelta(days=number)

    bundle.add("patients", patient_id="SHENP", sex="female", age_years=18)
    admission = day(44)  # after the external-hospital course and the relapse (4 days)
    dupilumab_start = admission + timedelta(days=14)
    dupilumab_end = dupilumab_start + timedelta(weeks=16) - timedelta(days=1)
    last = dupilumab_end + timedelta(days=150)  # 5-month follow-up without relapse
    bundle.add(
        "episodes",
        episode_id=episode,
        patient_id="SHENP",
        phenotype="dress",
        onset_date=onset,
        admission_date=admission,
        outcome="recovered",
        last_follow_up_date=last,
    )
    for drug in ("buspirone", "oxcarbazepine"):
        bundle.add(
            "drug_exposures",
            episode_id=episode,
            drug=drug,
            role="suspect",
            start_date=onset - timedelta(days=90),
            stop_date=onset,
        )
    # Presentation (text p. 145).
    bundle.obs(episode, day(0), "temperature", 39.3, "Cel", "18:00")
    bundle.obs(episode, day(1), "eosinophils", 1140, "/uL")
    bundle.obs(episode, day(1), "alt", 1757, "U/L")
    for feature, value in (("rash", "present"), ("facial_oedema", "present")):
        bundle.add("findings", episode_id=episode, date=day(0), code=feature, value=value)
    bundle.add("findings", episode_id=episode, date=day(1), code="organ_involvement", value="liver")
    bundle.add(
        "findings",
        episode_id=episode,
        date=day(1),
        code="organ_involvement",
        value="lung",
        detail="pleural effusion",
    )
    for site in ("neck", "groin"):
        bundle.add(
            "findings",
            episode_id=episode,
            date=day(0),
            code="lymph_nodes",
            value="enlarged",
            detail=site,
        )
    # External hospital, week 1: "prednisone 500 mg/d", IVIG 20 g/d, adalimumab 80 mg once.
    steroid_plan = [
        ("prednisone", 0, 6, 500, "iv"),
        ("prednisolone", 7, 13, 30, "oral"),
        ("prednisolone", 14, 20, 25, "oral"),
        ("dexamethasone", 21, 28, 10, "iv"),
        ("prednisolone", 29, 32, 20, "oral"),  # relapse on this dose (4 days)
        ("methylprednisolone", 33, 43, 40, "iv"),  # bridging to admission (assumption)
    ]
    for agent, start, stop, mg, route in steroid_plan:
        bundle.add(
            "treatments",
            episode_id=episode,
            kind="steroid",
            agent=agent,
            route=route,
            start_date=day(start),
            end_date=day(stop),
            dose=mg,
            dose_unit="mg/d",
        )
    bundle.add(
        "treatments",
        episode_id=episode,
        kind="ivig",
        agent="ivig",
        route="iv",
        start_date=day(0),
        end_date=day(6),
        dose=20,
        dose_unit="g/d",
    )
    bundle.add(
        "treatments",
        episode_id=episode,
        kind="other",
        agent="adalimumab",
        route="sc",
        start_date=day(0),
        end_date=day(0),
        dose=80,
        dose_unit="mg",
    )
    # Our hospital: methylprednisolone 40 mg/d for 2 weeks, then oral prednisone 40 mg/d
    # tapered and stopped by week 4 of dupilumab.
    admitted = (admission - onset).days
    dupi = (dupilumab_start - onset).days
    for agent, start, stop, mg, route in (
        ("methylprednisolone", admitted, dupi - 1, 40, "iv"),
        ("prednisone", dupi, dupi + 6, 40, "oral"),
        ("prednisone", dupi + 7, dupi + 13, 20, "oral"),
        ("prednisone", dupi + 14, dupi + 20, 10, "oral"),
    ):
        bundle.add(
            "treatments",
            episode_id=episode,
            kind="steroid",
            agent=agent,
            route=route,
            start_date=day(start),
            end_date=day(stop),
            dose=mg,
            dose_unit="mg/d",
        )
    bundle.add(
        "treatments",
        episode_id=episode,
        kind="biologic",
        agent="dupilumab",
        route="sc",
        start_date=dupilumab_start,
        end_date=dupilumab_end,
        dose=300,
        dose_unit="mg",
        interval_days=14,
        loading_dose=600,
    )
    # Itch (NRS) and rash extent (BSA %) weekly, with the relapse on prednisolone 20 mg/d.
    course = [
        (2, 8, 70),
        (9, 6, 40),
        (16, 6, 35),
        (23, 4, 25),
        (27, 4, 20),
        (30, 9, 60),
        (32, 9, 65),  # severe relapse during dose reduction
        (admitted, 9, 40),
        (admitted + 7, 9, 25),
        (dupi, 9, 15),
        (dupi + 7, 5, 5),
        (dupi + 14, 3, 0),
        (dupi + 28, 2, 0),
        (dupi + 56, 1, 0),
        (dupi + 112, 0, 0),
    ]
    for number, nrs, bsa in course:
        bundle.obs(episode, day(number), "itch_nrs", nrs, "{score}")
        bundle.obs(episode, day(number), "rash_bsa", bsa, "%")
    bundle.obs(episode, day(admitted + 2), "eosinophils", 37, "/uL")
    bundle.obs(episode, day(admitted + 2), "total_ige", 3127, "kU/L")
    bundle.obs(episode, day(dupi + 90), "total_ige", 645, "kU/L")
    bundle.add(
        "findings",
        episode_id=episode,
        date=day(admitted + 3),
        code="il4_il13_cd4_raised",
        value="present",
        detail="IL-4+ and IL-13+ CD4+ T cells above healthy controls",
    )
    bundle.write(
        folder,
        {
            "format": "dresskit-bundle",
            "version": "1.0",
            "title": "Shen et al. 2024, steroid-dependent DRESS with a type 2 profile, dupilumab",
            "source": "Synthetic reconstruction of the case in Shen C et al. J Investig Allergol "
            "Clin Immunol 2024;34(2):145-147 from its text; dates are assumed; not "
            "patient data (see examples/README.md)",
            "synthetic": "yes",
        },
    )


def main() -> None:
    """Write both example bundles next to this script."""
    build_sim(HERE / "sim2022")
    build_shen(HERE / "shen2024")
    print(f"wrote {HERE / 'sim2022'} and {HERE / 'shen2024'}")


if __name__ == "__main__":
    main()
