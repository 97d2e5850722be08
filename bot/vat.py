"""Splitting a gross amount into its net amount and VAT."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")


def split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Return the net amount and the VAT of ``gross`` at ``rate`` percent, both to the øre.

    The VAT is rounded half up and the net amount is what remains, so the
    two always add up to ``gross``. A negative gross (a refund) gives a
    negative net amount and VAT.
    """
    vat = (gross * rate / (Decimal(100) + rate)).quantize(ORE, rounding=ROUND_HALF_UP)
    return gross - vat, vat
