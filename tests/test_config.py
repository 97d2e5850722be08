from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import load_settings, secret, environment_secret
from bot.errors import ConfigError


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_default_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    settings = load_settings()

    assert settings.store.url == "sqlite:///var/allocbot.db"
    assert settings.mail.inbox_dir == Path("var/inbox")
    assert settings.export.export_dir == Path("var/export")
    assert settings.language == "nb"
    assert settings.policy.review_threshold == Decimal("5000")
    assert settings.master_data is None
    assert settings.rules == ()


def test_default_file_is_read_when_present(tmp_path, monkeypatch):
    write_config(tmp_path, 'language = "en"\n')
    monkeypatch.chdir(tmp_path)

    settings = load_settings()

    assert settings.language == "en"


def test_explicit_missing_file_raises(tmp_path):
    path = tmp_path / "allocbot.toml"

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(path) in str(caught.value)
    assert "not found" in str(caught.value)
    assert caught.value.exit_status == 2


def test_invalid_toml_raises(tmp_path):
    path = write_config(tmp_path, '[policy]\nreview_threshold = 5000\n[policy\n')

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(path) in str(caught.value)
    assert "invalid TOML" in str(caught.value)


def test_invalid_utf8_raises(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes('[slack]\ncontroller_channel = "#økonomi"\n'.encode("cp1252"))

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(path) in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_directory_as_config_raises(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)

    assert str(tmp_path) in str(caught.value)


def test_unknown_key_is_named(tmp_path):
    path = write_config(tmp_path, """\
[policy]
confidence_treshold = 0.9
""")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    message = str(caught.value)
    assert str(path) in message
    assert "policy.confidence_treshold" in message
    assert "unknown key" in message


@pytest.mark.parametrize(("text", "key", "value", "expected"), [
    ("[policy]\nconfidence_threshold = 1.5\n", "policy.confidence_threshold", "1.5", "expected a number of at most 1 "),
    ('[policy]\nreview_threshold = "lots"\n', "policy.review_threshold", "'lots'", "expected a number"),
    ("[policy]\nreview_threshold = 1234.567\n", "policy.review_threshold", "1234.567", "expected at most 2 decimals"),
    ('language = "de"\n', "language", "'de'", "expected one of 'nb', 'en'"),
    ('[export]\ncard_account = "12"\n', "export.card_account", "'12'", "expected 4 to 8 digits"),
    ("[mailbox]\nport = 99999\n", "mailbox.port", "99999", "expected a number of at most 65535"),
    ('[slack]\nmode = "websocket"\n', "slack.mode", "'websocket'", "expected one of 'http', 'socket'"),
    ('[mailbox]\nport = "imaps"\n', "mailbox.port", "'imaps'", "expected a whole number"),
    ('[export.datev]\nfiscal_year_start = "02-29"\n', "export.datev.fiscal_year_start", "'02-29'",
     "expected a day of the year as MM-DD"),
    ('[export.datev]\nfiscal_year_start = "04-31"\n', "export.datev.fiscal_year_start", "'04-31'",
     "that every year has"),
    ('[export.datev]\nfiscal_year_start = "july"\n', "export.datev.fiscal_year_start", "'july'",
     "expected a day of the year as MM-DD"),
    ('[export]\nconnector = "fiken"\n', "export.connector", "'fiken'", "expected one of 'file', 'csv'"),
    ('[export]\ncurrency = "EUR"\n', "export.currency", "'EUR'", "expected one of 'NOK'"),
    ('[export]\nvat_in_price = "1"\n', "export.vat_in_price", "'1'", "expected a list"),
    ('[export]\nvat_in_price = [true]\n', "export.vat_in_price.0", "True", "expected a text"),
    ('[export]\nvat_in_price = ["1", "1 1"]\n', "export.vat_in_price.1", "'1 1'", "should match pattern"),
    ('[report]\nrecipients = ["controller"]\n', "report.recipients.0", "'controller'", "expected an email address"),
    ("[audit]\nretention_years = 4\n", "audit.retention_years", "4", "expected a number of at least 5"),
])
def test_invalid_value_is_described(tmp_path, text, key, value, expected):
    path = write_config(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert f"key {key}: invalid value {value}: " in message
    assert expected in message


def test_relative_paths_resolve_against_config_folder(tmp_path):
    folder = tmp_path / "etc" / "allocbot"
    path = write_config(folder, """\
master_data = "master.toml"

[store]
url = "sqlite:///var/allocbot.db"

[mail]
inbox_dir = "mail/inbox"

[export]
export_dir = "../export"
""")

    settings = load_settings(path)

    assert settings.master_data == folder / "master.toml"
    assert settings.mail.inbox_dir == folder / "mail/inbox"
    assert settings.mail.documents_dir == folder / "var/documents"
    assert settings.export.export_dir == folder / "../export"
    assert settings.store.url == f"sqlite:///{folder}/var/allocbot.db"


def test_absolute_paths_are_kept(tmp_path):
    inbox = tmp_path / "shared" / "inbox"
    path = write_config(tmp_path / "conf", f"""\
[store]
url = "sqlite:///{tmp_path}/db/allocbot.db?timeout=20"

[mail]
inbox_dir = "{inbox}"
""")

    settings = load_settings(path)

    assert settings.mail.inbox_dir == inbox
    assert settings.store.url == f"sqlite:///{tmp_path}/db/allocbot.db?timeout=20"


@pytest.mark.parametrize("url", [
    "sqlite://",
    "sqlite:///:memory:",
    "postgresql+psycopg2://allocbot@127.0.0.1:5432/allocbot",
])
def test_store_url_without_relative_path_is_kept(tmp_path, url):
    path = write_config(tmp_path, f'[store]\nurl = "{url}"\n')

    settings = load_settings(path)

    assert settings.store.url == url


def test_rules_are_parsed(tmp_path):
    path = write_config(tmp_path, """\
[[rules]]
keywords = ["toner", "blekkpatron"]
cost_center = "100"
account = "6800"
tax_code = "1"

[[rules]]
unspsc_prefix = "4321"
account = "6551"
""")

    settings = load_settings(path)

    assert len(settings.rules) == 2
    assert settings.rules[0].keywords == ("toner", "blekkpatron")
    assert settings.rules[0].cost_center == "100"
    assert settings.rules[0].account == "6800"
    assert settings.rules[0].tax_code == "1"
    assert settings.rules[0].project is None
    assert settings.rules[1].unspsc_prefix == "4321"
    assert settings.rules[1].keywords == ()


def test_invalid_rule_names_its_index(tmp_path):
    path = write_config(tmp_path, """\
[[rules]]
keywords = ["kaffe"]
account = "7350"

[[rules]]
unspsc_prefix = "43x"
""")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert "rules.1.unspsc_prefix: " in str(caught.value)
    assert "'43x'" in str(caught.value)


def test_secret_reads_environment(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.delenv("ALLOCBOT_IMAP_PASSWORD", raising=False)
    monkeypatch.setenv("ALLOCBOT_SMTP_PASSWORD", "")

    assert secret("slack_bot_token") == "xoxb-test-token"
    assert environment_secret("ALLOCBOT_IMAP_PASSWORD") is None
    assert environment_secret("ALLOCBOT_SMTP_PASSWORD") is None
    assert environment_secret("") is None


def test_secret_in_file_is_unknown_key(tmp_path):
    path = write_config(tmp_path, '[slack]\nbot_token = "xoxb-in-file"\n')

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert "slack.bot_token: " in str(caught.value)


def test_config_error_exit_status():
    error = ConfigError("config.toml", "invalid value", location="language")

    assert error.exit_status == 2
    assert str(error) == "config.toml, language: invalid value"


def test_vat_in_price_default_and_unquoted(tmp_path):
    default = load_settings(write_config(tmp_path / "default", 'language = "nb"\n'))
    unquoted = load_settings(write_config(tmp_path / "unquoted", "[export]\nvat_in_price = [1, 11, \"86\"]\n"))
    empty = load_settings(write_config(tmp_path / "empty", "[export]\nvat_in_price = []\n"))

    assert default.export.vat_in_price == ("1", "11", "12", "13")
    assert unquoted.export.vat_in_price == ("1", "11", "86")
    assert empty.export.vat_in_price == ()


def test_sap_vat_accounts_need_vat_in_price(tmp_path):
    text = """\
[export]
connector = "sap"
vat_in_price = ["1", "11"]

[export.sap]
vat_accounts = { "1" = "2710", "14" = "2710", "86" = "2710" }
"""
    path = write_config(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    message = str(caught.value)
    assert "key export.vat_in_price: invalid value ['1', '11']: " in message
    assert "expected every VAT code that export.sap.vat_accounts maps in the list (missing: 14, 86)" in message


def test_sap_vat_accounts_checked_only_for_sap(tmp_path):
    mapped = '[export.sap]\nvat_accounts = { "14" = "2710" }\n'
    covered = '[export]\nconnector = "sap"\nvat_in_price = ["1", "14"]\n' + mapped

    csv = load_settings(write_config(tmp_path / "csv", mapped))
    sap = load_settings(write_config(tmp_path / "sap", covered))

    assert csv.export.sap.vat_accounts == {"14": "2710"}
    assert sap.export.vat_in_price == ("1", "14")


def test_fiscal_year_start_padded(tmp_path):
    path = write_config(tmp_path, '[export.datev]\nfiscal_year_start = "7-1"\n')

    settings = load_settings(path)

    assert settings.export.datev.fiscal_year_start == "07-01"
