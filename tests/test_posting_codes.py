"""The code check before posting, the stored ERP lists, and how they are compared with the master data."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlmodel import select

from bot.console import print_code_lists, print_posting
from bot.i18n import Translator
from bot.ports import ErpCode
from bot.posting.codes import compare_codes
from bot.store.codes import replace_erp_codes
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import ErpCodeRow, Posting, VoucherRow
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
        assert session.exec(select(VoucherRow.number)).all() == ["AB0000001"]
        assert len(session.exec(select(Posting)).all()) == 1

    text = printed(result)
    assert "Holdt tilbake, ikke sendt:" in text
    assert (f"konto 6540 er inaktiv i grunndataene; varer #{shelf} Hylle til lageret (legg konto 6540 inn i "
            "grunndatafilen, eller endre fordelingen)") in text
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
            "600 in listing, or change the allocation; allocbot masterdata sync lists every difference)") in text


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
    company.item(line, "112.00", "Kaffe", lines=[(Allocation("100", None, "6800", "31"), "112.00")])
    erp = ListingErp(erp_codes_of(master_data()) + [ErpCode("vat_code", "31", "Middels sats", rate=Decimal("12"))])

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
    assert "  Kontoer: 7, av dem inaktive: 2" in text
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
