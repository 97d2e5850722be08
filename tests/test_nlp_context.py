from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.masterdata import parse_master_data
from bot.nlp.context import ContextBuilder
from bot.nlp.features import context_features
from bot.nlp.places import PlaceMatcher
from bot.records import ReportItem

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "300", "name": "Salg", "description": "Salg og messer"},
            {"code": "600", "name": "Prosjekt", "description": "Kundeprosjekter"},
        ],
        "employees": [
            {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600",
             "role": "project_lead"},
            {"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "300"},
        ],
        "projects": [
            {"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
             "cost_center": "600", "sites": ["Stasjonsveien 4, 2317 Hamar"]},
        ],
        "events": [
            {"name": "Elmia Subcontractor", "start": date(2026, 11, 10), "end": date(2026, 11, 13),
             "location": "Elmiavägen 11, 554 54 Jönköping", "cost_center": "300"},
        ],
        "locations": [
            {"label": "Hovedkontor", "address": "Industriveien 12, 2004 Lillestrøm", "kind": "office"},
            {"label": "Lager", "address": "Lagerveien 3, 2000 Lillestrøm", "kind": "warehouse"},
        ],
    },
    Path("test.toml"),
)


def make_item(**changes) -> ReportItem:
    values = dict(
        source="report.csv", line=2, order_id="302-1725553-0374723", order_date=date(2026, 10, 20),
        currency="EUR", title="Kugelschreiber blau, 50 Stück", quantity=1, unit_price=Decimal("19.99"),
        net_total=Decimal("19.99"), account_user_email="Ola.Hansen@example.no",
        shipping_address="Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO",
    )
    values.update(changes)
    return ReportItem(**values)


@pytest.mark.parametrize(
    ("address", "kind", "project"),
    [
        ("Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO", "office", None),
        ("Nordlys Teknikk AS, Industrivegen 12, LILLESTROM, 2004, NO", "office", None),
        ("Nordlys Teknikk AS, Lagerveien 3, LILLESTRØM, 2000, NO", "warehouse", None),
        ("Hamar Energi AS, Stasjonsveien 4, HAMAR, 2317, NO", "customer", "P-1042"),
        ("Elmia AB, Elmiavägen 11, JÖNKÖPING, 55454, SE", "event", None),
    ],
)
def test_place_matcher_finds_known_places(address, kind, project):
    place = PlaceMatcher(MASTER).match(address)

    assert place.kind == kind
    assert place.project == project


@pytest.mark.parametrize(
    "address",
    [
        "Nordlys Teknikk AS, Industriveien 14, LILLESTRØM, 2004, NO",
        "Acme AS, Storgata 12, LILLESTRØM, 2004, NO",
        "",
        None,
    ],
)
def test_place_matcher_rejects_other_addresses(address):
    assert PlaceMatcher(MASTER).match(address).kind == "unknown"


def test_context_requester_and_led_projects():
    context = ContextBuilder(MASTER).build(make_item(account_user_email="kari.nordmann@example.no"))

    assert context.requester is not None
    assert context.requester.cost_center == "600"
    assert context.led_projects == ("P-1042",)


def test_context_unknown_requester():
    context = ContextBuilder(MASTER).build(make_item(account_user_email="someone@elsewhere.com"))

    assert context.requester is None
    assert context.led_projects == ()


def test_context_next_event_days():
    context = ContextBuilder(MASTER).build(make_item(order_date=date(2026, 10, 20)))

    assert context.event is not None
    assert context.event.name == "Elmia Subcontractor"
    assert context.event.days == 21


def test_running_event_counts_zero_days():
    context = ContextBuilder(MASTER).build(make_item(order_date=date(2026, 11, 12)))

    assert context.event is not None
    assert context.event.days == 0


def test_past_or_far_event_ignored():
    builder = ContextBuilder(MASTER)

    assert builder.build(make_item(order_date=date(2026, 11, 14))).event is None
    assert builder.build(make_item(order_date=date(2026, 6, 1))).event is None


def test_bulk_order_before_event():
    builder = ContextBuilder(MASTER)

    assert builder.build(make_item(quantity=200)).bought_for_event
    assert not builder.build(make_item(quantity=2)).bought_for_event


@pytest.mark.parametrize("po_number", ["P-1042", "PO p1042 stasjon", "Prosjekt P 1042"])
def test_typed_project_code_found(po_number):
    context = ContextBuilder(MASTER).build(make_item(po_number=po_number))

    assert context.typed_projects == ("P-1042",)


@pytest.mark.parametrize("po_number", ["P-10420", "PO-2026-113", None])
def test_typed_project_code_not_found(po_number):
    assert ContextBuilder(MASTER).build(make_item(po_number=po_number)).typed_projects == ()


def test_typed_project_code_in_custom_field():
    context = ContextBuilder(MASTER).build(make_item(custom_fields={"Custom Field 1": "p-1042"}))

    assert context.typed_projects == ("P-1042",)


def test_context_features_name_the_facts():
    context = ContextBuilder(MASTER).build(make_item(quantity=200, unspsc="44121701", brand="BIC"))
    features = context_features(context)

    assert features["requester_cost_center"] == "300"
    assert features["place_kind"] == "office"
    assert features["event_payer"] == "cost_center:300"
    assert features["bought_for_event_payer"] == "cost_center:300"
    assert features["unspsc_segment"] == "44"
    assert features["unspsc_family"] == "4412"
    assert features["brand"] == "bic"
    assert features["quantity_bin"] == "8"
