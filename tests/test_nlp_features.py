"""Each feature step on hand-built items, and the union they form."""

import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.masterdata import parse_master_data
from bot.nlp.context import ContextBuilder
from bot.nlp.features import (
    STEPS,
    amount_facts,
    build_features,
    checkout_facts,
    event_facts,
    place_facts,
    product_facts,
    requester_facts,
    title_terms,
)
from bot.records import ReportItem

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "300", "name": "Salg"},
            {"code": "600", "name": "Prosjekt"},
        ],
        "accounts": [
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        ],
        "tax_codes": [{"code": "1", "name": "Inngående mva", "rate": "25"}],
        "employees": [
            {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600",
             "role": "project_lead", "manager": "per.sjef@example.no"},
            {"email": "per.sjef@example.no", "name": "Per Sjef", "cost_center": "600", "role": "manager"},
        ],
        "projects": [
            {"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
             "cost_center": "600", "sites": ["Stasjonsveien 4, 2317 Hamar"]},
        ],
        "events": [
            {"name": "Elmia", "start": date(2026, 11, 10), "end": date(2026, 11, 13),
             "location": "Elmiavägen 11, 554 54 Jönköping", "project": "P-1042"},
        ],
        "locations": [
            {"label": "Hovedkontor", "address": "Industriveien 12, 2004 Lillestrøm", "kind": "office"},
        ],
    },
    Path("test.toml"),
)


def make_item(**changes) -> ReportItem:
    values = dict(
        source="report.csv", line=2, order_id="302-1725553-0374723", order_date=date(2026, 11, 1),
        currency="EUR", title="Sechskantschrauben M8x20 DIN 933, 100 Stück", quantity=40,
        unit_price=Decimal("12.50"), net_total=Decimal("500.00"), account_user_email="kari.nordmann@example.no",
        shipping_address="Hamar Energi AS, Stasjonsveien 4, HAMAR, 2317, NO", asin="B07XYZ1234",
        unspsc="31161500", brand="Würth", seller="Würth GmbH", product_category="Industrial",
        po_number="P-1042 messe",
    )
    values.update(changes)
    return ReportItem(**values)


def context_of(**changes):
    return ContextBuilder(MASTER).build(make_item(**changes))


def test_title_terms_hold_lemmas_units_and_tokens():
    terms = title_terms(context_of())

    assert "m8x20" in terms
    assert "100stück" in terms
    assert "t:sechskantschrauben" in terms
    assert "t:933" in terms


def test_requester_facts_name_person_manager_and_lead():
    facts = requester_facts(context_of())

    assert facts["requester"] == "kari.nordmann@example.no"
    assert facts["requester_cost_center"] == "600"
    assert facts["manager"] == "per.sjef@example.no"
    assert facts["led_project=P-1042"] == 1
    assert facts["leads_project"] == 1


def test_requester_facts_without_known_requester():
    facts = requester_facts(context_of(account_user_email="stranger@example.com"))

    assert facts == {"leads_project": 0}


def test_amount_facts_bin_logarithmically():
    facts = amount_facts(context_of(quantity=40, unit_price=Decimal("12.50")))

    assert facts["quantity_bin"] == "6"
    assert facts["unit_price_bin"] == "EUR:8"
    assert facts["currency"] == "EUR"


def test_place_facts_find_customer_site():
    facts = place_facts(context_of())

    assert facts == {"place_kind": "customer", "place": "customer:P-1042"}


def test_event_facts_name_days_and_payer():
    facts = event_facts(context_of())

    assert facts["event_days"] == "8-14"
    assert facts["event_payer"] == "project:P-1042"
    assert facts["bought_for_event_payer"] == "project:P-1042"
    assert facts["requester_pays_event"] == 1


def test_event_facts_empty_without_event():
    assert event_facts(context_of(order_date=date(2026, 1, 5))) == {}


def test_checkout_facts_read_typed_codes_and_po_words():
    facts = checkout_facts(context_of(custom_fields={"Cost Center": "300", "GL Code": "6800"}))

    assert facts["typed_project=P-1042"] == 1
    assert facts["typed_cost_center"] == "300"
    assert facts["typed_account"] == "6800"
    assert facts["po_word=messe"] == 1


def test_checkout_facts_ignore_unknown_codes():
    facts = checkout_facts(context_of(po_number=None, custom_fields={"Cost Center": "999", "GL Code": "1"}))

    assert facts == {}


def test_product_facts_name_codes_and_brand():
    facts = product_facts(context_of())

    assert facts["asin"] == "b07xyz1234"
    assert facts["unspsc_segment"] == "31"
    assert facts["unspsc_family"] == "3116"
    assert facts["brand"] == "würth"
    assert facts["seller"] == "würth gmbh"
    assert facts["category"] == "industrial"


def test_union_has_one_block_per_step():
    union = build_features()

    assert [name for name, _ in union.transformer_list] == ["words", "chars", *STEPS]


@pytest.fixture(scope="module")
def fitted():
    contexts = [context_of(title=title, asin=f"B0{index:08d}")
                for index, title in enumerate(["Schrauben M8", "Schrauben M10", "Kabelbinder 200 mm", "Papir A4"])]
    union = build_features()
    return union, union.fit_transform(contexts), contexts


def test_union_rows_match_items(fitted):
    _, matrix, contexts = fitted

    assert matrix.shape[0] == len(contexts)


def test_union_pickles_with_same_output(fitted):
    union, matrix, contexts = fitted
    restored = pickle.loads(pickle.dumps(union))

    assert (restored.transform(contexts) != matrix).nnz == 0
