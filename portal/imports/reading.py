"""Reading an uploaded file as a table: xlsx/xls (python-calamine) or CSV (UTF-8 with or without BOM,
or Big5/CP950) → the first header row, within the first rows of a sheet, that has the columns of one
of the kind's formats → the data rows, streamed and numbered as the sheet numbers them. A file that
cannot be read is refused as a whole (FileProblem); a bad value is a RowProblem of its row."""
import codecs
import copy
import csv
import io
import itertools
import logging
import re
import unicodedata
import zipfile
import zlib
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
XLSX_MAX_RATIO = 100             # real sheets compress 15:1; a bomb 1000:1
XLSX_MIN_BOMB_SIZE = 1024 * 1024  # smaller parts may compress as they like
CHUNK = 1024 * 1024
FORMULA_OVERLAP = 16 * 1024      # a formula is at most 8,192 characters
# DDE: =DDE("cmd";…), =cmd|' /C calc'!A0, @SUM(1)*cmd|'…'!A0 — in a stored formula (<f>…</f>) or a value.
_DDE = rb"(?:\bDDE(?:AUTO)?\s*\(|[A-Za-z0-9_.]+\s*\|[^!<]{0,300}!)"
DDE_FORMULA = re.compile(rb"<f(?:\s[^>]*)?>[^<]{0,8192}?" + _DDE, re.IGNORECASE)
DDE_VALUE = re.compile(_DDE.decode(), re.IGNORECASE)
FORMULA_FIRST = frozenset("=+-@＝＋－＠")
OLE_EMBEDDING = re.compile(rb"M\x00B\x00D\x00(?:[0-9A-F]\x00){8}")  # Excel keeps each object in "MBD%08X"
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
    """Refuse, before the spreadsheet reader sees them (docs/rules/platform.md#pl10): zip bombs (too many
    members, too large unpacked, too compressed, or sizes that lie), macros, embedded objects, external
    links and data connections, and DDE formulas that would start another program when the file is opened.
    Every member is unpacked once here, within the budget, so no later reader inflates more than that."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > max_unpacked:
                _too_big(max_unpacked)
            _check_parts({m.filename.lower() for m in members})
            if "xl/workbook.xml" not in {m.filename for m in members}:
                raise FileProblem("unreadable", _unreadable)
            budget = max_unpacked
            for member in members:
                budget -= _check_member(archive, member, budget, max_unpacked)
            _check_links({m.filename.lower() for m in members})
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        raise FileProblem("unreadable", _unreadable) from None


def check_ole(data: bytes):
    """An old .xls (an OLE2 compound file): its directory names macros and embedded objects in UTF-16."""
    if "_VBA_PROJECT".encode("utf-16-le") in data:
        raise FileProblem("macros", _macros_message)
    if OLE_EMBEDDING.search(data):
        raise FileProblem("embedded_object", _embedded_message)


def _macros_message():
    return _("Workbooks with macros are not accepted. Save the file as .xlsx.")


def _embedded_message():
    return _("The workbook contains embedded objects (OLE or ActiveX), which can run programs when the file is "
             "opened. Copy the cells into a new workbook and upload that.")


def _unreadable():
    return _("The file could not be read as an Excel workbook.")


def _too_big(max_unpacked):
    raise FileProblem("too_big", lambda: _("The workbook is too large when unpacked (at most %(n)s MB).",
                                           n=max_unpacked // 2**20))


def _check_parts(names: set[str]):
    """Parts of the workbook that hold macros, objects or links, by their names."""
    if any(n.endswith("vbaproject.bin") or n.startswith(("xl/macrosheets/", "xl/dialogsheets/")) for n in names):
        raise FileProblem("macros", _macros_message)
    if any(n.startswith(("xl/embeddings/", "xl/activex/")) or "oleobject" in n for n in names):
        raise FileProblem("embedded_object", _embedded_message)


def _check_links(names: set[str]):
    """After the members were read (a DDE link among them has its own message)."""
    if any(n.startswith("xl/externallinks/") for n in names) or "xl/connections.xml" in names:
        raise FileProblem("external_link", lambda: _(
            "The workbook links to other files or data sources (external links). Use Paste Special → Values to "
            "keep only the values, then upload the file again."))


def _check_member(archive, member, budget: int, max_unpacked: int) -> int:
    """Unpack one member, trusting neither its declared size nor its compression; the bytes it really has."""
    if member.file_size > XLSX_MIN_BOMB_SIZE and member.file_size > XLSX_MAX_RATIO * max(1, member.compress_size):
        _too_big(max_unpacked)
    unbounded = copy.copy(member)
    unbounded.file_size = budget + 1  # read to the end of the compressed data, whatever the header says
    size, tail = 0, b""
    name = member.filename.lower()
    scan = name.startswith(("xl/worksheets/", "xl/externallinks/")) or name == "[content_types].xml"
    with archive.open(unbounded) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > budget:
                _too_big(max_unpacked)
            if scan:
                window = tail + chunk
                if name == "[content_types].xml" and b"macroenabled" in window.lower():
                    raise FileProblem("macros", _macros_message)
                if DDE_FORMULA.search(window) or (name.startswith("xl/externallinks/") and b"<ddeLink" in window):
                    raise FileProblem("dde", _dde_message)
                tail = window[-FORMULA_OVERLAP:]
    if size != member.file_size:
        raise zipfile.BadZipFile("declared size differs")
    return size


def _dde_message():
    return _("The workbook contains a DDE formula (such as =cmd|'…'!A1), which starts another program when the "
             "file is opened. Remove it, or paste the cells as values, and upload the file again.")


def dde_cell(value) -> bool:
    """A cell value that Excel would run as a DDE call when the value is opened as a formula."""
    return isinstance(value, str) and value[:1] in FORMULA_FIRST and DDE_VALUE.search(value) is not None


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
        if any(dde_cell(c) for c in cells):
            raise FileProblem("dde", _dde_message, row=offset + n + 1)
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
    elif kind == "xls":
        check_ole(data)
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
