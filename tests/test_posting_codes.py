"""The code check before posting, the stored ERP lists, and how they are compared with the master data."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlmodel import select

from bot.console import print_code_lists, print_posting
from bot.i18n import Translator
from bot.ports import ErpCode
from bot.posting.build import CardLine, VoucherOptions
from bot.posting.codes import CheckedVouchers, CodeLists, build_checked_vouchers, compare_codes
from bot.posting.run import HeldBack, PostingResult
from bot.store.codes import master_data_codes, replace_erp_codes, vat_rates
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import ErpCodeRow, Posting, VoucherRow
from bot.store.postings import card_lines, statement_files, unposted_allocations
from bot.records import Allocation
from posting_store import (
    HAMAR,
    MASTER_DATA,
    OFFICE,
    Company,
    ListingErp,
    RecordingErp,
    erp_codes_of,
    master_data,
    post,
)

AMAZON = "AMAZON EU, Luxembourg"


def two_statements(store):
    """An item on account 6540 on one statement and one on 6800 on another; return the company and item ids."""
    company = Company(store)
    (first,) = company.statement([(4, AMAZON, "1200.00")])
    (second,) = company.statement([(9, AMAZON, "99.00")], filename="desember.csv")
    shelf, _ = company.item(first, "1200.00", "Hylle til lageret", lines=[(HAMAR, "1200.00")])
    paper, _ = company.item(second, "99.00", "Kopipapir A4", lines=[(OFFICE, "99.00")])
    return company, shelf, paper


def printed(result, language: str = "nb") -> str:
    out = io.StringIO()
    print_posting(result, Translator(language), out)
    return out.getvalue()


def test_inactive_account_holds_voucher_back(store, tmp_path):
    _, shelf, _ = two_statements(store)
    # Account 6540 left the master data file, so the snapshot keeps it inactive.
    without_6540 = [account for account in MASTER_DATA["accounts"] if account["number"] != "6540"]
    with store.session() as session:
        sync_master_data(session, master_data(accounts=without_6540))
    erp = RecordingErp()

    result = post(store, erp, tmp_path)

    assert result.failed
    (held,) = result.held_back
    assert [(problem.kind, problem.code, problem.state, problem.item_ids) for problem in held.problems] == [
        ("account", "6540", "inactive", (shelf,))]
    # The other statement's voucher went on; the held back one was not even claimed.
    assert [voucher.lines[0].account for voucher in erp.sent] == ["6800"]
    with store.session() as session:
        assert session.exec(select(VoucherRow.number)).all() == [erp.sent[0].number]
        assert len(session.exec(select(Posting)).all()) == 1

    text = printed(result)
    assert "Holdt tilbake, ikke sendt:" in text
    assert (f"konto 6540 er inaktiv i grunndataene; varer #{shelf} Hylle til lageret (legg konto 6540 inn i "
            "grunndatafilen)") in text
    assert "Bilag holdt tilbake: 1" in text
    assert "Bilag postert: 1, linjer: 2" in text


def test_fixed_master_data_releases_voucher(store, tmp_path):
    two_statements(store)
    without_6540 = [account for account in MASTER_DATA["accounts"] if account["number"] != "6540"]
    with store.session() as session:
        sync_master_data(session, master_data(accounts=without_6540))
    erp = RecordingErp()
    post(store, erp, tmp_path)

    with store.session() as session:
        sync_master_data(session, master_data())
    result = post(store, erp, tmp_path)

    assert not result.failed
    assert [voucher.lines[0].account for voucher in erp.sent] == ["6800", "6540"]


def test_codes_checked_against_erp_lists(store, tmp_path):
    _, shelf, _ = two_statements(store)
    codes = [code for code in erp_codes_of(master_data()) if (code.kind, code.code) != ("cost_center", "600")]
    codes.append(ErpCode("project", "P-1042", "Ombygging Hamar stasjon", active=False, external_id="77"))
    erp = ListingErp([code for code in codes if (code.kind, code.code) != ("project", "P-1042")]
                     + [codes[-1]])

    result = post(store, erp, tmp_path)

    assert erp.list_reads == 1
    assert result.lists_from == "listing"
    (held,) = result.held_back
    assert [(problem.kind, problem.code, problem.state) for problem in held.problems] == [
        ("cost_center", "600", "unknown"), ("project", "P-1042", "inactive")]
    assert len(erp.sent) == 1
    text = printed(result, "en")
    assert (f"cost center 600 is unknown in listing; items #{shelf} Hylle til lageret (add or activate cost center "
            "600 in listing; allocbot masterdata sync lists every difference)") in text


def test_missing_clearing_account_in_erp(store, tmp_path):
    two_statements(store)
    erp = ListingErp([code for code in erp_codes_of(master_data()) if code.code != "2400"])

    result = post(store, erp, tmp_path)

    assert len(result.held_back) == 2
    assert erp.sent == []
    clearing = result.held_back[0].problems
    assert [(problem.kind, problem.code, problem.item_ids) for problem in clearing] == [("account", "2400", ())]
    assert "set export.card_account to the card's clearing account" in printed(result, "en")


def test_erp_lists_stored_each_run(store, tmp_path):
    two_statements(store)
    codes = erp_codes_of(master_data())
    erp = ListingErp(codes)

    post(store, erp, tmp_path)

    with store.session() as session:
        rows = session.exec(select(ErpCodeRow).where(ErpCodeRow.connector == "listing")).all()
    assert len(rows) == len(codes)
    assert {(row.kind, row.code) for row in rows} == {(code.kind, code.code) for code in codes}


def test_dry_run_does_not_store_lists(store, tmp_path):
    two_statements(store)
    erp = ListingErp(erp_codes_of(master_data()))

    result = post(store, erp, tmp_path, dry_run=True)

    assert len(result.drafts) == 2
    with store.session() as session:
        assert session.exec(select(ErpCodeRow)).all() == []


def test_erp_rate_for_code_master_data_lacks(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(4, AMAZON, "112.00")])
    company.item(line, "112.00", "Togbillett", lines=[(Allocation("100", None, "6800", "13"), "112.00")])
    erp = ListingErp(erp_codes_of(master_data()) + [ErpCode("vat_code", "13", "Lav sats", rate=Decimal("12"))])

    post(store, erp, tmp_path)

    assert erp.sent[0].lines[0].vat_rate == Decimal("12")


def test_replace_erp_codes_per_connector(store):
    with store.session() as session:
        replace_erp_codes(session, "tripletex", [ErpCode("account", "6540", "Inventar"),
                                                 ErpCode("account", "6800", "Kontorrekvisita")])
        replace_erp_codes(session, "sap", [ErpCode("account", "6540", "Inventar SAP")])
    with store.session() as session:
        replace_erp_codes(session, "tripletex", [
            ErpCode("account", "6540", "Inventar", active=False, external_id="1"),
            ErpCode("account", "6540", "Inventar", active=True, external_id="2"),
            ErpCode("vat_code", "1", "Høy sats", rate=Decimal("25"), external_id="3"),
        ])

    with store.session() as session:
        rows = session.exec(select(ErpCodeRow).order_by(ErpCodeRow.connector, ErpCodeRow.kind)).all()
    assert [(row.connector, row.kind, row.code, row.active, row.external_id, row.rate) for row in rows] == [
        ("sap", "account", "6540", True, None, None),
        ("tripletex", "account", "6540", True, "2", None),
        ("tripletex", "vat_code", "1", True, "3", Decimal("25.0000")),
    ]


def test_compare_codes_lists_differences():
    master = master_data()
    entries = [code for code in erp_codes_of(master) if code.code not in ("6540", "600")]
    entries += [ErpCode("account", "6540", "Inventar", active=False), ErpCode("account", "1920", "Bank"),
                ErpCode("account", "1930", "Bank, inaktiv", active=False),
                ErpCode("vat_code", "11", "Middels sats", rate=Decimal("15"))]
    entries = [ErpCode("vat_code", "15", "Lav", rate=Decimal("12")) if (entry.kind, entry.code) == ("vat_code", "15")
               else entry for entry in entries]

    differences = compare_codes(master, entries)

    assert differences.missing == {"cost_center": ["600"]}
    assert differences.inactive == {"account": ["6540"]}
    assert differences.extra == {"account": ["1920", "2400"], "vat_code": ["11"]}
    assert differences.rates == [("15", Decimal("15"), Decimal("12"))]

    out = io.StringIO()
    print_code_lists("tripletex", entries, differences, Translator("nb"), out)
    text = out.getvalue()
    assert "Lister lest fra Tripletex:" in text
    assert "  Kontoer: 7, herav inaktive: 2" in text
    assert ("I grunndataene, men mangler i Tripletex (bilag som bruker dem, holdes tilbake):\n"
            "  kostnadssted: 600") in text
    assert "I grunndataene, men inaktive i Tripletex (bilag som bruker dem, holdes tilbake):\n  konto: 6540" in text
    assert "Aktive i Tripletex, men ikke i grunndataene:\n  konto: 1920, 2400\n  mva-kode: 11" in text
    assert "Mva-kode 15: 15 % i grunndataene, 12 % i Tripletex" in text
    assert "Alle kodene" not in text


def test_compare_codes_agree():
    master = master_data()

    differences = compare_codes(master, erp_codes_of(master))

    out = io.StringIO()
    print_code_lists("sap", erp_codes_of(master), differences, Translator("en"), out)
    assert differences.missing == differences.inactive == {}
    assert "Every code of the master data is active in SAP Business One." in out.getvalue()


UNKNOWN_ACCOUNT = Allocation("400", None, "6999", "14")


def one_statement(store):
    """Three card lines: the first with a good and a bad item, the others with good items; return their ids."""
    company = Company(store)
    first, second, third = company.statement([(3, AMAZON, "1000.00"), (5, AMAZON, "450.00"), (9, AMAZON, "99.00")])
    ids = {
        "mouse": company.item(first, "600.00", "Logitech MX Master 3S"),
        "shelf": company.item(first, "400.00", "Hylle til lageret", lines=[(UNKNOWN_ACCOUNT, "400.00")]),
        "paper": company.item(second, "450.00", "Kopipapir A4", lines=[(OFFICE, "450.00")]),
        "cable": company.item(third, "99.00", "USB-C-kabel"),
    }
    return (first, second, third), ids


def checked(store, *, grouping: str = "statement", codes: CodeLists | None = None) -> CheckedVouchers:
    """Build and check the vouchers of the unposted allocations as a posting run reads them from the store."""
    with store.session() as session:
        allocations = unposted_allocations(session)
        cards = card_lines(session, {allocation.item.card_transaction_id for allocation in allocations
                                     if allocation.item.card_transaction_id is not None})
        statements = statement_files(session, {card.document_id for card in cards.values()})
        rates = vat_rates(session)
        lists = codes or CodeLists.from_master_data(master_data_codes(session), ["2400"])
    options = VoucherOptions(grouping, "2400", "NOK", rates, Translator("nb"))
    return build_checked_vouchers(allocations, cards, statements, options, lists)


def card_line_balances(draft) -> dict[int, Decimal]:
    """Return the sum of each card line's voucher lines, its clearing line included."""
    balances: dict[int, Decimal] = {}
    for line, card_id in zip(draft.voucher.lines, draft.line_cards, strict=True):
        balances[card_id] = balances.get(card_id, Decimal("0")) + line.amount
    return balances


