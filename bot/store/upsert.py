"""INSERT statements with an ON CONFLICT clause, for SQLite and PostgreSQL.

Both databases skip or update a row whose unique key is taken within the
statement itself. No concurrent writer can slip in between a check and the
write, and no unique violation is raised, which would abort the whole
transaction on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.store.models import StoreModel

_Row = TypeVar("_Row", bound=StoreModel)


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT into ``table`` (a model or a Table) that offers ``on_conflict_do_*``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {dialect!r}: the store supports sqlite and postgresql")


def insert_many_unless_taken(
    session: Session, model: type[_Row], rows: Sequence[Mapping[str, Any]], unique_column: str
) -> list[_Row]:
    """Insert ``rows`` (column values by name), skipping each whose ``unique_column`` value is taken.

    SQLAlchemy's "insertmanyvalues" sends the list as multi-row INSERT
    statements. In SQLAlchemy 2.1 a statement has up to 1000 rows (5000
    with psycopg2), fewer where the database's limit of bound parameters
    requires. Returns the inserted rows as model objects, in no
    particular order, because neither database promises an order for
    RETURNING. The caller finds the skipped rows by their ``unique_column``.
    """
    if not rows:
        return []
    statement = (
        dialect_insert(session, model)
        .on_conflict_do_nothing(index_elements=[unique_column])
        .returning(model)
    )
    return list(session.exec(statement, params=list(rows)).scalars().all())
