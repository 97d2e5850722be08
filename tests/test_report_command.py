"""``allocbot report monthly`` refuses to send a month that is not over, and to report on a store that is not there."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bot.cli import main
from bot.report.months import OSLO


def write_config(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'language = "nb"\n[store]\nurl = "sqlite:///{database}"\n'
                      '[report]\nrecipients = ["controller@example.no"]\n', encoding="utf-8")
    return config


def test_send_of_current_month_refused(tmp_path, capsys):
    database = tmp_path / "allocbot.db"
    config = write_config(tmp_path, database)
    this_month = datetime.now(timezone.utc).astimezone(OSLO).strftime("%Y-%m")

    status = main(["report", "monthly", "--month", this_month, "--send", "--config", str(config)])

    assert status == 2
    error = capsys.readouterr().err
    assert f"{this_month} er ikke over ennå" in error
    assert "utelat --send" in error
    assert not database.exists()


def test_missing_store_refused(tmp_path, capsys):
    database = tmp_path / "var" / "allocbot.db"
    config = write_config(tmp_path, database)

    status = main(["report", "monthly", "--month", "2026-11", "--config", str(config)])

    assert status == 2
    error = capsys.readouterr().err
    assert f"databasen {database} finnes ikke" in error
    assert "nøkkel store.url" in error
    assert not database.exists()
