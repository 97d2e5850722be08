"""The monthly report's figures, months, texts and chart, counted on SQLite and PostgreSQL.

The rows are written directly as store rows, with chosen timestamps, and
each expected figure is computed in the test from the rows it wrote.
"""

from __future__ import annotations

import itertools
import statistics
import struct
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from bot.config import ReportSettings
from bot.i18n import Translator
from bot.report.months import add_months, month_bounds, months_ending, parse_month, previous_month
from bot.report.plot import render_plot
from bot.report.stats import MonthFigures, monthly_figures
from bot.report.text import month_name, report_text, subject
from bot.store.audit import audit
from bot.store.models import (
    AllocationLine,
    AllocationRow,
    AmazonItem,
    AmazonOrder,
    Document,
    Question,
    SuggestionRow,
)

UTC = timezone.utc
IT = ("400", None, "6551", "14")
HAMAR = ("600", "P-1042", "6540", "14")
OFFICE = ("100", None, "6800", "14")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_keys = itertools.count(1)


@dataclass(frozen=True)
class Decision:
    """An item and its allocation: when, by whom, with which lines, and the rank-1 suggestion it had."""

    at: datetime
    source: str
    lines: tuple[tuple[str, str | None, str, str], ...]
    suggestion: tuple[str, str | None, str, str] | None
    status: str = "approved"


@dataclass(frozen=True)
class Asked:
    """A question: when it was created, sent and answered (None: not yet)."""

    created: datetime
    sent: datetime | None = None
    answered: datetime | None = None
    kind: str = "question"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def write_rows(store, decisions: list[Decision], questions: list[Asked]) -> None:
    """Write each decision as an item with its allocation and suggestion, and each question on an item."""
    with store.session() as session:
        document = Document(kind="order_report", filename="orders.csv", sha256=f"{next(_keys):064x}")
        order = AmazonOrder(order_id=f"302-{next(_keys):07d}", order_date=date(2026, 9, 1), currency="NOK")
        session.add_all([document, order])
        session.flush()

        def new_item() -> AmazonItem:
            key = next(_keys)
            item = AmazonItem(amazon_order_id=order.id, document_id=document.id, item_key=f"item-{key}", line=key,
                              title="Logitech MX Master 3S", quantity=1, unit_price=Decimal("600"),
                              net_total=Decimal("600"), currency="NOK", amount_nok=Decimal("600"), state="decided")
            session.add(item)
            session.flush()
            return item

        for decision in decisions:
            item = new_item()
            if decision.suggestion is not None:
                cost_center, project, account, tax_code = decision.suggestion
                session.add(SuggestionRow(item_id=item.id, rank=1, cost_center=cost_center, project=project,
                                          account=account, tax_code=tax_code, confidence=0.9, source="model",
                                          model_version="v1"))
            allocation = AllocationRow(item_id=item.id, source=decision.source, decided_by="ola.hansen@example.no",
                                       decided_at=decision.at, status=decision.status)
            amount = Decimal("600") / len(decision.lines)
            allocation.lines = [AllocationLine(position=position, cost_center=cost_center, project=project,
                                               account=account, tax_code=tax_code, amount=amount)
                                for position, (cost_center, project, account, tax_code)
                                in enumerate(decision.lines, start=1)]
            session.add(allocation)

        for asked in questions:
            item = new_item()
            session.add(Question(item_id=item.id, kind=asked.kind, asked_email="ola.hansen@example.no",
                                 created_at=asked.created, sent_at=asked.sent, answered_at=asked.answered,
                                 status="answered" if asked.answered else "open"))


def expected(month: date, decisions: list[Decision], questions: list[Asked], settings: ReportSettings) -> MonthFigures:
    """Compute a month's figures from the rows in plain Python, as the report defines them."""
    start, end = month_bounds(month)

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    approved = [d for d in decisions if d.status == "approved" and within(d.at)]
    automatic = [d for d in approved if d.source in ("auto", "rule")]
    by_person = [d for d in approved if d.source == "human" and d.suggestion is not None]
    unchanged = [d for d in by_person if d.lines == (d.suggestion,)]
    answered = [q for q in questions if within(q.answered)]
    durations = [(q.answered - q.sent).total_seconds() for q in answered if q.sent is not None]
    hours = len(automatic) * settings.minutes_per_item / 60
    return MonthFigures(month, len(approved), len(automatic), len(by_person), len(unchanged),
                        len([q for q in questions if within(q.created)]), len(answered),
                        statistics.median(durations) if durations else None, hours,
                        (Decimal(str(hours)) * settings.hourly_cost).quantize(Decimal("0.01")))


NOVEMBER = date(2026, 11, 1)
OCTOBER = date(2026, 10, 1)
SEPTEMBER = date(2026, 9, 1)

