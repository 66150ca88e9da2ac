"""Spreadsheet-safe downloads: CSV in UTF-8 with BOM for Excel and XLSX, formula characters neutralised.

Small files are built in memory (csv_bytes, xlsx_bytes). Big ones (a unit's roster, 400,000 hour rows) are
spooled: the rows, read from the database through a server-side cursor, are written to an anonymous
temporary file as they come, counted and hashed, so memory stays flat whatever the size. The view then
records its audit row with the exact row count and hash and commits it *before* the first byte leaves
(an export can never reach a browser without its audit row, even if the download is cut or the worker
dies), and the response streams the file from disk."""
import codecs
import csv
import hashlib
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from flask import Response
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from . import downloads

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # every start is one character: a set lookup per cell
_NUMBERS = (int, float)  # exact types: bool is written as neutralise writes it
CHUNK = 64 * 1024


def neutralise(value) -> str:
    """A cell that Excel would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text[:1] in _FORMULA_FIRST else text


def csv_bytes(header: list, rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([[neutralise(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def csv_response(filename: str, header: list, rows: list[list]) -> Response:
    return downloads.send(csv_bytes(header, rows), filename, "text/csv")


@dataclass
class Spool:
    """A download written to an anonymous temporary file (gone when closed, or when the process ends)."""
    file: IO[bytes]
    rows: int
    size: int
    sha256: str

    def response(self, filename: str, mimetype: str) -> Response:
        """The file streamed in chunks and closed at the end (or when the client goes away)."""
        def chunks():
            try:
                self.file.seek(0)
                while block := self.file.read(CHUNK):
                    yield block
            finally:
                self.file.close()
        return downloads.send(chunks(), filename, mimetype, length=self.size)


def _spooled(file: IO[bytes], rows: int) -> Spool:
    digest = hashlib.sha256()
    file.seek(0)
    while block := file.read(CHUNK):
        digest.update(block)
    return Spool(file, rows, file.tell(), digest.hexdigest())


def spool_csv(header: list, rows: Iterable[Sequence]) -> Spool:
    """A CSV download (as csv_bytes writes it) of rows that arrive one by one."""
    file = tempfile.TemporaryFile()
    # The byte-order mark written once by hand: the utf-8-sig codec resets its state at every row.
    file.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        # neutralise() inlined for the common cells (numbers, plain text): a call per cell is a third of
        # the time of a 400,000-row export. Same result for every value.
        writer.writerow([v if type(v) in _NUMBERS else ("'" + v if v[:1] in _FORMULA_FIRST else v)
                         if type(v) is str else neutralise(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return _spooled(file, count)


def _xlsx_cell(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else neutralise(value)


# A one-sheet workbook written as XML straight into the zip: openpyxl, even write-only, builds an object per
# cell and manages about 12,000 rows a second; this writes the same cells (numbers numeric, text as inline
# strings, neutralised) ten times faster. Characters XML 1.0 cannot carry are dropped, as openpyxl refuses them.
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_END = "</sheetData></worksheet>"
# Text that needs more than copying: XML's three specials, characters XML 1.0 cannot carry (dropped, as openpyxl
# refuses them), or a space at either end (kept with xml:space).
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|^\\s|\\s$")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text_cell(ref: str, text: str) -> str:
    if _XML_SPECIAL.search(text):
        text = _XML_ILLEGAL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _xlsx_row(number: int, values, columns: list[str]) -> str:
    """One <row>: numbers as numbers, text neutralised; empty cells left out."""
    n = str(number)
    parts = [f'<row r="{n}">']
    for column, value in zip(columns, values, strict=False):
        kind = type(value)
        if kind is str:
            if value:
                parts.append(_text_cell(column + n, "'" + value if value[0] in _FORMULA_FIRST else value))
        elif kind is int or kind is float:
            parts.append(f'<c r="{column}{n}"><v>{value}</v></c>')
        elif value is not None:
            parts.append(_text_cell(column + n, neutralise(value)))
    parts.append("</row>")
    return "".join(parts)


def spool_xlsx(title: str, header: list, rows: Iterable[Sequence]) -> Spool:
    """A one-sheet workbook (the cells xlsx_bytes writes) of rows that arrive one by one, streamed into the
    zip entry of its sheet (memory flat)."""
    file = tempfile.TemporaryFile()
    columns = [get_column_letter(i + 1) for i in range(max(len(header), 1))]
    count = 0
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(title=title))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            batch = [_xlsx_row(1, [neutralise(h) for h in header], columns)]
            for row in rows:
                count += 1
                if len(row) > len(columns):
                    columns += [get_column_letter(i + 1) for i in range(len(columns), len(row))]
                batch.append(_xlsx_row(count + 1, row, columns))
                if len(batch) >= 1000:  # a thousand rows per write: fewer, larger compressions
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write(("".join(batch) + _SHEET_END).encode())
    return _spooled(file, count)


def xlsx_bytes(sheets: list[tuple[str, list, list[list]]]) -> bytes:
    """A workbook of (title, header, rows) sheets; text neutralised, numbers kept numeric."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title)
        if header:
            sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bilingual_rows(lines) -> list[list[str]]:
    """Instruction lines (lazy strings) in both languages, Chinese first, whatever the user's language:
    the help sheet of a downloadable template."""
    rows = []
    for locale in ("zh_TW", "en"):
        with force_locale(locale):
            rows += [[str(line)] for line in lines] + [[""]]
    return rows
