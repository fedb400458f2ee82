"""What the benchmarks share: peak memory, and the synthetic bundle made in a child process."""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark on the synthetic bundle takes."""
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=20221)
    parser.add_argument(
        "--bundle",
        type=Path,
        help="time this existing bundle (made by bench/synthetic_bundle.py) instead of a new one",
    )


def bundle_path(arguments: argparse.Namespace, folder: str) -> Path:
    """Generate the synthetic bundle in a child process (untimed), or take ``--bundle``.

    The child process keeps the generator's memory out of the measured peak; the files are
    flushed to disk so that the timed read does not compete with the kernel writing them.
    """
    if arguments.bundle is not None:
        print(f"timing the existing bundle {arguments.bundle}")
        return Path(arguments.bundle)
    path = Path(folder) / "bundle"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "synthetic_bundle.py"),
            str(path),
            "--episodes",
            str(arguments.episodes),
            "--days",
            str(arguments.days),
            "--seed",
            str(arguments.seed),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"generated {arguments.episodes} episodes x {arguments.days} days in "
        f"{time.perf_counter() - started:.1f} s (not counted)"
    )
    os.sync()
    return path
