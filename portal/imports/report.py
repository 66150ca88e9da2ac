"""How an import batch is described to people: its status in words and its problem list as CSV."""
from flask import Response
from flask_babel import gettext as _

from portal.platform import downloads
from portal.platform.exports import csv_bytes
from portal.platform.i18n import current_language

from .models import BatchStatus, ImportBatch


def batch_status(batch: ImportBatch) -> str:
    if batch.status == BatchStatus.COMMITTED:
        return _("Saved")
    if batch.status == BatchStatus.DISCARDED:
        return _("Discarded")
    if batch.summary_values.get("already_imported"):
        return _("Already imported")
    if batch.error_count:
        return _("Refused: has problems")
    return _("Checked, waiting for confirmation")


def errors_csv(batch: ImportBatch | None, filename: str) -> Response:
    """Every bad row of the batch (row, column, masked value, reason in the user's language); no batch, no rows."""
    lang = current_language()
    header = [_("Row"), _("Column"), _("Value"), _("Problem"), _("Code")]
    rows = [[e["row"] or "", f"{e['letter']} {e['column']}".strip(), e["value"], e["message"][lang], e["code"]]
            for e in (batch.error_list if batch is not None else [])]
    return download(csv_bytes(header, rows), filename, "text/csv")


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """A file the browser saves (problem lists, import templates)."""
    return downloads.send(body, filename, mimetype)
