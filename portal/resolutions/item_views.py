"""Items: the filtered list (my body's open items), an item's page with its progress history, recording and
editing items (ministry), a body's progress report, the ministry's 管考建議 and withdrawal."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date
from portal.platform.pagination import CURSOR_ARG, asc, desc, keyset
from portal.platform.timeutil import today_taipei

from . import bp
from .facts import reports_of, reviewing_meetings, reviews_of
from .forms import ItemFilter, ProgressForm, ResolutionForm, ReviewForm, WithdrawForm, body_choices
from .labels import meeting_title
from .models import Meeting, Resolution
from .operations import (
    ResolutionError,
    create_resolution,
    next_seq,
    report_progress,
    review,
    update_resolution,
    withdraw,
)
from .scopes import get_assignment_or_404, get_meeting_or_404, get_resolution_or_404, item_actions, mine

ITEM_ORDER = (desc(Meeting.roc_year), asc(Resolution.seq), asc(Resolution.id))


def item_query(form: ItemFilter):
    query = (select(Resolution).join(Resolution.meeting)
             .options(contains_eager(Resolution.meeting), selectinload(Resolution.bodies)))
    if form.status.data:
        query = query.where(Resolution.status == form.status.data)
    if form.body.data == "mine":
        query = query.where(mine(current_user))
    return query


@bp.get("/items/")
@access.allow(*access.AUTHORITIES)
def items():
    form = ItemFilter(request.args)
    if not form.validate():
        form = ItemFilter(formdata=None)
    page = keyset(item_query(form), ITEM_ORDER, request.args.get(CURSOR_ARG), 50)
    return page_or_fragment("resolutions/items.html", "results", form=form, page=page)


def review_form(resolution, formdata=None) -> ReviewForm:
    form = ReviewForm(formdata=formdata)
    form.meeting.choices = options([(str(m.id), meeting_title(m)) for m in reviewing_meetings(resolution)])
    return form


def item_page(resolution, status=200, **forms):
    """The item's page with its history and the forms the user may use (posted ones keep their input)."""
    if "progress_form" not in forms:
        forms["progress_form"] = ProgressForm(formdata=None)
        forms["progress_form"].reported_on.raw_data = [format_date(today_taipei())]
    forms.setdefault("review_form", review_form(resolution))
    forms.setdefault("withdraw_form", WithdrawForm(formdata=None))
    return render_template("resolutions/item.html", resolution=resolution, reports=reports_of(resolution),
                           reviews=reviews_of(resolution), **item_actions(current_user, resolution), **forms), status


@bp.get("/items/<int:resolution_id>")
@access.allow(*access.AUTHORITIES)
def item(resolution_id):
    return item_page(get_resolution_or_404(resolution_id, current_user))


def _item_form_page(form, meeting, resolution=None):
    return render_template("resolutions/item_form.html", form=form, meeting=meeting, resolution=resolution), \
        422 if form.errors or form.form_errors else 200


@bp.route("/meetings/<int:meeting_id>/items/new", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def new_item(meeting_id):
    meeting = get_meeting_or_404(meeting_id, current_user)
    form = ResolutionForm()
    form.bodies.choices = body_choices()
    if request.method == "GET":
        form.seq.data = next_seq(meeting)
    if form.validate_on_submit():
        try:
            resolution = create_resolution(meeting, form.values(), form.bodies.data, current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Item %(number)s recorded.", number=resolution.number), "success")
            return redirect(url_for(".item", resolution_id=resolution.id))
    return _item_form_page(form, meeting)


@bp.route("/items/<int:resolution_id>/edit", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def edit_item(resolution_id):
    resolution = get_resolution_or_404(resolution_id, current_user)
    form = ResolutionForm(obj=resolution if request.method == "GET" else None)
    form.bodies.choices = body_choices()
    if request.method == "GET":
        form.bodies.data = [str(b.authority_id) for b in resolution.bodies]
    if form.validate_on_submit():
        check_version(resolution, form)
        try:
            update_resolution(resolution, form.values(), form.bodies.data, current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Item %(number)s saved.", number=resolution.number), "success")
            return redirect(url_for(".item", resolution_id=resolution.id))
    return _item_form_page(form, resolution.meeting, resolution)


@bp.post("/assignments/<int:assignment_id>/progress")
@access.allow(*access.AUTHORITIES)
def report(assignment_id):
    assignment = get_assignment_or_404(assignment_id, current_user)
    resolution = assignment.resolution
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            report_progress(assignment, form.reported_on.data, form.text.data, current_user)
        except ResolutionError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Progress reported."), "success")
        return redirect(url_for(".item", resolution_id=resolution.id))
    return item_page(resolution, 422, progress_form=form)


@bp.post("/items/<int:resolution_id>/review")
@access.allow(access.MINISTRY)
def review_item(resolution_id):
    resolution = get_resolution_or_404(resolution_id, current_user)
    form = review_form(resolution, request.form)
    if form.validate_on_submit():
        check_version(resolution, form)
        try:
            review(resolution, db.session.get(Meeting, int(form.meeting.data)), form.outcome.data,
                   form.note.data or "", current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Assessment recorded."), "success")
            return redirect(url_for(".item", resolution_id=resolution.id))
    return item_page(resolution, 422, review_form=form)


@bp.post("/items/<int:resolution_id>/withdraw")
@access.allow(access.MINISTRY)
def withdraw_item(resolution_id):
    resolution = get_resolution_or_404(resolution_id, current_user)
    form = WithdrawForm()
    if form.validate_on_submit():
        check_version(resolution, form)
        try:
            withdraw(resolution, form.reason.data, current_user)
        except ResolutionError as exc:
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Item %(number)s withdrawn.", number=resolution.number), "success")
            return redirect(url_for(".item", resolution_id=resolution.id))
    return item_page(resolution, 422, withdraw_form=form)
