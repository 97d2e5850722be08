"""The Tripletex connector against the local Tripletex stand-in, which checks each request against Tripletex's schema.

The stand-in fixture fails a test whose requests broke the schema, so every
test here also proves that the connector's requests are valid.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bot.config import ExportSettings, Settings, TripletexSettings
from bot.errors import ConfigError
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher, VoucherLine
from connectors.tripletex import TripletexConnector
from erp.tripletex_standin import TripletexStandIn
from statement_pdfs import NOVEMBER, NOVEMBER_SUM, write_statement

CONSUMER_TOKEN = "consumer-token-5f0c81d2a9"
EMPLOYEE_TOKEN = "employee-token-c47e19b6f3"
BACKOFF = 0.01
TODAY = date(2026, 12, 5)      # the connector's today, which ends the dates that find() lists
VOUCHER_DAY = date(2026, 11, 13)
CARD_ISSUER = "30017"          # the card issuer's supplier number in the stand-in


@pytest.fixture
def standin() -> Iterator[TripletexStandIn]:
    server = TripletexStandIn(consumer_token=CONSUMER_TOKEN, employee_token=EMPLOYEE_TOKEN)
    # As in Tripletex's standard chart of accounts, the card's clearing account is on the supplier ledger.
    server.add_account(2400, "Leverandørgjeld", ledger_type="VENDOR")
    server.add_supplier(int(CARD_ISSUER), "DNB Bedriftskort")
    server.add_account(6540, "Inventar")
    server.add_account(6800, "Kontorrekvisita")
    server.add_account(7140, "Reisekostnad, ikke oppgavepliktig")
    server.add_vat_type("1", "Fradrag inngående mva, høy sats", "25")
    server.add_vat_type("11", "Fradrag inngående mva, middels sats", "15")
    # The departmentNumber filter returns every department whose number contains the text,
    # so a search for "10" finds "100" first and one for "1" finds all three.
    server.add_department("100", "Salg Bergen")
    server.add_department("10", "Salg")
    server.add_department("1", "Administrasjon")
    server.add_project("P-100", "Nytt kontor")
    server.add_voucher_type("Bankkort")
    server.start()
    yield server
    server.stop()
    assert server.schema_violations == [], "the connector sent requests that break Tripletex's schema"
    assert server.response_violations == [], "the stand-in responded outside Tripletex's schema"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep httpx from sending the stand-in's requests through a proxy named in the environment."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def sleeps() -> list[float]:
    """The pauses the connector requested. Recording them instead of sleeping keeps the tests fast."""
    return []


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPLETEX_CONSUMER_TOKEN", CONSUMER_TOKEN)
    monkeypatch.setenv("TRIPLETEX_EMPLOYEE_TOKEN", EMPLOYEE_TOKEN)


def settings_for(standin: TripletexStandIn, *, timeout: float = 5, card_supplier_number: str = CARD_ISSUER,
                 **tripletex: object) -> Settings:
    section = TripletexSettings(base_url=standin.base_url, **tripletex)
    # model_copy sets card_supplier_number whether or not TripletexSettings declares it yet.
    section = section.model_copy(update={"card_supplier_number": card_supplier_number})
    return Settings(export=ExportSettings(
        connector="tripletex", attempts=3, backoff_seconds=BACKOFF, timeout_seconds=timeout, tripletex=section))


def connect(standin: TripletexStandIn, sleeps: list[float], *, timeout: float = 5, page_size: int = 1000,
            **tripletex: object) -> TripletexConnector:
    return TripletexConnector.from_settings(settings_for(standin, timeout=timeout, **tripletex), sleep=sleeps.append,
                                            page_size=page_size, today=lambda: TODAY)


def purchase(number: str = "AB0000042", *, account: str = "6540", cost_center: str | None = "10",
             project: str | None = "P-100", tax_code: str | None = "1", attachments: tuple[Path, ...] = (),
             day: date = VOUCHER_DAY, amount: str = "1249.68") -> Voucher:
    """An Amazon Business order on the company card: two debit lines and the card's clearing line."""
    return Voucher(
        number=number,
        date=day,
        description="Amazon Business 403-5512093-7781924",
        reference="403-5512093-7781924 F090Q5RN5",
        lines=(
            VoucherLine(account, Decimal(amount), "Skjermarm, dobbel", cost_center=cost_center, project=project,
                        tax_code=tax_code, vat_rate=Decimal("25")),
            VoucherLine("6800", Decimal("150.50"), "Kopipapir A4", cost_center="1", tax_code="1",
                        vat_rate=Decimal("25")),
            VoucherLine("2400", -Decimal(amount) - Decimal("150.50"), "Kortutskrift november 2026", clearing=True),
        ),
        attachments=attachments,
    )


def ids_by_number(standin: TripletexStandIn, path: str, field: str) -> dict[str, int]:
    return {str(entry[field]): entry_id for entry_id, entry in standin.registers[path].items()}


def listings(standin: TripletexStandIn) -> list[tuple[str, str, str]]:
    """The (dateFrom, dateTo, from) of each request that listed vouchers by date."""
    return [(call.query["dateFrom"], call.query["dateTo"], call.query["from"])
            for call in standin.calls_to("GET", "/ledger/voucher")]


