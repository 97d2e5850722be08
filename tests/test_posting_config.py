"""config.example.toml documents every [export] key with its built-in default."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.config import DatevSettings, ExportSettings, SapSettings, TripletexSettings, load_settings

EXAMPLE_CONFIG = Path(__file__).parent.parent / "config.example.toml"


def test_example_config_lists_export_keys():
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    export = tomllib.loads(text)["export"]

    assert sorted(export) == sorted(ExportSettings.model_fields)
    assert sorted(export["datev"]) == sorted(DatevSettings.model_fields)
    assert sorted(export["tripletex"]) == sorted(TripletexSettings.model_fields)
    # ca_file has no default a TOML file can show, so the example gives it as a comment.
    assert sorted([*export["sap"], "ca_file"]) == sorted(SapSettings.model_fields)
    assert "\n# ca_file = " in text


def test_example_config_export_defaults():
    export = load_settings(EXAMPLE_CONFIG).export

    # Relative paths are resolved against the settings file's folder.
    assert export.export_dir == EXAMPLE_CONFIG.parent / "var" / "export"
    assert export.model_copy(update={"export_dir": Path("var/export")}) == ExportSettings()


def test_example_config_names_erp_secrets():
    header = EXAMPLE_CONFIG.read_text(encoding="utf-8").split("\nlanguage = ", 1)[0]

    for variable in ("TRIPLETEX_CONSUMER_TOKEN", "TRIPLETEX_EMPLOYEE_TOKEN", "SAP_B1_PASSWORD"):
        assert variable in header
