"""The alembic migrations build exactly the schema of the sqlmodel tables, and keep the rows they move."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.store.database import ALEMBIC_INI, Store
from bot.store.models import StoreModel
from bot.store.postings import TAG_ALPHABET
from posting_store import Company, RecordingErp, post


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


_ROWS_AT_0006 = (
    "INSERT INTO document (id, kind, filename, sha256, received_at, status) "
    "VALUES (1, 'statement', 'kortutskrift.csv', :sha, :at, 'received')",
    "INSERT INTO card_transaction (id, document_id, line, date, description, amount, fingerprint) "
    "VALUES (1, 1, 2, '2026-11-04', 'AMAZON EU', 60000, 'a'), (2, 1, 3, '2026-11-09', 'AMAZON EU', 25000, 'b'), "
    "(3, 1, 4, '2026-11-12', 'AMAZON EU', 8990, 'c')",
    "INSERT INTO amazon_order (id, order_id, order_date, currency) VALUES (1, '302-1', '2026-11-01', 'NOK')",
    "INSERT INTO amazon_item (id, amazon_order_id, document_id, item_key, line, title, quantity, unit_price, "
    "net_total, currency, amount_nok, card_transaction_id, state, private_purchase, personal_data, custom_fields) "
    "VALUES (1, 1, 1, 'k1', 2, 'Mus', 1, 60000, 60000, 'NOK', 60000, 1, 'posted', false, false, '{}'), "
    "(2, 1, 1, 'k2', 3, 'Papir', 1, 25000, 25000, 'NOK', 25000, 2, 'decided', false, false, '{}'), "
    "(3, 1, 1, 'k3', 4, 'Tusj', 1, 8990, 8990, 'NOK', 8990, 3, 'posted', false, false, '{}')",
    "INSERT INTO allocation (id, item_id, source, decided_by, decided_at, status) "
    "VALUES (1, 1, 'human', 'kari@example.no', :at, 'approved'), (2, 2, 'human', 'kari@example.no', :at, 'approved'), "
    "(3, 3, 'human', 'kari@example.no', :at, 'approved')",
    "INSERT INTO allocation_line (allocation_id, position, cost_center, account, tax_code, amount) "
    "VALUES (1, 1, '400', '6551', '14', 60000), (2, 1, '400', '6551', '14', 25000), "
    "(3, 1, '400', '6551', '14', 8990)",
    "INSERT INTO posting (allocation_id, connector, voucher_number, external_id, posted_at, status) "
    "VALUES (1, 'file', 'AB0000001', 'vouchers-20261201-080000.csv#AB0000001', :at, 'posted'), "
    "(3, 'file', 'AB0000003', 'vouchers-20261201-080000.csv#AB0000003', :at, 'posted')",
)


def _old_postings(store) -> None:
    """Downgrade to 0006 and store two postings of the old scheme and an approved allocation without one."""
    config = Config(str(ALEMBIC_INI))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    values = {"sha": "b" * 64, "at": dt.datetime(2026, 12, 1, 8, 0)}
    if store.engine.dialect.name == "postgresql":
        # PostgreSQL keeps money as NUMERIC, SQLite as øre; the rows above give øre.
        statements = [statement.replace("60000", "600.00").replace("25000", "250.00").replace("8990", "89.90")
                      for statement in _ROWS_AT_0006]
    else:
        statements = list(_ROWS_AT_0006)
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), values)


def _installation_tags(store) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(text("SELECT tag FROM installation")).scalars())


def _downgrade(store, revision: str) -> None:
    config = Config(str(ALEMBIC_INI))
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as connection:
        # As Store.migrate does: SQLite's batch mode copies tables, which foreign keys would block.
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()


def test_new_store_has_installation_tag(tmp_path):
    """Each new store makes a random tag of four unambiguous letters and digits."""
    tags = []
    for name in ("first.db", "second.db"):
        store = Store(f"sqlite:///{tmp_path / name}")
        try:
            store.migrate()
            tags += _installation_tags(store)
        finally:
            store.close()

    assert len(tags) == 2
    for tag in tags:
        assert re.fullmatch(f"[{TAG_ALPHABET}]{{4}}", tag)
    assert not set("ILO01") & set(TAG_ALPHABET)
    # Two of about 920 000 tags; equal ones would mean the tag is not random.
    assert tags[0] != tags[1]


def test_upgrade_gives_old_postings_vouchers(store):
    _old_postings(store)

    store.migrate()

    assert _current_revision(store) == _head_revision()
    with store.engine.connect() as connection:
        vouchers = connection.execute(text(
            "SELECT id, number, connector, grouping, document_id, date, status, external_id, payload, attempts "
            "FROM voucher ORDER BY id")).all()
        postings = connection.execute(text(
            "SELECT allocation_id, voucher_id, status FROM posting ORDER BY allocation_id")).all()
    assert [(row.id, row.number, row.connector, row.grouping, row.document_id, str(row.date), row.status,
             row.external_id, row.payload, row.attempts) for row in vouchers] == [
        (1, "AB0000001", "file", "item", None, "2026-11-04", "posted", "vouchers-20261201-080000.csv#AB0000001",
         None, 1),
        (3, "AB0000003", "file", "item", None, "2026-11-12", "posted", "vouchers-20261201-080000.csv#AB0000003",
         None, 1),
    ]
    assert postings == [(1, 1, "posted"), (3, 3, "posted")]
    (tag,) = _installation_tags(store)
    assert re.fullmatch(f"[{TAG_ALPHABET}]{{4}}", tag)


def test_upgraded_store_posts_only_unposted(store, tmp_path):
    _old_postings(store)
    store.migrate()
    Company(store)
    erp = RecordingErp()

    result = post(store, erp, tmp_path)

    (voucher,) = erp.sent
    (tag,) = _installation_tags(store)
    assert voucher.number == f"AB{tag}0000004"
    assert [line.amount for line in voucher.lines] == [Decimal("250.00"), Decimal("-250.00")]
    assert [outcome.allocation_ids for outcome in result.outcomes] == [(2,)]
    assert post(store, erp, tmp_path).outcomes == []


def test_upgrade_numbers_after_highest_allocation(store, tmp_path):
    """New ids start above every allocation id, also above allocations without a posting."""
    _old_postings(store)
    with store.engine.begin() as connection:
        # Allocation 3 was exported as AB0000003 by a run that crashed before it stored the posting.
        connection.execute(text("DELETE FROM posting WHERE allocation_id = 3"))
        connection.execute(text("UPDATE amazon_item SET state = 'decided' WHERE id = 3"))
    store.migrate()
    Company(store)
    erp = RecordingErp()

    result = post(store, erp, tmp_path)

    (voucher,) = erp.sent
    (tag,) = _installation_tags(store)
    assert voucher.number == f"AB{tag}0000004"
    assert [outcome.allocation_ids for outcome in result.outcomes] == [(2, 3)]


def test_downgrade_restores_old_postings(store, tmp_path):
    _old_postings(store)
    store.migrate()
    Company(store)
    post(store, RecordingErp(), tmp_path)
    (tag,) = _installation_tags(store)

    _downgrade(store, "0006")

    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT allocation_id, connector, voucher_number, external_id, status FROM posting "
            "ORDER BY allocation_id")).all()
    assert [tuple(row) for row in rows] == [
        (1, "file", "AB0000001", "vouchers-20261201-080000.csv#AB0000001", "posted"),
        (2, "recording", f"AB{tag}0000004", "ERP-1", "posted"),
        (3, "file", "AB0000003", "vouchers-20261201-080000.csv#AB0000003", "posted"),
    ]
    assert "installation" not in inspect(store.engine).get_table_names()
    store.migrate()
    assert _schema_differences(store) == []


def test_downgrade_drops_rejected_postings(store, tmp_path):
    """Postings of a rejected voucher waiting for a controller have no place in the old scheme."""
    _old_postings(store)
    store.migrate()
    Company(store)
    post(store, RecordingErp(reject=lambda voucher: "Perioden er stengt"), tmp_path)

    _downgrade(store, "0006")

    with store.engine.connect() as connection:
        allocations = connection.execute(text("SELECT allocation_id FROM posting ORDER BY allocation_id")).scalars()
        assert list(allocations) == [1, 3]