# --- Posting ---------------------------------------------------------------------------------------


def test_voucher_stored_field_by_field(standin, sleeps, tokens, tmp_path):
    statement = write_statement(tmp_path / "kortutskrift-2026-11.pdf", NOVEMBER, NOVEMBER_SUM)
    not_a_document = tmp_path / "kortutskrift-2026-11.csv"
    not_a_document.write_text("dato;beløp\n", encoding="utf-8")
    voucher = purchase(attachments=(statement, not_a_document))

    with connect(standin, sleeps, voucher_type="Bankkort") as connector:
        outcomes = connector.post([voucher])

    assert len(standin.vouchers) == 1
    [(voucher_id, stored)] = standin.vouchers.items()
    assert outcomes == [Posted("AB0000042", str(voucher_id))]
    assert stored["externalVoucherNumber"] == "AB0000042"
    assert stored["date"] == "2026-11-13"
    assert stored["description"] == "AB0000042 Amazon Business 403-5512093-7781924"
    assert stored["voucherType"] == {"id": ids_by_number(standin, "/ledger/voucherType", "name")["Bankkort"]}

    accounts = ids_by_number(standin, "/ledger/account", "number")
    departments = ids_by_number(standin, "/department", "departmentNumber")
    vat_types = ids_by_number(standin, "/ledger/vatType", "number")
    project = ids_by_number(standin, "/project", "number")["P-100"]
    first, second, clearing = stored["postings"]
    assert [posting["row"] for posting in stored["postings"]] == [1, 2, 3]
    assert [posting["date"] for posting in stored["postings"]] == ["2026-11-13"] * 3
    assert first["account"] == {"id": accounts["6540"]}
    assert first["department"] == {"id": departments["10"]}
    assert first["project"] == {"id": project}
    assert first["vatType"] == {"id": vat_types["1"]}
    assert first["description"] == "Skjermarm, dobbel"
    assert first["amountGross"] == Decimal("1249.68")
    assert first["amountGrossCurrency"] == Decimal("1249.68")
    assert first["currency"] == {"id": standin.company_currency_id}
    assert second["account"] == {"id": accounts["6800"]}
    assert second["department"] == {"id": departments["1"]}
    assert "project" not in second
    assert second["amountGross"] == Decimal("150.5")
    assert clearing["account"] == {"id": accounts["2400"]}
    assert clearing["amountGross"] == Decimal("-1400.18")
    assert clearing["supplier"] == {"id": ids_by_number(standin, "/supplier", "supplierNumber")[CARD_ISSUER]}
    assert "vatType" not in clearing
    assert "department" not in clearing
    assert "supplier" not in first
    assert "supplier" not in second

    [attachment] = standin.attachments[voucher_id]
    assert attachment.content == statement.read_bytes()
    assert attachment.file_name == "kortutskrift-2026-11.pdf"
    assert attachment.media_type == "application/pdf"


@pytest.mark.parametrize(("line", "named", "field"), [
    ({"account": "6801"}, "account 6801", "postings[0].account"),
    ({"tax_code": "7"}, "VAT code 7", "postings[0].vatType"),
    ({"cost_center": "99"}, "cost center 99", "postings[0].department"),
    ({"project": "P-999"}, "project P-999", "postings[0].project"),
])
def test_unknown_code_rejected_before_posting(standin, sleeps, tokens, line, named, field):
    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(**line)])

    assert isinstance(outcome, Rejected)
    assert outcome.number == "AB0000042"
    assert f"{named} does not exist in Tripletex" in outcome.message
    assert outcome.field == field
    assert standin.calls_to("POST", "/ledger/voucher") == []
    assert standin.vouchers == {}


def test_erp_rejection_carries_erp_message(standin, sleeps, tokens):
    travel = ids_by_number(standin, "/ledger/account", "number")["7140"]
    standin.reject_account(travel, "Kontoen er sperret for manuell føring")

    with connect(standin, sleeps) as connector:
        rejected, posted = connector.post([purchase("AB0000001", account="7140"), purchase("AB0000002")])

    assert isinstance(rejected, Rejected)
    assert rejected.number == "AB0000001"
    assert rejected.status == 422
    assert rejected.message.startswith("Validation failed")
    assert "postings[0].account: Kontoen er sperret for manuell føring" in rejected.message
    assert rejected.field == "postings[0].account"
    assert isinstance(posted, Posted)
    assert [stored["externalVoucherNumber"] for stored in standin.vouchers.values()] == ["AB0000002"]


def test_amount_with_fraction_of_ore_rejected(standin, sleeps, tokens):
    voucher = purchase()
    lines = (VoucherLine("6540", Decimal("10.005"), "Kabel"), VoucherLine("2400", Decimal("-10.005"), "Kort"))

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([Voucher(voucher.number, voucher.date, voucher.description, voucher.reference,
                                            lines)])

    assert isinstance(outcome, Rejected)
    assert "10.005" in outcome.message
    assert outcome.field == "postings[0].amountGross"
    assert standin.vouchers == {}


