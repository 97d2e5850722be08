"""Purchase scenarios of the sample company: who buys what, for which purpose, and when.

Every routine scenario is one everyday reason to order (office supplies,
parts for the workshop, material for a customer site, tools for a field
technician, ...). Events add their own orders in the three weeks before
they start, and Christmas brings a wave of customer gifts. The mix is
chosen so that the same product recurs in different contexts: a power bank
is an IT accessory for one person and a giveaway in a bulk order before a
trade fair.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from bot.masterdata import Employee
from bot.sample import catalog, sites
from bot.sample.company import Company
from bot.sample.purchases import Purchase, PurchaseLine, Shop

# Routine orders per month, drawn uniformly from this range.
ROUTINE_ORDERS_PER_MONTH = (108, 120)

# Orders placed for each event in the three weeks before it, by audience.
_EVENT_ORDERS = {sites.FAIR: 9, sites.CUSTOMER_EVENT: 3, sites.INTERNAL_EVENT: 2}
_EVENT_LEAD_DAYS = 21

# Christmas gifts for customers are ordered in this period.
CHRISTMAS_GIFT_ORDERS = 9
_CHRISTMAS_GIFTS_FROM = date(2026, 11, 12)
_CHRISTMAS_GIFTS_TO = date(2026, 11, 27)


def plan_purchases(company: Company, rng: random.Random, first: date, last: date) -> list[Purchase]:
    """Plan every purchase with an order date from ``first`` to ``last``, sorted by date."""
    planner = _Planner(company, rng)
    purchases: list[Purchase] = []

    month = first.replace(day=1)
    while month <= last:
        days = _order_days(month, first, last)
        for _ in range(rng.randint(*ROUTINE_ORDERS_PER_MONTH)):
            purchase = planner.routine(_pick_day(days, rng))
            if purchase:
                purchases.append(purchase)
        month = (month + timedelta(days=32)).replace(day=1)

    for event in sites.EVENTS:
        for _ in range(_EVENT_ORDERS[event.audience]):
            day = event.start - timedelta(days=rng.randint(2, _EVENT_LEAD_DAYS))
            if first <= day <= last:
                purchase = planner.for_event(event, day)
                if purchase:
                    purchases.append(purchase)

    for _ in range(CHRISTMAS_GIFT_ORDERS):
        day = _CHRISTMAS_GIFTS_FROM + timedelta(days=rng.randint(0, (_CHRISTMAS_GIFTS_TO - _CHRISTMAS_GIFTS_FROM).days))
        if first <= day <= last:
            purchase = planner.gifts(day, christmas=True)
            if purchase:
                purchases.append(purchase)

    purchases.sort(key=lambda purchase: purchase.order_date)
    return purchases


def _order_days(month: date, first: date, last: date) -> list[date]:
    days = []
    day = max(month, first)
    while day.month == month.month and day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def _pick_day(days: list[date], rng: random.Random) -> date:
    """Pick an order day; weekends get a twentieth of a weekday's orders."""
    weights = [1.0 if day.weekday() < 5 else 0.05 for day in days]
    return rng.choices(days, weights=weights)[0]


