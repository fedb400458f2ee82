"""Web tests: a registry with two sites, the two example bundles and one account per role.

Each module gets the registry once per database kind (SQLite always; PostgreSQL when one
answers, required in CI as for the registry tests), since signing in costs an Argon2 hash.
A test that changes data uses :func:`fresh_registry` instead.

Sites: ``north`` holds examples/sim2022 (18 patients), ``south`` examples/shen2024 (1).
Accounts (password :data:`PASSWORD`): ``admin``; ``clin-north`` and ``coord-north``
(north); ``clin-south`` (south); ``researcher`` (north and south); ``auditor``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dresskit.bundle import read_bundle
from dresskit.registry.accounts import add_site, create_api_token, create_user
from dresskit.registry.db import engine_for
from dresskit.registry.migrate import upgrade
from dresskit.registry.store import import_bundle
from dresskit.web import WebSettings, create_app
from tests.registry.conftest import new_postgres_database

EXAMPLES: Final = Path(__file__).parents[2] / "examples"
PASSWORD: Final = "correct horse battery staple"

#: username -> (role, sites)
ACCOUNTS: Final = {
    "admin": ("admin", ()),
    "clin-north": ("clinician", ("north",)),
    "coord-north": ("coordinator", ("north",)),
    "clin-south": ("clinician", ("south",)),
    "researcher": ("researcher", ("north", "south")),
    "auditor": ("auditor", ()),
}
#: One account per role, for the role matrix.
BY_ROLE: Final = {
    "admin": "admin",
    "clinician": "clin-north",
    "coordinator": "coord-north",
    "researcher": "researcher",
    "auditor": "auditor",
}


@dataclass
class Registry:
    """A prepared registry and how to reach it."""

    url: str
    engine: Engine
    tmp: Path
    #: username -> personal API token, made once (see :meth:`api_token`).
    tokens: dict[str, str] = field(default_factory=dict)

    def app(self, **settings: object) -> object:
        """A new application over this registry (cookies not Secure-only: see client)."""
        return create_app(
            self.engine,
            WebSettings(work_dir=self.tmp / "jobs", **settings),  # type: ignore[arg-type]
        )

    def client(self, username: str | None = None) -> TestClient:
        """A test client (HTTPS base URL, so Secure cookies flow), signed in as ``username``."""
        client = TestClient(self.app(), base_url="https://testserver", follow_redirects=False)  # type: ignore[arg-type]
        if username is not None:
            answer = client.post("/sign-in", data={"username": username, "password": PASSWORD})
            assert answer.status_code == 303, answer.text
        return client

    def api_token(self, username: str) -> str:
        """A personal API token of ``username`` (made on first use, then the same one)."""
        if username not in self.tokens:
            self.tokens[username] = create_api_token(self.engine, username, "api tests")
        return self.tokens[username]

    def api_client(self, username: str) -> TestClient:
        """A test client sending a personal API token of ``username`` (no cookie)."""
        client = self.client()
        client.headers["authorization"] = f"Bearer {self.api_token(username)}"
        return client

    def csrf(self, client: TestClient) -> str:
        """The CSRF token of the client's session (read from a page)."""
        page = client.get("/account/password").text
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]


def prepare(url: str, tmp: Path) -> Registry:
    """Migrate, create the sites and accounts, import the two examples."""
    engine = engine_for(url)
    upgrade(engine)
    add_site(engine, "north", "North University Hospital", actor="test")
    add_site(engine, "south", "South General Hospital", actor="test")
    for name, (role, sites) in ACCOUNTS.items():
        create_user(engine, name, role=role, sites=sites, password=PASSWORD, actor="test")
    import_bundle(
        engine, read_bundle(EXAMPLES / "sim2022"), actor="test", source="sim2022", site="north"
    )
    import_bundle(
        engine, read_bundle(EXAMPLES / "shen2024"), actor="test", source="shen2024", site="south"
    )
    return Registry(url, engine, tmp)


def _registry(kind: str, tmp: Path) -> Iterator[Registry]:
    if kind == "sqlite":
        registry = prepare(f"sqlite:///{tmp / 'web.sqlite3'}", tmp)
        yield registry
        registry.engine.dispose()
        return
    with new_postgres_database() as url:
        registry = prepare(url, tmp)
        yield registry
        registry.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """The prepared registry, shared by a module's tests (do not change its data)."""
    yield from _registry(request.param, tmp_path_factory.mktemp("web"))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """A prepared registry of the test's own, free to change."""
    yield from _registry(request.param, tmp_path)


@pytest.fixture
def signed_in(registry: Registry) -> Callable[[str], TestClient]:
    """Return a client signed in as the given username."""
    return registry.client


#: Signed-in clients by username (the :func:`signed` fixture).
Signed = Callable[[str], TestClient]


@pytest.fixture(scope="module")
def signed(registry: Registry) -> Signed:
    """Signed-in clients, one per username, reused across the module (a sign-in is slow)."""
    made: dict[str, TestClient] = {}

    def client(username: str) -> TestClient:
        if username not in made:
            made[username] = registry.client(username)
        return made[username]

    return client
