"""Suite-wide checks: every test module must collect at least one test."""

from __future__ import annotations

from pathlib import PurePath

import pytest

_TEST_MODULES: set[str] = set()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember every test module pytest collected (with or without tests)."""
    name = PurePath(report.nodeid).name
    if name.startswith("test_") and name.endswith(".py") and report.passed:
        _TEST_MODULES.add(report.nodeid)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail the run if a test module collected no tests; print the collected count."""
    with_tests = {item.nodeid.split("::", 1)[0] for item in session.items}
    empty = sorted(_TEST_MODULES - with_tests)
    if empty:
        # A lower-case class or a helper named like a test leaves a module silently empty.
        raise pytest.UsageError("test modules that collect no tests: " + ", ".join(empty))
    session.config.get_terminal_writer().line(f"dresskit: {len(session.items)} tests collected")
