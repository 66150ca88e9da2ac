"""Who is eligible and the unit's applications: the unit's list, one volunteer's checklist, My honor card,
applying for the ticked volunteers, the list of applications, one application, its letter and its cancellation."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.platform import access
from portal.platform.database import reads_from_replica
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.params import ids_in
from portal.platform.timeutil import today_taipei
from portal.platform.uploads import UploadRefused, send_stored
from portal.registry.scopes import get_person_or_404
from portal.registry.unit_filter import fill_unit_filter

from . import bp
from .facts import eligibility as eligibility_of_people
from .facts import eligibility_of
from .forms import ApplyForm, EligibilityFilter, ReturnForm, VersionForm
from .listing import unit_page
from .models import APPLICATION_STATUSES, ApplicationStatus, HonorCard, HonorCardApplication
from .operations import HonorCardError, apply_for, cancel_application, store_letter
from .rules import outlook
from .scopes import (
    application_scope,
    get_application_or_404,
    listed_unit,
    may_apply,
    may_cancel,
    may_review,
    unit_people,
)
from .views import PER_PAGE, READERS

OUTLOOK_MONTHS = 12     # a volunteer's own page looks a year ahead


def eligibility_filter():
    form = EligibilityFilter(request.args)
    units = fill_unit_filter(form.unit, current_user, _("Choose a unit"), request.args.get("unit", ""))
    if not form.validate():
        for f in (form.unit, form.within, form.q, form.page):
            if f.errors:
                f.data = f.default
    return form, listed_unit(current_user, units, form.unit.data)


@bp.get("/eligibility")
@access.allow(*READERS)
@reads_from_replica
def eligibility():
    form, unit = eligibility_filter()
    today = today_taipei()
    page = max(form.page.data or 1, 1)
    rows, total = unit_page(unit, form.within.data or "0", form.q.data, today, page, PER_PAGE) if unit else ([], 0)
    return page_or_fragment("honor_cards/eligibility.html", "results", form=form, unit=unit, rows=rows,
                            total=total, page=page, pages=max((total - 1) // PER_PAGE + 1, 1), today=today,
                            may_apply=may_apply(current_user), choose_unit=not may_apply(current_user))


@bp.get("/people/<int:person_id>/eligibility")
@access.allow(access.VOLUNTEER, *READERS)
@reads_from_replica
def person_eligibility(person_id):
    """One volunteer's checklist; htmx requests get the fragment (for the volunteer record page)."""
    person = get_person_or_404(person_id, current_user)
    today = today_taipei()
    result = eligibility_of(person.id, today)
    return page_or_fragment("honor_cards/person.html", "eligibility", person=person, result=result,
                            look=outlook(result, OUTLOOK_MONTHS), today=today)


@bp.get("/mine")
@access.allow(access.VOLUNTEER)
def mine():
    person = current_user.person
    if person is None:
        abort(404)
    today = today_taipei()
    result = eligibility_of(person.id, today)
    cards = db.session.scalars(select(HonorCard).where(HonorCard.person_id == person.id)
                               .order_by(HonorCard.valid_to.desc(), HonorCard.id.desc())).all()
    applications = db.session.scalars(select(HonorCardApplication).where(HonorCardApplication.person_id == person.id)
                                      .options(selectinload(HonorCardApplication.unit))
                                      .order_by(HonorCardApplication.id.desc()).limit(10)).all()
    return render_template("honor_cards/mine.html", person=person, result=result, look=outlook(result, OUTLOOK_MONTHS),
                           cards=cards, applications=applications, today=today)


# --- application -----------------------------------------------------------------------------

def selected_people() -> list:
    """The ticked volunteers that currently serve in the user's unit (others are ignored)."""
    ids = set(ids_in(request.values.getlist("person_id")))
    return unit_people(current_user, ids) if ids else []


@bp.route("/apply", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def apply():
    people = selected_people()
    if not people:
        flash(_("Tick at least one volunteer to apply for."), "error")
        return redirect(url_for(".eligibility"))
    today = today_taipei()
    results = eligibility_of_people([p.id for p in people], today)
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            letter = store_letter(form.letter.data, current_user)
            applications = apply_for(people, current_user.unit, current_user, on=today, letter=letter,
                                     note=form.note.data)
        except UploadRefused as exc:
            db.session.rollback()
            form.letter.errors = [exc.message]
        except HonorCardError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        except IntegrityError:      # another clerk applied for the same volunteer at the same moment
            db.session.rollback()
            flash(_("Someone applied for one of these volunteers at the same moment. Check the list and try "
                    "again."), "error")
        else:
            db.session.commit()
            flash(ngettext("%(num)d application was sent to the county. You can cancel it until the county "
                           "reviews it.", "%(num)d applications were sent to the county. You can cancel them until "
                           "the county reviews them.", len(applications)), "success")
            return redirect(url_for(".applications"))
    return render_template("honor_cards/apply.html", form=form, people=people, results=results), \
        422 if request.method == "POST" else 200


@bp.get("/applications")
@access.allow(*READERS)
def applications():
    status = request.args.get("status", ApplicationStatus.SUBMITTED)
    query = (select(HonorCardApplication).where(application_scope(current_user))
             .options(selectinload(HonorCardApplication.person), selectinload(HonorCardApplication.unit)))
    if status in APPLICATION_STATUSES:      # any other value ("all"): every status
        query = query.where(HonorCardApplication.status == status)
    page = keyset(query, (desc(HonorCardApplication.id),), request.args.get(CURSOR_ARG), PER_PAGE)
    cancellable = {a.id for a in page.items if may_cancel(current_user, a)}
    return page_or_fragment("honor_cards/applications.html", "results", page=page, status=status,
                            version_form=VersionForm(formdata=None), cancellable=cancellable)


@bp.get("/applications/<int:application_id>")
@access.allow(*READERS)
def show_application(application_id):
    application = get_application_or_404(application_id, current_user)
    result = eligibility_of(application.person_id, today_taipei()) if application.is_open else None
    return render_template("honor_cards/application.html", application=application, result=result,
                           may_cancel=may_cancel(current_user, application),
                           may_review=may_review(current_user, application), version_form=VersionForm(formdata=None),
                           return_form=ReturnForm(formdata=None))


@bp.get("/applications/<int:application_id>/letter")
@access.allow(*READERS)
def letter(application_id):
    application = get_application_or_404(application_id, current_user)
    if application.letter is None:
        abort(404)
    return send_stored(application.letter)


@bp.post("/applications/<int:application_id>/cancel")
@access.allow(*access.UNIT_STAFF)
def cancel(application_id):
    application = get_application_or_404(application_id, current_user, for_write=True)
    check_version(application, VersionForm())
    try:
        cancel_application(application, current_user)
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_application", application_id=application.id))
    db.session.commit()
    flash(_("The application for %(name)s was cancelled.", name=application.person.name), "success")
    return redirect(url_for(".applications"))