class _Planner:
    """Draws purchases; the routine scenarios' weights are their relative frequencies."""

    def __init__(self, company: Company, rng: random.Random):
        self.company = company
        self.rng = rng
        self.shop = Shop(rng, company.activity)
        self._routine: tuple[tuple[float, Callable[[date], Purchase | None]], ...] = (
            (15, self.office_supplies),
            (8, self.personal_it),
            (11, self.it_department),
            (16, self.production),
            (7, self.warehouse),
            (14, self.project_site),
            (9, self.field_tools),
            (5, self.office_catering),
            (2, self.team_catering),
            (3, self.gifts),
            (2, self.furniture),
            (1.2, self.office_refit),
            (4, self.marketing),
            (3, self.warehouse_supplies),
        )

    def routine(self, day: date) -> Purchase | None:
        weights = [weight for weight, _ in self._routine]
        scenario = self.rng.choices([scenario for _, scenario in self._routine], weights=weights)[0]
        return scenario(day)

    # Routine scenarios

    def office_supplies(self, day: date) -> Purchase | None:
        candidates = [
            employee for employee in self.company.staff
            if employee.cost_center in ("100", "200", "300", "400") or employee.role in ("manager", "project_lead")
        ]
        requester = self.shop.requester(candidates)
        marketplace, lines = self.shop.basket({catalog.OFFICE: 1}, self.rng.randint(1, 4))
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    def personal_it(self, day: date) -> Purchase | None:
        candidates = [employee for employee in self.company.staff if employee.role != "field_technician"]
        requester = self.shop.requester(candidates)
        marketplace, lines = self.shop.basket({catalog.IT: 1}, self.rng.randint(1, 2),
                                              accept=lambda product: product.model in catalog.PERSONAL_IT)
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    def it_department(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("400"))
        if self.rng.random() < 0.25:
            marketplace, lines = self.shop.basket({catalog.SOFTWARE: 1}, self.rng.randint(1, 2), marketplace="de")
        else:
            marketplace, lines = self.shop.basket({catalog.IT: 1}, self.rng.randint(1, 3),
                                                  accept=lambda product: product.model not in catalog.WAREHOUSE_IT)
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    def production(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("500", "employee", "manager"))
        kinds = {catalog.PARTS: 5, catalog.CONSUMABLES: 3, catalog.TOOLS: 1, catalog.SAFETY: 1.3}
        marketplace, lines = self.shop.basket(kinds, self.rng.randint(1, 4))
        ship_to = sites.OFFICE if self.rng.random() < 0.75 else sites.WAREHOUSE
        return self._purchase(day, requester, marketplace, lines, ship_to)

    def warehouse(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("700"))
        kinds = {catalog.PACKAGING: 7, catalog.SAFETY: 2, catalog.IT: 0.6}
        marketplace, lines = self.shop.basket(
            kinds, self.rng.randint(1, 3),
            accept=lambda product: product.kind != catalog.IT or product.model in catalog.WAREHOUSE_IT,
        )
        return self._purchase(day, requester, marketplace, lines, sites.WAREHOUSE)

    def warehouse_supplies(self, day: date) -> Purchase | None:
        """Office supplies and coffee for the warehouse, often bought by the office manager."""
        requester = self._office_manager_or(self.company.members("700"), share=0.6)
        marketplace, lines = self.shop.basket({catalog.OFFICE: 2, catalog.CATERING: 1}, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, sites.WAREHOUSE, department="700")

    def project_site(self, day: date) -> Purchase | None:
        """Material for a customer project, mostly delivered to the customer's site."""
        projects = self.company.active_projects(day)
        if not projects:
            return None
        project = self.rng.choice(projects)
        lead = self.company.employee_named(project.lead)
        if project.cost_center == "500" or self.rng.random() < 0.15:
            # The workshop builds parts of other projects too, such as control cabinets.
            helpers = self.company.members("500", "employee")
        else:
            helpers = self.company.crew(project, day)
        requester = lead if not helpers or self.rng.random() < 0.45 else self.shop.requester(helpers)

        kinds = {catalog.PARTS: 6, catalog.CONSUMABLES: 3, catalog.SAFETY: 1}
        marketplace, lines = self.shop.basket(kinds, self.rng.randint(1, 5))
        to_site = self.rng.random() < 0.85
        typed_code = self.rng.random() < (0.3 if to_site else 0.7)
        return self._purchase(day, requester, marketplace, lines, project.site if to_site else sites.OFFICE,
                              project=project, po_number=project.code if typed_code else "")

    def field_tools(self, day: date) -> Purchase | None:
        """Tools and safety gear a field technician orders for the project they work on."""
        technicians = [
            employee for employee in self.company.members("600", "field_technician")
            if self.company.technician_project(employee, day)
        ]
        requester = self.shop.requester(technicians)
        if requester is None:
            return None
        project = self.company.technician_project(requester, day)

        kinds = {catalog.TOOLS: 6, catalog.SAFETY: 3, catalog.IT: 1}
        marketplace, lines = self.shop.basket(
            kinds, self.rng.randint(1, 2),
            accept=lambda product: product.kind != catalog.IT or product.model in catalog.FIELD_IT,
        )
        ship_to = project.site if self.rng.random() < 0.4 else sites.OFFICE
        typed_code = self.rng.random() < 0.15
        return self._purchase(day, requester, marketplace, lines, ship_to, project=project,
                              po_number=project.code if typed_code else "")

    def office_catering(self, day: date) -> Purchase | None:
        requester = self._office_manager_or(self.company.members("100"))
        marketplace, lines = self.shop.basket({catalog.CATERING: 1}, self.rng.randint(1, 4))
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    def team_catering(self, day: date) -> Purchase | None:
        """Coffee and snacks a department head buys for their own team."""
        managers = [employee for employee in self.company.staff
                    if employee.role == "manager" and employee.cost_center != "100"]
        requester = self.shop.requester(managers)
        marketplace, lines = self.shop.basket({catalog.CATERING: 1}, self.rng.randint(1, 3))
        ship_to = sites.WAREHOUSE if requester and requester.cost_center == "700" else sites.OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to)

    def gifts(self, day: date, christmas: bool = False) -> Purchase | None:
        """Gifts for customers, by sales, by a manager, or by a project lead for their project's customer."""
        draw = self.rng.random()
        project = None
        if draw < 0.6:
            requester = self.shop.requester(self.company.members("200"))
        elif draw < 0.8:
            requester = self.shop.requester([employee for employee in self.company.staff if employee.role == "manager"])
        else:
            leads = [employee for employee in self.company.staff
                     if employee.role == "project_lead" and self.company.projects_led_by(employee, day)]
            requester = self.shop.requester(leads)
            if requester:
                project = self.rng.choice(self.company.projects_led_by(requester, day))

        quantity = (8, 40) if christmas else (1, 6)
        marketplace, lines = self.shop.basket({catalog.GIFT: 1}, self.rng.randint(1, 2), quantity=quantity)
        ship_to = project.site if project and self.rng.random() < 0.3 else sites.OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, project=project)

    def furniture(self, day: date) -> Purchase | None:
        if self.rng.random() < 0.25:
            requester = self.company.members("700", "manager")[0]
            marketplace, lines = self.shop.basket(
                {catalog.FURNITURE: 1}, 1, quantity=(2, 8),
                accept=lambda product: product.model in catalog.WAREHOUSE_FURNITURE,
            )
            return self._purchase(day, requester, marketplace, lines, sites.WAREHOUSE)

        requester = self._office_manager_or([employee for employee in self.company.staff if employee.role == "manager"])
        marketplace, lines = self.shop.basket({catalog.FURNITURE: 1}, 1,
                                              accept=lambda product: product.model not in catalog.WAREHOUSE_FURNITURE)
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    def office_refit(self, day: date) -> Purchase | None:
        """Order one desk or chair model by the dozen for a refitted floor, often above the capitalisation limit."""
        requester = self._office_manager_or([employee for employee in self.company.staff if employee.role == "manager"])
        choices = [product for product in catalog.PRODUCTS if product.model in catalog.BULK_FURNITURE]
        product = self.rng.choice(choices)
        dear = product.currency == "EUR" and product.price > 1000
        quantity = self.rng.randint(2, 4) if dear else self.rng.randint(4, 12)
        line = PurchaseLine(product, quantity, catalog.FURNITURE)
        return self._purchase(day, requester, product.marketplace, (line,), sites.OFFICE)

    def marketing(self, day: date) -> Purchase | None:
        """Marketing's everyday orders: restocked giveaways, displays and office supplies."""
        requester = self.shop.requester(self.company.members("300"))
        kinds = {catalog.GIVEAWAY: 3, catalog.FAIR_MATERIAL: 2, catalog.OFFICE: 3}
        marketplace, lines = self.shop.basket(kinds, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, sites.OFFICE)

    # Event scenarios

    def for_event(self, event: sites.EventSpec, day: date) -> Purchase | None:
        if event.audience == sites.FAIR:
            return self._fair_preparation(event, day)
        if event.audience == sites.CUSTOMER_EVENT:
            return self._customer_event_preparation(event, day)
        return self._internal_event_preparation(event, day)

    def _fair_preparation(self, event: sites.EventSpec, day: date) -> Purchase | None:
        """Marketing stocks the stand: bulk giveaways, displays and catering for visitors."""
        requester = self._office_manager_or(self.company.members(event.cost_center or "300"), share=0.25)
        choice = self.rng.choices(("bulk", "giveaways", "material", "catering"), weights=(2, 3, 3, 2))[0]
        if choice == "bulk":
            marketplace, lines = self.shop.basket(
                {catalog.IT: 1}, 1, accept=lambda product: product.giveaway,
                quantity=(25, 100), use=catalog.GIVEAWAY, marketplace="de",
            )
        elif choice == "giveaways":
            marketplace, lines = self.shop.basket({catalog.GIVEAWAY: 1}, self.rng.randint(1, 3))
        elif choice == "material":
            marketplace, lines = self.shop.basket({catalog.FAIR_MATERIAL: 1}, self.rng.randint(1, 3))
        else:
            marketplace, lines = self.shop.basket({catalog.CATERING: 1}, self.rng.randint(2, 4))
        ship_to = event.venue if self.rng.random() < 0.25 else sites.OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    def _customer_event_preparation(self, event: sites.EventSpec, day: date) -> Purchase | None:
        if event.project:
            requester = self.company.employee_named(sites.project(event.project).lead)
        else:
            requester = self.shop.requester(self.company.members(event.cost_center or "200"))
        kinds = {catalog.CATERING: 3, catalog.GIVEAWAY: 1, catalog.FAIR_MATERIAL: 1}
        marketplace, lines = self.shop.basket(kinds, self.rng.randint(1, 3))
        ship_to = event.venue if self.rng.random() < 0.5 else sites.OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    def _internal_event_preparation(self, event: sites.EventSpec, day: date) -> Purchase | None:
        """Food and drink for a staff event, bought in larger amounts than the office's weekly coffee."""
        organisers = self.company.members(event.cost_center or "100")
        requester = self._office_manager_or(organisers, share=0.7 if event.cost_center == "100" else 0.4)
        marketplace, lines = self.shop.basket({catalog.CATERING: 1}, self.rng.randint(2, 4), quantity=(6, 20))
        ship_to = event.venue if self.rng.random() < 0.5 else sites.OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    # Helpers

    def _office_manager_or(self, others: list[Employee], share: float = 0.7) -> Employee | None:
        """Return the office manager with probability ``share``, someone from ``others`` otherwise."""
        if self.rng.random() < share:
            return self.company.employee_named("Kristin Haugen")
        return self.shop.requester(others)

    def _purchase(self, day: date, requester: Employee | None, marketplace: str, lines: tuple[PurchaseLine, ...],
                  ship_to: sites.Address, *, project: sites.ProjectSpec | None = None,
                  event: sites.EventSpec | None = None, po_number: str = "",
                  department: str | None = None) -> Purchase | None:
        if requester is None or not lines:
            return None
        return Purchase(day, requester, marketplace, ship_to, lines, project, event, po_number, department)
