"""The sample company: its staff, master data and who works on which project when.

Master data is what the bot may read. The rest (how often each person
orders, which field technician works on which project) is hidden from it,
as in a real company, and has to be learned from the labeled history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from bot.masterdata import Employee, Event, Location, MasterData, Project
from bot.sample import chart, people, sites

# Head count per cost center; the field technicians are the staff of 600
# who are neither its manager nor a project lead.
HEAD_COUNT = {"100": 8, "200": 8, "300": 5, "400": 6, "500": 12, "600": 15, "700": 6}

_EMAIL_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "."})


def email_for(name: str) -> str:
    """Build the company address: ``Bjørn Karlsen`` becomes ``bjorn.karlsen@nordlys-teknikk.no``."""
    return f"{name.lower().translate(_EMAIL_FOLD)}@{sites.DOMAIN}"


@dataclass(frozen=True)
class Company:
    """Master data plus the facts that only the generator has.

    ``activity`` is each employee's relative ordering frequency;
    ``assignments`` lists, per field technician, the dates from which they
    work on a project, oldest first.
    """

    master: MasterData
    activity: dict[str, float]
    assignments: dict[str, tuple[tuple[date, str], ...]]

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

    def active_projects(self, day: date) -> list[sites.ProjectSpec]:
        return [project for project in sites.PROJECTS if project.start <= day <= project.end]

    def projects_led_by(self, employee: Employee, day: date) -> list[sites.ProjectSpec]:
        return [project for project in self.active_projects(day) if email_for(project.lead) == employee.email]

    def technician_project(self, employee: Employee, day: date) -> sites.ProjectSpec | None:
        """Return the project a field technician works on that day, if any."""
        current = None
        for since, code in self.assignments.get(employee.email, ()):
            if since <= day:
                current = code
        return sites.project(current) if current else None

    def crew(self, project: sites.ProjectSpec, day: date) -> list[Employee]:
        return [
            employee for employee in self.members("600", "field_technician")
            if self.technician_project(employee, day) == project
        ]


def build_company(rng: random.Random) -> Company:
    """Draw the staff and build master data; the same generator state gives the same company."""
    employees = _build_staff(rng)
    activity = {employee.email: round(rng.lognormvariate(0, 0.7), 3) for employee in employees}
    technicians = [employee for employee in employees if employee.role == "field_technician"]
    assignments = _assign_crews(technicians, rng)

    master = MasterData(
        cost_centers={center.code: center for center in chart.COST_CENTERS},
        projects={project.code: _master_project(project) for project in sites.PROJECTS},
        accounts={account.number: account for account in chart.ACCOUNTS},
        tax_codes={code.code: code for code in chart.TAX_CODES},
        employees={employee.email: employee for employee in employees},
        events=tuple(_master_event(event) for event in sites.EVENTS),
        locations=_locations(),
    )
    return Company(master, activity, assignments)


def _build_staff(rng: random.Random) -> list[Employee]:
    staff = [
        Employee(email_for(person.name), person.name, person.cost_center, person.role,
                 email_for(person.reports_to) if person.reports_to else None)
        for person in people.KEY_PEOPLE
    ]
    used_names = {employee.name for employee in staff}

    for cost_center, head_count in HEAD_COUNT.items():
        present = [employee for employee in staff if employee.cost_center == cost_center]
        manager = next(employee for employee in present if employee.role == "manager")
        if cost_center == "100":
            manager = next(employee for employee in present if employee.name == "Hanne Lie")
        role = "field_technician" if cost_center == "600" else "employee"

        for _ in range(head_count - len(present)):
            name = _new_name(rng, used_names)
            used_names.add(name)
            staff.append(Employee(email_for(name), name, cost_center, role, manager.email))

    return staff


def _new_name(rng: random.Random, used_names: set[str]) -> str:
    while True:
        name = f"{rng.choice(people.FIRST_NAMES)} {rng.choice(people.SURNAMES)}"
        if name not in used_names:
            return name


def _assign_crews(technicians: list[Employee], rng: random.Random) -> dict[str, tuple[tuple[date, str], ...]]:
    """Split the technicians into the initial crews, then apply the planned moves."""
    shuffled = list(technicians)
    rng.shuffle(shuffled)
    start = date(2026, 6, 1)

    history: dict[str, list[tuple[date, str]]] = {}
    crews: dict[str, list[str]] = {}
    for code, size in sites.INITIAL_CREWS:
        crew, shuffled = shuffled[:size], shuffled[size:]
        crews[code] = [employee.email for employee in crew]
        for email in crews[code]:
            history[email] = [(start, code)]

    for day, source, target, count in sites.CREW_MOVES:
        moving, crews[source] = crews[source][:count], crews[source][count:]
        crews.setdefault(target, []).extend(moving)
        for email in moving:
            history[email].append((day, target))

    return {email: tuple(entries) for email, entries in history.items()}


def _master_project(project: sites.ProjectSpec) -> Project:
    return Project(
        project.code, project.name, email_for(project.lead), project.cost_center, project.customer,
        (project.site.for_master_data(),), project.start, project.end,
    )


def _master_event(event: sites.EventSpec) -> Event:
    return Event(event.name, event.start, event.end, event.venue.for_master_data(), event.cost_center, event.project)


def _locations() -> tuple[Location, ...]:
    locations = [
        Location("Hovedkontor", sites.OFFICE.for_master_data(), "office"),
        Location("Lager Skedsmokorset", sites.WAREHOUSE.for_master_data(), "warehouse"),
    ]
    for project in sites.PROJECTS:
        locations.append(Location(f"{project.customer} ({project.code})", project.site.for_master_data(),
                                  "customer", project.code))
    for label, venue in sites.EVENT_VENUES:
        locations.append(Location(label, venue.for_master_data(), "event"))
    return tuple(locations)
