"""The workbook reader gives typed cells with sheet row numbers for XLSX, XLS and ODS files, and survives hostile files."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.documents.amazon_report import parse_order_report
from bot.documents.detect import detect_kind
from bot.documents.grid import read_grid
from bot.documents.statement_table import parse_statement_table
from bot.documents.table import read_table
from bot.documents import workbook
from bot.documents.workbook import Sheet, read_sheets, workbook_format
from bot.errors import InputError

# --- XLSX packages written by hand, the way Excel and other writers lay them out ------------------

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
    """Write a minimal XLSX file whose first sheet has ``sheet_data`` as its rows."""
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


# --- XLS files written by hand: a BIFF8 workbook stream in an OLE2 compound file ------------------

EXCEL_EPOCH = date(1899, 12, 30)  # serial 0 of Excel's 1900 date system
END_OF_CHAIN, FREE_SECTOR, FAT_SECTOR, NO_ENTRY = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def biff_record(record_type: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", record_type, len(payload)) + payload


def biff_bof(substream_type: int) -> bytes:
    # BIFF8 is version 0x0600. Substream 0x0005 is the workbook globals, 0x0010 a worksheet.
    return biff_record(0x0809, struct.pack("<HHHHII", 0x0600, substream_type, 0, 1997, 0, 6))


def biff_cell(row: int, column: int, value: object) -> bytes:
    """Return the record of one cell, numbered from 0: a LABEL, BOOLERR, or NUMBER with style 1 for a date."""
    if isinstance(value, str):
        text = struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")
        return biff_record(0x0204, struct.pack("<HHH", row, column, 0) + text)
    if isinstance(value, bool):
        return biff_record(0x0205, struct.pack("<HHHBB", row, column, 0, int(value), 0))
    if isinstance(value, date):
        return biff_record(0x0203, struct.pack("<HHHd", row, column, 1, (value - EXCEL_EPOCH).days))
    return biff_record(0x0203, struct.pack("<HHHd", row, column, 0, value))


def biff8_workbook(cells: list[tuple[int, int, object]], *, password: bool = False) -> bytes:
    """Return the Workbook stream of one sheet named "Ark1" with ``(row, column, value)`` cells."""
    sheet = biff_bof(0x0010) + b"".join(biff_cell(*cell) for cell in cells) + biff_record(0x000A)
    # Cell style 0 is General and style 1 the built-in date format 14.
    styles = b"".join(biff_record(0x00E0, struct.pack("<HH", 0, number_format) + bytes(16)) for number_format in (0, 14))
    file_pass = biff_record(0x002F, struct.pack("<H", 1) + bytes(52)) if password else b""
    # Padding in a record type that readers skip: a stream below 4096 bytes
    # would belong in the mini stream, which compound_file does not write.
    padding = biff_record(0x7FFF, bytes(4200))
    name = struct.pack("<BB", 4, 1) + "Ark1".encode("utf-16-le")

    def globals_substream(sheet_offset: int) -> bytes:
        bound_sheet = biff_record(0x0085, struct.pack("<IBB", sheet_offset, 0, 0) + name)
        return biff_bof(0x0005) + file_pass + styles + bound_sheet + padding + biff_record(0x000A)

    sheet_offset = len(globals_substream(0))
    return globals_substream(sheet_offset) + sheet


def compound_file(stream: bytes) -> bytes:
    """Wrap a Workbook stream in an OLE2 compound file of 512-byte sectors: FAT, directory, then the stream.

    The one FAT sector maps 128 sectors, so the stream must stay below 63 KiB.
    """
    sector_size = 512
    stream += bytes(-len(stream) % sector_size)
    stream_sectors = len(stream) // sector_size
    chain = [3 + index for index in range(stream_sectors - 1)] + [END_OF_CHAIN]
    fat = [FAT_SECTOR, END_OF_CHAIN, *chain]
    fat += [FREE_SECTOR] * (sector_size // 4 - len(fat))
    header = (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(10) + struct.pack("<8I", 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<109I", 0, *[FREE_SECTOR] * 108))

    def entry(name: str, entry_type: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), entry_type, 1)
                + struct.pack("<III", NO_ENTRY, NO_ENTRY, child) + bytes(36) + struct.pack("<II", start, size)
                + bytes(4))

    directory = entry("Root Entry", 5, 1, END_OF_CHAIN, 0) + entry("Workbook", 2, NO_ENTRY, 2, len(stream))
    directory = directory.ljust(sector_size, b"\0")
    return header + struct.pack(f"<{sector_size // 4}I", *fat) + directory + stream


# --- ODS files written by hand --------------------------------------------------------------------

ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_file(rows_xml: str) -> bytes:
    """Return an ODS file with one table, "Ark1", of ``rows_xml``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Ark1">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ods_row(*cells: str, repeated: int = 1) -> str:
    return f'<table:table-row table:number-rows-repeated="{repeated}">{"".join(cells)}</table:table-row>'


