"""Alembic environment: migrate the registry database given by the caller's configuration.

:mod:`dresskit.registry.migrate` builds the configuration in code (no alembic.ini) and passes
an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from dresskit.registry.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - dresskit always passes a connection
    raise RuntimeError("dresskit migrations need a connection in config.attributes")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