def test_foreign_currency_voucher_rejected(standin, sleeps, tokens):
    voucher = purchase()
    in_euro = Voucher(voucher.number, voucher.date, voucher.description, voucher.reference, voucher.lines,
                      currency="EUR")

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([in_euro])

    assert isinstance(outcome, Rejected)
    assert "EUR" in outcome.message
    assert outcome.field == "currency"
    assert standin.vouchers == {}


# --- Account rules ---------------------------------------------------------------------------------


def test_supplier_ledger_clearing_needs_supplier(standin, sleeps, tokens):
    with connect(standin, sleeps, card_supplier_number="") as connector:
        [outcome] = connector.post([purchase()])

    assert isinstance(outcome, Rejected)
    assert "clearing account 2400" in outcome.message
    assert "ledgerType VENDOR" in outcome.message
    assert "export.tripletex.card_supplier_number" in outcome.message
    assert "export.card_account" in outcome.message
    assert outcome.field == "postings[2].supplier"
    assert standin.calls_to("POST", "/ledger/voucher") == []
    assert standin.vouchers == {}


def test_general_ledger_clearing_needs_no_supplier(standin, sleeps, tokens):
    standin.add_account(1910, "Mellomregning kredittkort")
    voucher = purchase()
    lines = voucher.lines[:2] + (VoucherLine("1910", voucher.lines[2].amount, "Kortutskrift", clearing=True),)

    with connect(standin, sleeps, card_supplier_number="") as connector:
        [outcome] = connector.post([Voucher(voucher.number, voucher.date, voucher.description, voucher.reference,
                                            lines)])

    assert isinstance(outcome, Posted)
    [stored] = standin.vouchers.values()
    assert all("supplier" not in posting for posting in stored["postings"])
    assert standin.calls_to("GET", "/supplier") == []


def test_unknown_card_supplier_raises_config_error(standin, sleeps, tokens):
    with connect(standin, sleeps, card_supplier_number="99999") as connector:
        with pytest.raises(ConfigError) as raised:
            connector.post([purchase()])

    assert "supplier number 99999 not found in Tripletex" in str(raised.value)
    assert "export.tripletex.card_supplier_number" in str(raised.value)
    assert standin.calls_to("POST", "/ledger/voucher") == []


def test_allocated_line_on_ledger_account_rejected(standin, sleeps, tokens):
    standin.add_account(1500, "Kundefordringer", ledger_type="CUSTOMER")

    with connect(standin, sleeps) as connector:
        rejected = connector.post([purchase("AB0000001", account="2400"), purchase("AB0000002", account="1500")])

    assert [outcome.field for outcome in rejected] == ["postings[0].supplier", "postings[0].customer"]
    assert "account 2400 is on Tripletex's supplier ledger (ledgerType VENDOR)" in rejected[0].message
    assert "account 1500 is on Tripletex's customer ledger (ledgerType CUSTOMER)" in rejected[1].message
    assert all("general ledger account" in outcome.message for outcome in rejected)
    assert standin.calls_to("POST", "/ledger/voucher") == []


@pytest.mark.parametrize(("locked_to", "tax_code", "expected"), [
    ("11", "1", "takes only VAT type 11 in Tripletex (vatLocked), but the line has VAT code 1"),
    ("1", None, "takes only VAT type 1 (25 %) in Tripletex (vatLocked), but the line has no VAT code"),
], ids=["other VAT code", "no VAT code, locked to 25 %"])
def test_vat_locked_account_rejects_other_vat(standin, sleeps, tokens, locked_to, tax_code, expected):
    vat_types = ids_by_number(standin, "/ledger/vatType", "number")
    standin.add_account(6860, "Kurs", vat_type=vat_types[locked_to], vat_locked=True)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(account="6860", tax_code=tax_code)])

    assert isinstance(outcome, Rejected)
    assert f"account 6860 {expected}" in outcome.message
    assert outcome.field == "postings[0].vatType"
    assert standin.calls_to("POST", "/ledger/voucher") == []


def test_vat_locked_account_gets_zero_rate_type(standin, sleeps, tokens):
    no_vat = standin.add_vat_type("0", "Ingen mva-behandling", "0")
    standin.add_account(6860, "Kurs", vat_type=no_vat, vat_locked=True)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(account="6860", tax_code=None)])

    assert isinstance(outcome, Posted)
    [stored] = standin.vouchers.values()
    assert stored["postings"][0]["vatType"] == {"id": no_vat}
    assert "vatType" not in stored["postings"][2]


@pytest.mark.parametrize(("rule", "line", "field"), [
    ({"requires_department": True}, {"cost_center": None}, "department"),
    ({"requires_project": True}, {"project": None}, "project"),
])
def test_account_requiring_dimension_rejects_line(standin, sleeps, tokens, rule, line, field):
    standin.add_account(6860, "Kurs", **rule)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(account="6860", **line)])

    assert isinstance(outcome, Rejected)
    assert f"account 6860 requires a {field} in Tripletex" in outcome.message
    assert outcome.field == f"postings[0].{field}"
    assert standin.calls_to("POST", "/ledger/voucher") == []


# --- Idempotency and retries ----------------------------------------------------------------------


# With imported_only, >externalVoucherNumber never finds a voucher created by POST, as its description may mean.
@pytest.mark.parametrize(("imported_only", "listed"), [(False, 1), (True, 2)],
                         ids=["external number found", "imported only"])
