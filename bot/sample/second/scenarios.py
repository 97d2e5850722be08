"""Purchase scenarios of Havrekorn Bakeri AS: who buys what, for which purpose, and when.

Routine scenarios are everyday reasons to order (packaging for the packing
hall, cleaning agents for a store, a thermometer for quality control, ...).
Project scenarios run while a store opening or the product launch is
active. Events get their own orders in the three weeks before they start,
and Christmas brings customer gifts. The generator requests routine
purchases until a month has its share of items, so this module only
defines what one purchase looks like.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from bot.masterdata import Employee
from bot.sample.catalog import Product
from bot.sample.purchases import Purchase, PurchaseLine, Shop
from bot.sample.second import catalog, sites
from bot.sample.second.catalog import (
    BAKEWARE, CATERING, CLEANING, CONSUMABLES, EQUIPMENT, FAIR_MATERIAL, FURNITURE, GIFT, GIVEAWAY, HYGIENE,
    INGREDIENTS, IT, LAB, OFFICE, PACKAGING, SAFETY, SOFTWARE, STORE_SUPPLIES, WORKWEAR,
)
from bot.sample.second.company import Company
from bot.sample.second.people import OFFICE_MANAGER
from bot.sample.sites import CUSTOMER_EVENT, FAIR, INTERNAL_EVENT, Address, EventSpec, ProjectSpec

# Orders placed for each event in the weeks before it, by audience.
_EVENT_ORDERS = {FAIR: 10, CUSTOMER_EVENT: 5, INTERNAL_EVENT: 3, sites.MEETING: 3}
_EVENT_LEAD_DAYS = 21

# Christmas gifts for the grocery chains' buyers are ordered between these days of each year.
CHRISTMAS_GIFT_ORDERS = 10
_CHRISTMAS_GIFTS_FROM = (11, 12)
_CHRISTMAS_GIFTS_TO = (12, 4)

# From August 2026 the packing hall orders the new line in this share of its orders.
_NEW_LINE_SHARE = 0.6

# Take-away packaging that only the stores use.
_TAKE_AWAY = frozenset({"188711", "88079", "SK-750-300", "TAK-350", "TT-3214-250"})


class Planner:
    """Draws purchases. The routine scenarios' weights are their relative frequencies."""

    def __init__(self, company: Company, rng: random.Random):
        self.company = company
        self.rng = rng
        self.shop = Shop(rng, company.activity, catalog.PRODUCTS, catalog.QUANTITIES)
        self._routine: tuple[tuple[float, Callable[[date], Purchase | None]], ...] = (
            (11, self.office_supplies),
            (5, self.personal_it),
            (7, self.it_department),
            (15, self.bakery),
            (10, self.packing_hall),
            (4, self.quality),
            (4, self.product_development),
            (7, self.warehouse),
            (16, self.store),
            (6, self.central_purchasing),
            (3, self.personnel),
            (4, self.office_catering),
            (2, self.team_catering),
            (3, self.gifts),
            (2, self.furniture),
            (1, self.store_equipment),
            (4, self.marketing),
            (7, self.store_opening),
            (5, self.launch),
        )

    def specials(self, events: tuple[EventSpec, ...], first: date, last: date) -> list[Purchase]:
        """Plan the event preparations and Christmas gifts with an order date from ``first`` to ``last``."""
        purchases: list[Purchase | None] = []
        for event in events:
            for _ in range(_EVENT_ORDERS[event.audience]):
                day = event.start - timedelta(days=self.rng.randint(2, _EVENT_LEAD_DAYS))
                if first <= day <= last:
                    purchases.append(self.for_event(event, day))

        for year in range(first.year, last.year + 1):
            start, end = date(year, *_CHRISTMAS_GIFTS_FROM), date(year, *_CHRISTMAS_GIFTS_TO)
            for _ in range(CHRISTMAS_GIFT_ORDERS):
                day = start + timedelta(days=self.rng.randint(0, (end - start).days))
                if first <= day <= last:
                    purchases.append(self.gifts(day, christmas=True))

        return [purchase for purchase in purchases if purchase is not None]

    def routine(self, day: date) -> Purchase | None:
        """Draw one routine purchase, or return None when the drawn scenario finds no requester that day."""
        weights = [weight for weight, _ in self._routine]
        scenario = self.rng.choices([scenario for _, scenario in self._routine], weights=weights)[0]
        return scenario(day)

    # Departments' own orders

    def office_supplies(self, day: date) -> Purchase | None:
        candidates = [
            employee for employee in self.company.staff
            if employee.cost_center in ("1000", "1100", "1200", "1300", "1400", "2300")
            or (employee.role in ("manager", "project_lead") and employee.email not in self.company.store_of)
        ]
        requester = self.shop.requester(candidates)
        marketplace, lines = self._basket(day, {OFFICE: 1}, self.rng.randint(1, 4))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def personal_it(self, day: date) -> Purchase | None:
        candidates = [employee for employee in self.company.staff
                      if employee.cost_center in ("1000", "1100", "1200", "1300", "1400", "2300", "2500")]
        requester = self.shop.requester(candidates)
        marketplace, lines = self._basket(day, {IT: 1}, self.rng.randint(1, 2),
                                          accept=lambda product: product.model in catalog.PERSONAL_IT)
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def it_department(self, day: date) -> Purchase | None:
        """Buy IT equipment and software for everyone, paid by IT, including receipt printers sent to a store."""
        requester = self.shop.requester(self.company.members("1300"))
        draw = self.rng.random()
        if draw < 0.25:
            marketplace, lines = self._basket(day, {SOFTWARE: 1}, self.rng.randint(1, 2), marketplace="de")
            return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)
        if draw < 0.45:
            marketplace, lines = self._basket(day, {IT: 1}, self.rng.randint(1, 2),
                                              accept=lambda product: product.model in catalog.STORE_IT)
            return self._purchase(day, requester, marketplace, lines, self._open_store(day).address)
        marketplace, lines = self._basket(
            day, {IT: 1}, self.rng.randint(1, 3),
            accept=lambda product: product.model not in catalog.WAREHOUSE_IT | catalog.STORE_IT,
        )
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def bakery(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("2100"))
        kinds = {BAKEWARE: 4, CONSUMABLES: 4, CLEANING: 2, HYGIENE: 2, WORKWEAR: 1, INGREDIENTS: 1}
        marketplace, lines = self._basket(day, kinds, self.rng.randint(1, 4))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def packing_hall(self, day: date) -> Purchase | None:
        """Buy packaging, labels and film for the packing hall, from August 2026 often the new compostable line."""
        requester = self.shop.requester(self.company.members("2200"))
        if day >= catalog.NEW_PRODUCTS_FROM and self.rng.random() < _NEW_LINE_SHARE:
            kinds = {PACKAGING: 6, CONSUMABLES: 1, EQUIPMENT: 0.4, IT: 0.2}
            marketplace, lines = self._basket(day, kinds, self.rng.randint(1, 3),
                                              accept=lambda product: product.asin in catalog.NEW_ASINS)
        else:
            kinds = {PACKAGING: 6, HYGIENE: 1.5, CONSUMABLES: 1}
            marketplace, lines = self._basket(
                day, kinds, self.rng.randint(1, 4),
                accept=lambda product: product.model not in _TAKE_AWAY | catalog.WAREHOUSE_PACKAGING,
            )
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def quality(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("2500"))
        marketplace, lines = self._basket(day, {LAB: 5, HYGIENE: 1, CLEANING: 1}, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def product_development(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("2300"))
        marketplace, lines = self._basket(
            day, {INGREDIENTS: 5, BAKEWARE: 2, EQUIPMENT: 0.5}, self.rng.randint(1, 4),
            accept=lambda product: product.model not in catalog.CAFE_EQUIPMENT,
        )
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def warehouse(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("3000"))
        marketplace, lines = self._basket(
            day, {PACKAGING: 5, SAFETY: 2, CLEANING: 1, IT: 0.6}, self.rng.randint(1, 3),
            accept=lambda product: (product.kind != PACKAGING or product.model in catalog.WAREHOUSE_PACKAGING)
            and (product.kind != IT or product.model in catalog.WAREHOUSE_IT),
        )
        return self._purchase(day, requester, marketplace, lines, sites.WAREHOUSE)

    def store(self, day: date) -> Purchase | None:
        """Buy take-away packaging, napkins, receipt rolls or cleaning agents for the requester's store."""
        requester = self.shop.requester(self.company.store_staff(day))
        if requester is None:
            return None
        address = sites.store(self.company.store_of[requester.email]).address
        marketplace, lines = self._basket(
            day, {STORE_SUPPLIES: 4, PACKAGING: 3, CLEANING: 2, HYGIENE: 0.5}, self.rng.randint(1, 4),
            accept=lambda product: product.kind != PACKAGING or product.model in catalog.STORE_PACKAGING,
        )
        return self._purchase(day, requester, marketplace, lines, address)

    def central_purchasing(self, day: date) -> Purchase | None:
        """Order as the office manager for the bakery, the packing hall, the warehouse or a store.

        The delivery address shows the department, except that the bakery
        and the packing hall share one address, so there the product kind
        decides.
        """
        requester = self.company.employee_named(OFFICE_MANAGER)
        target = self.rng.choices(("bakery", "packing", "warehouse", "store"), weights=(3, 2, 2, 3))[0]
        if target == "bakery":
            marketplace, lines = self._basket(day, {CLEANING: 3, CONSUMABLES: 2, HYGIENE: 2}, self.rng.randint(1, 3))
            return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE, department="2100")
        if target == "packing":
            marketplace, lines = self._basket(
                day, {PACKAGING: 1}, self.rng.randint(1, 3),
                accept=lambda product: product.model not in _TAKE_AWAY | catalog.WAREHOUSE_PACKAGING,
            )
            return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE, department="2200")
        if target == "warehouse":
            marketplace, lines = self._basket(
                day, {CLEANING: 2, PACKAGING: 2, SAFETY: 1}, self.rng.randint(1, 3),
                accept=lambda product: product.kind != PACKAGING or product.model in catalog.WAREHOUSE_PACKAGING,
            )
            return self._purchase(day, requester, marketplace, lines, sites.WAREHOUSE, department="3000")
        marketplace, lines = self._basket(
            day, {CLEANING: 2, STORE_SUPPLIES: 2, PACKAGING: 2}, self.rng.randint(1, 3),
            accept=lambda product: product.kind != PACKAGING or product.model in catalog.STORE_PACKAGING,
        )
        return self._purchase(day, requester, marketplace, lines, self._open_store(day).address, department="4000")

    def personnel(self, day: date) -> Purchase | None:
        """Buy workwear and first-aid supplies for new staff as HR, paid by HR."""
        requester = self.shop.requester(self.company.members("1400"))
        marketplace, lines = self._basket(day, {WORKWEAR: 3, SAFETY: 2, HYGIENE: 1}, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def office_catering(self, day: date) -> Purchase | None:
        requester = self._office_manager_or(self.company.members("1000"))
        marketplace, lines = self._basket(day, {CATERING: 1}, self.rng.randint(1, 4))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def team_catering(self, day: date) -> Purchase | None:
        """Buy coffee and snacks as a manager for their own team, delivered to a store manager's store."""
        managers = [employee for employee in self.company.staff
                    if employee.role == "manager" and employee.cost_center != "1000"
                    and self._works_on(employee, day)]
        requester = self.shop.requester(managers)
        marketplace, lines = self._basket(day, {CATERING: 1}, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, self._workplace(requester))

    def gifts(self, day: date, christmas: bool = False) -> Purchase | None:
        """Buy gifts for the grocery chains' buyers, mostly as sales staff, sometimes as a manager."""
        if self.rng.random() < 0.65:
            requester = self.shop.requester(self.company.members("1100"))
        else:
            requester = self.shop.requester([employee for employee in self.company.staff
                                             if employee.role == "manager"
                                             and employee.email not in self.company.store_of])
        quantity = (10, 40) if christmas else (1, 6)
        marketplace, lines = self._basket(day, {GIFT: 1}, self.rng.randint(1, 2), quantity=quantity)
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def furniture(self, day: date) -> Purchase | None:
        draw = self.rng.random()
        if draw < 0.3:
            store = self._open_store(day)
            requester = self.company.store_manager(store.key)
            marketplace, lines = self._basket(day, {FURNITURE: 1}, 1,
                                              accept=lambda product: product.model in catalog.CAFE_FURNITURE)
            return self._purchase(day, requester, marketplace, lines, store.address)
        if draw < 0.5:
            requester = self.shop.requester(self.company.members("2100"))
            marketplace, lines = self._basket(day, {FURNITURE: 1}, 1,
                                              accept=lambda product: product.model in catalog.BAKERY_FURNITURE)
            return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)
        requester = self._office_manager_or([employee for employee in self.company.staff
                                             if employee.role == "manager"
                                             and employee.email not in self.company.store_of])
        marketplace, lines = self._basket(day, {FURNITURE: 1}, 1,
                                          accept=lambda product: product.model in catalog.OFFICE_FURNITURE)
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    def store_equipment(self, day: date) -> Purchase | None:
        """Replace a store's display fridge, grinder or espresso machine, often above the capitalisation limit."""
        store = self._open_store(day)
        requester = self.company.store_manager(store.key)
        marketplace, lines = self._basket(day, {EQUIPMENT: 1}, 1, quantity=(1, 1), marketplace="de",
                                          accept=lambda product: product.model in catalog.CAFE_EQUIPMENT)
        return self._purchase(day, requester, marketplace, lines, store.address)

    def marketing(self, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members("1200"))
        marketplace, lines = self._basket(day, {GIVEAWAY: 3, FAIR_MATERIAL: 3, OFFICE: 2}, self.rng.randint(1, 3))
        return self._purchase(day, requester, marketplace, lines, sites.HEAD_OFFICE)

    # Projects

    def store_opening(self, day: date) -> Purchase | None:
        """Fit out a new store: most goes to the new address, the rest to the warehouse with the code typed."""
        projects = [project for project in self._active_projects(day) if project.code in sites.PROJECT_STORES]
        if not projects:
            return None
        project = self.rng.choice(projects)
        draw = self.rng.random()
        if draw < 0.5:
            requester = self.company.employee_named(project.lead)
        elif draw < 0.75:
            requester = self.company.store_manager(sites.PROJECT_STORES[project.code])
        else:
            requester = self.company.employee_named(OFFICE_MANAGER)

        choice = self.rng.choices(("fit_out", "furniture", "supplies", "signage"), weights=(2, 2.5, 3.5, 2))[0]
        if choice == "fit_out":
            marketplace, lines = self._basket(day, {EQUIPMENT: 1}, self.rng.randint(1, 2), quantity=(1, 2),
                                              marketplace="de",
                                              accept=lambda product: product.model in catalog.STORE_FIT_OUT)
        elif choice == "furniture":
            marketplace, lines = self._basket(day, {FURNITURE: 1}, self.rng.randint(1, 2), quantity=(2, 8),
                                              accept=lambda product: product.model in catalog.CAFE_FURNITURE)
        elif choice == "supplies":
            marketplace, lines = self._basket(
                day, {STORE_SUPPLIES: 2, CLEANING: 1, PACKAGING: 2}, self.rng.randint(2, 5),
                accept=lambda product: product.kind != PACKAGING or product.model in catalog.STORE_PACKAGING,
            )
        else:
            marketplace, lines = self._basket(day, {FAIR_MATERIAL: 1}, self.rng.randint(1, 3))

        to_site = self.rng.random() < 0.75
        typed_code = self.rng.random() < (0.3 if to_site else 0.85)
        return self._purchase(day, requester, marketplace, lines, project.site if to_site else sites.WAREHOUSE,
                              project=project, po_number=project.code if typed_code else "")

    def launch(self, day: date) -> Purchase | None:
        """Buy ingredients, packaging and store material for the gluten-free launch."""
        project = next((project for project in self._active_projects(day) if project.code == "PL-2603"), None)
        if project is None:
            return None
        lead = self.company.employee_named(project.lead)
        draw = self.rng.random()
        if draw < 0.45:
            requester = lead
        elif draw < 0.75:
            requester = self.shop.requester(self.company.members("2300"))
        else:
            requester = self.shop.requester(self.company.members("1200"))

        marketplace, lines = self._basket(
            day, {INGREDIENTS: 3, PACKAGING: 2, FAIR_MATERIAL: 2, GIVEAWAY: 1}, self.rng.randint(1, 3),
            accept=lambda product: product.kind != PACKAGING or product.asin in catalog.NEW_ASINS,
        )
        to_partner = self.rng.random() < 0.25
        if to_partner:
            typed = 0.2
        else:
            typed = 0.5 if requester == lead else 0.9
        return self._purchase(day, requester, marketplace, lines,
                              project.site if to_partner else sites.HEAD_OFFICE, project=project,
                              po_number=project.code if self.rng.random() < typed else "")

    # Events

    def for_event(self, event: EventSpec, day: date) -> Purchase | None:
        if event.audience == FAIR:
            return self._fair_preparation(event, day)
        if event.audience == CUSTOMER_EVENT:
            return self._customer_event_preparation(event, day)
        if event.audience == sites.MEETING:
            return self._meeting_preparation(event, day)
        return self._staff_party_preparation(event, day)

    def _fair_preparation(self, event: EventSpec, day: date) -> Purchase | None:
        """Stock the fair stand with bulk giveaways, displays and catering for visitors."""
        requester = self._office_manager_or(self.company.members("1200"), share=0.25)
        choice = self.rng.choices(("bulk", "giveaways", "material", "catering"), weights=(2, 3, 3, 2))[0]
        if choice == "bulk":
            marketplace, lines = self._basket(day, {IT: 1}, 1, accept=lambda product: product.giveaway,
                                              quantity=(25, 100), use=GIVEAWAY, marketplace="de")
        elif choice == "giveaways":
            marketplace, lines = self._basket(day, {GIVEAWAY: 1}, self.rng.randint(1, 3))
        elif choice == "material":
            marketplace, lines = self._basket(day, {FAIR_MATERIAL: 1}, self.rng.randint(1, 3))
        else:
            marketplace, lines = self._basket(day, {CATERING: 1}, self.rng.randint(2, 4))
        ship_to = event.venue if self.rng.random() < 0.3 else sites.HEAD_OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    def _customer_event_preparation(self, event: EventSpec, day: date) -> Purchase | None:
        """Buy treats, giveaways and signs for a store opening or the launch day, mostly as the project lead."""
        project = sites.project(event.project) if event.project else None
        if project and self.rng.random() < 0.7:
            requester = self.company.employee_named(project.lead)
        else:
            requester = self.shop.requester(self.company.members("1200"))
        marketplace, lines = self._basket(day, {CATERING: 3, GIVEAWAY: 1, FAIR_MATERIAL: 1}, self.rng.randint(1, 3))
        ship_to = event.venue if self.rng.random() < 0.6 else sites.HEAD_OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    def _meeting_preparation(self, event: EventSpec, day: date) -> Purchase | None:
        requester = self.shop.requester(self.company.members(event.cost_center or "1100"))
        marketplace, lines = self._basket(day, {CATERING: 3, OFFICE: 1}, self.rng.randint(1, 3))
        ship_to = event.venue if self.rng.random() < 0.5 else sites.HEAD_OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    def _staff_party_preparation(self, event: EventSpec, day: date) -> Purchase | None:
        """Buy food and drink for a staff party, in larger amounts than the weekly coffee."""
        requester = self._office_manager_or(self.company.members(event.cost_center or "1000"))
        marketplace, lines = self._basket(day, {CATERING: 1}, self.rng.randint(2, 4), quantity=(6, 20))
        ship_to = event.venue if self.rng.random() < 0.5 else sites.HEAD_OFFICE
        return self._purchase(day, requester, marketplace, lines, ship_to, event=event)

    # Helpers

    def _basket(self, day: date, kinds: dict[str, float], count: int, *,
                accept: Callable[[Product], bool] | None = None, quantity: tuple[int, int] | None = None,
                use: str | None = None, marketplace: str | None = None) -> tuple[str, tuple[PurchaseLine, ...]]:
        """Pick a basket from the products on sale on ``day`` that ``accept`` lets through."""
        def on_sale(product: Product) -> bool:
            return catalog.is_available(product, day) and (accept is None or accept(product))

        return self.shop.basket(kinds, count, accept=on_sale, quantity=quantity, use=use, marketplace=marketplace)

    def _active_projects(self, day: date) -> list[ProjectSpec]:
        return [project for project in sites.PROJECTS if project.start <= day <= project.end]

    def _open_store(self, day: date) -> sites.StoreSpec:
        return self.rng.choice([store for store in sites.STORES if store.is_open(day)])

    def _works_on(self, employee: Employee, day: date) -> bool:
        """Tell whether an employee is at work on ``day``: store staff only once their store has opened."""
        store_key = self.company.store_of.get(employee.email)
        return store_key is None or sites.store(store_key).is_open(day)

    def _workplace(self, employee: Employee | None) -> Address:
        store_key = self.company.store_of.get(employee.email) if employee else None
        return sites.store(store_key).address if store_key else sites.HEAD_OFFICE

    def _office_manager_or(self, others: list[Employee], share: float = 0.7) -> Employee | None:
        """Return the office manager with probability ``share``, someone from ``others`` otherwise."""
        if self.rng.random() < share:
            return self.company.employee_named(OFFICE_MANAGER)
        return self.shop.requester(others)

    def _purchase(self, day: date, requester: Employee | None, marketplace: str, lines: tuple[PurchaseLine, ...],
                  ship_to: Address, *, project: ProjectSpec | None = None, event: EventSpec | None = None,
                  po_number: str = "", department: str | None = None) -> Purchase | None:
        if requester is None or not lines:
            return None
        return Purchase(day, requester, marketplace, ship_to, lines, project, event, po_number, department)
