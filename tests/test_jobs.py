"""Crontab schedules of the scheduled jobs: fields, weekdays, and Europe/Oslo time across DST changes."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.config import ModelSettings, Settings
from bot.jobs import OSLO, CrontabError, crontab_trigger, latest_fire_time, retrain_trigger


def settings_with(cron: str) -> Settings:
    return Settings(model=ModelSettings(retrain_cron=cron))


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    """Return the fire times in [start, end) in UTC, asked for as APScheduler does: each after the one before.

    They are compared in UTC because Python never counts an Oslo time in a
    repeated or skipped hour as equal to a time in another zone (PEP 495).
    """
    times = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        times.append(fire.astimezone(timezone.utc))
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def test_trigger_follows_crontab():
    trigger = retrain_trigger(settings_with("30 2 * * 1"))
    now = utc(2026, 12, 4, 12, 0)  # a Friday

    fire = trigger.get_next_fire_time(None, now).astimezone(OSLO)

    assert fire.weekday() == 0
    assert (fire.hour, fire.minute) == (2, 30)


def test_crontab_read_in_oslo_time():
    trigger = crontab_trigger("0 7 1 * *")

    winter = trigger.get_next_fire_time(None, utc(2026, 12, 5, 0, 0))
    summer = trigger.get_next_fire_time(None, utc(2026, 6, 5, 0, 0))

    assert winter == utc(2027, 1, 1, 6, 0)
    assert summer == utc(2026, 7, 1, 5, 0)


def test_invalid_crontab_rejected():
    with pytest.raises(ValueError, match="crontab"):
        settings_with("0 25 * * *")


@pytest.mark.parametrize(("weekdays", "expected"), [("0", {6}), ("7", {6}), ("1-5", {0, 1, 2, 3, 4}), ("6,0", {5, 6})])
def test_crontab_weekdays_count_from_sunday(weekdays, expected):
    trigger = retrain_trigger(settings_with(f"0 3 * * {weekdays}"))
    start = utc(2026, 12, 4)

    seen = {fire.astimezone(OSLO).weekday() for fire in fire_times(trigger, start, start + timedelta(days=14))}

    assert seen == expected


@pytest.mark.parametrize(("cron", "field"), [("61 2 * * *", 1), ("0 24 * * *", 2), ("0 2 32 * *", 3),
                                             ("0 2 * 13 *", 4), ("0 2 * * 8", 5), ("0 2 * *", 0)])
def test_crontab_error_names_field(cron, field):
    with pytest.raises(CrontabError) as caught:
        crontab_trigger(cron)

    assert caught.value.field == field


@pytest.mark.parametrize("cron", ["0 2 * * *", "30 2 * * *"])
def test_nightly_job_runs_once_when_clocks_go_back(cron):
    # 25 October 2026: Oslo passes 02:00-03:00 twice, first in summer time (UTC+2), then in winter time (UTC+1).
    times = fire_times(crontab_trigger(cron), utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))

    minute = int(cron.split()[0])

    # The first 02:00 (UTC+2) is 00:00 UTC.
    assert times == [utc(2026, 10, 25, 0, minute)]


@pytest.mark.parametrize("cron", ["0 2 * * *", "30 2 * * *"])
def test_nightly_job_runs_once_when_clocks_go_forward(cron):
    # 29 March 2026: Oslo skips from 02:00 to 03:00, so a job due in that hour runs once, an hour later.
    times = fire_times(crontab_trigger(cron), utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    minute = int(cron.split()[0])

    # 03:00 in summer time (UTC+2) is 01:00 UTC.
    assert times == [utc(2026, 3, 29, 1, minute)]


def test_hourly_job_runs_in_both_repeated_hours():
    times = fire_times(crontab_trigger("0 * * * *"), utc(2026, 10, 24, 22), utc(2026, 10, 25, 3))

    assert times == [utc(2026, 10, 24, 22), utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 1),
                     utc(2026, 10, 25, 2)]


@pytest.mark.parametrize("cron", ["*/30 0-5 * * *", "*/30 0,1,2,3 * * *", "*/30 */1 * * *"])
def test_hour_range_runs_in_both_repeated_hours(cron):
    times = fire_times(crontab_trigger(cron), utc(2026, 10, 24, 23), utc(2026, 10, 25, 2))

    # 01:00-02:00 in summer time, then both 02:00-03:00 hours (00:00-02:00 UTC): no half hour is skipped.
    assert times == [utc(2026, 10, 24, 23), utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0),
                     utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)]


def test_day_without_dst_change_unchanged():
    times = fire_times(crontab_trigger("0 2 * * *"), utc(2026, 11, 1), utc(2026, 11, 4))

    assert times == [utc(2026, 11, 1, 1), utc(2026, 11, 2, 1), utc(2026, 11, 3, 1)]


def test_latest_fire_time_in_window():
    trigger = crontab_trigger("*/30 * * * *")
    now = utc(2026, 12, 5, 10, 14)

    within = latest_fire_time(trigger, now, now - timedelta(minutes=15))
    none_in_window = latest_fire_time(trigger, now, now - timedelta(minutes=10))
    exactly_now = latest_fire_time(trigger, utc(2026, 12, 5, 10, 0), utc(2026, 12, 5, 9, 55))

    assert within == utc(2026, 12, 5, 10, 0)
    assert none_in_window is None
    assert exactly_now == utc(2026, 12, 5, 10, 0)