def test_stalled_post_booked_once(standin, sleeps, tokens, imported_only, listed):
    if imported_only:
        standin.find_imported_vouchers_only()
    standin.stall_next_voucher_post(1.0)

    with connect(standin, sleeps, timeout=0.3) as connector:
        [outcome] = connector.post([purchase()])

    assert len(standin.vouchers) == 1
    [voucher_id] = standin.vouchers
    assert outcome == Posted("AB0000042", str(voucher_id))
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1
    # One lookup before posting, one after the timeout; the voucher's date is listed where the first step misses.
    assert len(standin.calls_to("GET", "/ledger/voucher/>externalVoucherNumber")) == 2
    assert listings(standin) == [("2026-11-13", "2026-11-14", "0")] * listed


def post_missing(connector: TripletexConnector, vouchers: list[Voucher]) -> tuple[dict[str, str], list]:
    """Do what the posting core does with vouchers left "sending": find them, then post those not found."""
    found = connector.find([voucher.number for voucher in vouchers])
    return found, connector.post([voucher for voucher in vouchers if voucher.number not in found])


def test_post_500_not_posted_again(standin, sleeps, tokens):
    standin.fail_next("POST", "/ledger/voucher", status=500)

    with connect(standin, sleeps) as connector:
        with pytest.raises(ErpUnavailable) as raised:
            connector.post([purchase()])
        after_first_run = len(standin.calls_to("POST", "/ledger/voucher"))
        found, [outcome] = post_missing(connector, [purchase()])

    assert raised.value.done == []
    assert "AB0000042" in raised.value.reason
    assert "HTTP 500" in raised.value.reason
    assert after_first_run == 1
    assert sleeps == [BACKOFF]
    assert found == {}
    [voucher_id] = standin.vouchers
    assert outcome == Posted("AB0000042", str(voucher_id))
    assert [call.status for call in standin.calls_to("POST", "/ledger/voucher")] == [500, 200]


def test_late_booking_booked_once(standin, sleeps, tokens):
    # Tripletex books the second voucher only after the client timed out and looked it up.
    standin.book_next_voucher_post_late(after=1)
    vouchers = [purchase("AB0000001"), purchase("AB0000002"), purchase("AB0000003")]

    with connect(standin, sleeps, timeout=0.3) as connector:
        with pytest.raises(ErpUnavailable) as raised:
            connector.post(vouchers)
        standin.release_late_booking()
        [first] = raised.value.done
        found, [third] = post_missing(connector, vouchers[1:])

    numbers = sorted(stored["externalVoucherNumber"] for stored in standin.vouchers.values())
    assert numbers == ["AB0000001", "AB0000002", "AB0000003"]
    by_number = {stored["externalVoucherNumber"]: str(voucher_id) for voucher_id, stored in standin.vouchers.items()}
    assert first == Posted("AB0000001", by_number["AB0000001"])
    assert "AB0000002" in raised.value.reason
    assert found == {"AB0000002": by_number["AB0000002"]}
    assert third == Posted("AB0000003", by_number["AB0000003"])
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 3


def test_lookup_rejected_after_unknown_outcome(standin, sleeps, tokens):
    # The first lookup is the one before posting; the second, after the 500, is rejected.
    standin.fail_next("POST", "/ledger/voucher", status=500)
    standin.fail_next("GET", "/ledger/voucher/>externalVoucherNumber", status=403, after=1)

    with connect(standin, sleeps) as connector:
        with pytest.raises(ErpUnavailable) as raised:
            connector.post([purchase()])

    assert raised.value.done == []
    assert "AB0000042" in raised.value.reason
    assert "HTTP 403" in raised.value.reason
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1


def test_get_503_retried(standin, sleeps, tokens):
    standin.fail_next("GET", "/ledger/account", status=503, times=2)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase()])

    assert isinstance(outcome, Posted)
    assert [call.status for call in standin.calls_to("GET", "/ledger/account")][:3] == [503, 503, 200]
    assert sleeps == [BACKOFF, 2 * BACKOFF]


@pytest.mark.parametrize(("retry_after", "expected_pause"), [(7.0, 7.0), (None, 3.0)])
def test_rate_limit_waits_as_requested(standin, sleeps, tokens, retry_after, expected_pause):
    standin.rate_limit_next("POST", "/ledger/voucher", reset_seconds=3, retry_after=retry_after)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase()])

    assert isinstance(outcome, Posted)
    assert sleeps == [expected_pause]
    assert [call.status for call in standin.calls_to("POST", "/ledger/voucher")] == [429, 200]
    assert len(standin.vouchers) == 1


def test_expired_session_renewed_once(standin, sleeps, tokens):
    with connect(standin, sleeps) as connector:
        connector.post([purchase("AB0000001")])
        standin.expire_sessions()
        [outcome] = connector.post([purchase("AB0000002")])

    assert isinstance(outcome, Posted)
    assert len(standin.calls_to("PUT", "/token/session/:create")) == 2
    assert [call.status for call in standin.calls if call.status == 401] == [401]
    assert len(standin.vouchers) == 2


