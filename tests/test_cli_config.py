import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, parse_arguments, main


@pytest.fixture
def no_commands_module(monkeypatch):
    """Forget bot.commands, so a test can check that a configuration error stops before importing it."""
    monkeypatch.delitem(sys.modules, "bot.commands", raising=False)


def test_invalid_value_exits_2(tmp_path, capsys, no_commands_module):
    path = tmp_path / "config.toml"
    path.write_text("""\
language = "nb"

[policy]
confidence_threshold = 1.5
""", encoding="utf-8")

    status = main(["--config", str(path), "post"])

    error = capsys.readouterr().err
    assert status == 2
    assert str(path) in error
    assert "policy.confidence_threshold" in error
    assert "ugyldig verdi 1.5: forventet et tall på høyst 1 " in error
    assert "bot.commands" not in sys.modules


def test_unknown_key_exits_2(tmp_path, capsys, no_commands_module):
    path = tmp_path / "config.toml"
    path.write_text('[export]\ncard_acount = "2400"\n', encoding="utf-8")

    status = main(["--config", str(path), "post"])

    error = capsys.readouterr().err
    assert status == 2
    assert "export.card_acount" in error
    assert error.count("\n") == 1


def test_missing_config_exits_2(tmp_path, capsys, no_commands_module):
    path = tmp_path / "missing.toml"

    status = main(["--config", str(path), "post"])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(f"allocbot: feil i konfigurasjonen: {path}: konfigurasjonsfilen finnes ikke (")


def test_invalid_toml_exits_2(tmp_path, capsys, no_commands_module):
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nallowed_senders = ["regnskap@example.no"\n', encoding="utf-8")

    status = main(["--config", str(path), "post"])

    error = capsys.readouterr().err
    assert status == 2
    assert "ugyldig TOML" in error


def test_config_error_in_english_file_is_norwegian(tmp_path, capsys, no_commands_module):
    """A configuration that fails to load has no language yet, so the default language is used."""
    path = tmp_path / "config.toml"
    path.write_text('language = "en"\n\n[export]\ncard_account = "12"\n', encoding="utf-8")

    status = main(["--config", str(path), "post"])

    error = capsys.readouterr().err
    assert status == 2
    assert "nøkkel export.card_account: ugyldig verdi '12': forventet 4 til 8 sifre" in error


@pytest.mark.parametrize(("language_line", "expected"), [
    ("", "allocbot: {path}: filen finnes ikke (kontroller stien)\n"),
    ('language = "nb"\n', "allocbot: {path}: filen finnes ikke (kontroller stien)\n"),
    ('language = "en"\n', "allocbot: {path}: file not found (check the path)\n"),
])
def test_usage_error_in_configured_language(tmp_path, capsys, language_line, expected):
    config = tmp_path / "config.toml"
    config.write_text(language_line, encoding="utf-8")
    missing = tmp_path / "mangler.csv"

    status = main(["--config", str(config), "ingest", str(missing)])

    assert status == 2
    assert capsys.readouterr().err == expected.format(path=missing)


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["close-month"])

    assert caught.value.code == 2
    assert "close-month" in capsys.readouterr().err


def test_parser_reads_options():
    args = build_parser().parse_args(["--config", "etc/allocbot.toml", "demo", "--lang", "en", "--seed", "7"])

    assert args.config == Path("etc/allocbot.toml")
    assert args.command == "demo"
    assert args.lang == "en"
    assert args.seed == 7


def test_parser_defaults():
    args = parse_arguments(["post"])

    assert args.config is None
    assert args.verbose is False


def test_parser_config_after_command():
    args = parse_arguments(["post", "--config", "etc/allocbot.toml", "-v"])

    assert args.config == Path("etc/allocbot.toml")
    assert args.verbose is True


def test_parser_rejects_unknown_language(capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["demo", "--lang", "de"])

    assert caught.value.code == 2
    assert "'de'" in capsys.readouterr().err


def test_ingest_needs_files(capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["ingest"])

    assert caught.value.code == 2
