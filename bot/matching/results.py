"""The result of reconciliation: matches, refunds, and a note with a reason for every line and shipment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.matching.refunds import RefundMatch
from bot.matching.shipments import Shipment
from bot.records import CardCharge, Reason, ReportItem

# Outcomes of a card line.
MATCHED = "matched"            # an Amazon purchase matched to its shipments
UNMATCHED = "unmatched"        # an Amazon purchase or credit left open
REFUNDED = "refund"            # a credit matched to what it pays back
CARD_ITEM = "card_item"        # a line from another merchant, booked as an item of its own
CHARGE_OUTCOMES = (MATCHED, UNMATCHED, REFUNDED, CARD_ITEM)

# Outcomes of a shipment, besides MATCHED and UNMATCHED.
NOT_EXPECTED = "not_expected"  # paid by invoice or canceled: no card line is expected
DUPLICATE = "duplicate"        # another document reports the same shipment
SHIPMENT_OUTCOMES = (MATCHED, UNMATCHED, NOT_EXPECTED, DUPLICATE)


@dataclass(frozen=True)
class Match:
    """An Amazon card line and the shipments it paid.

    ``item_amounts`` gives every item of the shipments its NOK share of
    the line, in proportion to the item's part of the shipment total,
    adding up to ``charge.amount`` exactly.
    """

    charge: CardCharge
    shipments: tuple[Shipment, ...]
    item_amounts: tuple[tuple[ReportItem, Decimal], ...]
    reason: Reason


@dataclass(frozen=True)
class ChargeNote:
    """The outcome of one card line (one of CHARGE_OUTCOMES) and its reason."""

    charge: CardCharge
    outcome: str
    reason: Reason


@dataclass(frozen=True)
class ShipmentNote:
    """The outcome of one shipment (one of SHIPMENT_OUTCOMES) and its reason."""

    shipment: Shipment
    outcome: str
    reason: Reason


@dataclass(frozen=True)
class Reconciliation:
    """The result of matching card lines to shipments.

    ``charge_notes`` has a note for every card line given, in the given
    order, and ``shipment_notes`` one for every shipment; these are what a
    reader needs. The other fields sort the same lines and shipments by
    what the pipeline does with them.
    """

    matches: tuple[Match, ...]
    unmatched_charges: tuple[CardCharge, ...]       # Amazon purchases with no shipment found
    unmatched_shipments: tuple[Shipment, ...]       # card-paid shipments with no card line found
    other_charges: tuple[CardCharge, ...]           # lines from other merchants, each booked as an item of its own
    refunds: tuple[CardCharge, ...] = ()            # Amazon credits with no returned item found
    not_card_shipments: tuple[Shipment, ...] = ()   # paid by invoice or another instrument that is no card
    refund_matches: tuple[RefundMatch, ...] = ()
    duplicates: tuple[Shipment, ...] = ()           # rows that another document reports already
    charge_notes: tuple[ChargeNote, ...] = ()
    shipment_notes: tuple[ShipmentNote, ...] = ()

    def open_charge_notes(self) -> tuple[ChargeNote, ...]:
        """Return the notes of card lines left open, in the given order."""
        return tuple(note for note in self.charge_notes if note.outcome == UNMATCHED)

    def open_shipment_notes(self) -> tuple[ShipmentNote, ...]:
        """Return the notes of shipments left open, in first-seen order."""
        return tuple(note for note in self.shipment_notes if note.outcome == UNMATCHED)
