"""The figures of the monthly report, counted in the store with a few grouped SQL queries.

An item counts in the month, in Oslo time, in which its allocation was
approved (``allocation.decided_at`` of an approved allocation). Approval is
final (an approved item cannot be decided again), so a month's figures do
not change once the month is over. Counting by the card line's or the
shipment's date instead would leave a month incomplete until its last
statement arrives, which is usually after the report on the 1st is sent.

- items: approved allocations of the month, refunds included.
- booked automatically: those whose source is "auto" (the model, or a
  refund booked like the item it pays back) or "rule".
- decided by a person with a suggestion: source "human" and the item has a
  rank-1 suggestion. Accepted unchanged: of these, the allocation has one
  line whose cost center, project, account and VAT code equal the rank-1
  suggestion's.
- questions asked: questions and approval requests created in the month;
  answered: those answered in the month, whenever asked. The median answer
  time is over the answered ones that were sent, from ``sent_at`` to
  ``answered_at``.
- hours saved: items booked automatically × ``report.minutes_per_item`` / 60,
  valued at ``report.hourly_cost`` NOK an hour. Items a person decided are
  not counted, although one click on a suggestion is faster than booking by
  hand, so the figure is a lower bound.

Each month's figures also carry the id and hash of the newest audit event
when they were counted, so the report keeps a copy of that hash outside
the database (see ``bot.store.audit``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlmodel import Session, col

from bot.config import ReportSettings
from bot.report.months import month_bounds
from bot.store.models import AllocationLine, AllocationRow, AuditEvent, Question, SuggestionRow

AUTOMATIC_SOURCES = ("auto", "rule")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class MonthFigures:
    """The report's figures for one month; ``month`` is its first day."""

    month: date
    items: int
    booked_automatically: int
    decided_with_suggestion: int
    accepted_unchanged: int
    questions_asked: int
    questions_answered: int
    median_answer_seconds: float | None
    hours_saved: float
    value_saved: Decimal  # NOK
    # The newest audit event's id and hash when the figures were counted; None in an empty log.
    newest_audit_event: tuple[int, str] | None = None

    @property
    def automatic_share(self) -> float | None:
        """The share of items booked automatically, None in a month without items."""
        return self.booked_automatically / self.items if self.items else None

    @property
    def unchanged_share(self) -> float | None:
        """The share of a person's decisions that kept the rank-1 suggestion, None without such decisions."""
        return self.accepted_unchanged / self.decided_with_suggestion if self.decided_with_suggestion else None


def monthly_figures(session: Session, months: Sequence[date], settings: ReportSettings) -> list[MonthFigures]:
    """Count the figures of each month in ``months`` (first days, in any order), returned in the same order."""
    bounds = [month_bounds(month) for month in months]
    decisions = _count_decisions(session, bounds)
    question = Question.__table__
    asked = _count_by_month(session, question.c.created_at, bounds)
    answered = _count_by_month(session, question.c.answered_at, bounds, question.c.status == "answered")
    medians = _median_answer_seconds(session, bounds)
    newest = session.exec(select(AuditEvent.id, AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    newest_audit_event = (newest[0], newest[1]) if newest is not None else None

    figures = []
    for index, month in enumerate(months):
        items, automatic, with_suggestion, unchanged = decisions.get(index, (0, 0, 0, 0))
        hours = automatic * settings.minutes_per_item / 60
        value = (Decimal(str(hours)) * settings.hourly_cost).quantize(CENTS, ROUND_HALF_UP)
        figures.append(MonthFigures(month, items, automatic, with_suggestion, unchanged, asked.get(index, 0),
                                    answered.get(index, 0), medians.get(index), hours, value, newest_audit_event))
    return figures


def _month_index(column: ColumnElement[datetime], bounds: Sequence[tuple[datetime, datetime]]) -> ColumnElement[int]:
    """Return a CASE expression with the index in ``bounds`` of the month that ``column`` falls in, else NULL."""
    return case(*((and_(column >= start, column < end), index) for index, (start, end) in enumerate(bounds)),
                else_=None)


def _in_any_month(column: ColumnElement[datetime], bounds: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    """Limit the rows to the months' span, so that the database reads only that range before grouping."""
    return and_(column >= min(start for start, _ in bounds), column < max(end for _, end in bounds))


def _count_decisions(session: Session, bounds: Sequence[tuple[datetime, datetime]]) -> dict[int, tuple[int, ...]]:
    """Return, per month index, the items, automatic ones, a person's decisions with a suggestion and unchanged ones."""
    allocation, suggestion, line = AllocationRow.__table__, SuggestionRow.__table__, AllocationLine.__table__

    line_count = select(func.count()).where(line.c.allocation_id == allocation.c.id).scalar_subquery()
    same_line = exists().where(
        line.c.allocation_id == allocation.c.id,
        line.c.cost_center == suggestion.c.cost_center,
        line.c.project.is_not_distinct_from(suggestion.c.project),
        line.c.account == suggestion.c.account,
        line.c.tax_code == suggestion.c.tax_code,
    )
    by_person = and_(allocation.c.source == "human", suggestion.c.id.is_not(None))

    # The inner query labels each row with its month. PostgreSQL would not group by the
    # CASE expression itself, because its bound parameters render anew in GROUP BY.
    rows = (
        select(
            _month_index(allocation.c.decided_at, bounds).label("month"),
            case((allocation.c.source.in_(AUTOMATIC_SOURCES), 1), else_=0).label("automatic"),
            case((by_person, 1), else_=0).label("by_person"),
            case((and_(by_person, line_count == 1, same_line), 1), else_=0).label("unchanged"),
        )
        .select_from(allocation.outerjoin(suggestion, and_(suggestion.c.item_id == allocation.c.item_id,
                                                           suggestion.c.rank == 1)))
        .where(allocation.c.status == "approved", _in_any_month(allocation.c.decided_at, bounds))
        .subquery()
    )
    statement = (
        select(rows.c.month, func.count(), func.sum(rows.c.automatic), func.sum(rows.c.by_person),
               func.sum(rows.c.unchanged))
        .where(rows.c.month.is_not(None))
        .group_by(rows.c.month)
    )
    return {month: tuple(int(value) for value in counts) for month, *counts in session.execute(statement)}


def _count_by_month(session: Session, column: ColumnElement[datetime], bounds: Sequence[tuple[datetime, datetime]],
                    *conditions: ColumnElement[bool]) -> dict[int, int]:
    """Count questions per month index of ``column``, a timestamp column of ``question``."""
    rows = (
        select(_month_index(column, bounds).label("month"))
        .where(_in_any_month(column, bounds), *conditions)
        .subquery()
    )
    statement = select(rows.c.month, func.count()).where(rows.c.month.is_not(None)).group_by(rows.c.month)
    return {month: count for month, count in session.execute(statement)}


def _median_answer_seconds(session: Session, bounds: Sequence[tuple[datetime, datetime]]) -> dict[int, float]:
    """Return the median seconds from sending to answering, per month index of the answer.

    NOTE: The median needs every answer time of the months, so this fetches
    two timestamps per answered question, not one row per month.
    """
    answered_at = Question.__table__.c.answered_at
    sent_at = Question.__table__.c.sent_at
    statement = (
        select(_month_index(answered_at, bounds), sent_at, answered_at)
        .where(Question.__table__.c.status == "answered", sent_at.is_not(None), _in_any_month(answered_at, bounds))
    )
    durations: dict[int, list[float]] = defaultdict(list)
    for month, sent, answered in session.execute(statement):
        if month is not None:
            durations[month].append((answered - sent).total_seconds())
    return {month: statistics.median(values) for month, values in durations.items()}

