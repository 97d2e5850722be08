"""InputError renders its message ids in the language of a translator, and in English without one."""

import pytest

from bot.documents.amazon_report import parse_order_report
from bot.errors import InputError
from bot.i18n import N_, Translator


@pytest.fixture
def missing_column_error(tmp_path) -> InputError:
    path = tmp_path / "orders.csv"
    path.write_text(
        '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU"\n'
        '"11/05/2026","302-1111111-2222222","EUR","Kabelbinder","1","2.00"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        parse_order_report(path)
    return raised.value


def test_missing_column_in_norwegian(missing_column_error):
    text = missing_column_error.describe(Translator("nb"))

    assert text.startswith("orders.csv, linje 1: ordrerapporten mangler kolonnen(e) 'Item Net Total' (")
    assert "eksporter rapporten «Orders and shipments» fra Amazon Business" in text


def test_missing_column_in_english(missing_column_error):
    text = missing_column_error.describe(Translator("en"))

    assert text.startswith("orders.csv, line 1: order report is missing the column(s) 'Item Net Total' (")
    assert text == str(missing_column_error)


def test_str_is_english_without_translator(missing_column_error):
    assert str(missing_column_error) == missing_column_error.describe()
    assert missing_column_error.params["columns"] == "'Item Net Total'"


def test_bad_cell_value_in_norwegian(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"\n'
        '"11/05/2026","302-1","EUR","Kabelbinder","1","2,00","2.00"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        parse_order_report(path)

    assert raised.value.describe(Translator("nb")) == (
        "orders.csv, linje 2, kolonne «Purchase PPU»: '2,00' er ikke et tall med desimalpunktum, som 1234.50 "
        "(skriv beløp som 1234.50)"
    )


def test_several_message_ids_are_joined():
    error = InputError("kort.pdf", (N_("row {row}"), N_("{value} is not a date")), location=N_("line {row}"),
                       fix=(N_("check the path"), N_("export the file again")), row=3, value="'x'")

    assert str(error) == "kort.pdf, line 3: row 3: 'x' is not a date (check the path; export the file again)"
    assert error.describe(Translator("nb")) == (
        "kort.pdf, linje 3: rad 3: 'x' er ikke en dato (kontroller stien; eksporter filen på nytt)"
    )


def test_placeholder_in_source_is_kept():
    error = InputError("{odd}.csv", N_("file not found"))

    assert error.describe(Translator("nb")) == "{odd}.csv: filen finnes ikke"