def test_wrong_company_raises_config_error(standin, sleeps, tokens):
    with connect(standin, sleeps, company_id=4711) as connector:
        with pytest.raises(ConfigError) as raised:
            connector.post([purchase()])

    assert "company 4711" in str(raised.value)
    assert "export.tripletex.company_id" in str(raised.value)
    assert len(standin.calls_to("PUT", "/token/session/:create")) == 2
    assert standin.vouchers == {}


def test_rejected_tokens_name_variables(standin, sleeps, monkeypatch):
    monkeypatch.setenv("TRIPLETEX_CONSUMER_TOKEN", CONSUMER_TOKEN)
    monkeypatch.setenv("TRIPLETEX_EMPLOYEE_TOKEN", "employee-token-revoked")

    with connect(standin, sleeps) as connector:
        with pytest.raises(ConfigError) as raised:
            connector.post([purchase()])

    assert "HTTP 403" in str(raised.value)
    assert "TRIPLETEX_CONSUMER_TOKEN" in str(raised.value)
    assert "TRIPLETEX_EMPLOYEE_TOKEN" in str(raised.value)


def test_failing_post_raises_with_done(standin, sleeps, tokens):
    standin.fail_next("POST", "/ledger/voucher", status=500, times=10, after=1)

    with connect(standin, sleeps) as connector:
        with pytest.raises(ErpUnavailable) as raised:
            connector.post([purchase("AB0000001"), purchase("AB0000002"), purchase("AB0000003")])

    [voucher_id] = standin.vouchers
    assert raised.value.done == [Posted("AB0000001", str(voucher_id))]
    assert raised.value.connector == "tripletex"
    assert "AB0000002" in raised.value.reason
    assert [call.status for call in standin.calls_to("POST", "/ledger/voucher")] == [200, 500]


def test_failing_get_raises_with_done(standin, sleeps, tokens):
    standin.fail_next("GET", "/ledger/voucher/>externalVoucherNumber", status=503, times=10, after=1)

    with connect(standin, sleeps) as connector:
        with pytest.raises(ErpUnavailable) as raised:
            connector.post([purchase("AB0000001"), purchase("AB0000002")])

    [voucher_id] = standin.vouchers
    assert raised.value.done == [Posted("AB0000001", str(voucher_id))]
    assert "HTTP 503" in raised.value.reason
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1


def test_booked_voucher_not_posted_again(standin, sleeps, tokens):
    with connect(standin, sleeps) as connector:
        [first] = connector.post([purchase()])
        [second] = connector.post([purchase()])

    assert first == second
    assert len(standin.vouchers) == 1
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1
    assert len(standin.calls_to("GET", f"/ledger/voucher/{first.external_id}")) == 1


def test_booked_voucher_with_vat_rows_matches(standin, sleeps, tokens):
    # Tripletex adds the VAT it splits off as postings in row 0, which the comparison leaves out.
    vat_account = standin.add_account(2710, "Inngående merverdiavgift, høy sats")

    with connect(standin, sleeps) as connector:
        [first] = connector.post([purchase()])
        standin.vouchers[int(first.external_id)]["postings"].append(
            {"id": 99001, "version": 0, "row": 0, "date": "2026-11-13", "account": {"id": vat_account},
             "amountGross": Decimal("249.94")})
        [second] = connector.post([purchase()])

    assert second == first
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1


@pytest.mark.parametrize(("other", "expected"), [
    (purchase(amount="500.00"), "dated 2026-11-13 with debits of 650.50, while this voucher is dated 2026-11-13 "
                                "with debits of 1400.18"),
    (purchase(day=date(2026, 10, 2)), "dated 2026-10-02 with debits of 1400.18, while this voucher is dated "
                                      "2026-11-13 with debits of 1400.18"),
    (purchase(account="7140"), "dated 2026-11-13 with debits of 1400.18, while this voucher is dated 2026-11-13 "
                               "with debits of 1400.18, on other accounts or in other amounts per posting"),
], ids=["other amount", "other date", "other account"])
def test_reused_number_other_content_rejected(standin, sleeps, tokens, other, expected):
    with connect(standin, sleeps) as connector:
        [booked] = connector.post([other])
        [outcome] = connector.post([purchase()])

    assert isinstance(outcome, Rejected)
    assert f"Tripletex already has voucher id {booked.external_id} with number AB0000042" in outcome.message
    assert expected in outcome.message
    assert "another allocbot database that posts to this Tripletex company" in outcome.message
    assert outcome.field == "externalVoucherNumber"
    assert len(standin.vouchers) == 1
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1


def test_unreadable_booked_voucher_stays_unknown(standin, sleeps, tokens):
    standin.fail_next("GET", "/ledger/voucher/{id}", status=403)

    with connect(standin, sleeps) as connector:
        [booked] = connector.post([purchase()])
        with pytest.raises(ErpUnavailable) as raised:
            connector.post([purchase()])

    assert raised.value.done == []
    assert f"Tripletex voucher {booked.external_id}" in raised.value.reason
    assert "HTTP 403" in raised.value.reason
    assert len(standin.vouchers) == 1


def test_find_returns_voucher_ids(standin, sleeps, tokens):
    with connect(standin, sleeps) as connector:
        posted = connector.post([purchase("AB0000001"), purchase("AB0000002")])
        found = connector.find(["AB0000001", "AB0000002", "AB0000003"])

    assert found == {outcome.number: outcome.external_id for outcome in posted}
    assert set(found.values()) == {str(voucher_id) for voucher_id in standin.vouchers}


