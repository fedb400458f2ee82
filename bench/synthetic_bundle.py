"""Generate a large synthetic dresskit bundle (CSV folder) for benchmarks.

Every episode is a DRESS course of ``days`` days: fever that settles, ALT and eosinophils that
fall, a rash that fades, steroids from early on with IVIG added a few days later. Vitals 4 times
a day and 8 laboratory/rating codes daily give about 12 observations per episode-day, so
10 000 episodes x 90 days is about 10.8 million observation rows. Deterministic for a seed;
nothing here is patient data.

Run: .venv/bin/python bench/synthetic_bundle.py OUT_DIR [--episodes 10000] [--days 90]
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

_DAILY_CODES = {
    # code: (unit, start mean, end mean, noise sd, decimals)
    "alt": ("U/L", 600.0, 25.0, 20.0, 0),
    "ast": ("U/L", 400.0, 22.0, 15.0, 0),
    "eosinophils": ("10*9/L", 2.5, 0.2, 0.1, 2),
    "eosinophils_pct": ("%", 18.0, 2.0, 1.0, 1),
    "leukocytes": ("10*9/L", 14.0, 7.0, 1.0, 1),
    "crp": ("mg/L", 90.0, 3.0, 5.0, 1),
    "rash_bsa": ("%", 70.0, 0.0, 3.0, 0),
    "itch_nrs": ("{score}", 8.0, 1.0, 0.8, 0),
}


def generate_bundle(
    out: Path, *, episodes: int = 10_000, days: int = 90, seed: int = 20221
) -> Path:
    """Write the synthetic bundle to ``out`` (a folder) and return it."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = np.array([f"E{number:06d}" for number in range(episodes)])
    patients = np.array([f"P{number:06d}" for number in range(episodes)])
    onset = np.datetime64(date(2015, 1, 1)) + rng.integers(0, 3000, episodes).astype(
        "timedelta64[D]"
    )
    last = onset + np.timedelta64(days - 1, "D")
    outcome = rng.choice(
        ["recovered", "died", "lost_to_follow_up", "transferred", "ongoing"],
        size=episodes,
        p=[0.86, 0.04, 0.04, 0.03, 0.03],
    )
    pl.DataFrame(
        {
            "key": ["format", "version", "title", "synthetic"],
            "value": ["dresskit-bundle", "1.0", "benchmark bundle", "yes"],
        }
    ).write_csv(out / "manifest.csv")
    pl.DataFrame(
        {
            "patient_id": patients,
            "sex": rng.choice(["female", "male"], episodes),
            "birth_year": rng.integers(1940, 2000, episodes).astype(str),
            "age_years": [""] * episodes,
        }
    ).write_csv(out / "patients.csv")
    pl.DataFrame(
        {
            "episode_id": ids,
            "patient_id": patients,
            "phenotype": ["dress"] * episodes,
            "onset_date": onset.astype(str),
            "admission_date": (
                onset + rng.integers(0, 3, episodes).astype("timedelta64[D]")
            ).astype(str),
            "outcome": outcome,
            "last_follow_up_date": last.astype(str),
            # Required for a death (docs/data-format.md): here on the last follow-up day.
            "death_date": np.where(outcome == "died", last.astype(str), ""),
        }
    ).write_csv(out / "episodes.csv")
    latency = rng.integers(5, 80, episodes).astype("timedelta64[D]")
    pl.DataFrame(
        {
            "episode_id": ids,
            "drug": rng.choice(["allopurinol", "carbamazepine", "vancomycin", "dapsone"], episodes),
            "atc_code": [""] * episodes,
            "role": ["suspect"] * episodes,
            "start_date": (onset - latency).astype(str),
            "stop_date": onset.astype(str),
        }
    ).write_csv(out / "drug_exposures.csv")
    steroid_start = onset + rng.integers(0, 4, episodes).astype("timedelta64[D]")
    ivig_start = steroid_start + rng.integers(2, 10, episodes).astype("timedelta64[D]")
    steroid_end = np.minimum(
        ivig_start + rng.integers(3, 80, episodes).astype("timedelta64[D]"), last
    )
    running = rng.random(episodes) < 0.1
    pl.DataFrame(
        {
            "episode_id": np.concatenate([ids, ids]),
            "kind": ["steroid"] * episodes + ["ivig"] * episodes,
            "agent": ["prednisolone"] * episodes + ["ivig"] * episodes,
            "route": ["oral"] * episodes + ["iv"] * episodes,
            "start_date": np.concatenate([steroid_start, ivig_start]).astype(str),
            "end_date": np.concatenate(
                [
                    np.where(running, "", steroid_end.astype(str)),
                    (ivig_start + np.timedelta64(4, "D")).astype(str),
                ]
            ),
            "dose": np.concatenate([np.full(episodes, "60"), np.full(episodes, "0.4")]),
            "dose_unit": ["mg/d"] * episodes + ["g/kg/d"] * episodes,
            "interval_days": [""] * (2 * episodes),
            "loading_dose": [""] * (2 * episodes),
        }
    ).write_csv(out / "treatments.csv")
    _write_observations(out / "observations.csv", rng, ids, onset, ivig_start, days)
    pl.DataFrame(
        schema={
            "episode_id": pl.Utf8,
            "date": pl.Utf8,
            "code": pl.Utf8,
            "value": pl.Utf8,
            "detail": pl.Utf8,
        }
    ).write_csv(out / "findings.csv")
    return out


def _write_observations(
    path: Path,
    rng: np.random.Generator,
    ids: np.ndarray,
    onset: np.ndarray,
    ivig_start: np.ndarray,
    days: int,
) -> None:
    episodes = len(ids)
    day = np.tile(np.arange(days), episodes)
    episode_index = np.repeat(np.arange(episodes), days)
    dates = (onset[episode_index] + day.astype("timedelta64[D]")).astype(str)
    # Each episode recovers around IVIG + a few days; values relax towards normal after that.
    recovery = ((ivig_start - onset).astype(int) + rng.integers(0, 15, episodes))[episode_index]
    progress = np.clip((day - recovery + 10) / 20.0, 0.0, 1.0)
    frames = []
    for code, (unit, start, end, noise, decimals) in _DAILY_CODES.items():
        values = start + (end - start) * progress + rng.normal(0, noise, day.size)
        values = np.round(np.clip(values, 0, None), decimals)
        if code == "itch_nrs":
            values = np.clip(values, 0, 10)
        frames.append(
            pl.DataFrame(
                {
                    "episode_id": ids[episode_index],
                    "date": dates,
                    "time": [""] * day.size,
                    "code": code,
                    "value": values.astype(str),
                    "unit": unit,
                    "text": [""] * day.size,
                }
            )
        )
    for hour in ("06:00", "12:00", "18:00", "22:00"):
        fever = np.where(day < recovery - 5, 39.0, 36.9) + rng.normal(0, 0.3, day.size)
        frames.append(
            pl.DataFrame(
                {
                    "episode_id": ids[episode_index],
                    "date": dates,
                    "time": hour,
                    "code": "temperature",
                    "value": np.round(fever, 1).astype(str),
                    "unit": "Cel",
                    "text": [""] * day.size,
                }
            )
        )
    pl.concat(frames).write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=20221)
    arguments = parser.parse_args()
    generate_bundle(
        arguments.out, episodes=arguments.episodes, days=arguments.days, seed=arguments.seed
    )
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()
