"""Key people and head counts of Havrekorn Bakeri AS.

Cost centers are the ones after the reorganisation of 1 July 2026, as
master data shows them. Store managers run one store each; everyone else in
store operations is drawn later and placed in a store. Other staff get
names drawn from the Nordlys sample's name lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sample.people import KeyPerson

# Head count per cost center, key people included: 160 in all.
HEAD_COUNT = {
    "1000": 8, "1100": 10, "1200": 6, "1300": 5, "1400": 4, "2100": 46, "2200": 22, "2300": 6, "2500": 6,
    "3000": 16, "4000": 31,
}

# The CEO has no manager. The packing hall's manager reports to the head
# of the bakery, who led all of production before the split.
KEY_PEOPLE = (
    KeyPerson("Astrid Midtbø", "1000", "manager"),
    KeyPerson("Øyvind Haugland", "1000", "manager", "Astrid Midtbø"),
    KeyPerson("Siri Vågen", "1000", "controller", "Øyvind Haugland"),
    KeyPerson("Kjell Rong", "1000", "controller", "Øyvind Haugland"),
    KeyPerson("Berit Lunde", "1000", "employee", "Øyvind Haugland"),
    KeyPerson("Tor Helge Nygård", "1100", "manager", "Astrid Midtbø"),
    KeyPerson("Hege Fosse", "1200", "manager", "Astrid Midtbø"),
    KeyPerson("Rolf Tveit", "1300", "manager", "Øyvind Haugland"),
    KeyPerson("Ingunn Eide", "1400", "manager", "Astrid Midtbø"),
    KeyPerson("Geir Totland", "2100", "manager", "Astrid Midtbø"),
    KeyPerson("Lena Kvamme", "2200", "manager", "Geir Totland"),
    KeyPerson("Jonas Hjelle", "2300", "manager", "Astrid Midtbø"),
    KeyPerson("Mari Skjold", "2300", "project_lead", "Jonas Hjelle"),
    KeyPerson("Kristine Aarseth", "2500", "manager", "Astrid Midtbø"),
    KeyPerson("Arild Brekke", "3000", "manager", "Astrid Midtbø"),
    KeyPerson("Nina Sandal", "4000", "manager", "Astrid Midtbø"),
    KeyPerson("Eivind Solheim", "4000", "project_lead", "Nina Sandal"),
)

# Manager of the drawn staff of each cost center, by name.
DEPARTMENT_HEADS = {
    "1000": "Øyvind Haugland", "1100": "Tor Helge Nygård", "1200": "Hege Fosse", "1300": "Rolf Tveit",
    "1400": "Ingunn Eide", "2100": "Geir Totland", "2200": "Lena Kvamme", "2300": "Jonas Hjelle",
    "2500": "Kristine Aarseth", "3000": "Arild Brekke", "4000": "Nina Sandal",
}

# The office manager, who also buys for the bakery, the warehouse and the stores.
OFFICE_MANAGER = "Berit Lunde"


@dataclass(frozen=True)
class StoreManager:
    """The manager of one store; they report to the head of store operations."""

    name: str
    store: str


STORE_MANAGERS = (
    StoreManager("Karianne Vik", "bryggen"),
    StoreManager("Ståle Myklebust", "lagunen"),
    StoreManager("Hilde Rasmussen", "asane"),
    StoreManager("Tuva Hovland", "fjosanger"),
    StoreManager("Sander Nesse", "straume"),
)
