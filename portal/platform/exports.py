"""Spreadsheet-safe downloads: CSV in UTF-8 with BOM for Excel and XLSX, formula characters neutralised.

Small files are built in memory (csv_bytes, xlsx_bytes). Big ones (a unit's roster, 400,000 hour rows) are
spooled: the rows, read from the database through a server-side cursor, are written to an anonymous
temporary file as they come, counted and hashed, so memory stays flat whatever the size. The view then
records its audit row with the exact row count and hash and commits it *before* the first byte leaves
(an export can never reach a browser without its audit row, even if the download is cut or the worker
dies), and the response streams the file from disk."""
import csv
import hashlib
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from flask import Response
from flask_babel import force_locale
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # every start is one character: a set lookup per cell
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
    response = Response(csv_bytes(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


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
        response = Response(chunks(), mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Content-Length"] = str(self.size)
        response.headers["Cache-Control"] = "no-store"
        return response


def _spooled(file: IO[bytes], rows: int) -> Spool:
    digest = hashlib.sha256()
    file.seek(0)
    while block := file.read(CHUNK):
        digest.update(block)
    return Spool(file, rows, file.tell(), digest.hexdigest())


def spool_csv(header: list, rows: Iterable[Sequence]) -> Spool:
    """A CSV download (as csv_bytes writes it) of rows that arrive one by one."""
    file = tempfile.TemporaryFile()
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return _spooled(file, count)


def _xlsx_cell(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else neutralise(value)


def spool_xlsx(title: str, header: list, rows: Iterable[Sequence]) -> Spool:
    """A one-sheet workbook (as xlsx_bytes writes it) of rows that arrive one by one: openpyxl's
    write-only mode keeps the sheet in its own temporary file, not in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append([neutralise(h) for h in header])
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
        count += 1
    file = tempfile.TemporaryFile()
    workbook.save(file)
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
