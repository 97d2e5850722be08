"""The alembic migrations build exactly the schema of the sqlmodel tables."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

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


_ROWS_AT_0005 = (
    "INSERT INTO document (id, kind, filename, sha256, received_at, status) "
    "VALUES (1, 'order_report', 'orders.csv', :sha, :at, 'received')",
    "INSERT INTO amazon_order (id, order_id, order_date, currency) VALUES (1, '302-1', '2026-01-01', 'NOK')",
    "INSERT INTO amazon_item (id, amazon_order_id, document_id, item_key, line, title, quantity, unit_price, "
    "net_total, currency, state, private_purchase, personal_data, custom_fields) "
    "VALUES (1, 1, 1, 'key', 2, 'Toner', 1, 100, 100, 'NOK', 'decided', false, false, '{}')",
    "INSERT INTO allocation (item_id, source, decided_by, decided_at, status) "
    "VALUES (1, 'human', 'kari@example.no', :at, 'approved')",
    "INSERT INTO suggestion (item_id, rank, cost_center, account, tax_code, confidence, source, reasons, "
    "model_version, created_at) VALUES (1, 1, '100', '6540', '1', 0.5, 'model', '[]', 'v1', :at)",
    "INSERT INTO question (item_id, kind, asked_email, status, created_at) "
    "VALUES (1, 'question', 'kari@example.no', 'open', :at)",
    "INSERT INTO training_label (item_id, cost_center, account, tax_code, source, created_at) "
    "VALUES (1, '100', '6540', '1', 'human', :at)",
)


def test_upgrade_keeps_rows_referencing_items(store):
    config = Config(str(ALEMBIC_INI))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with store.engine.begin() as connection:
        for statement in _ROWS_AT_0005:
            connection.execute(text(statement), {"sha": "a" * 64, "at": dt.datetime(2026, 1, 1)})

    store.migrate()

    assert _current_revision(store) == _head_revision()
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT id, origin, state FROM amazon_item")).all() == [(1, "amazon", "decided")]
        for table in ("allocation", "suggestion", "question", "training_label"):
            assert connection.execute(text(f"SELECT item_id FROM {table}")).all() == [(1,)], table
        if store.engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