def test_find_lists_last_400_days(standin, sleeps, tokens):
    standin.find_imported_vouchers_only()

    with connect(standin, sleeps, page_size=2) as connector:
        posted = connector.post([purchase("AB0000001"), purchase("AB0000002"), purchase("AB0000003")])
        before = len(listings(standin))
        found = connector.find(["AB0000001", "AB0000002", "AB0000003", "AB0000004"])

    assert found == {outcome.number: outcome.external_id for outcome in posted}
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 3
    # One listing of the whole window for the four numbers, read two vouchers per page.
    assert listings(standin)[before:] == [("2025-10-31", "2026-12-06", "0"), ("2025-10-31", "2026-12-06", "2")]


@pytest.mark.parametrize(("days_ago", "found"), [(0, True), (400, True), (401, False)])
def test_find_window_edges(standin, sleeps, tokens, days_ago, found):
    standin.find_imported_vouchers_only()

    with connect(standin, sleeps) as connector:
        [posted] = connector.post([purchase(day=TODAY - timedelta(days=days_ago))])
        result = connector.find(["AB0000042"])

    assert result == ({"AB0000042": posted.external_id} if found else {})


def test_post_finds_voucher_older_than_window(standin, sleeps, tokens):
    # find() misses a voucher dated before its window, and the lookup by the voucher's own date in post() finds it.
    standin.find_imported_vouchers_only()
    old = purchase(day=TODAY - timedelta(days=500))

    with connect(standin, sleeps) as connector:
        [first] = connector.post([old])
        missed = connector.find([old.number])
        [second] = connector.post([old])

    assert missed == {}
    assert second == first
    assert len(standin.vouchers) == 1
    assert len(standin.calls_to("POST", "/ledger/voucher")) == 1


def test_find_matches_number_in_description(standin, sleeps, tokens, api):
    # A voucher whose externalVoucherNumber Tripletex does not show is found by the number in its description.
    # The other two come first, so a match on them would give the lower id, which find() returns.
    ids = {}
    for description in ("AB00000420 Kortutskrift", "Kortutskrift AB0000042",
                        "AB0000042 Kortutskrift 03.11.2026–30.11.2026"):
        response = api.post("/ledger/voucher", json={**valid_voucher(standin), "description": description})
        ids[description] = response.json()["value"]["id"]

    with connect(standin, sleeps) as connector:
        found = connector.find(["AB0000042"])

    assert found == {"AB0000042": str(ids["AB0000042 Kortutskrift 03.11.2026–30.11.2026"])}


@pytest.mark.parametrize(("status", "reason"), [
    (422, "HTTP 422: Injected failure"),
    (500, "HTTP 500 on POST /ledger/voucher/{voucher_id}/attachment, so Tripletex may have attached it anyway"),
])
def test_attachment_failure_noted_on_posted(standin, sleeps, tokens, tmp_path, caplog, status, reason):
    statement = write_statement(tmp_path / "kortutskrift.pdf", NOVEMBER, NOVEMBER_SUM)
    standin.fail_next("POST", "/ledger/voucher/{voucherId}/attachment", status=status)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(attachments=(statement,))])

    [voucher_id] = standin.vouchers
    assert isinstance(outcome, Posted)
    assert outcome.external_id == str(voucher_id)
    expected = reason.format(voucher_id=voucher_id)
    assert outcome.note.startswith(f"attaching the statement file kortutskrift.pdf failed: {expected}")
    assert outcome.note.endswith(f"check Tripletex voucher id {voucher_id} and attach it there by hand")
    assert standin.attachments == {}
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any("AB0000042" in message and str(voucher_id) in message for message in errors)


def test_missing_statement_file_noted(standin, sleeps, tokens, tmp_path):
    statement = write_statement(tmp_path / "kortutskrift.pdf", NOVEMBER, NOVEMBER_SUM)

    with connect(standin, sleeps) as connector:
        [outcome] = connector.post([purchase(attachments=(tmp_path / "borte.pdf", statement))])

    [voucher_id] = standin.vouchers
    assert isinstance(outcome, Posted)
    assert outcome.note.startswith("attaching the statement file borte.pdf failed: the file does not exist")
    assert "kortutskrift.pdf" not in outcome.note
    assert [attachment.file_name for attachment in standin.attachments[voucher_id]] == ["kortutskrift.pdf"]


# --- Master data -----------------------------------------------------------------------------------


