"""Names for the sample company's staff.

The key people are fixed, because the demo and its documentation refer to
them by name (the controller who forwards the statement, the project leads);
everyone else gets a name drawn from the lists below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPerson:
    """A named person in a fixed position: cost center, role and, if any, who they report to."""

    name: str
    cost_center: str
    role: str
    reports_to: str | None = None


# The CEO reports to nobody; each department head reports to the CEO. In
# cost center 100 the CFO leads the administration.
KEY_PEOPLE = (
    KeyPerson("Erik Solberg", "100", "manager"),
    KeyPerson("Hanne Lie", "100", "manager", "Erik Solberg"),
    KeyPerson("Ingrid Bakken", "100", "controller", "Hanne Lie"),
    KeyPerson("Sindre Aas", "100", "controller", "Hanne Lie"),
    KeyPerson("Kristin Haugen", "100", "employee", "Hanne Lie"),
    KeyPerson("Lars Berg", "200", "manager", "Erik Solberg"),
    KeyPerson("Camilla Strand", "300", "manager", "Erik Solberg"),
    KeyPerson("Ole Martin Dahl", "400", "manager", "Erik Solberg"),
    KeyPerson("Per Johansen", "500", "manager", "Erik Solberg"),
    KeyPerson("Tone Kristiansen", "500", "project_lead", "Per Johansen"),
    KeyPerson("Geir Pedersen", "600", "manager", "Erik Solberg"),
    KeyPerson("Kari Nordmann", "600", "project_lead", "Geir Pedersen"),
    KeyPerson("Anders Moen", "600", "project_lead", "Geir Pedersen"),
    KeyPerson("Silje Eriksen", "600", "project_lead", "Geir Pedersen"),
    KeyPerson("Thomas Halvorsen", "600", "project_lead", "Geir Pedersen"),
    KeyPerson("Bjørn Karlsen", "700", "manager", "Erik Solberg"),
)

FIRST_NAMES = (
    "Anne", "Astrid", "Camilla", "Elin", "Emma", "Hilde", "Ida", "Ingvild", "Julie", "Karin",
    "Linn", "Maria", "Marte", "Mette", "Nora", "Ragnhild", "Siri", "Stine", "Sofie", "Tuva",
    "Vilde", "Åse", "Andreas", "Arne", "Bjørnar", "Daniel", "Eirik", "Espen", "Fredrik", "Gunnar",
    "Håkon", "Henrik", "Jon", "Jørgen", "Kjetil", "Knut", "Magnus", "Marius", "Morten", "Nils",
    "Petter", "Rune", "Sander", "Stian", "Sverre", "Terje", "Tor", "Trond", "Vegard", "Øystein",
)

SURNAMES = (
    "Andersen", "Andreassen", "Berge", "Bråthen", "Christensen", "Ellingsen", "Fossum", "Gundersen",
    "Hagen", "Hansen", "Holm", "Iversen", "Jakobsen", "Jensen", "Kristoffersen", "Larsen", "Lund",
    "Martinsen", "Mathisen", "Myhre", "Nielsen", "Nilsen", "Olsen", "Paulsen", "Rasmussen",
    "Rønning", "Sandvik", "Sæther", "Solheim", "Strøm", "Sørensen", "Tangen", "Thorsen", "Vik",
    "Aasen", "Østby", "Åsheim",
)
