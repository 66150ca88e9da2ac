"""Reading an uploaded file as a table: xlsx/xls (python-calamine) or CSV (UTF-8 with or without BOM,
or Big5/CP950) → the first header row, within the first rows of a sheet, that has the columns of one
of the kind's formats → the data rows, streamed and numbered as the sheet numbers them. A file that
cannot be read is refused as a whole (FileProblem); a bad value is a RowProblem of its row."""
import codecs
import csv
import io
import itertools
import logging
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from portal.registry.identity import mask_id

log = logging.getLogger(__name__)

XLSX_MAX_MEMBERS = 1_000
XLSX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
ENCODINGS = ("utf-8", "cp950")


# -- formats and problems ---------------------------------------------------------------

def header_key(text) -> str:
    """Header text compared loosely: width, case, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return "".join(ch for ch in text if ch.isalnum())


@dataclass(frozen=True)
class Column:
    key: str
    header: str            # as written in our templates
    aliases: tuple = ()    # further header texts accepted
    required: bool = True

    @property
    def keys(self) -> set[str]:
        return {header_key(self.header), *(header_key(a) for a in self.aliases)}


@dataclass(frozen=True)
class Format:
    key: str
    label: object
    columns: tuple

    def match(self, header: list) -> dict[str, int] | None:
        """Column key → index when every required column is in the header row."""
        found = {}
        keys = [header_key(h) for h in header]
        for column in self.columns:
            names = column.keys
            index = next((i for i, k in enumerate(keys) if k in names), None)
            if index is not None:
                found[column.key] = index
            elif column.required:
                return None
        return found


@dataclass
class RowProblem:
    """A bad value: its sheet row (header = row 1), column, the value (ID masked), and why."""
    row: int | None
    column: str
    letter: str
    value: str
    code: str
    message_of: Callable[[], str]


class FileProblem(Exception):
    """The whole file was refused (unreadable, wrong format, too many rows)."""

    def __init__(self, code: str, message_of: Callable[[], str], row: int | None = None):
        super().__init__(code)
        self.code, self.message_of, self.row = code, message_of, row


@dataclass
class Table:
    sheet: str | None
    encoding: str | None
    header_row: int
    header: list
    columns: dict            # column key → index
    rows: object             # iterator of (sheet row number, cells), read once
    fmt: Format | None = None

    def cell(self, cells: list, key: str):
        index = self.columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def column_name(self, key: str) -> tuple[str, str]:
        index = self.columns.get(key)
        if index is None:
            return key, ""
        return str(self.header[index]).strip(), get_column_letter(index + 1)

    def problem(self, row: int, key: str, value, code: str, message_of, masked: bool = False) -> RowProblem:
        name, letter = self.column_name(key)
        shown = "" if value is None else str(value.isoformat() if isinstance(value, date) else value)
        if isinstance(value, float) and value.is_integer():
            shown = str(int(value))
        if masked and shown:
            shown = mask_id(shown)
        return RowProblem(row, name, letter, shown[:60], code, message_of)


# -- reading files ------------------------------------------------------------------------

def sniff(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv"


def check_zip(data: bytes, max_unpacked: int = XLSX_MAX_UNCOMPRESSED):
    """Refuse zip bombs and macro workbooks before the spreadsheet reader sees them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise FileProblem("unreadable", lambda: _("The file could not be read as an Excel workbook.")) from None
    if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > max_unpacked:
        raise FileProblem("too_big", lambda: _("The workbook is too large when unpacked (at most %(n)s MB).",
                                               n=max_unpacked // 2**20))
    names = {m.filename for m in members}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise FileProblem("macros", lambda: _("Workbooks with macros are not accepted. Save the file as .xlsx."))
    if "xl/workbook.xml" not in names:
        raise FileProblem("unreadable", lambda: _("The file could not be read as an Excel workbook."))


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not) first, then Big5/CP950, unless one was chosen."""
    if b"\x00" in data[:4096]:
        raise FileProblem("binary", lambda: _("This is not a CSV text file. Upload .xlsx, .xls or .csv."))
    if data.startswith(codecs.BOM_UTF8):
        if encoding not in (None, "", "utf-8"):
            raise FileProblem("encoding", lambda: _("The file is UTF-8 (it starts with a BOM), not Big5."))
        try:
            return data[3:].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            _bad_encoding("utf-8")
    candidates = [encoding] if encoding else list(ENCODINGS)
    for name in candidates:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    return _bad_encoding(encoding)


def _bad_encoding(encoding):
    if encoding:
        raise FileProblem("encoding", lambda: _("The file is not valid %(encoding)s text. Choose the other "
                                                "encoding or save the file as UTF-8.",
                                                encoding="Big5" if encoding == "cp950" else "UTF-8"))
    raise FileProblem("encoding", lambda: _("The text encoding of the file is neither UTF-8 nor Big5. Save it as "
                                            "CSV UTF-8 from Excel."))


def _find_header(rows, formats) -> tuple[int, Format, dict] | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for fmt in formats:
            columns = fmt.match(cells)
            if columns is not None:
                return index, fmt, columns
    return None


def _workbook_sheets(data: bytes):
    """(sheet name, row offset, rows) of each visible sheet; rows are streamed, not held in memory."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")
                   and not str(m.visible).endswith("Hidden")] or workbook.sheet_names
        sheets = []
        for name in visible:
            sheet = workbook.get_sheet_by_name(name)
            start_row, start_col = sheet.start or (0, 0)
            pad = [""] * start_col
            rows = (pad + list(r) for r in sheet.iter_rows()) if start_col else sheet.iter_rows()
            sheets.append((name, start_row, rows))
        return sheets
    except Exception as exc:  # calamine raises its own and plain errors for damaged files
        log.info("spreadsheet refused: %s", exc)
        raise FileProblem("unreadable", lambda: _("The file could not be read as an Excel workbook.")) from None