def test_master_lists_read_every_page(standin, sleeps, tokens):
    standin.add_account(1920, "Bankinnskudd")
    standin.add_account(6900, "Telefon", inactive=True)
    standin.add_project("P-200", "Lager", closed=True)

    with connect(standin, sleeps, page_size=2) as connector:
        codes = connector.master_lists()

    by_kind = {kind: {code.code: code for code in codes if code.kind == kind}
               for kind in ("account", "cost_center", "project", "vat_code")}
    assert sorted(by_kind["account"]) == ["1920", "2400", "6540", "6800", "6900", "7140"]
    assert sorted(by_kind["cost_center"]) == ["1", "10", "100"]
    assert sorted(by_kind["project"]) == ["P-100", "P-200"]
    assert sorted(by_kind["vat_code"]) == ["1", "11"]
    accounts = ids_by_number(standin, "/ledger/account", "number")
    assert by_kind["account"]["6900"] == ErpCode("account", "6900", "Telefon", active=False,
                                                 external_id=str(accounts["6900"]))
    assert by_kind["account"]["6540"].active
    assert not by_kind["project"]["P-200"].active
    assert by_kind["vat_code"]["11"].rate == Decimal("15")
    assert by_kind["cost_center"]["100"].name == "Salg Bergen"
    pages = [call.query["from"] for call in standin.calls_to("GET", "/ledger/account")]
    assert pages == ["0", "2", "4", "6"]


def test_forbidden_list_raises_config_error(standin, sleeps, tokens):
    standin.fail_next("GET", "/department", status=403)

    with connect(standin, sleeps) as connector:
        with pytest.raises(ConfigError) as raised:
            connector.master_lists()

    assert "/v2/department" in str(raised.value)
    assert "HTTP 403" in str(raised.value)
    assert "API access" in str(raised.value)


# --- Secrets and configuration ---------------------------------------------------------------------


def test_no_token_in_logs(standin, sleeps, tokens, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    statement = write_statement(tmp_path / "kortutskrift.pdf", NOVEMBER, NOVEMBER_SUM)
    standin.fail_next("POST", "/ledger/voucher/{voucherId}/attachment", status=500)
    standin.reject_account(ids_by_number(standin, "/ledger/account", "number")["7140"], "Kontoen er sperret")

    with connect(standin, sleeps, company_id=0) as connector:
        outcomes = connector.post([purchase("AB0000001", attachments=(statement,)),
                                   purchase("AB0000002", account="7140")])
        standin.fail_next("POST", "/ledger/voucher", status=500)
        with pytest.raises(ErpUnavailable) as unknown:
            connector.post([purchase("AB0000003")])
        standin.expire_sessions()
        standin.fail_next("GET", "/ledger/voucher/>externalVoucherNumber", status=500, times=10)
        with pytest.raises(ErpUnavailable) as unreachable:
            connector.post([purchase("AB0000004")])

    secret_values = [CONSUMER_TOKEN, EMPLOYEE_TOKEN, *standin.sessions]
    assert len(secret_values) == 4
    # httpx's request lines are captured, so the check covers them.
    assert "token/session/:create" in caplog.text
    texts = [caplog.text, str(unknown.value), str(unreachable.value), *map(str, outcomes)]
    for secret in secret_values:
        for text in texts:
            assert secret not in text


def test_missing_token_variable_named(standin, monkeypatch):
    monkeypatch.setenv("TRIPLETEX_CONSUMER_TOKEN", CONSUMER_TOKEN)
    monkeypatch.delenv("TRIPLETEX_EMPLOYEE_TOKEN", raising=False)

    with pytest.raises(ConfigError) as raised:
        TripletexConnector.from_settings(settings_for(standin))

    assert "environment variable TRIPLETEX_EMPLOYEE_TOKEN is not set" in str(raised.value)
    assert "export.tripletex.employee_token_env" in str(raised.value)
    assert standin.calls == []


# --- The stand-in's own checks ---------------------------------------------------------------------


@pytest.fixture
def api(standin) -> Iterator[httpx.Client]:
    """A plain client with a session token, for requests the connector would never send."""
    with httpx.Client(base_url=standin.base_url, timeout=5) as client:
        created = client.put("/token/session/:create", params={
            "consumerToken": CONSUMER_TOKEN, "employeeToken": EMPLOYEE_TOKEN, "expirationDate": "2099-01-01"})
        client.auth = httpx.BasicAuth("0", created.json()["value"]["token"])
        yield client
    standin.schema_violations.clear()


def valid_voucher(standin: TripletexStandIn) -> dict:
    accounts = ids_by_number(standin, "/ledger/account", "number")
    supplier = ids_by_number(standin, "/supplier", "supplierNumber")[CARD_ISSUER]
    return {"date": "2026-11-13", "description": "Kontorrekvisita", "postings": [
        {"row": 1, "date": "2026-11-13", "account": {"id": accounts["6800"]}, "amountGross": 100.0},
        {"row": 2, "date": "2026-11-13", "account": {"id": accounts["2400"]}, "amountGross": -100.0,
         "supplier": {"id": supplier}},
    ]}


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    (lambda body: body.update(number=7), 422, 15000, "number"),
    (lambda body: body.update(id=1), 422, 15000, "id"),
    (lambda body: body["postings"][0].update(amountNet=100.0), 422, 16000, "postings[0].amountNet"),
    (lambda body: body["postings"][0].update(row=0), 422, 18000, "postings[0].row"),
    (lambda body: body["postings"][1].update(amountGross=-99.0), 422, 18000, "postings"),
    (lambda body: body["postings"][0]["account"].update(id=1), 422, 18000, "postings[0].account"),
    (lambda body: body.update(date="13.11.2026"), 422, 18000, "date"),
    (lambda body: body.pop("description"), 422, 15000, "description"),
    (lambda body: body["postings"][1].pop("supplier"), 422, 18000, "postings[1].supplier"),
    (lambda body: body["postings"][1]["supplier"].update(id=1), 422, 18000, "postings[1].supplier"),
], ids=["read-only number", "id on create", "unknown field", "row 0", "unbalanced", "unknown account",
        "date format", "missing description", "supplier ledger without supplier", "unknown supplier"])
