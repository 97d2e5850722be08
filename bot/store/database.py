"""The database behind the bot: engine, schema migrations and transactions."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
# Key of the PostgreSQL advisory lock held while migrating; "allocmig" in ASCII, distinct from the other locks.
_MIGRATION_LOCK_KEY = 0x616C6C6F636D6967


class InvalidStoreUrl(ValueError):
    """The database URL cannot be parsed or names a database other than SQLite or PostgreSQL."""


class StoreUnavailable(InputError):
    """The database cannot be reached or opened; the message names it without its password."""


class Store:
    """A database at ``url``, such as ``sqlite:///var/allocbot.db`` or ``postgresql+psycopg2://...``.

    Only SQLite and PostgreSQL are supported: the repository relies on their
    ``INSERT ... ON CONFLICT``. For a SQLite file the parent folder is
    created, and foreign keys are switched on for every connection, because
    SQLite leaves them off by default.
    """

    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError:
            # The text may hold a password, so only its scheme part is shown.
            masked_url = url.split("//", 1)[0] + "//…" if "//" in url else "the text given"
            raise InvalidStoreUrl(f"{masked_url} is not a database URL: use sqlite:///PATH or "
                                  "postgresql+psycopg2://USER@HOST:PORT/DATABASE") from None
        self.display_url = self.url.render_as_string(hide_password=True)

        backend = self.url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise InvalidStoreUrl(f"unsupported database {self.display_url}: use a sqlite:// or postgresql:// URL")

        if backend == "sqlite" and self.url.database and self.url.database != ":memory:":
            folder = Path(self.url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(folder, N_("cannot create the database folder: {reason}"),
                                       fix=N_("check store.url and the folder's permissions"),
                                       reason=exc.strerror) from None

        self.engine = create_engine(self.url)
        if backend == "sqlite":
            event.listen(self.engine, "connect", _enable_sqlite_foreign_keys)
        log.info("Using database %s", self.display_url)

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration, or do nothing when it is current."""
        config = Config(str(ALEMBIC_INI))
        try:
            with self.engine.connect() as connection:
                if connection.dialect.name == "sqlite":
                    _upgrade_sqlite(connection, config)
                else:
                    with connection.begin():
                        # Replicas that start together on a new database would otherwise all create the tables.
                        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                        config.attributes["connection"] = connection
                        command.upgrade(config, "head")
        except OperationalError as exc:
            log.error("cannot open database %s: %s", self.display_url, exc.orig)
            raise StoreUnavailable(self.display_url, N_("cannot open the database: {reason}"),
                                   fix=N_("check store.url and that the database server runs"),
                                   reason=str(exc.orig).strip()) from None
        log.info("Database %s is at the newest schema", self.display_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open one transaction: commit when the block ends, roll back on any exception.

        Objects stay readable after the block (``expire_on_commit=False``),
        so callers can use the ids and values they just stored.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        """Close all pooled connections, for example before the database is dropped."""
        self.engine.dispose()


class ForeignKeyViolation(RuntimeError):
    """A migration left rows that reference missing rows; the upgrade was rolled back."""


def _upgrade_sqlite(connection: Connection, config: Config) -> None:
    """Upgrade a SQLite database with foreign keys off, then check every reference.

    Batch migrations copy a table and drop the old one, and SQLite rejects the
    ``DROP TABLE`` while rows of other tables reference it and foreign keys
    are on. SQLite ignores ``PRAGMA foreign_keys`` inside a transaction, so
    it is switched off before the transaction begins and on again after it
    ends. ``PRAGMA foreign_key_check`` runs before the commit, so a migration
    that broke a reference is rolled back.
    """
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    connection.commit()
    try:
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if violations:
                log.error("migration left broken references in %s: %s", connection.engine.url, violations)
                raise ForeignKeyViolation(f"the migration left {len(violations)} rows that reference missing "
                                          f"rows, for example {tuple(violations[0])}; the upgrade was rolled back")
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        connection.commit()


def _enable_sqlite_foreign_keys(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
