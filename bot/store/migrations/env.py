"""Alembic environment of the store.

``Store.migrate()`` passes an open connection in ``config.attributes``;
the ``alembic`` command line instead names the database with ``-x url=...``.
SQLite runs in batch mode, because it can alter a table only by copying it.
"""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot.store.models import StoreModel


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=StoreModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("missing database URL: run alembic -c bot/store/alembic.ini -x url=DATABASE_URL COMMAND")
    return url


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return

    if context.is_offline_mode():
        context.configure(url=database_url(), target_metadata=StoreModel.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = create_engine(database_url())
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


main()
