"""The alembic migrations build exactly the schema of the sqlmodel tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.store.database import ALEMBIC_INI, Store
from bot.store.models import StoreModel


def _schema_differences(store) -> list:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, StoreModel.metadata)


def _current_revision(store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _head_revision() -> str:
    return ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()


def test_migrated_schema_matches_models(store):
    assert _schema_differences(store) == []
    assert _current_revision(store) == _head_revision()


def test_migrate_again_changes_nothing(store):
    store.migrate()

    assert _current_revision(store) == _head_revision()
    assert _schema_differences(store) == []


def test_downgrade_removes_schema_and_upgrade_restores_it(store):
    config = Config(str(ALEMBIC_INI))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    remaining = set(inspect(store.engine).get_table_names()) & set(StoreModel.metadata.tables)
    assert remaining == set()

    store.migrate()
    assert _schema_differences(store) == []


def test_migrate_works_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store("sqlite:///relative/allocbot.db")
    try:
        store.migrate()
        assert (tmp_path / "relative" / "allocbot.db").is_file()
        assert _schema_differences(store) == []
    finally:
        store.close()
