"""The SAP Business One connector against the Service Layer stand-in on 127.0.0.1.

The stand-in (tests/erp/sap_b1_standin.py) checks every request body against
the schema written from SAP's SDK help, the session cookies, the balance and
the master data, and responds in the Service Layer's error shapes. Pauses
between retries are recorded instead of slept.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import httpx
import pytest
from erp.sap_b1_standin import SapB1StandIn
from mail_app.certificate import make_certificate

from bot.config import Settings
from bot.errors import ConfigError
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher, VoucherLine
from connectors.sap_b1 import SapB1Connector
from connectors.sap_b1_entries import shorten, utf16_length

PASSWORD = "B1-secret-pw"
PASSWORD_VARIABLE = "ALLOCBOT_TEST_SAP_PASSWORD"
LONG_DESCRIPTION = "Amazon Business order 402-1234567-7654321, office supplies for the Oslo team"


def settings_for(url: str, *, timeout: float = 5, **sap: object) -> Settings:
    return Settings.model_validate({"export": {
        "connector": "sap", "attempts": 3, "backoff_seconds": 0.5, "timeout_seconds": timeout,
        "sap": {"base_url": url, "company_db": "SBODEMONO", "username": "allocbot",
                "password_env": PASSWORD_VARIABLE, "vat_accounts": {"1": "2710"}, **sap},
    }})


@pytest.fixture
def standin():
    with SapB1StandIn(password=PASSWORD) as server:
        yield server


@pytest.fixture
def pauses() -> list[float]:
    return []


@pytest.fixture
def connect(standin, pauses, monkeypatch):
    """Return a factory of connectors to the stand-in, and close each at the end of the test."""
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    opened: list[SapB1Connector] = []

    def make(version: str = "v1", **options: object) -> SapB1Connector:
        connector = SapB1Connector.from_settings(settings_for(standin.url(version), **options), sleep=pauses.append)
        opened.append(connector)
        return connector

    yield make
    for connector in opened:
        connector.close()


def line(account: str, amount: str, description: str = "Toner", **dimensions: object) -> VoucherLine:
    return VoucherLine(account=account, amount=Decimal(amount), description=description, **dimensions)


def office_voucher(number: str = "AB0000001") -> Voucher:
    """Toner (VAT code 1 at 25 %, mapped to 2710), a desk lamp (VAT code 11, not mapped) and the card line."""
    return Voucher(number, date(2026, 11, 3), LONG_DESCRIPTION, "402-1234567-7654321 ref-77", (
        line("6800", "1250.00", "Toner", cost_center="100", project="P1", tax_code="1", vat_rate=Decimal("25")),
        line("6540", "200.00", "Desk lamp", cost_center="200", tax_code="11", vat_rate=Decimal("15")),
        line("2400", "-1450.00", "Card", clearing=True),
    ))


def simple_voucher(number: str, cost_center: str = "100") -> Voucher:
    return Voucher(number, date(2026, 11, 4), "Paper", "", (
        line("6800", "100.00", "Paper", cost_center=cost_center),
        line("2400", "-100.00", "Card", clearing=True),
    ))


def test_post_header_fields(standin, connect):
    outcomes = connect().post([office_voucher()])

    [entry] = standin.entries_with_reference("AB0000001")
    assert outcomes == [Posted("AB0000001", str(entry["JdtNum"]))]
    assert entry["ReferenceDate"] == "2026-11-03"
    assert entry["TaxDate"] == "2026-11-03"
    assert entry["Memo"] == LONG_DESCRIPTION[:49] + "…"
    assert len(entry["Memo"]) == 50
    assert entry["Reference2"] == "402-1234567-7654321 ref-77"
    assert entry["AutoVAT"] == "tNO"


def test_post_line_fields(standin, connect):
    connect().post([office_voucher()])

    [entry] = standin.entries_with_reference("AB0000001")
    assert entry["JournalEntryLines"] == [
        {"AccountCode": "6800", "ShortName": "6800", "Debit": Decimal("1000.00"), "LineMemo": "Toner",
         "CostingCode": "100", "ProjectCode": "P1", "TaxGroup": "1"},
        {"AccountCode": "2710", "ShortName": "2710", "Debit": Decimal("250.00"), "LineMemo": "Toner"},
        {"AccountCode": "6540", "ShortName": "6540", "Debit": Decimal("200.00"), "LineMemo": "Desk lamp",
         "CostingCode": "200", "TaxGroup": "11"},
        {"AccountCode": "2400", "ShortName": "2400", "Credit": Decimal("1450.00"), "LineMemo": "Card"},
    ]


def test_post_without_vat_mapping_sends_gross(standin, connect):
    connect(vat_accounts={}).post([office_voucher()])

    [entry] = standin.entries_with_reference("AB0000001")
    assert "AutoVAT" not in entry
    assert [(row["AccountCode"], row.get("Debit"), row.get("TaxGroup")) for row in entry["JournalEntryLines"]] == [
        ("6800", Decimal("1250.00"), "1"), ("6540", Decimal("200.00"), "11"), ("2400", None, None)]


def test_refund_lines_become_credit(standin, connect):
    refund = Voucher("AB0000002", date(2026, 11, 5), "Returned toner", "", (
        line("6800", "-125.00", tax_code="1", vat_rate=Decimal("25")),
        line("2400", "125.00", "Card", clearing=True),
    ))

    connect().post([refund])

    [entry] = standin.entries_with_reference("AB0000002")
    amounts = [(row["AccountCode"], row.get("Debit"), row.get("Credit")) for row in entry["JournalEntryLines"]]
    assert amounts == [("6800", None, Decimal("100.00")), ("2710", None, Decimal("25.00")),
                       ("2400", Decimal("125.00"), None)]


def test_amounts_rounded_to_ore_balance(standin, connect):
    voucher = Voucher("AB0000003", date(2026, 11, 6), "Rounding", "", (
        line("6800", "99.99", tax_code="1", vat_rate=Decimal("25")),
        line("6540", "33.335"),
        line("2400", "-133.33", clearing=True),
    ))

    connect().post([voucher])

    [entry] = standin.entries_with_reference("AB0000003")
    lines = entry["JournalEntryLines"]
    assert [row.get("Debit", row.get("Credit")) for row in lines] == [
        Decimal("79.99"), Decimal("20.00"), Decimal("33.34"), Decimal("133.33")]
    assert sum(row.get("Debit", 0) for row in lines) == sum(row.get("Credit", 0) for row in lines)


@pytest.mark.parametrize(("amounts", "totals"), [
    (("100.00", "-99.99"), "debit 100.00, credit 99.99, difference 0.01"),
    # Balances before rounding, and is 0.01 off after it.
    (("33.335", "33.335", "33.33", "-100.00"), "debit 100.01, credit 100.00, difference 0.01"),
], ids=["one-ore-off", "off-after-rounding"])
def test_unbalanced_voucher_rejected_others_posted(standin, connect, amounts, totals):
    lines = tuple(line("6800" if amount[0] != "-" else "2400", amount) for amount in amounts)
    unbalanced = Voucher("AB0000009", date(2026, 11, 6), "Broken", "", lines)

    outcomes = connect().post([simple_voucher("AB0000008"), unbalanced, simple_voucher("AB0000007")])

    first, rejected, last = outcomes
    assert isinstance(first, Posted)
    assert isinstance(last, Posted)
    assert rejected.number == "AB0000009"
    assert rejected.field == "JournalEntryLines"
    assert rejected.status is None
    assert f"voucher AB0000009 does not balance after rounding its amounts to øre: {totals}" in rejected.message
    assert "give the allocation's lines amounts in whole øre" in rejected.message
    assert standin.entries_with_reference("AB0000009") == []
    assert [entry["Reference"] for entry in standin.entries] == ["AB0000008", "AB0000007"]


def test_zero_voucher_rejected(standin, connect):
    free = Voucher("AB0000015", date(2026, 11, 6), "Free sample", "", (
        line("6800", "0.00"), line("2400", "0.00", clearing=True)))

    [rejected] = connect().post([free])

    assert rejected == Rejected("AB0000015", rejected.message, None, "JournalEntryLines")
    assert "voucher AB0000015 has 0 line(s) with an amount other than 0.00" in rejected.message
    assert standin.count("POST", "JournalEntries") == 0


@pytest.mark.parametrize(("numbers", "message"), [
    (["AB0000016", "AB0000016"], "vouchers AB0000016 occur more than once in one batch"),
    (["AB" + "9" * 99], "is longer than the 100 UTF-16 code units of the journal entry's Reference field"),
], ids=["repeated-number", "number-too-long"])
def test_impossible_batch_sends_nothing(standin, connect, numbers, message):
    with pytest.raises(ValueError, match=message):
        connect().post([simple_voucher(number) for number in numbers])

    assert standin.received == []


def test_mapped_vat_code_without_rate_posts_gross(standin, connect):
    """A reverse-charge or import VAT code comes without a rate: gross, with its VAT group, and no VAT line."""
    voucher = Voucher("AB0000010", date(2026, 11, 6), "Import", "", (
        line("6800", "1250.00", "Toner", tax_code="1", vat_rate=Decimal("25")),
        line("6540", "200.00", "Lamp from abroad", tax_code="1"),
        line("2400", "-1450.00", "Card", clearing=True),
    ))

    outcomes = connect().post([voucher])

    [entry] = standin.entries_with_reference("AB0000010")
    assert outcomes == [Posted("AB0000010", str(entry["JdtNum"]))]
    assert entry["AutoVAT"] == "tNO"
    assert [(row["AccountCode"], row.get("Debit"), row.get("Credit"), row.get("TaxGroup"))
            for row in entry["JournalEntryLines"]] == [
        ("6800", Decimal("1000.00"), None, "1"), ("2710", Decimal("250.00"), None, None),
        ("6540", Decimal("200.00"), None, "1"), ("2400", None, Decimal("1450.00"), None)]


def test_only_unsplit_vat_codes_leave_auto_vat(standin, connect):
    voucher = Voucher("AB0000017", date(2026, 11, 6), "Import", "", (
        line("6540", "200.00", "Lamp from abroad", tax_code="1"),
        line("2400", "-200.00", "Card", clearing=True),
    ))

    connect().post([voucher])

    [entry] = standin.entries_with_reference("AB0000017")
    assert "AutoVAT" not in entry
    assert [row.get("TaxGroup") for row in entry["JournalEntryLines"]] == ["1", None]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_unknown_cost_center_rejected(standin, connect, version):
    outcomes = connect(version).post([simple_voucher("AB0000011", cost_center="999"), simple_voucher("AB0000012")])

    rejected, posted = outcomes
    assert rejected == Rejected("AB0000011", "Linked value '999' does not exist or is inactive "
                                             "[JDT1.ProfitCode][line: 1]", 400, "JournalEntryLines[1].CostingCode")
    assert isinstance(posted, Posted)
    assert standin.entries_with_reference("AB0000011") == []
    assert len(standin.entries_with_reference("AB0000012")) == 1


def test_rejected_account_keeps_going(standin, connect):
    standin.reject_account("6800", "Account 6800 is blocked by the controller")

    lamp = Voucher("AB0000014", date(2026, 11, 4), "Lamp", "", (
        line("6540", "80.00", "Lamp"), line("2400", "-80.00", "Card", clearing=True)))

    outcomes = connect().post([simple_voucher("AB0000013"), lamp])

    assert outcomes[0] == Rejected("AB0000013", "Account 6800 is blocked by the controller [JDT1.Account][line: 1]",
                                   400, "JournalEntryLines[1].AccountCode")
    assert isinstance(outcomes[1], Posted)
    assert [entry["Reference"] for entry in standin.entries] == ["AB0000014"]


@pytest.mark.parametrize(("expire_at", "statuses"), [
    (None, [200, 201, 401, 200, 201]),
    (("POST", "JournalEntries"), [200, 201, 200, 401, 201]),
], ids=["before-lookup", "before-post"])
def test_session_expiry_logs_in_once(standin, connect, expire_at, statuses):
    connector = connect()
    connector.post([simple_voucher("AB0000020")])
    standin.expire_sessions(at=expire_at)

    outcomes = connector.post([simple_voucher("AB0000021")])

    assert isinstance(outcomes[0], Posted)
    assert standin.logins == 2
    assert len(standin.entries_with_reference("AB0000021")) == 1
    # GET is the look-up before posting, and the request that met the expired session is sent once more.
    assert [request.status for request in standin.received if request.entity == "JournalEntries"] == statuses


def test_timeout_after_booking_books_once(standin, connect, pauses):
    standin.stall_after_booking(3.0)

    outcomes = connect(timeout=0.3).post([simple_voucher("AB0000030")])

    [entry] = standin.entries_with_reference("AB0000030")
    assert outcomes == [Posted("AB0000030", str(entry["JdtNum"]))]
    assert standin.count("POST", "JournalEntries") == 1
    # One look-up before posting, one after the timeout, which waits backoff_seconds first.
    assert standin.count("GET", "JournalEntries") == 2
    assert pauses == [0.5]


def test_entry_booked_after_timeout_books_once(standin, connect, pauses):
    """SAP books the entry only after the client gave up and looked it up; the next run finds it."""
    standin.hold_next_entry()

    with pytest.raises(ErpUnavailable) as raised:
        connect(timeout=0.3).post([simple_voucher("AB0000032")])
    late_entry = standin.book_held_entry()
    # The next run, as the posting core does it: look the voucher up, and send it only if it is missing.
    found = connect().find(["AB0000032"])

    assert raised.value.done == []
    assert "voucher AB0000032: ReadTimeout after sending POST JournalEntries" in raised.value.reason
    assert "no journal entry carries the number yet" in raised.value.reason
    assert found == {"AB0000032": str(late_entry["JdtNum"])}
    assert len(standin.entries_with_reference("AB0000032")) == 1
    assert standin.count("POST", "JournalEntries") == 1
    assert pauses == [0.5]


def test_server_error_not_posted_again(standin, connect, pauses):
    standin.fail(500, 1, entity="JournalEntries", method="POST")

    with pytest.raises(ErpUnavailable) as raised:
        connect().post([simple_voucher("AB0000031")])
    posts_in_first_run = standin.count("POST", "JournalEntries")
    next_connector = connect()
    found = next_connector.find(["AB0000031"])
    outcomes = next_connector.post([simple_voucher("AB0000031")])

    assert raised.value.done == []
    assert "HTTP 500 on POST JournalEntries" in raised.value.reason
    assert posts_in_first_run == 1
    assert pauses == [0.5]
    assert found == {}
    [entry] = standin.entries_with_reference("AB0000031")
    assert outcomes == [Posted("AB0000031", str(entry["JdtNum"]))]


def test_lasting_outage_reports_done(standin, connect, pauses):
    standin.fail(503, None, entity="JournalEntries", after_bookings=1)

    with pytest.raises(ErpUnavailable) as raised:
        connect().post([simple_voucher("AB0000040"), simple_voucher("AB0000041"), simple_voucher("AB0000042")])

    [entry] = standin.entries_with_reference("AB0000040")
    assert raised.value.done == [Posted("AB0000040", str(entry["JdtNum"]))]
    assert raised.value.reason.startswith("voucher AB0000041: HTTP 503 on POST JournalEntries, and the look-up "
                                          "after it failed: HTTP 503 on GET JournalEntries")
    assert standin.count("POST", "JournalEntries") == 2
    # The pause before the look-up, then the look-up's own retries.
    assert pauses == [0.5, 0.5, 1.0]


def test_unreachable_server_reports_nothing_done(standin, connect, pauses):
    connector = connect()
    standin.stop()

    with pytest.raises(ErpUnavailable) as raised:
        connector.post([simple_voucher("AB0000043")])

    assert raised.value.done == []
    assert f"cannot connect to {standin.url().removesuffix('/b1s/v1')}" in raised.value.reason
    assert pauses == [0.5, 1.0]


def test_login_retried_after_gateway_error(standin, connect, pauses):
    standin.fail(503, 1, entity="Login")

    outcomes = connect().post([simple_voucher("AB0000044")])

    assert isinstance(outcomes[0], Posted)
    assert standin.count("POST", "Login") == 2
    assert standin.logins == 1
    assert pauses == [0.5]


def test_login_rejected_names_settings(standin, connect, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong-password")
    connector = connect()

    with pytest.raises(ConfigError) as raised:
        connector.post([simple_voucher("AB0000045")])

    message = str(raised.value)
    assert ("key export.sap.username: SAP Business One rejected the login as allocbot to company SBODEMONO: "
            "Fail to NONE-SSO login from SLD.") in message
    assert PASSWORD_VARIABLE in message
    assert "wrong-password" not in message
    assert standin.entries == []


def test_wrong_base_path_names_key(standin, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    settings = settings_for(standin.url().replace("/b1s/v1", "/b1s/v9"))

    with SapB1Connector.from_settings(settings) as connector, pytest.raises(ConfigError) as raised:
        connector.master_lists()

    assert "key export.sap.base_url: the Service Layer has no Login endpoint at" in str(raised.value)
    assert "/b1s/v9/Login" in str(raised.value)


def test_find_returns_jdt_numbers(standin, connect):
    connector = connect()
    numbers = ["AB0000050", "AB'0000051", "AB0000052"]
    posted = connector.post([simple_voucher(number) for number in numbers])

    lookups_before = standin.count("GET", "JournalEntries")

    found = connector.find([*numbers, "AB0000404"])

    assert found == {outcome.number: outcome.external_id for outcome in posted}
    # Three entries in pages of two.
    assert standin.count("GET", "JournalEntries") - lookups_before == 2


def test_repeated_batch_books_once(standin, connect):
    first = connect().post([simple_voucher("AB0000053")])

    again = connect().post([simple_voucher("AB0000053"), simple_voucher("AB0000054")])

    assert again[0] == first[0]
    assert isinstance(again[1], Posted)
    assert len(standin.entries_with_reference("AB0000053")) == 1
    assert standin.count("POST", "JournalEntries") == 2


def booked_entry(number: str, booked_on: str, lines: list[tuple[str, str, str]]) -> dict:
    """Return a journal entry as another client would book it, from (account, debit, credit) lines."""
    return {"Reference": number, "ReferenceDate": booked_on, "Memo": "Booked elsewhere",
            "JournalEntryLines": [{"AccountCode": account, "ShortName": account, "Debit": Decimal(debit),
                                   "Credit": Decimal(credit)} for account, debit, credit in lines]}


@pytest.mark.parametrize(("booked_on", "lines", "difference"), [
    ("2026-10-01", [("6800", "100", "0"), ("2400", "0", "100")],
     "the entry is dated 2026-10-01 with debit total 100.00, this voucher is dated 2026-11-04 with debit total "
     "100.00. "),
    ("2026-11-04", [("6800", "500", "0"), ("2400", "0", "500")],
     "the entry is dated 2026-11-04 with debit total 500.00, this voucher is dated 2026-11-04 with debit total "
     "100.00. "),
    ("2026-11-04", [("6540", "100", "0"), ("2400", "0", "100")],
     "the entry is dated 2026-11-04 with debit total 100.00, this voucher is dated 2026-11-04 with debit total "
     "100.00, and their lines differ. "),
], ids=["other-date", "other-total", "other-account"])
def test_reused_number_with_other_content_rejected(standin, connect, booked_on, lines, difference):
    jdt_num = standin.book(booked_entry("AB0000055", booked_on, lines))

    outcomes = connect().post([simple_voucher("AB0000055"), simple_voucher("AB0000056")])

    rejected, posted = outcomes
    assert rejected.number == "AB0000055"
    assert rejected.field == "Reference"
    assert rejected.message.startswith(f"SAP Business One already has journal entry {jdt_num} under voucher "
                                       f"number AB0000055 with other content: {difference}")
    assert "another allocbot database, such as a restored backup or a second installation" in rejected.message
    assert isinstance(posted, Posted)
    assert len(standin.entries_with_reference("AB0000055")) == 1
    assert standin.count("POST", "JournalEntries") == 1


@pytest.mark.parametrize(("clearing", "posted"), [("125.00", True), ("500.00", False)],
                         ids=["same-clearing-line", "other-clearing-line"])
def test_entry_with_sap_vat_lines_compared(standin, connect, clearing, posted):
    """Without AutoVAT tNO, SAP may add VAT lines to a line with a VAT group, so only the other lines must match."""
    voucher = Voucher("AB0000057", date(2026, 11, 4), "Lamp", "", (
        line("6540", "125.00", "Lamp", tax_code="1", vat_rate=Decimal("25")),
        line("2400", "-125.00", "Card", clearing=True),
    ))
    jdt_num = standin.book(booked_entry("AB0000057", "2026-11-04T00:00:00Z", [
        ("6540", "100.00", "0"), ("2710", "25.00", "0"), ("2400", "0", clearing)]))

    [outcome] = connect(vat_accounts={}).post([voucher])

    if posted:
        assert outcome == Posted("AB0000057", str(jdt_num))
    else:
        assert isinstance(outcome, Rejected)
        assert outcome.message.startswith(f"SAP Business One already has journal entry {jdt_num} under voucher "
                                          f"number AB0000057 with other content")
    assert standin.count("POST", "JournalEntries") == 0


@pytest.mark.parametrize(("status", "entity"), [(403, "VatGroups"), (400, "ProfitCenters")])
def test_list_read_rejected_names_authorizations(standin, connect, status, entity):
    standin.fail(status, None, entity=entity, method="GET", message=f"No permission to read {entity}")

    with pytest.raises(ConfigError) as raised:
        connect().master_lists()

    message = str(raised.value)
    assert (f"key export.sap.username: SAP Business One rejected reading {entity} (HTTP {status}): "
            f"No permission to read {entity}") in message
    assert (f"check that the SAP Business One user allocbot is authorized to read {entity}, under Administration > "
            f"System Initialization > Authorizations > General Authorizations") in message
    assert standin.count("GET", entity) == 1


def test_lookup_rejected_sends_nothing(standin, connect):
    standin.fail(403, None, entity="JournalEntries", method="GET", message="No permission to read JournalEntries")

    with pytest.raises(ConfigError, match=r"rejected reading JournalEntries \(HTTP 403\)"):
        connect().post([simple_voucher("AB0000058")])

    assert standin.count("POST", "JournalEntries") == 0


def test_emoji_texts_shortened_by_utf16_length(standin, connect):
    voucher = Voucher("AB0000059", date(2026, 11, 4), "📦" * 30, "🧾" * 60, (
        line("6800", "100.00", "Lamp 💡" * 10),
        line("2400", "-100.00", "Card", clearing=True),
    ))

    outcomes = connect().post([voucher])

    [entry] = standin.entries_with_reference("AB0000059")
    assert outcomes == [Posted("AB0000059", str(entry["JdtNum"]))]
    assert entry["Memo"] == "📦" * 24 + "…"
    assert entry["Reference2"] == "🧾" * 49 + "…"
    assert entry["JournalEntryLines"][0]["LineMemo"] == ("Lamp 💡" * 10)[:42] + "…"
    assert utf16_length(entry["JournalEntryLines"][0]["LineMemo"]) == 50


@pytest.mark.parametrize(("text", "shortened"), [
    ("x" * 50, "x" * 50),
    ("x" * 51, "x" * 49 + "…"),
    ("a" + "😀" * 30, "a" + "😀" * 24 + "…"),
    # The 24th emoji would end on code unit 50, past the 49 left for text, so it is left out whole.
    ("ab" + "😀" * 30, "ab" + "😀" * 23 + "…"),
    ("😀" * 25, "😀" * 25),
], ids=["fits", "one-over", "emoji-fills-budget", "emoji-left-out-whole", "emoji-fits"])
def test_shorten_counts_utf16_code_units(text, shortened):
    assert shorten(text, 50) == shortened
    assert utf16_length(shorten(text, 50)) <= 50


@pytest.mark.parametrize("base_url", ["http://b1.example.invalid:50000/b1s/v1", "http://B1.EXAMPLE.INVALID/b1s/v2"])
def test_plain_http_warns(base_url, monkeypatch, caplog):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    with caplog.at_level(logging.WARNING, logger="connectors.sap_b1"):
        SapB1Connector.from_settings(settings_for(base_url)).close()

    [record] = caplog.records
    assert record.getMessage().startswith("export.sap.base_url uses plain HTTP to b1.example.invalid, so the "
                                          "password and the session id travel unencrypted")
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:9/b1s/v1", "http://127.0.0.2:9/b1s/v1",
                                      "http://localhost:9/b1s/v1", "http://[::1]:9/b1s/v1",
                                      "https://b1.example.invalid:50000/b1s/v1"])
def test_https_or_loopback_does_not_warn(base_url, monkeypatch, caplog):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    with caplog.at_level(logging.WARNING, logger="connectors.sap_b1"):
        SapB1Connector.from_settings(settings_for(base_url)).close()

    assert caplog.records == []


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_master_lists_follow_pages(standin, connect, version):
    codes = connect(version).master_lists()

    assert codes == [
        ErpCode("account", "2400", "Leverandørgjeld kort", True, "2400"),
        ErpCode("account", "2710", "Inngående mva høy sats", True, "2710"),
        ErpCode("account", "2711", "Inngående mva middels sats", True, "2711"),
        ErpCode("account", "6540", "Inventar", True, "6540"),
        ErpCode("account", "6800", "Kontorrekvisita", True, "6800"),
        ErpCode("account", "7140", "Reisekostnad", False, "7140"),
        ErpCode("cost_center", "100", "Administrasjon", True, "100"),
        ErpCode("cost_center", "200", "Salg", True, "200"),
        ErpCode("cost_center", "300", "Nedlagt", False, "300"),
        ErpCode("project", "P1", "Nytt kontor", True, "P1"),
        ErpCode("project", "P2", "Avsluttet", False, "P2"),
        ErpCode("vat_code", "1", "Inngående høy sats", True, "1", Decimal("25")),
        ErpCode("vat_code", "11", "Inngående middels sats", True, "11", Decimal("15")),
        ErpCode("vat_code", "0", "Ingen mva", True, "0", Decimal("0")),
        ErpCode("vat_code", "9", "Utgått", False, "9", None),
    ]
    # 7 accounts in pages of 2; 4 profit centers fill two pages, and a full page always has a next link.
    assert standin.count("GET", "ChartOfAccounts") == 4
    assert standin.count("GET", "ProfitCenters") == 3


def test_https_with_ca_file(tmp_path, pauses, monkeypatch):
    certificate = make_certificate(tmp_path / "tls")
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    with SapB1StandIn(password=PASSWORD, ssl_context=certificate.server_context()) as server:
        trusted = SapB1Connector.from_settings(settings_for(server.url(), ca_file=str(certificate.cafile)),
                                               sleep=pauses.append)
        with trusted:
            outcomes = trusted.post([simple_voucher("AB0000060")])
        untrusted = SapB1Connector.from_settings(settings_for(server.url()), sleep=pauses.append)
        with untrusted, pytest.raises(ErpUnavailable) as raised:
            untrusted.post([simple_voucher("AB0000061")])

    assert server.url().startswith("https://127.0.0.1:")
    assert isinstance(outcomes[0], Posted)
    assert "cannot connect" in raised.value.reason
    assert server.entries_with_reference("AB0000061") == []


def test_unreadable_ca_file_names_key(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    with pytest.raises(ConfigError, match="key export.sap.ca_file: cannot read the file"):
        SapB1Connector.from_settings(settings_for("https://127.0.0.1:9/b1s/v1", ca_file=str(tmp_path / "no.pem")))


def test_secrets_never_logged(standin, connect, caplog):
    caplog.set_level(logging.DEBUG)

    with connect() as connector:
        connector.post([simple_voucher("AB0000070")])
        standin.expire_sessions()
        connector.post([simple_voucher("AB0000071")])
        connector.master_lists()

    assert len(standin.issued_session_ids) == 2
    assert standin.logouts == 1
    assert "AB0000071" in caplog.text
    for secret in [PASSWORD, *standin.issued_session_ids]:
        assert secret not in caplog.text


def test_close_logs_out(standin, connect):
    with connect() as connector:
        connector.post([simple_voucher("AB0000080")])
        assert standin.live_sessions == 1

    assert standin.logouts == 1
    assert standin.live_sessions == 0


@pytest.mark.parametrize(("fault", "error"), [
    ((503, None, "JournalEntries", "POST"), ErpUnavailable),
    ((403, None, "JournalEntries", "GET"), ConfigError),
], ids=["post-failed", "lookup-rejected"])
def test_context_manager_logs_out_after_error(standin, connect, fault, error):
    status, count, entity, method = fault
    standin.fail(status, count, entity=entity, method=method)

    with pytest.raises(error), connect() as connector:
        connector.post([simple_voucher("AB0000081")])

    assert standin.logins == 1
    assert standin.logouts == 1
    assert standin.live_sessions == 0


def test_close_after_failed_logout(standin, connect, caplog):
    connector = connect()
    connector.post([simple_voucher("AB0000082")])
    standin.fail(503, None, entity="Logout")

    connector.close()

    assert "Service Layer logout failed: HTTP 503 on POST Logout" in caplog.text
    assert standin.count("POST", "Logout") == 1
    with pytest.raises(RuntimeError, match="client has been closed"):
        connector.find(["AB0000082"])


def test_missing_password_variable_named(monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)

    with pytest.raises(ConfigError) as raised:
        SapB1Connector.from_settings(settings_for("https://127.0.0.1:9/b1s/v1"))

    assert f"environment variable {PASSWORD_VARIABLE} is not set" in str(raised.value)
    assert "key export.sap.password_env" in str(raised.value)


@pytest.mark.parametrize("key", ["base_url", "company_db", "username", "password_env"])
def test_missing_setting_named(monkeypatch, key):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)

    with pytest.raises(ConfigError) as raised:
        SapB1Connector.from_settings(settings_for("https://127.0.0.1:9/b1s/v1", **{key: ""}))

    assert f"key export.sap.{key}: the key is empty" in str(raised.value)


@pytest.mark.parametrize(("change", "message"), [
    ({"Memo": "x" * 51}, "Value of 'Memo' is invalid"),
    ({"JournalEntryLines": [{"ShortName": "6800", "Debit": 1, "VatGroup": "1"},
                            {"ShortName": "2400", "Credit": 1}]},
     "Property 'VatGroup' of 'JournalEntryLine' is invalid"),
    ({"JournalEntryLines": [{"ShortName": "6800", "Debit": 1}, {"ShortName": "2400", "Credit": 2}]},
     "Unbalanced transaction"),
    # 26 code points fit maxLength 50, and 52 UTF-16 code units do not.
    ({"Memo": "📦" * 26}, "Value too long in property 'Memo' of 'JournalEntry'"),
    ({"JournalEntryLines": [{"ShortName": "6800", "Debit": 1, "LineMemo": "💡" * 26},
                            {"ShortName": "2400", "Credit": 1}]},
     "Value too long in property 'LineMemo' of 'JournalEntryLine'"),
], ids=["memo-too-long", "unknown-property", "unbalanced", "memo-emoji-too-long", "line-memo-emoji-too-long"])
def test_standin_checks_body(standin, change, message):
    body = {"ReferenceDate": "2026-11-03", "Memo": "Paper", "Reference": "AB0000090",
            "JournalEntryLines": [{"ShortName": "6800", "Debit": 1}, {"ShortName": "2400", "Credit": 1}], **change}
    login = {"CompanyDB": "SBODEMONO", "UserName": "allocbot", "Password": PASSWORD}

    with httpx.Client(base_url=standin.url() + "/") as client:
        assert client.post("Login", json=login).status_code == 200
        response = client.post("JournalEntries", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["message"]["value"].startswith(message)
    assert standin.entries == []