DECISIONS = [
    # November: three automatic (one by a rule), four by a person with a suggestion, one without.
    Decision(at(date(2026, 11, 2)), "auto", (IT,), IT),
    Decision(at(date(2026, 11, 3)), "auto", (OFFICE,), OFFICE),
    Decision(at(date(2026, 11, 4)), "rule", (OFFICE,), None),
    Decision(at(date(2026, 11, 5)), "human", (IT,), IT),
    Decision(at(date(2026, 11, 6)), "human", (HAMAR,), HAMAR),
    Decision(at(date(2026, 11, 7)), "human", (OFFICE,), IT),
    Decision(at(date(2026, 11, 8)), "human", (IT, OFFICE), IT),
    Decision(at(date(2026, 11, 9)), "human", (HAMAR[:1] + (None,) + HAMAR[2:],), HAMAR),
    Decision(at(date(2026, 11, 10)), "human", (IT,), None),
    # Not final: neither counts in November.
    Decision(at(date(2026, 11, 11)), "human", (IT,), IT, status="pending_approval"),
    Decision(at(date(2026, 11, 12)), "human", (IT,), IT, status="rejected"),
    # October: one automatic, one unchanged.
    Decision(at(date(2026, 10, 20)), "auto", (IT,), IT),
    Decision(at(date(2026, 10, 21)), "human", (HAMAR,), HAMAR),
]

QUESTIONS = [
    # November: answered after 1, 2 and 10 hours, one answered but never sent, one open.
    Asked(at(date(2026, 11, 2), 8), at(date(2026, 11, 2), 9), at(date(2026, 11, 2), 10)),
    Asked(at(date(2026, 11, 3), 8), at(date(2026, 11, 3), 8), at(date(2026, 11, 3), 10)),
    Asked(at(date(2026, 11, 4), 8), at(date(2026, 11, 4), 8), at(date(2026, 11, 4), 18), kind="approval"),
    Asked(at(date(2026, 11, 5), 8), None, at(date(2026, 11, 5), 9)),
    Asked(at(date(2026, 11, 6), 8), at(date(2026, 11, 6), 8)),
    # Asked in October, answered in November after five days: counts as answered in November.
    Asked(at(date(2026, 10, 30), 8), at(date(2026, 10, 30), 8), at(date(2026, 11, 4), 8)),
    # October: two answered after 30 and 90 minutes (an even count).
    Asked(at(date(2026, 10, 5), 8), at(date(2026, 10, 5), 8), at(date(2026, 10, 5), 8, 30)),
    Asked(at(date(2026, 10, 6), 8), at(date(2026, 10, 6), 8), at(date(2026, 10, 6), 9, 30)),
]


def test_figures_match_rows(store):
    settings = ReportSettings()
    write_rows(store, DECISIONS, QUESTIONS)

    with store.session() as session:
        figures = monthly_figures(session, [SEPTEMBER, OCTOBER, NOVEMBER], settings)

    assert figures == [expected(month, DECISIONS, QUESTIONS, settings) for month in (SEPTEMBER, OCTOBER, NOVEMBER)]


def test_figures_hand_checked(store):
    """The same rows, checked against numbers worked out by hand, so that a shared mistake shows."""
    write_rows(store, DECISIONS, QUESTIONS)

    with store.session() as session:
        september, october, november = monthly_figures(session, [SEPTEMBER, OCTOBER, NOVEMBER], ReportSettings())

    assert (november.items, november.booked_automatically) == (9, 3)
    assert (november.decided_with_suggestion, november.accepted_unchanged) == (5, 2)
    assert (november.questions_asked, november.questions_answered) == (5, 5)
    # 1, 2, 10 and 120 hours: the median of four is the mean of 2 and 10 hours.
    assert november.median_answer_seconds == 6 * 3600
    assert october.median_answer_seconds == 60 * 60
    assert (october.questions_asked, october.questions_answered) == (3, 2)
    assert (september.items, september.questions_asked, september.median_answer_seconds) == (0, 0, None)
    assert (september.automatic_share, september.unchanged_share) == (None, None)
    assert november.hours_saved == 3 * 4.0 / 60
    assert november.value_saved == Decimal("130.00")


def test_figures_odd_median_and_costs(store):
    settings = ReportSettings(minutes_per_item=6, hourly_cost=Decimal("712.50"))
    questions = QUESTIONS[:3]
    write_rows(store, DECISIONS, questions)

    with store.session() as session:
        (november,) = monthly_figures(session, [NOVEMBER], settings)

    assert november.median_answer_seconds == 2 * 3600
    assert november.hours_saved == pytest.approx(3 * 6 / 60)
    assert november.value_saved == Decimal("213.75")
    assert november == expected(NOVEMBER, DECISIONS, questions, settings)


def test_month_bounds_in_oslo_time(store):
    decisions = [
        # 00:30 on 1 November in Oslo (UTC+1).
        Decision(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "auto", (IT,), IT),
        # 23:59 on 30 November in Oslo, and 00:00 on 1 December.
        Decision(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), "auto", (IT,), IT),
        Decision(datetime(2026, 11, 30, 23, 0, tzinfo=UTC), "auto", (IT,), IT),
        # 23:30 on 31 October in Oslo, still October.
        Decision(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), "auto", (IT,), IT),
        # 00:30 on 1 April in Oslo in summer time (UTC+2).
        Decision(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), "auto", (IT,), IT),
    ]
    questions = [Asked(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))]
    write_rows(store, decisions, questions)

    with store.session() as session:
        march, april, october, november, december = monthly_figures(
            session, [date(2026, 3, 1), date(2026, 4, 1), OCTOBER, NOVEMBER, date(2026, 12, 1)], ReportSettings())

    assert (march.items, april.items) == (0, 1)
    assert (october.items, november.items, december.items) == (1, 2, 1)
    assert (october.questions_asked, november.questions_asked) == (0, 1)