def ods_text(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def ods_number(value: str) -> str:
    return f'<table:table-cell office:value-type="float" office:value="{value}"/>'


def read(path: Path) -> tuple[Sheet, ...]:
    data = path.read_bytes()
    return read_sheets(path.name, data, workbook_format(data))


def openpyxl_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- format ---------------------------------------------------------------------------------------


def zip_archive(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (openpyxl_bytes([["Order ID"]]), "XLSX"),
        (compound_file(biff8_workbook([(0, 0, "Dato")])), "XLS"),
        (ods_file(ods_row(ods_text("Dato"))), "ODS"),
        (zip_archive({"mimetype": "application/vnd.oasis.opendocument.text"}), "XLSX"),
        (b"PK\x03\x04 but not really a zip archive", "XLSX"),
        ("Dato;Beløp\n05.11.2026;249,00\n".encode("cp1252"), None),
        (b"%PDF-1.7", None),
    ],
    ids=["xlsx", "xls", "ods", "odt-is-no-ods", "broken-zip", "csv", "pdf"],
)
def test_format_by_content(data, expected):
    assert workbook_format(data) == expected


# --- values ---------------------------------------------------------------------------------------


def test_typed_values_and_row_numbers(tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for column, name in zip("BCDEF", ["Order ID", "Quantity", "Ordered", "Paid", "Note"]):
        sheet[f"{column}3"] = name
    sheet["B4"], sheet["C4"], sheet["D4"], sheet["E4"], sheet["F4"], sheet["G4"] = (
        "302-1", 3, datetime(2026, 11, 3), True, "  padded  ", "   ")
    sheet["B6"], sheet["C6"], sheet["D6"], sheet["E6"], sheet["F6"] = (
        "302-2", 2.5, datetime(2026, 11, 3, 12, 30), time(12, 30), timedelta(hours=30))
    sheet["B7"], sheet["C7"] = "302-3", 4821.0
    workbook.save(path)

    (orders,) = read(path)

    assert [number for number, _ in orders.rows] == [3, 4, 6, 7]
    assert orders.rows[0][1] == (None, "Order ID", "Quantity", "Ordered", "Paid", "Note")
    assert orders.rows[1][1] == (None, "302-1", 3, date(2026, 11, 3), True, "  padded  ")
    assert orders.rows[2][1] == (None, "302-2", 2.5, datetime(2026, 11, 3, 12, 30), time(12, 30), timedelta(hours=30))
    assert orders.rows[3][1] == (None, "302-3", 4821)
    assert type(orders.rows[3][1][2]) is int
    assert type(orders.rows[1][1][4]) is bool


def test_formula_gives_cached_result(tmp_path):
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Payment Identifier</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Sum</t></is></c><c r="C1" t="inlineStr"><is><t>Check</t></is></c></row>'
        # As Excel saves an Amazon CSV cell ="4821": the formula with its text result.
        '<row r="2"><c r="A2" t="str"><f>"4821"</f><v>4821</v></c><c r="B2"><f>1+1</f><v>2</v></c>'
        '<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    )

    (orders,) = read(write_package(tmp_path / "orders.xlsx", sheet, []))

    # An error value, such as #DIV/0!, reads as an empty cell.
    assert orders.rows[1] == (2, ("4821", 2))


def test_formula_without_cached_result_is_empty(tmp_path):
    # openpyxl writes a formula without a result, which is why the tests
    # write Amazon's ="…" ids as text cells.
    path = tmp_path / "orders.xlsx"
    path.write_bytes(openpyxl_bytes([["Payment Identifier", "Title"], ['="4821"', "Kabel"]]))

    (orders,) = read(path)

    assert orders.rows[1] == (2, (None, "Kabel"))


def test_text_formula_in_string_cell_unwrapped(tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Payment Identifier"])
    workbook.active.append(['="4821"'])
    workbook.active["A2"].data_type = "s"
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()

    table = read_table(path)
    record = next(table.records({"Payment Identifier": 0}))

    assert "<f>" not in sheet_xml
    assert record.text("Payment Identifier") == "4821"


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

    (orders,) = read(write_package(tmp_path / "report.xlsx", sheet, strings))

    assert orders.rows[0] == (1, ("Order ID", "Title"))
    assert orders.rows[1] == (2, ("Bosch Akku & Ladegerät", "Line\nbreak \u263a"))
    assert orders.rows[2] == (3, (None, "Order IDx"))


def test_prefixed_elements_and_attribute_order(tmp_path):
    sheet = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Order ID</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>Item Quantity</x:t></x:is></x:c>'
        '<x:c r="C1" t="inlineStr"><x:is><x:t>Order Date</x:t></x:is></x:c></x:row>'
        "<x:row r='2'><x:c t='inlineStr' r='A2'><x:is><x:t>302-1</x:t></x:is></x:c>"
        '<x:c s="0" r="B2"><x:v>3</x:v></x:c><x:c t="n" s="1" r="C2"><x:v>46329</x:v></x:c></x:row>'
    )

    (orders,) = read(write_package(tmp_path / "report.xlsx", sheet, [], prefix="x:"))

    assert orders.rows[0] == (1, ("Order ID", "Item Quantity", "Order Date"))
    assert orders.rows[1] == (2, ("302-1", 3, date(2026, 11, 3)))


def test_cells_without_reference_and_gaps(tmp_path):
    sheet = (
        '<row r="1"><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>B</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>D</t></is></c></row>'
        '<row r="7"><c r="B7"><v>2.5</v></c><c r="C7" s="2"/><c r="D7" t="b"><v>1</v></c></row>'
        '<row r="8"/>'
        '<row><c r="A9" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="10"><c r="A10" t="e"><v>#N/A</v></c></row>'
    )

    (orders,) = read(write_package(tmp_path / "report.xlsx", sheet, []))

    # Row 10 holds only an error value, which reads as empty, so the row is skipped.
    assert [number for number, _ in orders.rows] == [1, 7, 9]
    assert orders.rows[0][1] == ("A", "B", None, "D")
    assert orders.rows[1][1] == (None, 2.5, None, True)
    assert orders.rows[2][1] == ("x",)


def test_1904_dates_and_custom_date_format(tmp_path):
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Order Date</t></is></c></row>'
        '<row r="2"><c r="A2" s="2"><v>44867</v></c></row>'
    )

    (orders,) = read(write_package(tmp_path / "report.xlsx", sheet, [], date1904=True))

    assert orders.rows[1] == (2, (date(2026, 11, 3),))


