"""Tests for statement layouts described under [[statement_layouts]] in the configuration."""

from __future__ import annotations

import typing
from datetime import date
from decimal import Decimal

import pytest

from bot.config import StatementLayoutSettings, configured_statement_layouts, load_settings
from bot.documents.dates import DATE_FORMATS, DEFAULT_DATE_FORMATS
from bot.documents.statement_layout import ROLES, StatementLayout
from bot.documents.statement_lines import PENDING_MARKERS, TOTAL_LABELS
from bot.documents.statement_table import parse_statement_table
from bot.errors import ConfigError

LANDKREDITT = """
[[statement_layouts]]
name = "Landkreditt konto"
columns = { date = "Bokført", booking_date = "Rentedato", description = ["Melding", "Tekst"], amount = "Beløp" }
sign = "debit_negative"
delimiter = "tab"
date_formats = ["dd.mm.yyyy"]
skip_texts = ["Inngående saldo"]
total_labels = ["Sum"]
"""


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_layout_from_configuration(tmp_path):
    settings = load_settings(write_config(tmp_path, LANDKREDITT))

    (layout,) = configured_statement_layouts(settings)

    assert layout.name == "Landkreditt konto"
    assert layout.columns["description"] == ("Melding", "Tekst")
    assert layout.required == frozenset({"date", "booking_date", "description", "amount"})
    assert (layout.sign, layout.delimiter, layout.date_formats) == ("debit_negative", "\t", ("dd.mm.yyyy",))


def test_configured_layout_reads_file(tmp_path):
    layouts = configured_statement_layouts(load_settings(write_config(tmp_path, LANDKREDITT)))
    path = tmp_path / "landkreditt.txt"
    path.write_text("Kontoutskrift\nBokført\tRentedato\tTekst\tBeløp\n"
                    "01.11.2026\t01.11.2026\tInngående saldo\t12 000,00\n"
                    "05.11.2026\t04.11.2026\tAMAZON EU SARL\t-746,34\n"
                    "Sum\t\t\t11 253,66\n", encoding="utf-8")

    statement = parse_statement_table(path, layouts=layouts)

    assert statement.layout == "Landkreditt konto (CSV)"
    assert [(charge.date, charge.booked_on, charge.amount) for charge in statement.charges] == [
        (date(2026, 11, 5), date(2026, 11, 4), Decimal("746.34"))]
    assert statement.skipped == 1
    assert statement.stated_total == Decimal("-11253.66")


def test_skipped_balance_line_needs_no_amount(tmp_path):
    """An opening balance printed in a balance column leaves the amount column empty; it is skipped all the same."""
    layouts = configured_statement_layouts(load_settings(write_config(tmp_path, LANDKREDITT)))
    path = tmp_path / "landkreditt.txt"
    path.write_text("Bokført\tRentedato\tTekst\tBeløp\tSaldo\n"
                    "01.11.2026\t01.11.2026\tInngående saldo\t\t12 000,00\n"
                    "05.11.2026\t04.11.2026\tAMAZON EU SARL\t-746,34\t11 253,66\n", encoding="utf-8")

    statement = parse_statement_table(path, layouts=layouts)

    assert [charge.amount for charge in statement.charges] == [Decimal("746.34")]
    assert statement.skipped == 1


def test_defaults_match_the_parser():
    settings = StatementLayoutSettings(name="x", columns={"date": "D", "description": "T", "amount": "B"})

    assert settings.date_formats == DEFAULT_DATE_FORMATS
    assert settings.pending_markers == PENDING_MARKERS
    assert settings.total_labels == TOTAL_LABELS
    assert settings.to_layout().delimiter is None


def test_date_format_names_match_the_parser():
    field = StatementLayoutSettings.model_fields["date_formats"].annotation
    (literal,) = typing.get_args(field)[:1]

    assert set(typing.get_args(literal)) == set(DATE_FORMATS)


def test_column_roles_match_the_parser():
    from bot.config import StatementColumnsSettings

    assert set(StatementColumnsSettings.model_fields) == set(ROLES)


@pytest.mark.parametrize(
    ("layout", "key", "expected"),
    [
        ('columns = { date = "Dato", description = "Tekst" }', "statement_layouts.0.columns",
         "expected either amount, or both debit and credit"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp", debit = "Ut", credit = "Inn" }',
         "statement_layouts.0.columns", "expected either amount, or both debit and credit"),
        ('columns = { date = "Dato", description = "Tekst", debit = "Ut" }', "statement_layouts.0.columns",
         "both debit and credit"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp", original_amount = "Utl." }',
         "statement_layouts.0.columns", "both original_amount and original_currency"),
        ('columns = { date = "Dato", amount = "Beløp" }', "statement_layouts.0.columns.description",
         "the key is missing"),
        ('columns = { date = "Dato", description = [], amount = "Beløp" }',
         "statement_layouts.0.columns.description", "at least 1 value(s)"),
        ('columns = { date = "Dato", description = "", amount = "Beløp" }',
         "statement_layouts.0.columns.description.0", "at least 1 character(s)"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp", kolonne = "X" }',
         "statement_layouts.0.columns.kolonne", "unknown key"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp" }\n'
         'date_formats = ["dd/mm/yyyy", "mm/dd/yyyy"]', "statement_layouts.0.date_formats",
         'only one of "dd/mm/yyyy" and "mm/dd/yyyy"'),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp" }\ndate_formats = ["dd-mm-yyyy"]',
         "statement_layouts.0.date_formats.0", "expected one of 'dd.mm.yyyy'"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp" }\ndelimiter = "|"',
         "statement_layouts.0.delimiter", "expected one of '', ';', ',', 'tab'"),
        ('columns = { date = "Dato", description = "Tekst", amount = "Beløp" }\nsign = "negative"',
         "statement_layouts.0.sign", "'debit_positive', 'debit_negative'"),
    ],
)
def test_invalid_layout_names_key(tmp_path, layout, key, expected):
    path = write_config(tmp_path, f'[[statement_layouts]]\nname = "Egen bank"\n{layout}\n')

    with pytest.raises(ConfigError) as raised:
        load_settings(path)

    assert f"key {key}: " in str(raised.value)
    assert expected in str(raised.value)


def test_layout_names_must_differ(tmp_path):
    layout_text = ('[[statement_layouts]]\nname = "{}"\n'
                   'columns = {{ date = "Dato", description = "Tekst", amount = "Beløp" }}\n')
    path = write_config(tmp_path, layout_text.format("Egen bank") + layout_text.format("egen bank"))

    with pytest.raises(ConfigError) as raised:
        load_settings(path)

    assert "key statement_layouts: " in str(raised.value)
    assert "a different name for each statement layout" in str(raised.value)


def test_contradictory_layout_in_code_rejected():
    with pytest.raises(ValueError) as raised:
        StatementLayout(name="Feil", columns={"date": ("Dato",), "description": ("Tekst",)},
                        required=frozenset({"date", "description"}))

    assert "needs either amount or debit and credit" in str(raised.value)
