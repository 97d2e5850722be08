"""Store fixtures: a migrated, empty database on SQLite and on PostgreSQL.

PostgreSQL is the local server at 127.0.0.1:5432 (database ``test``, user
``postgres``, trust authentication). Each test session creates its own
database there and drops it at the end. When the server is unreachable the
PostgreSQL tests are skipped, or fail when the environment variable CI is
``true``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.store.database import Store
from bot.store.models import StoreModel

POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        server = make_url(POSTGRES_ADMIN_URL)
        reason = f"PostgreSQL at {server.host}:{server.port} is unreachable: {error.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)

    database = f"allocbot_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database that each test copies, which is faster than migrating per test."""
    path = tmp_path_factory.mktemp("sqlite") / "migrated.db"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    store.close()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store with empty tables."""
    if request.param == "sqlite":
        path = tmp_path / "allocbot.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        store = Store(f"sqlite:///{path}")
        store.migrate()
    else:
        store = Store(request.getfixturevalue("postgres_url"))
        store.migrate()
        _empty_postgres_tables(store)

    try:
        yield store
    finally:
        store.close()


def _empty_postgres_tables(store: Store) -> None:
    """Remove what earlier tests wrote to the session's database, the append-only audit log included."""
    tables = ", ".join(f'"{table.name}"' for table in StoreModel.metadata.sorted_tables)
    with store.engine.begin() as connection:
        # Replica mode skips ordinary triggers, among them the audit log's guard against TRUNCATE.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