def test_all_worksheets_or_first(tmp_path):
    path = tmp_path / "kort.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Kort"
    workbook.active.append(["Dato"])
    workbook.create_chartsheet("Diagram", 0)
    workbook.create_sheet("Konto").append(["Bokført"])
    workbook.create_sheet("Tom")
    workbook.save(path)
    data = path.read_bytes()

    sheets = read_sheets(path.name, data, "XLSX")
    first = read_sheets(path.name, data, "XLSX", first_only=True)

    assert [sheet.name for sheet in sheets] == ["Kort", "Konto", "Tom"]
    assert sheets[2].rows == ()
    assert [sheet.name for sheet in first] == ["Kort"]


def test_max_rows_counts_non_empty_rows(tmp_path):
    path = tmp_path / "kort.xlsx"
    path.write_bytes(openpyxl_bytes([["Kontoutskrift"], [], ["Dato", "Beløp"], [], ["05.11.2026", 249], ["x", 1]]))

    (sheet,) = read_sheets(path.name, path.read_bytes(), "XLSX", max_rows=3)

    assert [number for number, _ in sheet.rows] == [1, 3, 5]


# --- read_table -----------------------------------------------------------------------------------


def test_table_header_on_first_non_empty_row(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(openpyxl_bytes([[], ["Order ID", "Title", "Item Net Total"], ["302-1", "Kabel"], [],
                                     ["302-2", "Ordner", 0.1]]))

    table = read_table(path)

    assert table.header == ("Order ID", "Title", "Item Net Total")
    assert table.header_number == 2
    assert [row.number for row in table.rows] == [3, 5]
    assert table.rows[0].cells == ("302-1", "Kabel", None)


def test_value_after_last_header_column_names_row(tmp_path):
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Order ID</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>2</v></c></row>'
    )

    with pytest.raises(InputError) as raised:
        read_table(write_package(tmp_path / "report.xlsx", sheet, []))

    assert str(raised.value).startswith("report.xlsx, row 2: row has a value in column 3, after the last header column")


