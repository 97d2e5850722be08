"""Facts about an item beyond its title, looked up in master data.

Who ordered it, which projects that person leads, where it was delivered,
which company event comes next and who pays for it, and which project codes
the buyer typed at checkout. Features, rules, memory and reasons all read
the same ItemContext, so every fact is derived once per item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.masterdata import Employee, MasterData
from bot.nlp.places import Place, PlaceMatcher
from bot.nlp.text import TitleAnalysis, analyze_title
from bot.records import ReportItem

# Events that start more than this many days after the order date are too
# far away to explain a purchase.
EVENT_HORIZON_DAYS = 90

# An order of this many pieces or more, placed this many days or fewer
# before an event, counts as bought for the event (giveaways, stand
# material). NOTE: hand-set thresholds, not learned.
BULK_QUANTITY = 10
EVENT_SOON_DAYS = 45


@dataclass(frozen=True)
class UpcomingEvent:
    """The next company event at the order date. ``days`` is 0 while it runs."""

    name: str
    days: int
    cost_center: str | None
    project: str | None


@dataclass(frozen=True)
class ItemContext:
    """A report item with its title analysis and the facts master data adds.

    ``typed_projects`` are project codes found in the PO number or custom
    order fields, in master-data order. ``typed_cost_center`` and
    ``typed_account`` are the Cost Center and GL Code the buyer filled in at
    checkout, when master data knows them; a labeled report's complete
    allocation is never among them. ``recent_projects`` are the projects
    of the requester's decided items from the ``memory.RECENT_DAYS`` before
    the order date, latest first. The classifier fills them in from its
    memory, because master data does not say which project a technician
    works on this month.
    """

    item: ReportItem
    title: TitleAnalysis
    requester: Employee | None
    led_projects: tuple[str, ...]
    place: Place
    event: UpcomingEvent | None
    typed_projects: tuple[str, ...]
    recent_projects: tuple[str, ...] = ()
    typed_cost_center: str | None = None
    typed_account: str | None = None

    @property
    def requester_email(self) -> str:
        return (self.item.account_user_email or "").strip().lower()

    @property
    def delivered_to_event(self) -> bool:
        return self.event is not None and self.place.kind == "event" and self.place.event == self.event.name

    @property
    def requester_pays_event(self) -> bool:
        """Tell whether the next event is paid by the requester's cost center or by a project the requester leads."""
        if self.event is None or self.requester is None:
            return False
        if self.event.project:
            return self.event.project in self.led_projects
        return self.event.cost_center == self.requester.cost_center

    @property
    def bought_for_event(self) -> bool:
        """Tell whether the next event explains the item: delivered to its venue, or bought in bulk shortly before."""
        if self.event is None:
            return False
        if self.delivered_to_event:
            return True
        return self.item.quantity >= BULK_QUANTITY and self.event.days <= EVENT_SOON_DAYS


class ContextBuilder:
    """Derive ItemContext objects from report items and one MasterData."""

    def __init__(self, master: MasterData) -> None:
        self.master = master
        self._places = PlaceMatcher(master)
        self._project_patterns = {code: _code_pattern(code) for code in master.projects}

    def build(self, item: ReportItem) -> ItemContext:
        requester = self.master.employee(item.account_user_email)
        led = tuple(project.code for project in self.master.projects_led_by(requester.email)) if requester else ()

        return ItemContext(
            item=item,
            title=analyze_title(item.title),
            requester=requester,
            led_projects=led,
            place=self._places.match(item.shipping_address),
            event=self._next_event(item),
            typed_projects=self._typed_projects(item),
            typed_cost_center=_known(item.custom_fields.get("Cost Center"), self.master.cost_centers),
            typed_account=_known(item.custom_fields.get("GL Code"), self.master.accounts),
        )

    def _next_event(self, item: ReportItem) -> UpcomingEvent | None:
        upcoming = None
        for event in self.master.events:
            if event.end < item.order_date:
                continue
            days = max(0, (event.start - item.order_date).days)
            if days <= EVENT_HORIZON_DAYS and (upcoming is None or days < upcoming.days):
                upcoming = UpcomingEvent(event.name, days, event.cost_center, event.project)
        return upcoming

    def _typed_projects(self, item: ReportItem) -> tuple[str, ...]:
        texts = [item.po_number or "", *item.custom_fields.values()]
        typed = " | ".join(text for text in texts if text)
        if not typed:
            return ()
        return tuple(code for code, pattern in self._project_patterns.items() if pattern.search(typed))


def _known(code: str | None, known: Mapping[str, object]) -> str | None:
    code = (code or "").strip()
    return code if code in known else None


def _code_pattern(code: str) -> re.Pattern[str]:
    """Match a code as a whole word, with or without its separators ("P-1042", "p1042", "P 1042")."""
    parts = [re.escape(part) for part in re.findall(r"[0-9A-Za-z]+", code)]
    return re.compile(r"(?<![0-9A-Za-z])" + r"[-_ ./]?".join(parts) + r"(?![0-9A-Za-z])", re.IGNORECASE)
