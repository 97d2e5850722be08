"""A small company for the Slack tests: master data, Slack users, and purchases waiting for answers.

Ola orders for IT and reports to Kari; Per is not in Slack; Siri is a
controller; Eve works elsewhere and may act on nobody's items.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bot.config import Settings
from bot.records import CardCharge, ReportItem, Statement
from bot.store.repository import add_card_charges, add_document, add_report_items

OLA = "ola.hansen@example.no"
KARI = "kari.nordmann@example.no"
PER = "per.berg@example.no"
SIRI = "siri.lund@example.no"
EVE = "eve.strand@example.no"

# Slack user ids of the people who are in Slack (Per is not).
SLACK_IDS = {OLA: "U0OLA", KARI: "U0KARI", SIRI: "U0SIRI", EVE: "U0EVE"}
CONTROLLER_CHANNEL = "C0CONTROL"

MASTER_TOML = f"""
[[cost_centers]]
code = "100"
name = "Administrasjon"
description = "Kontorrekvisita, møter og administrasjon"

[[cost_centers]]
code = "400"
name = "IT"
description = "IT-utstyr, datautstyr, programvare og lisenser"

[[projects]]
code = "P-1042"
name = "Ombygging Hamar stasjon"
lead = "{KARI}"
cost_center = "400"

[[accounts]]
number = "6551"
name = "Datautstyr"
default_tax_code = "1"

[[accounts]]
number = "6800"
name = "Kontorrekvisita"
default_tax_code = "1"

[[accounts]]
number = "7420"
name = "Gave til forretningsforbindelse"
default_tax_code = "0"

[[accounts]]
number = "1570"
name = "Andre kortsiktige fordringer"
default_tax_code = "0"

[[tax_codes]]
code = "0"
name = "Ingen mva-behandling"
rate = 0

[[tax_codes]]
code = "1"
name = "Inngående mva, høy sats"
rate = 25

[[employees]]
email = "{OLA}"
name = "Ola Hansen"
cost_center = "400"
role = "employee"
manager = "{KARI}"

[[employees]]
email = "{KARI}"
name = "Kari Nordmann"
cost_center = "400"
role = "manager"

[[employees]]
email = "{PER}"
name = "Per Berg"
cost_center = "100"
role = "employee"
manager = "{KARI}"

[[employees]]
email = "{SIRI}"
name = "Siri Lund"
cost_center = "100"
role = "controller"

[[employees]]
email = "{EVE}"
name = "Eve Strand"
cost_center = "100"
role = "employee"
"""


def write_settings(folder: Path, api_url: str, *, language: str = "nb", items_per_message: int = 8,
                   store_url: str | None = None) -> Settings:
    """Write master data and a config file into ``folder`` and load them as the bot would."""
    from bot.config import load_settings

    (folder / "master.toml").write_text(MASTER_TOML, encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        f'language = "{language}"\n'
        'master_data = "master.toml"\n'
        "[store]\n"
        f'url = "{store_url or "sqlite:///var/allocbot.db"}"\n'
        "[policy]\n"
        "review_threshold = 5000\n"
        "[slack]\n"
        f'api_url = "{api_url}"\n'
        f'controller_channel = "{CONTROLLER_CHANNEL}"\n'
        f"items_per_message = {items_per_message}\n",
        encoding="utf-8",
    )
    return load_settings(config)


def purchase(number: int, title: str, requester: str, amount: str, *, day: date = date(2026, 11, 2)) -> ReportItem:
    """Return one report row paid in NOK with its own payment reference, so it matches exactly one charge."""
    value = Decimal(amount)
    return ReportItem(
        source="orders.csv", line=number + 1, order_id=f"302-{number:07d}-0000001", order_date=day,
        currency="NOK", title=title, quantity=1, unit_price=value, net_total=value,
        account_user_email=requester, payment_reference=f"REF{number:06d}", payment_date=day,
        payment_amount=value, shipping_address="Nordlys AS, Industriveien 12, LILLESTRØM, 2004, NO",
    )


def add_purchases(store, items: list[ReportItem]) -> None:
    """Store items and a card statement with one matching Amazon charge per item."""
    charges = tuple(
        CardCharge(source="statement.csv", line=index + 1, date=item.payment_date + timedelta(days=1),
                   description=f"AMAZON MKTPLACE {item.payment_reference}", amount=item.net_total)
        for index, item in enumerate(items)
    )
    name = "-".join(item.order_id for item in items)
    with store.session() as session:
        report = add_document(session, kind="order_report", filename="orders.csv",
                              sha256=hashlib.sha256(("r" + name).encode()).hexdigest())
        add_report_items(session, report, items)
        statement = add_document(session, kind="statement", filename="statement.csv",
                                 sha256=hashlib.sha256(("s" + name).encode()).hexdigest())
        add_card_charges(session, statement, Statement(source="statement.csv", charges=charges))
