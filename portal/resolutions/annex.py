"""A meeting's list printed as the minutes' annex table (編號, 案由, 決議, 辦理單位, 辦理情形, 管考建議): the
cells, the PDF (A4 landscape, the portal's Chinese fonts) and the spreadsheet, in the user's language."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.platform import pdf
from portal.platform.exports import xlsx_bytes
from portal.platform.i18n import current_language, localized

from .facts import Row, carried_rows, own_rows
from .labels import bodies_text, meeting_line, meeting_title, outcome_label, status_label
from .models import Meeting, Status

COLUMNS = (_l("No."), _l("Subject"), _l("Decision taken"), _l("Responsible bodies"), _l("Progress"), _l("Assessment"))


def part_title(part: str) -> str:
    """The list's heading as the minutes word it."""
    if part == "previous":
        return _("Progress on the resolutions of earlier meetings")
    return _("Resolutions of this meeting")


def rows_of(meeting: Meeting, part: str) -> list[Row]:
    return carried_rows(meeting) if part == "previous" else own_rows(meeting)


def progress_text(row: Row) -> str:
    """Each body's newest report; the body is named only when several share the item."""
    named = len(row.bodies) > 1 or len(row.progress) > 1
    lines = [f"{localized(authority)}{_(': ')}{report.text}" if named else report.text
             for authority, report in row.progress]
    return "\n".join(lines)


def assessment_text(row: Row) -> str:
    if row.resolution.status == Status.WITHDRAWN:
        return status_label(Status.WITHDRAWN)
    return outcome_label(row.review.outcome if row.review else None)


def cells(row: Row) -> list[str]:
    return [row.number, row.resolution.subject, row.resolution.decision, bodies_text(row.bodies),
            progress_text(row), assessment_text(row)]


def header() -> list[str]:
    return [str(c) for c in COLUMNS]


def glyph_texts(table: list[list[str]]) -> dict[str, str]:
    """Every cell, labelled by item and column, for the font check before anything is printed."""
    names = header()
    return {f"{line[0]} {names[i]}": text for line in table for i, text in enumerate(line) if text}


def render_pdf(meeting: Meeting, part: str) -> bytes:
    table = [cells(row) for row in rows_of(meeting, part)]
    title = meeting_title(meeting)
    return pdf.render_pdf("resolutions/annex_pdf.html", title=f"{title} {part_title(part)}",
                          language=current_language(), check=glyph_texts(table), meeting=meeting, meeting_heading=title,
                          meeting_line=meeting_line(meeting), heading=part_title(part), header=header(),
                          table=table, running_head=f"{title} · ")


def xlsx(meeting: Meeting, part: str) -> tuple[bytes, int]:
    table = [cells(row) for row in rows_of(meeting, part)]
    return xlsx_bytes([(f"{meeting.roc_year}-{part}", header(), table)]), len(table)


def filename(meeting: Meeting, part: str, ext: str) -> str:
    return f"liaison-meeting-{meeting.roc_year}-{part}.{ext}"
