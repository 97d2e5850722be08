"""Havrekorn Bakeri AS: its staff, master data and which store each shop assistant works in.

Master data shows every employee's cost center after the reorganisation.
How often each person orders and who works in which store is hidden from
the bot and has to be learned from the labeled history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from bot.masterdata import Employee, Event, Location, MasterData, Project
from bot.sample.chart import TAX_CODES
from bot.sample.people import FIRST_NAMES, SURNAMES
from bot.sample.second import chart, people, sites
from bot.sample.sites import EventSpec, ProjectSpec

_EMAIL_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "."})


def email_for(name: str) -> str:
    """Build the company address: ``Øyvind Haugland`` becomes ``oyvind.haugland@havrekorn.no``."""
    return f"{name.lower().translate(_EMAIL_FOLD)}@{sites.DOMAIN}"


@dataclass(frozen=True)
class Company:
    """Master data plus the facts only the generator has.

    ``activity`` is each employee's relative ordering frequency and
    ``store_of`` maps the staff of store operations who work in a store to
    that store's key.
    """

    master: MasterData
    activity: dict[str, float]
    store_of: dict[str, str]

    @property
    def staff(self) -> tuple[Employee, ...]:
        return tuple(self.master.employees.values())

    def employee_named(self, name: str) -> Employee:
        return self.master.employees[email_for(name)]

    def members(self, cost_center: str, *roles: str) -> list[Employee]:
        """List the staff of a cost center, limited to the given roles when any are given."""
        return [
            employee for employee in self.staff
            if employee.cost_center == cost_center and (not roles or employee.role in roles)
        ]

    def manager_of(self, employee: Employee) -> Employee | None:
        return self.master.employee(employee.manager)

    def store_staff(self, day: date) -> list[Employee]:
        """List the staff of the stores open on ``day``."""
        return [
            employee for employee in self.staff
            if employee.email in self.store_of and sites.store(self.store_of[employee.email]).is_open(day)
        ]

    def store_manager(self, store_key: str) -> Employee:
        manager = next(person for person in people.STORE_MANAGERS if person.store == store_key)
        return self.employee_named(manager.name)


def build_company(rng: random.Random, events: tuple[EventSpec, ...]) -> Company:
    """Draw the staff and build master data with ``events``; the same generator state gives the same company."""
    employees, store_of = _build_staff(rng)
    activity = {employee.email: round(rng.lognormvariate(0, 0.8), 3) for employee in employees}

    master = MasterData(
        cost_centers={center.code: center for center in chart.COST_CENTERS},
        projects={project.code: _master_project(project) for project in sites.PROJECTS},
        accounts={account.number: account for account in chart.ACCOUNTS},
        tax_codes={code.code: code for code in TAX_CODES},
        employees={employee.email: employee for employee in employees},
        events=tuple(_master_event(event) for event in events),
        locations=_locations(),
    )
    return Company(master, activity, store_of)


def _build_staff(rng: random.Random) -> tuple[list[Employee], dict[str, str]]:
    """Create the key people, the store managers and the drawn staff; place the drawn shop assistants in stores."""
    staff = [
        Employee(email_for(person.name), person.name, person.cost_center, person.role,
                 email_for(person.reports_to) if person.reports_to else None)
        for person in people.KEY_PEOPLE
    ]
    store_head = email_for(people.DEPARTMENT_HEADS["4000"])
    store_of: dict[str, str] = {}
    for manager in people.STORE_MANAGERS:
        email = email_for(manager.name)
        staff.append(Employee(email, manager.name, "4000", "manager", store_head))
        store_of[email] = manager.store
    used_names = {employee.name for employee in staff}

    for cost_center, head_count in people.HEAD_COUNT.items():
        present = sum(employee.cost_center == cost_center for employee in staff)
        head = email_for(people.DEPARTMENT_HEADS[cost_center])
        for position in range(head_count - present):
            name = _new_name(rng, used_names)
            used_names.add(name)
            manager = head
            if cost_center == "4000":
                # Shop assistants go round-robin over the stores and report to their store manager.
                store_manager = people.STORE_MANAGERS[position % len(people.STORE_MANAGERS)]
                manager = email_for(store_manager.name)
                store_of[email_for(name)] = store_manager.store
            staff.append(Employee(email_for(name), name, cost_center, "employee", manager))

    return staff, store_of


def _new_name(rng: random.Random, used_names: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        if name not in used_names:
            return name


def _master_project(project: ProjectSpec) -> Project:
    """Convert a project; store openings have no customer, the launch has its retail partner."""
    customer = None if project.code in sites.PROJECT_STORES else project.customer
    return Project(
        project.code, project.name, email_for(project.lead), project.cost_center, customer,
        (project.site.for_master_data(),), project.start, project.end,
    )


def _master_event(event: EventSpec) -> Event:
    return Event(event.name, event.start, event.end, event.venue.for_master_data(), event.cost_center, event.project)


def _locations() -> tuple[Location, ...]:
    """List the head office, the warehouse, every store, the launch partner's store and the event venues.

    The two stores opened in 2026 are listed here as stores, and in
    ``[[projects]]`` as the sites of their opening projects. A delivery
    there belongs to the project until the project ends, and to store
    operations after that.
    """
    locations = [
        Location("Hovedkontor og bakeri Midtun", sites.HEAD_OFFICE.for_master_data(), "office"),
        Location("Lager Kokstad", sites.WAREHOUSE.for_master_data(), "warehouse"),
    ]
    for store in sites.STORES:
        locations.append(Location(store.label, store.address.for_master_data(), "office"))
    for project in sites.PROJECTS:
        if project.code not in sites.PROJECT_STORES:
            locations.append(Location(f"{project.customer} ({project.code})", project.site.for_master_data(),
                                      "customer", project.code))
    for label, venue in sites.EVENT_VENUES:
        locations.append(Location(label, venue.for_master_data(), "event"))
    return tuple(locations)
