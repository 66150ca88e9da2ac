"""Honor-card screens: eligibility, application, county review, the cards and the e-card."""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.platform import access, pdf
from portal.documents.operations import document_file
from portal.platform.dates import format_roc_short
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Unit
from portal.registry.scopes import visible_units
from portal.platform.uploads import UploadRefused, check_file, send_stored, store
from portal.registry.models import Membership, Person
from portal.registry.scopes import get_person_or_404
from . import bp
from .documents import issue_documents, photo_data_uri
from .facts import eligibility as eligibility_of_people
from .facts import eligibility_of
from .forms import (ApplyForm, BulkDecisionForm, CancelCardForm, EligibilityFilter, ReturnForm, ReviewFilter,
                    VersionForm, field_choices)
from .models import SUBMITTED, HonorCard, HonorCardApplication
from .operations import (HonorCardError, apply_for, approve_application, cancel_application, cancel_card,
                         format_half_hours, outlook, reissue_card, return_application, window_words)
from .scopes import (application_scope, card_scope, get_application_or_404, get_card_or_404, reviewable_scope)

READERS = access.RECORD_READERS
PER_PAGE = 50


@bp.app_template_global()
def honor_card_eligibility(person):
    """For other features' pages (the volunteer record): the person's eligibility today, or None."""
    return eligibility_of(person.id, today_taipei()) if person is not None else None


NAV = [("honor_cards.mine", _l("My honor card")), ("honor_cards.eligibility", _l("Who is eligible")),
       ("honor_cards.applications", _l("Applications")), ("honor_cards.review", _l("Review queue")),
       ("honor_cards.cards", _l("Issued cards")), ("honor_cards.import_upload", _l("Import honor-card data")),
       ("honor_cards.venues", _l("Venues and discounts"))]


def honor_nav() -> list:
    """The honor-card sub-menu: only the items the user's role may open (the import: counties only)."""
    return [(endpoint, label) for endpoint, label in NAV if access.may_call(endpoint)]


@bp.app_context_processor
def honor_card_helpers():
    return {"format_half_hours": format_half_hours, "window_words": window_words, "honor_nav": honor_nav}


@bp.get("/")
@access.allow(*access.SIGNED_IN)
def index():
    """Each role starts where its work is."""
    role = current_user.role
    if role == access.VOLUNTEER:
        return redirect(url_for(".mine"))
    if role in access.UNIT_STAFF:
        return redirect(url_for(".eligibility"))
    if role == access.COUNTY:
        return redirect(url_for(".review"))
    if role in READERS:
        return redirect(url_for(".applications"))
    return redirect(url_for(".venues"))


# --- eligibility -----------------------------------------------------------------------------

