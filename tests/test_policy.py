import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import PolicySettings
from bot.masterdata import parse_master_data
from bot.policy import CONTROLLERS, route
from bot.records import Allocation, ReportItem, Suggestion

MASTER = parse_master_data(tomllib.loads("""\
[[cost_centers]]
code = "100"
name = "Administrasjon"

[[cost_centers]]
code = "600"
name = "Prosjekt"

[[accounts]]
number = "6540"
name = "Konto 6540"

[[accounts]]
number = "7420"
name = "Konto 7420"

[[accounts]]
number = "7430"
name = "Konto 7430"

[[accounts]]
number = "7350"
name = "Konto 7350"

[[accounts]]
number = "7360"
name = "Konto 7360"

[[accounts]]
number = "1250"
name = "Konto 1250"

[[accounts]]
number = "6551"
name = "Konto 6551"

[[tax_codes]]
code = "1"
name = "Inngående mva, høy sats"
rate = 25

[[projects]]
code = "P-1042"
name = "Ombygging Hamar stasjon"
lead = "kari.nordmann@example.no"
cost_center = "600"

[[employees]]
email = "kari.nordmann@example.no"
name = "Kari Nordmann"
cost_center = "600"
role = "project_lead"
manager = "siri.dahl@example.no"

[[employees]]
email = "ola.hansen@example.no"
name = "Ola Hansen"
cost_center = "600"
role = "field_technician"
manager = "kari.nordmann@example.no"

[[employees]]
email = "siri.dahl@example.no"
name = "Siri Dahl"
cost_center = "100"
role = "manager"
"""), Path("test.toml"))

POLICY = PolicySettings()


def item(requester: str | None = "ola.hansen@example.no") -> ReportItem:
    return ReportItem(
        source="orders.csv", line=2, order_id="302-1111111-1111111", order_date=date(2026, 3, 2),
        currency="NOK", title="Makita DHP485Z drill", quantity=1,
        unit_price=Decimal("1890.00"), net_total=Decimal("1890.00"), account_user_email=requester,
    )


def suggestion(confidence: float, account: str = "6540", project: str | None = None) -> Suggestion:
    return Suggestion(Allocation("600", project, account, "1"), confidence)


def test_at_review_threshold_needs_approval():
    decision = route(item(), Decimal("5000.00"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "approve"
    assert decision.person == "kari.nordmann@example.no"
    assert decision.reason == "at or above the review threshold"


def test_below_review_threshold_is_booked():
    decision = route(item(), Decimal("4999.99"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "book"
    assert decision.person is None


def test_at_confidence_threshold_is_booked():
    decision = route(item(), Decimal("450.00"), suggestion(POLICY.confidence_threshold), MASTER, POLICY)

    assert decision.action == "book"


def test_capitalization_limit_needs_approval():
    policy = PolicySettings(review_threshold=Decimal("100000"))

    at_limit = route(item(), Decimal("30000.00"), suggestion(0.99), MASTER, policy)
    below_limit = route(item(), Decimal("29999.99"), suggestion(0.99), MASTER, policy)

    assert at_limit.action == "approve"
    assert "capitalized" in at_limit.reason
    assert below_limit.action == "book"


@pytest.mark.parametrize(("account", "reason"), [
    ("7420", "gift to business contacts"),
    ("7350", "representation"),
    ("1250", "may have to be capitalized as a fixed asset"),
])
def test_tax_sensitive_account_needs_approval(account, reason):
    decision = route(item(), Decimal("850.00"), suggestion(0.99, account=account), MASTER, POLICY)

    assert decision.action == "approve"
    assert decision.person == "kari.nordmann@example.no"
    assert decision.reason == reason


def test_unsure_project_item_asks_lead():
    decision = route(item(), Decimal("1890.00"), suggestion(0.55, project="P-1042"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "kari.nordmann@example.no"


def test_unsure_item_of_lead_asks_requester():
    decision = route(item("Kari.Nordmann@example.no"), Decimal("1890.00"),
                     suggestion(0.55, project="P-1042"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "kari.nordmann@example.no"
    assert decision.reason == "unsure suggestion"


def test_unsure_item_without_project_asks_requester():
    decision = route(item(), Decimal("1890.00"), suggestion(0.40), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "ola.hansen@example.no"


def test_no_suggestion_asks_requester():
    decision = route(item(), Decimal("1890.00"), None, MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "ola.hansen@example.no"


def test_unknown_requester_asks_controllers():
    decision = route(item("vikar@example.no"), Decimal("1890.00"), suggestion(0.40), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == CONTROLLERS


def test_unknown_requester_of_project_item_asks_lead():
    decision = route(item(None), Decimal("1890.00"), suggestion(0.40, project="P-1042"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "kari.nordmann@example.no"


def test_unknown_requester_of_unlikely_project_asks_controllers():
    """A line from another merchant with no known card holder and a project guessed at 2 % is not the lead's."""
    decision = route(item(None), Decimal("312.40"), suggestion(0.02, project="P-1042"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == CONTROLLERS


def test_requester_without_manager_goes_to_controllers():
    decision = route(item("siri.dahl@example.no"), Decimal("12500.00"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "approve"
    assert decision.person == CONTROLLERS


def test_unknown_requester_approval_goes_to_controllers():
    decision = route(item("vikar@example.no"), Decimal("12500.00"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "approve"
    assert decision.person == CONTROLLERS


def test_missing_code_goes_to_controllers():
    decision = route(item(), Decimal("450.00"), suggestion(0.99, account="9999"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == CONTROLLERS
    assert "master data" in decision.reason


def test_unsure_gift_account_is_asked_not_approved():
    decision = route(item(), Decimal("450.00"), suggestion(0.40, account="7430"), MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == "ola.hansen@example.no"


@pytest.mark.parametrize("title", ["Marsipan gaveeske 500 g", "Lindt Geschenkbox Pralinen", "Wine gift set, 3 pieces",
                                   "Julegave sjokoladeeske", "Weihnachtsgeschenk Tee"])
def test_gift_title_needs_approval(title):
    gift = ReportItem(
        source="orders.csv", line=2, order_id="302-1111111-1111111", order_date=date(2026, 12, 1),
        currency="NOK", title=title, quantity=1, unit_price=Decimal("450.00"), net_total=Decimal("450.00"),
        account_user_email="ola.hansen@example.no",
    )

    decision = route(gift, Decimal("450.00"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "approve"
    assert decision.reason == "the title suggests a gift"


def test_ordinary_title_not_a_gift():
    decision = route(item(), Decimal("450.00"), suggestion(0.99), MASTER, POLICY)

    assert decision.action == "book"


def test_missing_vat_code_goes_to_controllers():
    suggestion_without_vat = Suggestion(Allocation("600", None, "6540", ""), 0.99)

    decision = route(item(), Decimal("450.00"), suggestion_without_vat, MASTER, POLICY)

    assert decision.action == "ask"
    assert decision.person == CONTROLLERS


@pytest.mark.parametrize("title", ["Ausgabe 2026 Kalender", "Vergiftungsschutz Handschuhe"])
def test_gift_word_inside_word_not_a_gift(title):
    plain = ReportItem(
        source="orders.csv", line=2, order_id="302-1111111-1111111", order_date=date(2026, 12, 1),
        currency="NOK", title=title, quantity=1, unit_price=Decimal("450.00"), net_total=Decimal("450.00"),
        account_user_email="ola.hansen@example.no",
    )

    assert route(plain, Decimal("450.00"), suggestion(0.99), MASTER, POLICY).action == "book"