def test_month_helpers():
    assert month_bounds(NOVEMBER) == (datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert previous_month(datetime(2026, 12, 1, 6, tzinfo=UTC)) == NOVEMBER
    assert previous_month(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == NOVEMBER
    assert previous_month(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)) == OCTOBER
    assert previous_month(datetime(2027, 1, 15, tzinfo=UTC)) == date(2026, 12, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert months_ending(date(2026, 2, 1), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert parse_month("2026-11") == NOVEMBER


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026/11", "2026-1", "november"])
def test_parse_month_rejects(text):
    with pytest.raises(ValueError, match="expected"):
        parse_month(text)


def figures(month: date = NOVEMBER, **changes) -> MonthFigures:
    values = dict(month=month, items=1234, booked_automatically=812, decided_with_suggestion=400,
                  accepted_unchanged=300, questions_asked=420, questions_answered=401,
                  median_answer_seconds=3.25 * 3600, hours_saved=812 * 4 / 60, value_saved=Decimal("35186.67"))
    return MonthFigures(**{**values, **changes})


def test_text_in_norwegian():
    text = report_text(figures(), ReportSettings(), Translator("nb"))
    lines = text.splitlines()

    assert lines[0] == "allocbot: månedsrapport for november 2026"
    assert lines[2] == "Varer behandlet:" + " " * 9 + "1\u00a0234"
    assert lines[3].startswith("Bokført automatisk:")
    assert lines[3].endswith("812 (65,8 %)")
    assert lines[4].endswith("300 av 400 (75,0 %)")
    assert lines[7].endswith("3,2 timer")
    assert lines[8].endswith("54,1 timer (35\u00a0186,67 kr)")
    assert lines[-1].startswith("Timer spart = automatisk bokførte varer × 4,0 minutter / 60, verdsatt til 650,00 kr")


def test_text_in_english_without_values():
    empty = figures(items=0, booked_automatically=0, decided_with_suggestion=0, accepted_unchanged=0,
                    median_answer_seconds=None)
    text = report_text(empty, ReportSettings(), Translator("en"))

    assert text.startswith("allocbot: monthly report for November 2026\n")
    assert "Booked automatically:" in text
    assert "0 (–)" in text
    assert "0 of 0 (–)" in text
    assert "Median answer time:             –" in text


def test_short_answer_time_in_minutes():
    text = report_text(figures(median_answer_seconds=25 * 60 + 10), ReportSettings(), Translator("en"))

    assert "Median answer time:             25 min" in text


def test_subject_and_month_names():
    assert subject(NOVEMBER, Translator("nb")) == "allocbot: månedsrapport for november 2026"
    assert subject(NOVEMBER, Translator("en")) == "allocbot: monthly report for November 2026"
    assert month_name(date(2027, 5, 1), Translator("nb")) == "mai 2027"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_png_of_fixed_size():
    history = [figures(month, items=10 * index, booked_automatically=5 * index, hours_saved=index / 3)
               for index, month in enumerate(months_ending(NOVEMBER, 12))]
    empty = [figures(month, items=0, booked_automatically=0, decided_with_suggestion=0, accepted_unchanged=0,
                     questions_asked=0, questions_answered=0, median_answer_seconds=None, hours_saved=0.0)
             for month in months_ending(NOVEMBER, 12)]

    full_png = render_plot(history, Translator("nb"))
    empty_png = render_plot(empty, Translator("en"))

    assert png_size(full_png) == (1000, 700)
    assert png_size(empty_png) == (1000, 700)
    assert full_png != empty_png
    assert render_plot(history, Translator("nb")) == full_png


def test_text_ends_with_audit_hash():
    reference = (17, "ab" * 32)

    text = report_text(figures(newest_audit_event=reference), ReportSettings(), Translator("en"))

    assert text.splitlines()[-1] == (f"Audit log: the newest event is 17 with hash {'ab' * 32}. Keep this message: "
                                     f"allocbot audit verify --expect 17:{'ab' * 32} checks later that the log "
                                     "still has it.")


def test_text_without_audit_events_has_no_hash():
    text = report_text(figures(newest_audit_event=None), ReportSettings(), Translator("nb"))

    assert "--expect" not in text
    assert text.splitlines()[-1].startswith("Timer spart =")


def test_figures_carry_newest_audit_event(store):
    with store.session() as session:
        audit(session, actor="allocbot", action="model_trained", subject_type="model", subject_id="model-1",
              data={})
        newest = audit(session, actor="allocbot", action="model_trained", subject_type="model",
                       subject_id="model-2", data={})
        reference = (newest.id, newest.hash)

    with store.session() as session:
        (counted,) = monthly_figures(session, [NOVEMBER], ReportSettings())

    assert counted.newest_audit_event == reference
