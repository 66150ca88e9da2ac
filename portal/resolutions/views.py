"""Meetings: the list, recording and editing one (ministry), its page with both lists, and the lists as
PDF and XLSX (the minutes' annex table)."""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.platform import access, audit, downloads
from portal.platform.database import expect_write
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.pdf import MissingGlyphError

from . import annex, bp
from .facts import carried_rows, own_rows
from .forms import MeetingForm
from .labels import JINJA
from .models import Meeting, Resolution, Status
from .operations import ResolutionError, create_meeting, update_meeting
from .scopes import get_meeting_or_404, manages

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_context_processor
def resolution_helpers():
    return JINJA


@bp.get("/style.css")
@access.allow(*access.AUTHORITIES)
def stylesheet():
    """The pages' own rules (the annex table stacks into cards on phones); served here so that they stay with
    the package and need no inline style (the CSP allows only 'self')."""
    response = Response(render_template("resolutions/style.css"), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/")
@access.allow(*access.AUTHORITIES)
def index():
    meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.roc_year.desc())))
    counts = {(meeting_id, status): n for meeting_id, status, n in db.session.execute(
        select(Resolution.meeting_id, Resolution.status, func.count()).group_by(Resolution.meeting_id,
                                                                                Resolution.status))}
    return render_template("resolutions/index.html", meetings=meetings, counts=counts, can_manage=manages(current_user),
                           Status=Status)


def _meeting_form_page(form, meeting=None):
    return render_template("resolutions/meeting_form.html", form=form, meeting=meeting), \
        422 if form.errors or form.form_errors else 200


@bp.route("/meetings/new", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def new_meeting():
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = create_meeting(form.values(), current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Meeting recorded."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return _meeting_form_page(form)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def edit_meeting(meeting_id):
    meeting = get_meeting_or_404(meeting_id, current_user)
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    if form.validate_on_submit():
        check_version(meeting, form)
        try:
            update_meeting(meeting, form.values(), current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Meeting saved."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return _meeting_form_page(form, meeting)


@bp.get("/meetings/<int:meeting_id>")
@access.allow(*access.AUTHORITIES)
def meeting(meeting_id):
    meeting = get_meeting_or_404(meeting_id, current_user)
    return render_template("resolutions/meeting.html", meeting=meeting, previous=carried_rows(meeting),
                           own=own_rows(meeting), can_manage=manages(current_user), Status=Status,
                           part_title=annex.part_title, columns=annex.header())


# One URL per list and format (the list is in the path, not a parameter to guess).
@bp.get("/meetings/<int:meeting_id>/previous.pdf", defaults={"part": "previous"})
@bp.get("/meetings/<int:meeting_id>/own.pdf", defaults={"part": "own"})
@access.allow(*access.AUTHORITIES)
def meeting_pdf(meeting_id, part):
    expect_write()
    meeting = get_meeting_or_404(meeting_id, current_user)
    try:
        body = annex.render_pdf(meeting, part)
    except MissingGlyphError as exc:
        for message in exc.messages():
            flash(message, "error")
        return redirect(url_for(".meeting", meeting_id=meeting.id))
    audit.record("resolutions.export", meeting, part=part, format="pdf")
    db.session.commit()
    return downloads.send(body, annex.filename(meeting, part, "pdf"), "application/pdf")


@bp.get("/meetings/<int:meeting_id>/previous.xlsx", defaults={"part": "previous"})
@bp.get("/meetings/<int:meeting_id>/own.xlsx", defaults={"part": "own"})
@access.allow(*access.AUTHORITIES)
def meeting_xlsx(meeting_id, part):
    expect_write()
    meeting = get_meeting_or_404(meeting_id, current_user)
    body, rows = annex.xlsx(meeting, part)
    audit.record("resolutions.export", meeting, part=part, format="xlsx", rows=rows)
    db.session.commit()
    return downloads.send(body, annex.filename(meeting, part, "xlsx"), XLSX_TYPE)

