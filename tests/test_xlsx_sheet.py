"""The fast XLSX reader gives the table that openpyxl gives, and reads what other writers produce."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.documents.table import read_table
from bot.documents.xlsx_sheet import read_xlsx_table
from bot.errors import InputError

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="/xl/sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    '<Relationship Id="rId3" Target="styles.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
    "</Relationships>"
)
# Style 0 is General, style 1 the built-in date format 14, style 2 a custom date format.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
    "</styleSheet>"
)


def workbook_xml(date1904: bool = False) -> str:
    properties = '<workbookPr date1904="1"/>' if date1904 else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'{properties}<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def write_package(path: Path, sheet_data: str, shared_strings: list[str], *, prefix: str = "",
                  date1904: bool = False, shared_xml: str | None = None) -> Path:
    """Write a minimal workbook by hand, the way Excel and other writers lay it out."""
    declaration = f"xmlns:{prefix[:-1]}" if prefix else "xmlns"
    namespace = f' {declaration}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{prefix}worksheet{namespace}><{prefix}sheetData>'
             f"{sheet_data}</{prefix}sheetData></{prefix}worksheet>")
    strings = "".join(shared_strings)
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
              f'spreadsheetml/2006/main" count="{len(shared_strings)}">{strings}</sst>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELATIONSHIPS)
        archive.writestr("xl/workbook.xml", workbook_xml(date1904))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", shared if shared_xml is None else shared_xml)
        archive.writestr("xl/styles.xml", STYLES)
    return path


def read_fast(path: Path):
    return read_xlsx_table(path.name, path.read_bytes())


def test_same_table_as_openpyxl(tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([])
    sheet.append(["Order Date", "Order ID", "Title", "Item Quantity", "Item Net Total", "Paid", "Payment Identifier",
                  "Note"])
    sheet.append([datetime(2026, 11, 3), "302-1725553-0374723", 'Kabel "Nylon" <2 m> & Stecker', 2, 199.9, True,
                  '="4821"', "  padded  "])
    sheet.append([])
    sheet.append([date(2026, 11, 4), "302-2", "Ordner\nA4", -1, 0.1, False, None, None])
    sheet.append(["2026-11-05", "302-3", "Leitz", 10, 31, None, "N/A"])
    workbook.save(path)

    fast = read_fast(path)

    assert fast == read_table(path)
    assert fast.header_number == 2
    assert [row.number for row in fast.rows] == [3, 5, 6]


def test_same_table_as_openpyxl_write_only(tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Order ID", "Title", "Item Net Total"])
    for number in range(50):
        sheet.append([f"302-{number}", f"Artikel {number} ü", number * 1.5])
    workbook.save(path)

    assert read_fast(path) == read_table(path)


def test_shared_strings_rich_text_and_entities(tmp_path):
    strings = [
        "<si><t>Order ID</t></si>",
        "<si><t>Title</t></si>",
        '<si><r><rPr><b/></rPr><t xml:space="preserve">Bosch </t></r><r><t>Akku &amp; Ladeger\u00e4t</t></r>'
        "<rPh><t>ignored</t></rPh></si>",
        "<si><t>Line&#10;break &#x263A;</t></si>",
        "<si/>",
    ]
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="str"><f>A1&amp;"x"</f><v>Order IDx</v></c></row>'
    )

    table = read_fast(write_package(tmp_path / "report.xlsx", sheet, strings))

    assert table.header == ("Order ID", "Title")
    assert table.rows[0].cells == ("Bosch Akku & Ladegerät", "Line\nbreak \u263a")
    assert table.rows[1].cells == ("", '=A1&"x"')


# openpyxl warns that the hand-written styles lack a default cell style.
@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_prefixed_elements_and_attribute_order(tmp_path):
    sheet = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Order ID</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>Item Quantity</x:t></x:is></x:c>'
        '<x:c r="C1" t="inlineStr"><x:is><x:t>Order Date</x:t></x:is></x:c></x:row>'
        "<x:row r='2'><x:c t='inlineStr' r='A2'><x:is><x:t>302-1</x:t></x:is></x:c>"
        '<x:c s="0" r="B2"><x:v>3</x:v></x:c><x:c t="n" s="1" r="C2"><x:v>46329</x:v></x:c></x:row>'
    )

    path = write_package(tmp_path / "report.xlsx", sheet, [], prefix="x:")
    table = read_fast(path)

    assert table.header == ("Order ID", "Item Quantity", "Order Date")
    assert table.rows[0].cells == ("302-1", 3, datetime(2026, 11, 3))
    assert table == read_table(path)


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_cells_without_reference_and_gaps(tmp_path):
    sheet = (
        '<row r="1"><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>B</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>D</t></is></c></row>'
        '<row r="7"><c r="B7"><v>2.5</v></c><c r="C7" s="2"/><c r="D7" t="b"><v>1</v></c></row>'
        '<row r="8"/>'
        '<row><c r="A9" t="e"><v>#N/A</v></c></row>'
    )

    path = write_package(tmp_path / "report.xlsx", sheet, [])
    table = read_fast(path)

    assert table.header == ("A", "B", "", "D")
    assert [row.number for row in table.rows] == [7, 9]
    assert table.rows[0].cells == (None, 2.5, None, True)
    assert table.rows[1].cells == ("#N/A", None, None, None)
    assert table == read_table(path)


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_1904_dates_and_custom_date_format(tmp_path):
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Order Date</t></is></c></row>'
        '<row r="2"><c r="A2" s="2"><v>44867</v></c></row>'
    )

    path = write_package(tmp_path / "report.xlsx", sheet, [], date1904=True)
    table = read_fast(path)

    assert table.rows[0].cells == (datetime(2026, 11, 3),)
    assert table == read_table(path)


def test_value_after_last_header_column_names_row(tmp_path):
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Order ID</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>2</v></c></row>'
    )

    with pytest.raises(InputError) as raised:
        read_fast(write_package(tmp_path / "report.xlsx", sheet, []))

    assert str(raised.value).startswith("report.xlsx, row 2: row has a value in column 3, after the last header column")


@pytest.mark.parametrize(
    ("sheet", "reason"),
    [
        ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', "list index out of range"),
        ('<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>', "comes after a cell to its right"),
        ('<row r="1"><c r="A1"><v>one</v></c></row>', "could not convert string to float"),
    ],
)
def test_broken_sheet_is_error(tmp_path, sheet, reason):
    with pytest.raises(InputError) as raised:
        read_fast(write_package(tmp_path / "report.xlsx", sheet, []))

    assert str(raised.value).startswith("report.xlsx: cannot be read as XLSX: ")
    assert reason in str(raised.value)


def test_dtd_is_rejected(tmp_path):
    sheet = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    path = write_package(tmp_path / "report.xlsx", sheet, [],
                         shared_xml='<!DOCTYPE sst [<!ENTITY lol "lol">]><sst><si><t>&lol;</t></si></sst>')

    with pytest.raises(InputError) as raised:
        read_fast(path)

    assert "declares a DTD" in str(raised.value)


def test_not_a_zip_is_error(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04 but not really a zip archive")

    with pytest.raises(InputError) as raised:
        read_fast(path)

    assert str(raised.value).startswith("orders.xlsx: cannot be read as XLSX: ")
    assert raised.value.fix == "export the file again"