def test_standin_rejects_invalid_voucher(standin, api, change, status, code, field):
    body = valid_voucher(standin)
    change(body)

    response = api.post("/ledger/voucher", json=body)

    assert response.status_code == status
    envelope = response.json()
    assert envelope["code"] == code
    assert field in [message["field"] for message in envelope["validationMessages"]]
    assert envelope["requestId"] == response.headers["x-tlx-request-id"]
    assert standin.vouchers == {}


@pytest.mark.parametrize(("rule", "posting", "field", "message"), [
    ({"vat_locked": True}, {"vatType": "1"}, "vatType", "account 6860 is locked to VAT type 11"),
    ({"vat_locked": True}, {"vatType": "11"}, None, None),
    ({"vat_locked": True}, {}, None, None),
    ({"requires_department": True}, {}, "department", "account 6860 requires a department"),
    ({"requires_department": True}, {"department": "10"}, None, None),
    ({"requires_project": True}, {}, "project", "account 6860 requires a project"),
], ids=["locked, other VAT type", "locked, its VAT type", "locked, no VAT type", "department missing",
        "department given", "project missing"])
def test_standin_enforces_account_rules(standin, api, rule, posting, field, message):
    vat_types = ids_by_number(standin, "/ledger/vatType", "number")
    departments = ids_by_number(standin, "/department", "departmentNumber")
    standin.add_account(6860, "Kurs", vat_type=vat_types["11"], **rule)
    body = valid_voucher(standin)
    body["postings"][0]["account"] = {"id": ids_by_number(standin, "/ledger/account", "number")["6860"]}
    if "vatType" in posting:
        body["postings"][0]["vatType"] = {"id": vat_types[posting["vatType"]]}
    if "department" in posting:
        body["postings"][0]["department"] = {"id": departments[posting["department"]]}

    response = api.post("/ledger/voucher", json=body)

    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json()["code"] == 18000
    assert {"field": f"postings[0].{field}", "message": message} in response.json()["validationMessages"]


def test_standin_reads_voucher_with_nested_fields(standin, api):
    created = api.post("/ledger/voucher", json=valid_voucher(standin)).json()["value"]

    response = api.get(f"/ledger/voucher/{created['id']}",
                       params={"fields": "id,date,postings(amountGross,account(number),row)"})

    assert response.status_code == 200
    assert response.json()["value"] == {"id": created["id"], "date": "2026-11-13", "postings": [
        {"amountGross": 100.0, "account": {"number": 6800}, "row": 1},
        {"amountGross": -100.0, "account": {"number": 2400}, "row": 2},
    ]}
    assert api.get("/ledger/voucher/99999999").status_code == 404
    assert api.get(f"/ledger/voucher/{created['id']}", params={"fields": "id,postings(row"}).status_code == 400


def test_standin_accepts_valid_voucher(standin, api):
    response = api.post("/ledger/voucher", json=valid_voucher(standin))

    assert response.status_code == 200
    assert response.json()["value"]["id"] in standin.vouchers


def test_standin_lists_vouchers_by_date(standin, api):
    api.post("/ledger/voucher", json=valid_voucher(standin))

    def listed(date_from: str, date_to: str) -> int:
        response = api.get("/ledger/voucher", params={"dateFrom": date_from, "dateTo": date_to, "fields": "id"})
        assert response.status_code == 200
        return len(response.json()["values"])

    assert listed("2026-11-13", "2026-11-14") == 1
    assert listed("2026-11-01", "2026-12-01") == 1
    assert listed("2026-11-12", "2026-11-13") == 0
    assert listed("2026-11-14", "2026-11-15") == 0


@pytest.mark.parametrize(("params", "field"), [
    ({"dateFrom": "2026-11-13"}, "dateTo"),
    ({"dateTo": "2026-11-14"}, "dateFrom"),
    ({"dateFrom": "2026-11-13", "dateTo": "2026-11-13"}, "dateTo"),
    ({"dateFrom": "13.11.2026", "dateTo": "2026-11-14"}, "dateFrom"),
], ids=["no dateTo", "no dateFrom", "empty range", "date format"])
def test_standin_voucher_list_needs_dates(standin, api, params, field):
    response = api.get("/ledger/voucher", params=params)

    assert response.status_code == 422
    assert response.json()["code"] == 21000
    assert field in [message["field"] for message in response.json()["validationMessages"]]


def test_standin_checks_query_and_auth(standin, api):
    missing = api.put("/token/session/:create", params={"consumerToken": CONSUMER_TOKEN})
    unknown = api.get("/ledger/account", params={"numbr": "6800"})
    anonymous = httpx.get(standin.base_url + "/ledger/account", timeout=5)

    assert missing.status_code == 422
    assert {message["field"] for message in missing.json()["validationMessages"]} == {
        "employeeToken", "expirationDate"}
    assert unknown.status_code == 422
    assert unknown.json()["code"] == 21000
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 3000