def test_bad_code_holds_back_its_card_line(store):
    (first, second, third), ids = one_statement(store)

    result = checked(store)

    (ready,) = result.ready
    assert ready.allocation_ids == (ids["paper"][1], ids["cable"][1])
    assert [(line.account, line.amount) for line in ready.voucher.lines] == [
        ("6800", Decimal("450.00")), ("2400", Decimal("-450.00")),
        ("6551", Decimal("99.00")), ("2400", Decimal("-99.00"))]
    assert card_line_balances(ready) == {second: Decimal("0.00"), third: Decimal("0.00")}
    assert ready.voucher.date == date(2026, 11, 9)
    assert ready.voucher.description == "Kortutskrift 03.11.2026–09.11.2026"

    ((held, problems),) = result.held_back
    # The mouse shares the shelf's card line, so it waits with it and the clearing line stays whole.
    assert held.allocation_ids == (ids["mouse"][1], ids["shelf"][1])
    assert [(line.account, line.amount) for line in held.voucher.lines] == [
        ("6551", Decimal("600.00")), ("6999", Decimal("400.00")), ("2400", Decimal("-1000.00"))]
    assert card_line_balances(held) == {first: Decimal("0.00")}
    assert [(problem.kind, problem.code, problem.state, problem.item_ids, problem.card_line_ids)
            for problem in problems] == [("account", "6999", "unknown", (ids["shelf"][0],), (first,))]
    assert held.card_lines == {first: CardLine(date(2026, 11, 3), AMAZON, Decimal("1000.00"))}
    assert held.items == {ids["mouse"][0]: "Logitech MX Master 3S", ids["shelf"][0]: "Hylle til lageret"}


