"""The county's review: the queue of its units' applications, bulk decisions, approving or returning one."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, localized
from portal.platform.pagination import CURSOR_ARG, asc, keyset
from portal.platform.params import ids_in
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Unit
from portal.registry.unit_filter import fill_unit_filter

from . import bp
from .documents import issue_documents
from .forms import BulkDecisionForm, ReturnForm, ReviewFilter, VersionForm, field_choices
from .models import HonorCardApplication
from .operations import (
    DECISIONS,
    Decision,
    HonorCardError,
    approve_application,
    decide_applications,
    return_application,
)
from .scopes import get_application_or_404, reviewable_scope
from .views import PER_PAGE, county_authority


def review_filter() -> ReviewFilter:
    form = ReviewFilter(request.args)
    fill_unit_filter(form.unit, current_user, _("All units"), request.args.get("unit", ""))
    form.field.choices = field_choices(localized, _("Any field"))
    if not form.validate():
        for f in (form.unit, form.field, form.applied_from, form.applied_to, form.status, form.page):
            if f.errors:
                f.data = f.default
    return form


def review_query(form: ReviewFilter):
    query = (select(HonorCardApplication).join(Unit, Unit.id == HonorCardApplication.unit_id)
             .where(reviewable_scope(current_user))
             .options(selectinload(HonorCardApplication.person), selectinload(HonorCardApplication.unit)))
    if form.status.data:
        query = query.where(HonorCardApplication.status == form.status.data)
    if form.unit.data:
        query = query.where(HonorCardApplication.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Unit.field_code == form.field.data)
    if form.applied_from.data:
        query = query.where(HonorCardApplication.applied_on >= form.applied_from.data)
    if form.applied_to.data:
        query = query.where(HonorCardApplication.applied_on <= form.applied_to.data)
    return query


# The queue's order, oldest application first: a keyset (index ix_honor_card_applications_review), so that
# page 100 costs what page 1 does and the count stops at 1,000 ("more than 1,000").
REVIEW_ORDER = (asc(HonorCardApplication.applied_on), asc(HonorCardApplication.id))


@bp.get("/review")
@access.allow(access.COUNTY)
def review():
    form = review_filter()
    page = keyset(review_query(form), REVIEW_ORDER, request.args.get(CURSOR_ARG), PER_PAGE)
    return page_or_fragment("honor_cards/review.html", "results", form=form, page=page,
                            decision_form=BulkDecisionForm(formdata=None), fields=FIELD_BY_CODE)


@bp.post("/review")
@access.allow(access.COUNTY)
def decide_many():
    form = BulkDecisionForm()
    action = request.form.get("action")
    ids = set(ids_in(request.form.getlist("application_id")))
    if action not in DECISIONS or not ids or not form.validate():
        flash(_("Tick at least one application and choose Approve or Return."), "error")
        return redirect(url_for(".review"))
    if action == Decision.RETURN and not form.reason.data:
        flash(_("Please give the reason for returning the applications."), "error")
        return redirect(url_for(".review"))
    chosen = db.session.scalars(select(HonorCardApplication).where(
        HonorCardApplication.id.in_(ids), reviewable_scope(current_user)).order_by(HonorCardApplication.id)).all()
    done, refused = decide_applications(chosen, action, form.reason.data, county_authority(), current_user,
                                on=today_taipei())
    db.session.commit()
    if action == Decision.APPROVE:
        refused += issue_documents([card.id for card in done], current_user._get_current_object())[1]
    message = ngettext("%(num)d application approved.",
                       "%(num)d applications approved.", len(done)) if action == Decision.APPROVE else \
        ngettext("%(num)d application returned to its unit.",
                 "%(num)d applications returned to their units.", len(done))
    flash(message, "success" if done else "info")
    for text in refused:
        flash(text, "error")
    return redirect(url_for(".review"))


@bp.post("/applications/<int:application_id>/approve")
@access.allow(access.COUNTY)
def approve(application_id):
    application = get_application_or_404(application_id, current_user, for_review=True)
    check_version(application, VersionForm())
    try:
        card = approve_application(application, county_authority(), current_user, on=today_taipei())
    except HonorCardError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".show_application", application_id=application_id))
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        abort(409)
    db.session.commit()
    for problem in issue_documents([card.id], current_user._get_current_object())[1]:
        flash(problem, "error")
    flash(_("Approved: card %(number)s is valid from %(start)s to %(end)s.", number=card.number,
            start=format_date(card.valid_from), end=format_date(card.valid_to)), "success")
    return redirect(url_for(".review"))


@bp.post("/applications/<int:application_id>/return")
@access.allow(access.COUNTY)
def return_(application_id):
    application = get_application_or_404(application_id, current_user, for_review=True)
    form = ReturnForm()
    check_version(application, form)
    if not form.validate():
        flash(_("Please give the reason for returning the application."), "error")
        return redirect(url_for(".show_application", application_id=application_id))
    try:
        return_application(application, form.reason.data, current_user)
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_application", application_id=application_id))
    db.session.commit()
    flash(_("The application was returned to %(unit)s.", unit=localized(application.unit)), "success")
    return redirect(url_for(".review"))