# --- unreadable files -----------------------------------------------------------------------------


def test_shared_string_out_of_range_is_error(tmp_path):
    path = write_package(tmp_path / "report.xlsx", '<row r="1"><c r="A1" t="s"><v>5</v></c></row>', [])

    with pytest.raises(InputError) as raised:
        read_table(path)

    assert str(raised.value).startswith("report.xlsx: cannot be read as XLSX: ")
    assert "shared strings" in str(raised.value)
    assert raised.value.fix == "export the file again"


def test_entity_declaration_is_not_expanded(tmp_path):
    sheet = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    path = write_package(tmp_path / "report.xlsx", sheet, [],
                         shared_xml='<!DOCTYPE sst [<!ENTITY lol "lol">]><sst><si><t>&lol;</t></si></sst>')

    with pytest.raises(InputError) as raised:
        read_table(path)

    assert str(raised.value).startswith("report.xlsx: cannot be read as XLSX: ")
    assert "&lol;" in str(raised.value)


def test_not_a_zip_is_error(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04 but not really a zip archive")

    with pytest.raises(InputError) as raised:
        read_table(path)

    assert str(raised.value).startswith("orders.xlsx: cannot be read as XLSX: ")
    assert raised.value.fix == "export the file again"


def test_password_protected_xls_is_error(tmp_path):
    path = tmp_path / "kort.xls"
    path.write_bytes(compound_file(biff8_workbook([(0, 0, "Dato")], password=True)))

    with pytest.raises(InputError) as raised:
        read_table(path)

    assert str(raised.value).startswith("kort.xls: cannot be read as XLS: ")
    assert "password" in str(raised.value)
    assert raised.value.fix == "save the file without a password and send it again"


def test_sparse_sheet_over_memory_limit(tmp_path):
    # calamine would allocate a grid of 1 048 576 x 16 384 cells (512 GiB) and abort the process.
    sheet = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = write_package(tmp_path / "sparse.xlsx", sheet, [])

    with pytest.raises(InputError) as raised:
        read_table(path)

    assert str(raised.value).startswith("sparse.xlsx: cannot be read as XLSX: reading it needs more than 2048 MiB")
    assert raised.value.fix == "export a shorter period, or send the file as CSV"
    # The reader still works after its child process died.
    assert read(write_package(tmp_path / "small.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', []))


def test_reader_exit_status_named(tmp_path, monkeypatch):
    program = tmp_path / "failing_reader.py"
    program.write_text("import sys\nsys.exit(3)\n")
    monkeypatch.setattr(workbook, "READER_PROGRAM", program)

    with pytest.raises(InputError) as raised:
        read_sheets("kort.xlsx", openpyxl_bytes([["Dato"]]), "XLSX")

    assert str(raised.value).startswith("kort.xlsx: cannot be read as XLSX: the reader process exited with status 3")
    assert raised.value.fix == "export the file again"


def test_reader_timeout_is_error(monkeypatch):
    monkeypatch.setattr(workbook, "READ_TIMEOUT_SECONDS", 0.001)

    with pytest.raises(InputError) as raised:
        read_sheets("kort.xlsx", openpyxl_bytes([["Dato"]]), "XLSX")

    assert str(raised.value).startswith("kort.xlsx: cannot be read as XLSX: reading it took longer than 0.001 s")
    assert raised.value.fix == "export a shorter period, or send the file as CSV"


def test_ods_repeat_bomb_is_error(tmp_path):
    path = tmp_path / "bomb.ods"
    cell = '<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/>'
    path.write_bytes(ods_file(ods_row(cell, repeated=1_048_576)))

    with pytest.raises(InputError) as raised:
        read(path)

    assert str(raised.value).startswith("bomb.ods: cannot be read as ODS: ")


# --- XLS and ODS ----------------------------------------------------------------------------------


def test_xls_values_and_row_numbers(tmp_path):
    path = tmp_path / "kort.xls"
    path.write_bytes(compound_file(biff8_workbook([
        (2, 1, "Dato"), (2, 2, "Beløp"), (2, 3, "Konto"),
        (3, 1, date(2026, 11, 5)), (3, 2, 249.5), (3, 3, 4821.0),
        (5, 1, "Sum"), (5, 2, True),
    ])))

    (sheet,) = read(path)

    assert sheet.name == "Ark1"
    assert [number for number, _ in sheet.rows] == [3, 4, 6]
    assert sheet.rows[0][1] == (None, "Dato", "Beløp", "Konto")
    assert sheet.rows[1][1] == (None, date(2026, 11, 5), 249.5, 4821)
    assert sheet.rows[2][1] == (None, "Sum", True)


def test_xls_statement_parsed(tmp_path):
    path = tmp_path / "transaksjoner.xls"
    rows = [
        ["Transaksjonsliste DNB Mastercard Bedrift"],
        ["Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut"],
        [date(2026, 11, 4), "AMAZON EU, Luxembourg", "12.50 EUR", 11.85, None, 148.13],
        [date(2026, 11, 6), "Refund - SPOTIFY AB", None, None, 119, None],
    ]
    cells = [(row, column, value) for row, values in enumerate(rows) for column, value in enumerate(values)
             if value is not None]
    path.write_bytes(compound_file(biff8_workbook(cells)))

    kind = detect_kind(path)
    statement = parse_statement_table(path)

    assert kind == "statement"
    assert statement.layout == "DNB Mastercard (XLS)"
    assert [charge.line for charge in statement.charges] == [3, 4]
    assert [charge.amount for charge in statement.charges] == [Decimal("148.13"), Decimal("-119")]


def test_ods_values_and_repeated_rows(tmp_path):
    path = tmp_path / "kort.ods"
    path.write_bytes(ods_file(
        ods_row("<table:table-cell/>", repeated=2)
        + ods_row("<table:table-cell/>", ods_text("Dato"), ods_text("Beløp"))
        + ods_row("<table:table-cell/>", '<table:table-cell office:value-type="date" office:date-value="2026-11-05"/>',
                  ods_number("249.5"), ods_number("4821"),
                  '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>')
        # LibreOffice can end a table with empty rows repeated to the last row of the sheet.
        + ods_row('<table:table-cell table:number-columns-repeated="1024"/>', repeated=1_048_572)
    ))

    (sheet,) = read(path)

    assert [number for number, _ in sheet.rows] == [3, 4]
    assert sheet.rows[0][1] == (None, "Dato", "Beløp")
    assert sheet.rows[1][1] == (None, date(2026, 11, 5), 249.5, 4821, True)
    assert read_grid(path).kind == "ODS"


def test_ods_order_report_parsed(tmp_path):
    path = tmp_path / "orders.ods"
    header = ["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Purchase PPU", "Item Net Total"]
    path.write_bytes(ods_file(
        ods_row(*(ods_text(name) for name in header))
        + ods_row(ods_text("11/03/2026"), ods_text("302-1725553-0374723"), ods_text("EUR"), ods_text("Kabel"),
                  ods_number("2"), ods_number("7.49"), ods_number("14.98"))
    ))

    kind = detect_kind(path)
    (item,) = parse_order_report(path)

    assert kind == "order_report"
    assert (item.line, item.quantity, item.net_total) == (2, 2, Decimal("14.98"))
    assert item.order_date == date(2026, 11, 3)
