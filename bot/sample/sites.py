"""Places, projects and events of the sample company Nordlys Teknikk AS.

Everything here is fictional, though the places are real towns; Elmia
Subcontractor is a real trade fair in Jönköping, held in November.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COMPANY_NAME = "Nordlys Teknikk AS"
DOMAIN = "nordlys-teknikk.no"


@dataclass(frozen=True)
class Address:
    """A delivery address, split so it can be written both ways the files need."""

    recipient: str
    street: str
    postcode: str
    city: str
    country: str = "NO"

    def for_master_data(self) -> str:
        """Format as master data writes it: ``Industriveien 12, 2004 Lillestrøm``."""
        return f"{self.street}, {self.postcode} {self.city}"

    def for_amazon(self) -> str:
        """Format as the Amazon report's one-field ``Shipping Address``, city in capitals."""
        return f"{self.recipient}, {self.street}, {self.city.upper()}, {self.postcode}, {self.country}"


OFFICE = Address(COMPANY_NAME, "Industriveien 12", "2004", "Lillestrøm")
WAREHOUSE = Address(COMPANY_NAME, "Lagerveien 7", "2020", "Skedsmokorset")


@dataclass(frozen=True)
class ProjectSpec:
    """A customer project; ``lead`` is the name of one of the key people."""

    code: str
    name: str
    lead: str
    cost_center: str
    site: Address
    start: date
    end: date

    @property
    def customer(self) -> str:
        return self.site.recipient


_HAMAR_SITE = Address("Hamar Energi AS", "Stasjonsveien 4", "2317", "Hamar")
_RAUFOSS_SITE = Address("Raufoss Komponent AS", "Fabrikkveien 5", "2830", "Raufoss")

PROJECTS = (
    ProjectSpec("P-1042", "Ombygging Hamar stasjon", "Kari Nordmann", "600", _HAMAR_SITE,
                date(2026, 1, 15), date(2026, 12, 31)),
    ProjectSpec("P-1051", "Styringsanlegg Gardermoen fraktterminal", "Anders Moen", "600",
                Address("Romerike Fraktterminal AS", "Cargoveien 8", "2060", "Gardermoen"),
                date(2026, 3, 1), date(2026, 9, 30)),
    ProjectSpec("P-1063", "Automatisering Moss renseanlegg", "Silje Eriksen", "600",
                Address("Moss Vann og Avløp KF", "Kanalveien 30", "1530", "Moss"),
                date(2026, 6, 1), date(2027, 3, 31)),
    ProjectSpec("P-1077", "Pumpestasjon Drammen", "Thomas Halvorsen", "600",
                Address("Drammen Fjernvarme AS", "Kobbervikdalen 120", "3036", "Drammen"),
                date(2026, 8, 15), date(2027, 2, 28)),
    ProjectSpec("P-1080", "Produksjonslinje Raufoss", "Tone Kristiansen", "500", _RAUFOSS_SITE,
                date(2026, 5, 1), date(2026, 11, 30)),
    ProjectSpec("P-1094", "Havnekraner Trondheim", "Anders Moen", "600",
                Address("Trondheimsfjorden Havnedrift AS", "Havnegata 20", "7010", "Trondheim"),
                date(2026, 10, 1), date(2027, 6, 30)),
)

# Field technicians per project at the start of June, and the dates on which
# some of them move on: (date, from project, to project, how many).
INITIAL_CREWS = (("P-1042", 4), ("P-1051", 3), ("P-1063", 3))
CREW_MOVES = (
    (date(2026, 8, 15), "P-1042", "P-1077", 2),
    (date(2026, 10, 1), "P-1051", "P-1094", 3),
    (date(2026, 11, 2), "P-1063", "P-1077", 1),
)

# Who an event is for decides how its catering is booked: representation
# for customers and fair visitors, a staff cost for internal events.
FAIR = "fair"
CUSTOMER_EVENT = "customer"
INTERNAL_EVENT = "internal"


@dataclass(frozen=True)
class EventSpec:
    """A company event; it is paid by a cost center or by a project, never both."""

    name: str
    start: date
    end: date
    venue: Address
    audience: str
    cost_center: str | None = None
    project: str | None = None


_NOVA = Address(COMPANY_NAME, "Messeveien 8", "2004", "Lillestrøm")
_ELMIA = Address(f"{COMPANY_NAME} c/o Elmia AB", "Elmiavägen 11", "554 54", "Jönköping", "SE")
_GJOVIK_HOTEL = Address(f"{COMPANY_NAME} c/o Fjordhotellet", "Strandgata 15", "2815", "Gjøvik")
_FESTIVITETEN = Address(f"{COMPANY_NAME} c/o Festiviteten", "Torvet 1", "2000", "Lillestrøm")

EVENTS = (
    EventSpec("Sommerfest", date(2026, 6, 19), date(2026, 6, 19), OFFICE, INTERNAL_EVENT, cost_center="100"),
    EventSpec("Kundeseminar automasjon", date(2026, 6, 25), date(2026, 6, 25), OFFICE, CUSTOMER_EVENT,
              cost_center="200"),
    EventSpec("Åpen dag Raufoss", date(2026, 8, 27), date(2026, 8, 27), _RAUFOSS_SITE, CUSTOMER_EVENT,
              project="P-1080"),
    EventSpec("Industri og Automasjon 2026", date(2026, 9, 15), date(2026, 9, 17), _NOVA, FAIR, cost_center="300"),
    EventSpec("Kundedag Hamar stasjon", date(2026, 10, 8), date(2026, 10, 8), _HAMAR_SITE, CUSTOMER_EVENT,
              project="P-1042"),
    EventSpec("Elmia Subcontractor", date(2026, 11, 10), date(2026, 11, 13), _ELMIA, FAIR, cost_center="300"),
    EventSpec("Salgssamling høst", date(2026, 11, 26), date(2026, 11, 27), _GJOVIK_HOTEL, INTERNAL_EVENT,
              cost_center="200"),
    EventSpec("Julebord", date(2026, 12, 11), date(2026, 12, 11), _FESTIVITETEN, INTERNAL_EVENT, cost_center="100"),
)

# Venues that get their own [[locations]] entry (the office and customer
# sites are listed anyway).
EVENT_VENUES = (
    ("NOVA Spektrum", _NOVA), ("Elmia", _ELMIA), ("Fjordhotellet Gjøvik", _GJOVIK_HOTEL),
    ("Festiviteten Lillestrøm", _FESTIVITETEN),
)


def project(code: str) -> ProjectSpec:
    """Look a project up by its code; raise KeyError for an unknown code."""
    for candidate in PROJECTS:
        if candidate.code == code:
            return candidate
    raise KeyError(code)
