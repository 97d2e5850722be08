"""Message ids that explain why a card line or shipment was matched or left open.

Each id is an English text with ``str.format`` placeholders, translated in
``bot/locale/*/LC_MESSAGES/matching.po``. Parameters are plain strings:
amounts (``amount``, ``total``) are decimal strings such as ``1234.50``
in the currency of ``currency`` (NOK when absent) and dates (``date``,
``first``, ``last``) are ISO dates, so the audit log keeps exact values.
``describe`` formats them for a reader.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.i18n import N_, Translator
from bot.records import Reason

MONEY_PARAMS = ("amount", "total")
DATE_PARAMS = ("date", "first", "last")

# --- matched card lines -------------------------------------------------------------

BY_REFERENCE = N_("matched by payment reference {reference}")
BY_ORDER_ID = N_("matched by order {order_id}, which the card line names")
BY_AMOUNT = N_("matched by amount {amount} and payment date {date}")
BY_SUBSET = N_("{count} open shipments or order rows paid around {date} add up to {amount}")
BY_EXCHANGE_BAND = N_("the card line has no original amount; the shipment of {amount} fits within the "
                      "exchange-rate band, and no other pairing of the open card lines fits as well")
CARD_ITEM = N_("card line from another merchant, booked as one item")
CREDIT_ITEM = N_("credit from another merchant that matches no earlier purchase, booked as one item")

# --- refunds --------------------------------------------------------------------------

REFUND_BY_ORDER = N_("refund for order {order_id}, which the card line names")
REFUND_BY_REPORT = N_("the order report lists a refund of {amount} for order {order_id} on {date}")
REFUND_BY_AMOUNT = N_("refund of the same amount as the purchase in order {order_id} of {date}, "
                      "the only one that fits")
REFUND_OF_PURCHASE = N_("refund of the card line of {date} from the same merchant and of the same amount")
REFUND_NOT_FOUND = N_("refund of {amount} with no returned item found: no refund row, order or earlier "
                      "purchase within {days} days fits")
REFUND_AMBIGUOUS = N_("refund of {amount} that {count} earlier purchases fit equally; left for the controller")
REFUND_ORDER_MISMATCH = N_("refund for order {order_id}, but no item or refund row of that order adds up to {amount}")

# --- card lines left open -----------------------------------------------------------

NO_SHIPMENT = N_("no shipment of {amount} paid between {first} and {last}")
AMBIGUOUS_CHARGE = N_("{count} shipments or combinations of shipments fit equally; left for the controller")
TAKEN = N_("the shipments that fit were matched to other card lines nearer in date")
TOO_MANY = N_("more than {limit} open shipments paid around {date}; too many combinations to search")
REFERENCE_MISMATCH = N_("payment reference {reference} belongs to shipments of {total}, which the card line's "
                        "amount does not fit")
ORDER_MISMATCH = N_("order {order_id}, which the card line names, has no shipments that add up to the card "
                    "line's amount")
ORDER_UNKNOWN = N_("order {order_id}, which the card line names, has no open shipment in the order reports "
                   "received so far")
BAND_AMBIGUOUS = N_("the card line has no original amount, and {count} foreign-currency shipments fit within "
                    "the exchange-rate band")
BAND_SHARED = N_("the card line has no original amount, and the only shipment within the exchange-rate band fits "
                 "{count} card lines; left for the controller")
ZERO_AMOUNT = N_("the card line's amount is zero")
NOT_STORED = N_("the store rejected the card line's links ({error}); it stays open and is tried again on the "
                "next run")

# --- shipments left open ------------------------------------------------------------

NOT_CARD = N_("paid by {instrument}, so no card line is expected")
CANCELED = N_("the order is canceled, so no card line is expected")
FREE = N_("the shipment costs nothing, so no card line is expected")
PENDING = N_("not charged yet: the order is {status}")
NO_STATEMENT = N_("no card statement received yet")
AFTER_STATEMENT = N_("paid {date}, close to or after the last card line received ({last}); it may be on the "
                     "next statement")
BEFORE_STATEMENT = N_("paid {date}, close to or before the first card line received ({first}); it may be on an "
                      "earlier statement")
NO_CARD_LINE = N_("no card line of {amount} between {first} and {last}")
AMBIGUOUS_SHIPMENT = N_("{count} card lines fit equally; left for the controller")
BAND_LINE_AMBIGUOUS = N_("only one card line fits within the exchange-rate band, and {count} shipments fit that "
                         "line; left for the controller")
LINES_TAKEN = N_("the card lines that fit were matched to other shipments nearer in date")
DUPLICATE = N_("the same shipment as in {source}, so it is counted once")
MATCHED_BEFORE = N_("shipment {order_id} {reference} was matched to a card line before, so it is counted once")


def reason(template: str, **params: object) -> Reason:
    """Build a Reason, turning amounts and dates into their exact text forms."""
    values: dict[str, str | int] = {}
    for name, value in params.items():
        if isinstance(value, int) and not isinstance(value, bool):
            values[name] = value
        elif isinstance(value, date):
            values[name] = value.isoformat()
        else:
            values[name] = str(value)
    return Reason(template, values)


def describe(note: Reason, translator: Translator) -> str:
    """Translate a reason, with its amounts and dates formatted for the translator's language."""
    params: dict[str, object] = dict(note.params)
    currency = str(params.pop("currency", "NOK"))
    for name in MONEY_PARAMS:
        if name in params:
            params[name] = translator.money(Decimal(str(params[name])), currency)
    for name in DATE_PARAMS:
        if name in params:
            params[name] = translator.date(date.fromisoformat(str(params[name])))
    return translator(note.template, **params)
