"""Scheduled jobs: the full retrain of the model on the ``model.retrain_cron`` schedule.

Answers reach the model's memory at once and trigger a retrain after
``model.retrain_after_answers`` of them, so the scheduled retrain catches
what those miss: answers too few to trigger one, and corrections in
history imported since. The scheduler runs in a background thread of the
long-running bot.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings

log = logging.getLogger(__name__)

RETRAIN_JOB = "retrain"

CRONTAB_FIELDS = ("minute", "hour", "day", "month", "weekday")
_TRIGGER_FIELDS = ("minute", "hour", "day", "month", "day_of_week")

_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A weekday number, not the step of "*/2".
_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])[0-7](?!\d)")


def retrain_trigger(settings: Settings) -> CronTrigger:
    """Return the trigger of the scheduled retrain; raises ValueError for an invalid crontab expression."""
    return crontab_trigger(settings.model.retrain_cron)


class CrontabError(ValueError):
    """An invalid crontab expression; ``field`` is the 1-based position of the invalid field, 0 for a wrong count."""

    def __init__(self, expression: str, field: int) -> None:
        self.expression = expression
        self.field = field
        super().__init__(f"invalid crontab expression {expression!r}: "
                         + (f"field {field} ({CRONTAB_FIELDS[field - 1]}) is invalid" if field else
                            "expected 5 fields"))


def crontab_trigger(expression: str) -> CronTrigger:
    """Return a trigger for a standard five-field crontab expression; raise CrontabError naming the invalid field.

    APScheduler 3 counts weekdays from 0 for Monday, while crontab counts
    from 0 (or 7) for Sunday, so weekday numbers are written as names first.
    """
    fields = expression.split()
    if len(fields) != len(CRONTAB_FIELDS):
        raise CrontabError(expression, 0)
    fields[4] = _WEEKDAY_NUMBER.sub(lambda match: _WEEKDAY_NAMES[int(match.group())], fields[4])

    for position, (name, value) in enumerate(zip(_TRIGGER_FIELDS, fields), start=1):
        try:
            CronTrigger(**{name: value})
        except ValueError:
            raise CrontabError(expression, position) from None
    return CronTrigger.from_crontab(" ".join(fields))


def build_scheduler(settings: Settings, retrain: Callable[[], object]) -> BackgroundScheduler:
    """Return a scheduler, not yet started, that calls ``retrain`` on the configured schedule.

    A retrain that is still running when the next one is due is not started
    twice, and runs missed while the bot was down are merged into one.
    """
    scheduler = BackgroundScheduler()
    scheduler.add_job(_logged(retrain), retrain_trigger(settings), id=RETRAIN_JOB, name=RETRAIN_JOB,
                      max_instances=1, coalesce=True)
    return scheduler


def _logged(retrain: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        log.info("scheduled retrain started")
        try:
            retrain()
        except Exception:
            # The next scheduled run tries again; the current model version stays in use meanwhile.
            log.exception("scheduled retrain failed")
            return
        log.info("scheduled retrain finished")

    return run
