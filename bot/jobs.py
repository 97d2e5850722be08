"""The scheduled jobs of ``allocbot run`` and their crontab schedules, read in Europe/Oslo time.

Jobs: the full retrain on ``model.retrain_cron``; reminders and
escalation every 15 minutes in working hours; the resend of unsent
questions with the housekeeping of handled Slack requests and old job
runs every five minutes; the posting run on ``service.post_cron``; the monthly report on
``report.cron`` when ``report.enabled``; and the deletion of audit
events older than ``audit.retention_years`` every night.

Answers reach the model's memory at once and trigger a retrain after
``model.retrain_after_answers`` of them, so the scheduled retrain catches
what those miss: answers too few to trigger one, and corrections in
history imported since.

The work of each job is in ``bot.service_jobs``, and how each fire time
runs once across replicas is in ``bot.scheduling``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings

log = logging.getLogger(__name__)

OSLO = ZoneInfo("Europe/Oslo")

RETRAIN_JOB = "retrain"
REMINDER_JOB = "slack-reminders"
RESEND_JOB = "slack-resend"
POSTING_JOB = "posting"
REPORT_JOB = "monthly-report"
AUDIT_RETENTION_JOB = "audit-retention"

RESEND_CRON = "*/5 * * * *"
# At night, after the default retrain at 02:00 and away from the 02:00-03:00 hour that DST repeats or skips.
AUDIT_RETENTION_CRON = "30 4 * * *"

CRONTAB_FIELDS = ("minute", "hour", "day", "month", "weekday")
_TRIGGER_FIELDS = ("minute", "hour", "day", "month", "day_of_week")

_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A weekday number, not the step of "*/2".
_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])[0-7](?!\d)")


class CrontabError(ValueError):
    """An invalid crontab expression; ``field`` is the 1-based position of the invalid field, 0 for a wrong count."""

    def __init__(self, expression: str, field: int) -> None:
        self.expression = expression
        self.field = field
        super().__init__(f"invalid crontab expression {expression!r}: "
                         + (f"field {field} ({CRONTAB_FIELDS[field - 1]}) is invalid" if field else
                            "expected 5 fields"))


class CrontabTrigger(CronTrigger):
    """A crontab schedule that, like cron, runs a job with a fixed hour once on the night the clocks go back.

    On the last Sunday of October the hour 02:00-03:00 passes twice in
    Oslo, and APScheduler's CronTrigger fires "0 2 * * *" in both. Cron
    runs such a job only at the first 02:00. A schedule whose hour field
    is a single hour is fixed. Any other hour field ("*", a range such as
    "0-5", a list or a step) runs in both hours, because each is a real
    hour and skipping one would leave a gap in the schedule. When the
    clocks go forward, 02:00-03:00 does not exist, and APScheduler fires
    a job due in it once, at the same minute after 03:00.
    """

    def __init__(self, *args, fixed_hour: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_hour = fixed_hour

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and self.fixed_hour and _repeated_wall_time(fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def crontab_trigger(expression: str, zone: ZoneInfo = OSLO) -> CrontabTrigger:
    """Return a trigger for a standard five-field crontab expression in ``zone``; raise CrontabError naming the field.

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
    minute, hour, day, month, weekday = fields
    return CrontabTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=zone,
                          fixed_hour=hour.isdigit())


def retrain_trigger(settings: Settings) -> CrontabTrigger:
    """Return the trigger of the scheduled retrain; raises CrontabError for an invalid crontab expression."""
    return crontab_trigger(settings.model.retrain_cron)


def latest_fire_time(trigger: CronTrigger, now: datetime, since: datetime) -> datetime | None:
    """Return the last fire time of ``trigger`` in the interval (``since``, ``now``], or None when there is none."""
    latest = None
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest


def _repeated_wall_time(moment: datetime) -> bool:
    """Tell whether the local time of ``moment`` happened an hour before too, as on the night the clocks go back."""
    # Converting through UTC sets ``fold`` from the instant, whatever the trigger left in it.
    local = moment.astimezone(timezone.utc).astimezone(moment.tzinfo)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