def test_bad_codes_on_every_card_line(store):
    company = Company(store)
    first, second = company.statement([(3, AMAZON, "400.00"), (5, AMAZON, "450.00")])
    shelf, _ = company.item(first, "400.00", "Hylle til lageret", lines=[(UNKNOWN_ACCOUNT, "400.00")])
    paper, _ = company.item(second, "450.00", "Kopipapir A4", lines=[(Allocation("999", None, "6800", "14"),
                                                                      "450.00")])

    result = checked(store)

    assert result.ready == []
    ((held, problems),) = result.held_back
    assert card_line_balances(held) == {first: Decimal("0.00"), second: Decimal("0.00")}
    assert [(problem.kind, problem.code, problem.item_ids, problem.card_line_ids) for problem in problems] == [
        ("account", "6999", (shelf,), (first,)), ("cost_center", "999", (paper,), (second,))]


def test_missing_clearing_account_holds_statement(store):
    (first, second, third), _ = one_statement(store)
    codes = [code for code in erp_codes_of(master_data()) if code.code != "2400"]
    codes.append(ErpCode("account", "6999", "Annen kostnad"))

    result = checked(store, codes=CodeLists.from_erp("listing", codes))

    assert result.ready == []
    ((held, problems),) = result.held_back
    assert [(problem.kind, problem.code, problem.item_ids, problem.card_line_ids) for problem in problems] == [
        ("account", "2400", (), (first, second, third))]
    assert held.voucher.balance() == 0


def test_item_grouping_holds_back_only_bad_item(store):
    (first, _second, _third), ids = one_statement(store)

    result = checked(store, grouping="item")

    assert sorted(draft.allocation_ids for draft in result.ready) == sorted(
        [(ids["mouse"][1],), (ids["paper"][1],), (ids["cable"][1],)])
    ((held, problems),) = result.held_back
    assert held.grouping == "item"
    assert held.allocation_ids == (ids["shelf"][1],)
    assert [(problem.code, problem.item_ids, problem.card_line_ids) for problem in problems] == [
        ("6999", (ids["shelf"][0],), (first,))]


def test_held_back_card_line_printed(store):
    _, ids = one_statement(store)
    result = checked(store)
    posting = PostingResult("recording", held_back=[HeldBack(draft, problems) for draft, problems in result.held_back])

    text = printed(posting, "en")

    shelf = ids["shelf"][0]
    assert "Held back, not sent:" in text
    assert f"account 6999 is unknown in the master data; items #{shelf} Hylle til lageret" in text
    assert "add account 6999 to the master data file" in text
