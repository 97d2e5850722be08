"""Column types that keep money exact and timestamps in UTC on every database.

SQLite has no decimal type: SQLAlchemy's ``Numeric`` on SQLite stores a
floating-point number, so ``0.10 + 0.20`` would come back as
``0.30000000000000004``. ``ExactDecimal`` therefore stores an integer count
of the smallest unit (øre for NOK amounts) on SQLite and a ``NUMERIC`` on
other databases. SQLite also has no time zones, so ``UtcDateTime`` stores
naive UTC there and hands back aware UTC datetimes everywhere.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal with fixed ``precision`` digits, ``scale`` of them after the point.

    Binding a float raises ``TypeError``. Binding a value with more
    fractional digits or more integer digits than the column allows raises
    ``ValueError``, so no value is rounded on its way into the database.
    Values read back carry exactly ``scale`` fractional digits.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        # SQLite's INTEGER is a signed 64-bit number, so 18 digits always fit.
        if not 0 <= scale <= precision <= 18:
            raise ValueError(f"ExactDecimal needs 0 <= scale <= precision <= 18, got ({precision}, {scale})")
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        exact = self.check(value)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return value

    def check(self, value: Any) -> Decimal:
        """Return ``value`` at the column's scale, or raise if it does not fit unchanged.

        Callers check values up front with this method, because an error
        raised while binding reaches them wrapped in SQLAlchemy's StatementError.
        """
        if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"expected a Decimal or int for an exact decimal column, got {type(value).__name__} {value!r}")

        exact = Decimal(value)
        if not exact.is_finite():
            raise ValueError(f"invalid amount {exact}: expected a finite number")

        # Check the integer digits first: quantize() fails on numbers far beyond the column.
        if exact != 0 and exact.adjusted() >= self.precision - self.scale:
            raise ValueError(f"amount {exact} has more than {self.precision - self.scale} digits before the decimal point")

        quantized = exact.quantize(Decimal(1).scaleb(-self.scale))
        if quantized != exact:
            raise ValueError(f"amount {exact} has more than {self.scale} decimal places")
        return quantized


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always returned as an aware UTC datetime.

    Binding a naive datetime raises ``ValueError``, because its time zone
    would be a guess.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__} {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no time zone")

        utc = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
