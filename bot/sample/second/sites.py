"""Places, stores, projects and events of the second sample company, Havrekorn Bakeri AS.

Havrekorn is a fictional industrial bakery in Bergen with its own chain of
bakery cafés. The towns and the Stavanger Forum venue are real; the street
addresses, the trade fair and every date are made up. Two stores open in
2026 as projects, and a gluten-free product range is launched in a
partner's flagship grocery store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.sample.sites import CUSTOMER_EVENT, FAIR, INTERNAL_EVENT, Address, EventSpec, ProjectSpec

COMPANY_NAME = "Havrekorn Bakeri AS"
DOMAIN = "havrekorn.no"

# Internal work meetings: their catering is a meeting cost, not a staff party.
MEETING = "meeting"

# The bakery, the packing hall and the offices share one address.
HEAD_OFFICE = Address(COMPANY_NAME, "Midtunbrekka 12", "5224", "Nesttun")
WAREHOUSE = Address(COMPANY_NAME, "Kokstadflaten 31", "5257", "Kokstad")


@dataclass(frozen=True)
class StoreSpec:
    """A bakery café of the chain; ``opens`` is None for stores open before any generated period."""

    key: str
    label: str
    address: Address
    opens: date | None = None

    def is_open(self, day: date) -> bool:
        return self.opens is None or self.opens <= day


def _store_address(store: str, street: str, postcode: str, city: str) -> Address:
    return Address(f"{COMPANY_NAME} {store}", street, postcode, city)


STORES = (
    StoreSpec("bryggen", "Butikk Bryggen", _store_address("Bryggen", "Bryggen 21", "5003", "Bergen")),
    StoreSpec("lagunen", "Butikk Lagunen", _store_address("Lagunen", "Laguneveien 1", "5239", "Rådal")),
    StoreSpec("asane", "Butikk Åsane", _store_address("Åsane", "Åsamyrane 16", "5116", "Ulset")),
    StoreSpec("fjosanger", "Butikk Fjøsanger",
              _store_address("Fjøsanger", "Fjøsangerveien 50", "5054", "Bergen"), date(2026, 6, 11)),
    StoreSpec("straume", "Butikk Straume",
              _store_address("Straume", "Sartorvegen 12", "5353", "Straume"), date(2026, 11, 5)),
)

_PARTNER_FLAGSHIP = Address("Vestkjøp Dagligvare AS", "Strandkaien 4", "5013", "Bergen")

# Store openings are paid by store operations (4000), the launch by marketing (1200).
PROJECTS = (
    ProjectSpec("BU-2601", "Ny butikk Fjøsanger", "Eivind Solheim", "4000", STORES[3].address,
                date(2026, 3, 2), date(2026, 6, 30)),
    ProjectSpec("PL-2603", "Lansering Havrekorn Glutenfri", "Mari Skjold", "1200", _PARTNER_FLAGSHIP,
                date(2026, 7, 1), date(2026, 10, 31)),
    ProjectSpec("BU-2602", "Ny butikk Straume", "Eivind Solheim", "4000", STORES[4].address,
                date(2026, 8, 17), date(2026, 11, 30)),
)

# The store each opening project builds.
PROJECT_STORES = {"BU-2601": "fjosanger", "BU-2602": "straume"}

_STAVANGER_FORUM = Address(f"{COMPANY_NAME} c/o Stavanger Forum", "Gunnar Warebergs gate 13", "4021", "Stavanger")
_FLOIEN = Address(f"{COMPANY_NAME} c/o Fløien Folkerestaurant", "Fløyfjellet 2", "5014", "Bergen")
_GRIEGHALLEN = Address(f"{COMPANY_NAME} c/o Grieghallen", "Edvard Griegs plass 1", "5015", "Bergen")
_OS_HOTEL = Address(f"{COMPANY_NAME} c/o Fjordhotellet Os", "Strandvegen 8", "5200", "Os")


@dataclass(frozen=True)
class YearlyEvent:
    """An event held every year: (month, day) of its first and last day."""

    name: str
    first: tuple[int, int]
    last: tuple[int, int]
    venue: Address
    audience: str
    cost_center: str

    def in_year(self, year: int) -> EventSpec:
        return EventSpec(f"{self.name} {year}", date(year, *self.first), date(year, *self.last), self.venue,
                         self.audience, cost_center=self.cost_center)


YEARLY_EVENTS = (
    YearlyEvent("Salgskonferanse", (3, 12), (3, 13), _OS_HOTEL, MEETING, "1100"),
    YearlyEvent("Sommerfest", (6, 19), (6, 19), _FLOIEN, INTERNAL_EVENT, "1000"),
    YearlyEvent("Vestlandsk Matmesse", (9, 22), (9, 24), _STAVANGER_FORUM, FAIR, "1200"),
    YearlyEvent("Julebord", (12, 4), (12, 4), _GRIEGHALLEN, INTERNAL_EVENT, "1000"),
)

# One-off events of 2026, each paid by its project.
PROJECT_EVENTS = (
    EventSpec("Åpning Butikk Fjøsanger", date(2026, 6, 11), date(2026, 6, 11), STORES[3].address, CUSTOMER_EVENT,
              project="BU-2601"),
    EventSpec("Lanseringsdag Havrekorn Glutenfri", date(2026, 9, 17), date(2026, 9, 17), _PARTNER_FLAGSHIP,
              CUSTOMER_EVENT, project="PL-2603"),
    EventSpec("Åpning Butikk Straume", date(2026, 11, 5), date(2026, 11, 5), STORES[4].address, CUSTOMER_EVENT,
              project="BU-2602"),
)

# Venues that get their own [[locations]] entry of kind "event".
EVENT_VENUES = (
    ("Stavanger Forum", _STAVANGER_FORUM), ("Fløien Folkerestaurant", _FLOIEN), ("Grieghallen", _GRIEGHALLEN),
    ("Fjordhotellet Os", _OS_HOTEL),
)


def events_in_years(first_year: int, last_year: int) -> tuple[EventSpec, ...]:
    """List every event from ``first_year`` to ``last_year``, sorted by start date."""
    events = [event.in_year(year) for year in range(first_year, last_year + 1) for event in YEARLY_EVENTS]
    events.extend(event for event in PROJECT_EVENTS if first_year <= event.start.year <= last_year)
    return tuple(sorted(events, key=lambda event: event.start))


def project(code: str) -> ProjectSpec:
    """Look a project up by its code; raise KeyError for an unknown code."""
    for candidate in PROJECTS:
        if candidate.code == code:
            return candidate
    raise KeyError(code)


def store(key: str) -> StoreSpec:
    """Look a store up by its key; raise KeyError for an unknown key."""
    for candidate in STORES:
        if candidate.key == key:
            return candidate
    raise KeyError(key)