def _csv_rows(text: str):
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _body(head: list, rest, index: int, offset: int, max_rows: int | None):
    """Non-empty data rows after the header, numbered as the sheet numbers them."""
    count = 0
    for n, cells in enumerate(itertools.chain(head[index + 1:], rest), start=index + 1):
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            raise FileProblem("too_many_rows", lambda: _(
                "The file has more than %(max)s rows, the most that can be imported at once. Split the file, or "
                "ask for the command-line import.", max=max_rows))
        yield offset + n + 1, cells


def read_table(data: bytes, formats, encoding: str | None = None, max_rows: int | None = None,
               max_unpacked: int = XLSX_MAX_UNCOMPRESSED) -> Table:
    """The first sheet (or the CSV) whose header matches one of `formats`, with its data rows."""
    if not data:
        raise FileProblem("empty", lambda: _("The file is empty."))
    kind = sniff(data)
    if kind == "xlsx":
        check_zip(data, max_unpacked)
    sources = []
    if kind in ("xlsx", "xls"):
        sources = _workbook_sheets(data)
        used_encoding = None
    else:
        text, used_encoding = decode(data, encoding)
        sources = [(None, 0, _csv_rows(text))]
    for sheet, offset, rows in sources:
        rows = iter(rows)
        head = [list(r) for r in itertools.islice(rows, HEADER_SEARCH_ROWS)]
        found = _find_header(head, formats)
        if found is None:
            continue
        index, fmt, columns = found
        return Table(sheet, used_encoding, offset + index + 1, head[index], columns,
                     _body(head, rows, index, offset, max_rows), fmt)
    expected = "; ".join(" / ".join(c.header for c in fmt.columns if c.required) for fmt in formats)
    raise FileProblem("unknown_format", lambda: _(
        "No header row with the expected columns was found. Use the template; the required columns are: "
        "%(columns)s.", columns=expected), row=1)