def eligibility_filter():
    form = EligibilityFilter(request.args)
    units = db.session.scalars(visible_units(current_user)).all()
    form.unit.choices = options([("", _("Choose a unit"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    if not form.validate():
        for f in (form.unit, form.within, form.q, form.page):
            if f.errors:
                f.data = f.default
    unit = current_user.unit if current_user.role in access.UNIT_STAFF else \
        next((u for u in units if str(u.id) == (form.unit.data or "")), None)
    return form, unit


def unit_rows(unit: Unit, within: str, q: str | None, on):
    """Every current volunteer of the unit with their result and outlook, eligible first."""
    query = (select(Person).join(Membership).where(Membership.unit_id == unit.id, Membership.status != "left")
             .distinct().order_by(Person.name, Person.id))
    if q:
        query = query.where(Person.name.contains(q, autoescape=True))
    people = db.session.scalars(query).all()
    results = eligibility_of_people([p.id for p in people], on)
    open_apps = {a.person_id: a for a in db.session.scalars(select(HonorCardApplication).where(
        HonorCardApplication.person_id.in_([p.id for p in people]), HonorCardApplication.status == SUBMITTED))}
    months = 1200 if within == "all" else int(within or 0)
    rows = []
    for person in people:
        result = results[person.id]
        look = outlook(result, months)
        if within != "all" and look.status not in ("eligible", "soon"):
            continue
        rows.append({"person": person, "result": result, "outlook": look, "application": open_apps.get(person.id)})
    order = {"eligible": 0, "soon": 1, "later": 2, "blocked": 3}
    never = on.replace(year=9999, month=12, day=31)   # not on.replace(year=9999): no 29 February in 9999
    rows.sort(key=lambda r: (order[r["outlook"].status], r["outlook"].expected_on or never))
    return rows


@bp.get("/eligibility")
@access.allow(*READERS)
def eligibility():
    form, unit = eligibility_filter()
    today = today_taipei()
    rows = unit_rows(unit, form.within.data or "0", form.q.data, today) if unit else []
    page = max(form.page.data or 1, 1)
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return page_or_fragment("honor_cards/eligibility.html", "results", form=form, unit=unit, rows=shown,
                            total=len(rows), page=page, pages=max((len(rows) - 1) // PER_PAGE + 1, 1), today=today,
                            may_apply=current_user.role in access.UNIT_STAFF,
                            choose_unit=current_user.role not in access.UNIT_STAFF)


@bp.get("/people/<int:person_id>/eligibility")
@access.allow(access.VOLUNTEER, *READERS)
def person_eligibility(person_id):
    """One volunteer's checklist; htmx requests get the fragment (for the volunteer record page)."""
    person = get_person_or_404(person_id, current_user)
    today = today_taipei()
    result = eligibility_of(person.id, today)
    return page_or_fragment("honor_cards/person.html", "eligibility", person=person, result=result,
                            look=outlook(result, 12), today=today)


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
    return render_template("honor_cards/mine.html", person=person, result=result, look=outlook(result, 12),
                           cards=cards, applications=applications, today=today)


# --- application -----------------------------------------------------------------------------

def selected_people() -> list[Person]:
    """The ticked volunteers that currently serve in the user's unit (others are ignored)."""
    ids = {int(v) for v in request.values.getlist("person_id") if v.isdigit()}
    if not ids:
        return []
    return db.session.scalars(select(Person).join(Membership).where(
        Person.id.in_(ids), Membership.unit_id == current_user.unit_id, Membership.status != "left")
        .distinct().order_by(Person.name, Person.id)).all()


def store_letter(form: ApplyForm):
    upload = form.letter.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    checked = check_file(upload.filename, upload.read())
    if checked.kind != "pdf":
        raise UploadRefused(checked.display_name, _("The official letter must be a PDF file."))
    return store(checked, "honor_card_letter", current_user.id)


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
            letter = store_letter(form)
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
            flash(_("%(n)d applications were sent to the county. You can cancel them until the county reviews "
                    "them.", n=len(applications)), "success")
            return redirect(url_for(".applications"))
    return render_template("honor_cards/apply.html", form=form, people=people, results=results), \
        422 if request.method == "POST" else 200


@bp.get("/applications")
@access.allow(*READERS)
def applications():
    status = request.args.get("status", "submitted")
    query = (select(HonorCardApplication).where(application_scope(current_user))
             .options(selectinload(HonorCardApplication.person), selectinload(HonorCardApplication.unit))
             .order_by(HonorCardApplication.id.desc()))
    if status in ("submitted", "approved", "returned", "cancelled"):
        query = query.where(HonorCardApplication.status == status)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    cancellable = {a.id for a in page.items if a.is_open and current_user.role in access.UNIT_STAFF
                   and a.unit_id == current_user.unit_id}
    return page_or_fragment("honor_cards/applications.html", "results", page=page, status=status,
                            version_form=VersionForm(formdata=None), cancellable=cancellable)


@bp.get("/applications/<int:application_id>")
@access.allow(*READERS)
def show_application(application_id):
    application = get_application_or_404(application_id, current_user)
    result = eligibility_of(application.person_id, today_taipei()) if application.is_open else None
    reviewer = db.session.scalar(select(HonorCardApplication.id).where(
        HonorCardApplication.id == application.id, reviewable_scope(current_user))) is not None
    return render_template("honor_cards/application.html", application=application, result=result,
                           may_cancel=application.is_open and current_user.unit_id == application.unit_id,
                           may_review=application.is_open and reviewer, version_form=VersionForm(formdata=None),
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
    form = VersionForm()
    check_version(application, form)
    try:
        cancel_application(application, current_user)
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_application", application_id=application.id))
    db.session.commit()
    flash(_("The application for %(name)s was cancelled.", name=application.person.name), "success")
    return redirect(url_for(".applications"))


# --- county review ---------------------------------------------------------------------------

def review_filter() -> ReviewFilter:
    form = ReviewFilter(request.args)
    units = db.session.scalars(visible_units(current_user)).all()
    form.unit.choices = options([("", _("All units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
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
    return query.order_by(HonorCardApplication.applied_on, HonorCardApplication.id)


@bp.get("/review")
@access.allow(access.COUNTY)
def review():
    form = review_filter()
    page = db.paginate(review_query(form), page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    return page_or_fragment("honor_cards/review.html", "results", form=form, page=page,
                            decision_form=BulkDecisionForm(formdata=None), fields=FIELD_BY_CODE)


def county_authority():
    """The reviewer's own authority: the county issues the card (Act Art. 20)."""
    return current_user.authority


def decide(application, action: str, reason: str):
    """Approve or return one application; HonorCardError when the rules refuse."""
    if action == "approve":
        return approve_application(application, county_authority(), current_user, on=today_taipei())
    return return_application(application, reason, current_user)


@bp.post("/review")
@access.allow(access.COUNTY)
def decide_many():
    form = BulkDecisionForm()
    action = request.form.get("action")
    ids = {int(v) for v in request.form.getlist("application_id") if v.isdigit()}
    if action not in ("approve", "return") or not ids or not form.validate():
        flash(_("Tick at least one application and choose Approve or Return."), "error")
        return redirect(url_for(".review"))
    if action == "return" and not form.reason.data:
        flash(_("Please give the reason for returning the applications."), "error")
        return redirect(url_for(".review"))
    chosen = db.session.scalars(select(HonorCardApplication).where(
        HonorCardApplication.id.in_(ids), reviewable_scope(current_user)).order_by(HonorCardApplication.id)).all()
    done, refused = [], []
    for application in chosen:
        name = application.person.name
        try:
            with db.session.begin_nested():
                done.append(decide(application, action, form.reason.data))
        except HonorCardError as exc:
            refused.append(str(exc))
        except (StaleDataError, IntegrityError):
            refused.append(_("%(name)s: someone changed this application at the same moment; reload the queue and "
                             "try again.", name=name))
    db.session.commit()
    if action == "approve":
        refused += issue_documents([card.id for card in done], current_user._get_current_object())[1]
    message = _("%(n)d applications approved.", n=len(done)) if action == "approve" else \
        _("%(n)d applications returned to their units.", n=len(done))
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
        card = decide(application, "approve", "")
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
        decide(application, "return", form.reason.data)
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_application", application_id=application_id))
    db.session.commit()
    flash(_("The application was returned to %(unit)s.", unit=localized(application.unit)), "success")
    return redirect(url_for(".review"))


# --- cards -----------------------------------------------------------------------------------

@bp.get("/cards")
@access.allow(*READERS)
def cards():
    q = (request.args.get("q") or "").strip()[:60]
    query = (select(HonorCard).join(Person, Person.id == HonorCard.person_id).where(card_scope(current_user))
             .options(selectinload(HonorCard.person)).order_by(HonorCard.id.desc()))
    if q:
        query = query.where((Person.name.contains(q, autoescape=True)) | (HonorCard.number == q.upper()))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return page_or_fragment("honor_cards/cards.html", "results", page=page, q=q, today=today_taipei())


def card_face(card) -> dict:
    """The texts printed on the card, always in Chinese (docs/rules/honor-cards.md#hc10: the card is domestic only)."""
    with force_locale("zh_TW"):
        return {"title": _("Volunteer Service Honor Card"), "name": _("Name"), "number": _("Card number"),
                "valid": _("Valid"), "no_photo": _("No photo"),
                "dates": f"{format_roc_short(card.valid_from)} – {format_roc_short(card.valid_to)}",
                "issuer": _("Issued by %(issuer)s", issuer=card.county.name if card.county else card.county_code)}


@bp.get("/cards/<int:card_id>")
@access.allow(access.VOLUNTEER, *READERS)
def show_card(card_id):
    card = get_card_or_404(card_id, current_user)
    document = card.document
    verify_url = url_for("certificates.verify", token=document.token, _external=True) if document else None
    may_change = card.status == "valid" and current_user.role == access.COUNTY and \
        current_user.authority is not None and current_user.authority.county_code == card.county_code
    return render_template("honor_cards/card.html", card=card, face=card_face(card), document=document,
                           verify_url=verify_url,
                           qr=pdf.qr_data_uri(verify_url) if verify_url else None,
                           photo=photo_data_uri(card.person), today=today_taipei(), may_change=may_change,
                           cancel_form=CancelCardForm(formdata=None), version_form=VersionForm(formdata=None))


@bp.get("/cards/<int:card_id>/card.pdf")
@access.allow(access.VOLUNTEER, *READERS)
def card_pdf(card_id):
    """The card-size PDF exactly as issued."""
    card = get_card_or_404(card_id, current_user)
    content = document_file(card.document) if card.document else b""
    if not content:
        abort(404)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="honor-card-{card.number}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cards/<int:card_id>/cancel")
@access.allow(access.COUNTY)
def cancel_card_view(card_id):
    card = get_card_or_404(card_id, current_user, for_write=True)
    form = CancelCardForm()
    check_version(card, form)
    if not form.validate():
        flash(_("Please give the reason for cancelling the card."), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    try:
        cancel_card(card, form.reason.data, current_user, on=today_taipei())
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    db.session.commit()
    flash(_("Card %(number)s was cancelled; its verification page now says so.", number=card.number), "success")
    return redirect(url_for(".show_card", card_id=card.id))


@bp.post("/cards/<int:card_id>/reissue")
@access.allow(access.COUNTY)
def reissue(card_id):
    card = get_card_or_404(card_id, current_user, for_write=True)
    check_version(card, VersionForm())
    try:
        new = reissue_card(card, county_authority(), current_user, on=today_taipei())
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    db.session.commit()
    flash(_("Card %(number)s was reissued as %(new)s with the same validity.", number=card.number, new=new.number),
          "success")
    return redirect(url_for(".show_card", card_id=new.id))


from . import import_views, venue_views  # noqa: E402,F401
