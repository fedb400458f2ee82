"""Schemathesis against the application's own OpenAPI document: no 5xx, no schema violation.

Every operation of ``/api/v1/openapi.json`` is called with generated requests (valid ones and
ones that break the schema, Schemathesis' positive and negative modes) as a researcher and as a
clinician, each with a personal token; an operation on an episode is also called on an episode
the caller sees (by id, or by pseudonym for the researcher), so that the generated queries
reach the code behind the 404 (the users take turns, every other call on an episode names
one the user sees). Every response is checked: no server error, a documented
status, content type and headers, and a body that matches the documented schema.

The suite makes at least 5 000 calls (:data:`CALLS`: most on SQLite, fewer on PostgreSQL) on
a registry of the test's own, since a clinician's valid writes do change it. Generation is
derandomised (the same calls every run) and failures are collected, not shrunk, so that one
run reports every operation that fails.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dresskit.registry.accounts import account, create_api_token
from dresskit.registry.scoped import episodes_of
from tests.web.conftest import Registry

#: Calls per database: the suite's total is the sum (at least 5 000).
CALLS: Final = {"sqlite": 4000, "postgresql": 1000}
#: Operations that read or write the whole registry: a few examples each.
_HEAVY: Final = ("/api/v1/exports", "/api/v1/imports", "/api/v1/reports")
_USERS: Final = ("researcher", "clin-north")
_CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class _Run:
    """The calls made and the failures found, per operation."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.tokens: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.failures: dict[str, str] = {}

    def token(self, username: str, *, renew: bool = False) -> str:
        """The user's token (a new one if a generated call revoked it)."""
        if renew or username not in self.tokens:
            self.tokens[username] = create_api_token(self.registry.engine, username, "st")
        return self.tokens[username]

    def shown_episode(self, username: str) -> str:
        user = account(self.registry.engine, username)
        assert user is not None
        return next(e.shown_episode for e in episodes_of(self.registry.engine, user))

    def call(self, case: Any, username: str, label: str) -> None:
        for attempt in range(2):
            token = self.token(username, renew=attempt > 0)
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            self.calls[label] += 1
            if response.status_code != 401:
                break
        try:
            case.validate_response(response, checks=_CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # every failure is collected
            key = f"{label} as {username}"
            if key not in self.failures:
                self.failures[key] = f"{response.status_code}: {error}"[:2000]


def _explore(run: _Run, strategy: Any, examples: int, act: Callable[[Any], None]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def explore(case: Any) -> None:
        act(case)

    # Nothing to generate in a mode (no parameter to break) is not a failure.
    with contextlib.suppress(HypothesisException):
        explore()


def _schemathesis_run(registry: Registry, calls: int) -> _Run:
    warnings.simplefilter("ignore", DeprecationWarning)
    app = registry.app()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    run = _Run(registry)
    shown = {username: run.shown_episode(username) for username in _USERS}
    light = [op for op in operations if not op.path.startswith(_HEAVY)]
    # A small space (an operation without parameters) may give fewer: 5 % to spare.
    examples = max(2, math.ceil(1.05 * calls / (2 * max(len(light), 1))))
    for operation in operations:
        label = operation.label
        count = 3 if operation.path.startswith(_HEAVY) else examples
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            made = Counter[str]()

            def act(case: Any, label: str = label, made: Counter[str] = made) -> None:
                # Users take turns; every other call on an episode names one the user sees.
                turn = made["n"]
                made["n"] += 1
                username = _USERS[turn % len(_USERS)]
                if "ref" in (case.path_parameters or {}) and turn // len(_USERS) % 2 == 0:
                    case.path_parameters = {**case.path_parameters, "ref": shown[username]}
                run.call(case, username, label)

            _explore(run, operation.as_strategy(generation_mode=mode), count, act)
    return run


def test_generated_calls_find_no_server_error_and_no_schema_violation(
    fresh_registry: Registry, request: Any
) -> None:
    kind = request.node.callspec.params["fresh_registry"]
    run = _schemathesis_run(fresh_registry, CALLS[kind])
    report = "\n\n".join(f"{label}\n{failure}" for label, failure in sorted(run.failures.items()))
    assert run.failures == {}, report
    assert sum(run.calls.values()) >= CALLS[kind]
