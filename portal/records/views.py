"""Record-book screens: unit requests, county issuance (single and bulk), the book page, completeness."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, not_, select
from sqlalchemy.orm import contains_eager

from portal.auth.rules import safe_next
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import field_id, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import CURSOR_ARG, asc, desc, keyset
from portal.platform.params import id_or_none, ids_in
from portal.registry.models import Membership, Person, PhotoStatus, Unit
from portal.registry.scopes import get_person_or_404, unit_scope
from portal.training.facts import verified_basic, verified_special

from . import bp
from .forms import REQUEST_KINDS, DeclineForm, IssueForm, ListFilter, RequestForm
from .models import PENDING, RecordBook, RecordBookRequest
from .operations import (
    RecordBookError,
    decline_request,
    issue_many,
    pending_request_exists,
    request_book,
    valid_book_exists,
    withdraw_request,
)
from .scopes import book_scope, get_request_or_404

READERS = (*access.RECORD_READERS, access.VOLUNTEER)


@bp.app_template_global()
def record_book_kinds():
    return dict(REQUEST_KINDS)


# --- lists ---------------------------------------------------------------------------------

@bp.get("/")
@access.allow(*READERS)
def index():
    if current_user.role == access.VOLUNTEER:
        return redirect(url_for(".mine"))
    if current_user.role in access.UNIT_STAFF:
        return unit_index()
    if current_user.role == access.COUNTY:
        return county_index()
    return books_index()


WAITING_ORDER = (asc(Person.name), asc(Person.id))
PENDING_ORDER = (asc(RecordBookRequest.requested_on), asc(RecordBookRequest.id))
BOOKS_ORDER = (desc(RecordBook.issued_on), desc(RecordBook.id))


def unit_index():
    unit_id = current_user.unit_id
    requests = db.session.scalars(
        select(RecordBookRequest).join(RecordBookRequest.person).options(contains_eager(RecordBookRequest.person))
        .where(RecordBookRequest.unit_id == unit_id)
        .order_by((RecordBookRequest.status == PENDING).desc(), RecordBookRequest.requested_on.desc(),
                  RecordBookRequest.id.desc()).limit(100)).all()
    # Members without a valid book or a waiting request, with each prerequisite as a flag, a page at a time
    # by name (a unit of 8,000 volunteers would otherwise list them all).
    flags = (select(Person,
                    func.max(case((verified_basic(Person.id), 1), else_=0)).label("basic"),
                    func.max(case((verified_special(Person.id, Membership.field_code), 1), else_=0)).label("special"))
             .join(Membership, Membership.person_id == Person.id)
             .where(Membership.unit_id == unit_id, Membership.is_current,
                    not_(valid_book_exists(Person.id)), not_(pending_request_exists(Person.id)))
             .group_by(Person.id))
    page = keyset(flags, WAITING_ORDER, request.args.get(CURSOR_ARG), 50, rows=list, count=False)
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_([person.id for person, _b, _s in page.items] or [0]))))
    waiting = []
    for person, basic, special in page.items:
        missing = []
        if not (person.sex and person.birth_date):
            missing.append(_("sex and date of birth"))
        if not basic:
            missing.append(_("verified basic training"))
        if not special:
            missing.append(_("verified special training"))
        if not person.has_accepted_photo:
            missing.append(_("accepted photo") if person.photo_status != PhotoStatus.PENDING else _("photo waiting for acceptance"))
        waiting.append((person, missing, person.id in with_book))
    books = db.session.execute(
        select(RecordBook, Person).join(Person, Person.id == RecordBook.person_id)
        .where(RecordBook.person_id.in_(select(Membership.person_id).where(Membership.unit_id == unit_id,
                                                                           Membership.is_current)))
        .order_by(RecordBook.issued_on.desc(), RecordBook.id.desc()).limit(200)).all()
    return page_or_fragment("records/unit_index.html", "waiting", requests=requests, waiting=waiting, page=page,
                            books=books, form=RequestForm(formdata=None))


def county_index():
    form = ListFilter(request.args)
    waiting_in = (RecordBookRequest.status == PENDING, unit_scope(current_user))
    # Only the units with waiting requests are offered (a county has thousands of units).
    units = db.session.scalars(select(Unit).where(unit_scope(current_user), Unit.id.in_(
        select(RecordBookRequest.unit_id).where(RecordBookRequest.status == PENDING))).order_by(Unit.code)).all()
    form.unit.choices = options([("", _("All units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    unit_id = field_id(form.unit)
    query = (select(RecordBookRequest).join(RecordBookRequest.person).join(RecordBookRequest.unit)
             .options(contains_eager(RecordBookRequest.person), contains_eager(RecordBookRequest.unit))
             .where(*waiting_in))
    if unit_id:
        query = query.where(RecordBookRequest.unit_id == unit_id)
    # The waiting requests are a queue the county empties: counted exactly (over the status index).
    waiting = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pending = keyset(query, PENDING_ORDER, request.args.get(CURSOR_ARG), 100, total=waiting)
    issued = db.session.execute(
        select(RecordBook, Person).join(Person, Person.id == RecordBook.person_id)
        .where(RecordBook.authority_id == current_user.authority_id)
        .order_by(RecordBook.issued_on.desc(), RecordBook.id.desc()).limit(50)).all()
    return page_or_fragment("records/county_index.html", "pending", form=form, pending=pending, issued=issued,
                            issue_form=IssueForm(formdata=None), unit_id=unit_id)


def books_index():
    books = (select(RecordBook).join(RecordBook.person).options(contains_eager(RecordBook.person))
             .where(book_scope(current_user)))
    page = keyset(books, BOOKS_ORDER, request.args.get(CURSOR_ARG), 50)
    pending = db.session.scalar(select(func.count(RecordBookRequest.id)).join(RecordBookRequest.unit)
                                .where(RecordBookRequest.status == PENDING, unit_scope(current_user)))
    return render_template("records/books.html", page=page, pending=pending)


# --- requests ------------------------------------------------------------------------------

@bp.post("/requests")
@access.allow(*access.UNIT_STAFF)
def make_requests():
    form = RequestForm()
    back = safe_next(form.next.data) or url_for(".index")   # docs/rules/accounts.md#ac9
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return redirect(back)
    ids = ids_in(form.people.data)
    if not ids:
        flash(_("Choose at least one volunteer."), "error")
        return redirect(back)
    done, refusals = 0, []
    for person_id in ids:
        person = get_person_or_404(person_id, current_user, for_write=True)
        try:
            with db.session.begin_nested():
                request_book(person, current_user.unit, form.kind.data, form.reason.data or "", current_user)
            done += 1
        except RecordBookError as exc:
            refusals.append(str(exc))
    db.session.commit()
    if done:
        flash(ngettext("%(num)d record-book request sent to the county authority.",
                       "%(num)d record-book requests sent to the county authority.", done), "success")
    for message in refusals:
        flash(message, "error")
    return redirect(back)


@bp.post("/book-requests/<int:book_request_id>/withdraw")
@access.allow(*access.UNIT_STAFF)
def withdraw(book_request_id):
    req = get_request_or_404(book_request_id, current_user, "withdraw")
    try:
        withdraw_request(req, current_user)
        db.session.commit()
        flash(_("Request withdrawn."), "success")
    except RecordBookError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".index"))


@bp.post("/book-requests/<int:book_request_id>/decline")
@access.allow(access.COUNTY)
def decline(book_request_id):
    req = get_request_or_404(book_request_id, current_user, "decide")
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for declining, so that the unit can put it right."), "error")
        return redirect(url_for(".index"))
    try:
        decline_request(req, form.reason.data, current_user)
        db.session.commit()
        flash(_("Request for %(name)s declined.", name=req.person.name), "success")
    except RecordBookError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".index"))


@bp.post("/issue")
@access.allow(access.COUNTY)
def issue():
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    query = (select(RecordBookRequest).join(RecordBookRequest.unit)
             .where(RecordBookRequest.status == PENDING, unit_scope(current_user)))
    if form.all_waiting.data:
        if id_or_none(form.unit.data):
            query = query.where(RecordBookRequest.unit_id == id_or_none(form.unit.data))
    else:
        ids = ids_in(form.requests.data)
        query = query.where(RecordBookRequest.id.in_(ids or [0]))
    chosen = db.session.scalars(query).all()
    if not chosen:
        flash(_("Choose the requests to issue."), "error")
        return redirect(url_for(".index"))
    books, refusals = issue_many(chosen, current_user.authority, current_user)
    db.session.commit()
    if books:
        flash(_("%(n)d record books issued (%(first)s … %(last)s).", n=len(books), first=books[0].number,
                last=books[-1].number) if len(books) > 1 else
              _("Record book %(number)s issued.", number=books[0].number), "success")
    for message in refusals:
        flash(message, "error")
    return redirect(url_for(".index"))
