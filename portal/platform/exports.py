"""Spreadsheet-safe CSV downloads: UTF-8 with BOM for Excel, formula characters neutralised."""
import csv
import io

from flask import Response
from flask_babel import force_locale
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value) -> str:
    """A cell that Excel would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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


def xlsx_bytes(sheets: list[tuple[str, list, list[list]]]) -> bytes:
    """A workbook of (title, header, rows) sheets; text neutralised, numbers kept numeric."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title)
        if header:
            sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([v if isinstance(v, (int, float)) and not isinstance(v, bool) else neutralise(v)
                          for v in row])
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
