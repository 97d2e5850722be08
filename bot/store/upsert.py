"""INSERT statements with an ON CONFLICT clause, for SQLite and PostgreSQL.

Both databases skip or update a row whose unique key is taken within the
statement itself. No concurrent writer can slip in between a check and the
write, and no unique violation is raised, which would abort the whole
transaction on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT into ``table`` (a model or a Table) that offers ``on_conflict_do_*``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {dialect!r}: the store supports sqlite and postgresql")
