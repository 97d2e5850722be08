"""Exact money and UTC timestamps through a real database round trip."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import select

from bot.store.models import MONEY, CardTransaction, Document
from bot.store.types import ExactDecimal


def _store_amounts(store, *amounts: Decimal) -> list[Decimal]:
    """Write one card transaction per amount in one transaction, read them back in another."""
    with store.session() as session:
        document = Document(kind="statement", filename="kort.csv", sha256="b" * 64)
        session.add(document)
        session.flush()
        for line, amount in enumerate(amounts, start=1):
            session.add(
                CardTransaction(
                    document_id=document.id, line=line, date=date(2026, 3, 2),
                    description="AMAZON", amount=amount, fingerprint=f"f{line}",
                )
            )

    with store.session() as session:
        return list(session.exec(select(CardTransaction.amount).order_by(CardTransaction.line)))


def test_money_sum_round_trips_exactly(store):
    total = Decimal("0.10") + Decimal("0.20")

    (stored,) = _store_amounts(store, total)

    assert isinstance(stored, Decimal)
    assert stored == Decimal("0.30")
    assert str(stored) == "0.30"


def test_money_big_and_negative_values_survive(store):
    amounts = (Decimal("9999999999999999.99"), Decimal("-9999999999999999.99"), Decimal("1234567.89"), Decimal("0"))

    stored = _store_amounts(store, *amounts)

    assert stored == list(amounts)
    assert str(stored[0]) == "9999999999999999.99"
    assert str(stored[3]) == "0.00"


def test_money_rejects_float_and_rounding(store):
    with pytest.raises(StatementError, match="got float"):
        _store_amounts(store, 0.1)
    with pytest.raises(StatementError, match="more than 2 decimal places"):
        _store_amounts(store, Decimal("1.005"))
    with pytest.raises(StatementError, match="digits before the decimal point"):
        _store_amounts(store, Decimal("10000000000000000.00"))


def test_money_check_converts_or_raises():
    assert MONEY.check(Decimal("12.5")) == Decimal("12.50")
    assert MONEY.check(7) == Decimal("7.00")
    with pytest.raises(TypeError):
        MONEY.check(12.5)
    with pytest.raises(TypeError):
        MONEY.check(True)
    with pytest.raises(ValueError, match="finite"):
        MONEY.check(Decimal("NaN"))
    with pytest.raises(ValueError):
        ExactDecimal(19, 2)


def test_timestamp_returns_aware_utc(store):
    oslo_summer = datetime(2026, 6, 30, 23, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Oslo"))

    with store.session() as session:
        session.add(Document(kind="email", filename="mail.eml", sha256="c" * 64, received_at=oslo_summer))
    with store.session() as session:
        stored = session.exec(select(Document.received_at)).one()

    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == oslo_summer
    assert stored == datetime(2026, 6, 30, 21, 30, 15, 123456, tzinfo=timezone.utc)


def test_timestamp_rejects_naive_datetime(store):
    with pytest.raises(StatementError, match="naive datetime"):
        with store.session() as session:
            session.add(Document(kind="email", filename="mail.eml", sha256="d" * 64, received_at=datetime(2026, 1, 1)))
