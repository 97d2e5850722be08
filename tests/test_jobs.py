"""The scheduled retrain: its trigger from the configuration and how a run is guarded."""

import logging
from datetime import datetime, timezone

import pytest

from bot.config import ModelSettings, Settings
from bot.jobs import RETRAIN_JOB, CrontabError, build_scheduler, crontab_trigger, retrain_trigger


def settings_with(cron: str) -> Settings:
    return Settings(model=ModelSettings(retrain_cron=cron))


def test_trigger_follows_crontab():
    trigger = retrain_trigger(settings_with("30 2 * * 1"))
    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)  # a Friday

    fire = trigger.get_next_fire_time(None, now)

    assert fire.weekday() == 0
    assert (fire.hour, fire.minute) == (2, 30)


def test_invalid_crontab_rejected():
    with pytest.raises(ValueError, match="crontab"):
        settings_with("0 25 * * *")


def test_scheduler_has_guarded_retrain_job():
    scheduler = build_scheduler(Settings(), lambda: None)
    job = scheduler.get_job(RETRAIN_JOB)

    assert job.max_instances == 1
    assert job.coalesce is True


def test_failed_retrain_logged_not_raised(caplog):
    def failing():
        raise RuntimeError("store unavailable")

    job = build_scheduler(Settings(), failing).get_job(RETRAIN_JOB)
    with caplog.at_level(logging.INFO, logger="bot.jobs"):
        job.func()

    assert "scheduled retrain failed" in caplog.text
    assert "store unavailable" in caplog.text


@pytest.mark.parametrize(("weekdays", "expected"), [("0", {6}), ("7", {6}), ("1-5", {0, 1, 2, 3, 4}), ("6,0", {5, 6})])
def test_crontab_weekdays_count_from_sunday(weekdays, expected):
    trigger = retrain_trigger(settings_with(f"0 3 * * {weekdays}"))
    fire, seen = datetime(2026, 12, 4, tzinfo=timezone.utc), set()
    for _ in range(14):
        fire = trigger.get_next_fire_time(None, fire.replace(minute=1))
        seen.add(fire.weekday())

    assert seen == expected


@pytest.mark.parametrize(("cron", "field"), [("61 2 * * *", 1), ("0 24 * * *", 2), ("0 2 32 * *", 3),
                                             ("0 2 * 13 *", 4), ("0 2 * * 8", 5), ("0 2 * *", 0)])
def test_crontab_error_names_field(cron, field):
    with pytest.raises(CrontabError) as caught:
        crontab_trigger(cron)

    assert caught.value.field == field
