"""Award screens: the unit's eligibility list and applications, sector and ministry review, the volunteer's
awards, and revocation. Paper entries are in paper_views.py, the ministry's rounds in round_views.py."""
import hashlib

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.dates import ROC_OFFSET
from portal.platform.exports import csv_bytes, csv_response
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, hours_text, is_chinese, localized
from portal.registry.labels import sex_label
from portal.platform.timeutil import today_taipei
from portal.registry.models import Unit
from portal.registry.models import Membership, Person
from . import bp, operations
from .forms import (ApplyForm, BulkReviewForm, EligibilityFilter, ForwardForm, ReturnForm, ReviewFilter, RevokeForm,
                    VersionForm, status_choices)
from .models import (APPLICATION_STATUS_LABELS, APPLICATION_STATUSES, APPROVED, AWARD_STATUS_LABELS, FORWARDED,
                     OPEN_ROUND, RETURNED, SCHEME_LABELS, SUBMITTED, VALID, WITHDRAWN, Award, AwardApplication,
                     AwardRound, tier_label)
from .operations import AwardError
from .rules import THRESHOLDS, evaluate
from .scopes import (REVIEWERS, SECTOR_ROLES, application_scope, get_application_or_404, get_award_or_404,
                     review_scope)

PER_PAGE = 50
NEAR_SHARE = 10          # "near": within 1/10 of the next tier's hours
REVIEW_READERS = SECTOR_ROLES + (access.COUNTY, access.MINISTRY)

NAV = [("awards.mine", _l("My awards")), ("awards.index", _l("Apply for awards")),
       ("awards.review", _l("Applications")), ("awards.paper", _l("Paper applications")),
       ("awards.rounds", _l("Award rounds")), ("awards.other_import", _l("Import award data"))]


def awards_nav() -> list:
    """The awards sub-menu: the items the user's role may open (the eligibility list: unit staff only)."""
    unit_staff = current_user.role in access.UNIT_STAFF
    return [(endpoint, label) for endpoint, label in NAV
            if access.may_call(endpoint) and (endpoint != "awards.index" or unit_staff)]


def eligibility(person_ids, award_round) -> dict:
    """The engine's results for a roster. facts.py is imported on first use: it pulls in the hours, records
    and certificates packages, which import the volunteers package, which imports portal.awards."""
    from .facts import eligibility as results
    return results(person_ids, award_round)


def checks_today(application: AwardApplication):
    """The engine's checks for an open application as of today, not counting the application itself."""
    from .facts import load_facts
    facts = load_facts([application.person_id], application.round)[application.person_id]
    facts.open_application = False
    return evaluate(facts)


def deadline_note(day, today) -> str:
    if day is None:
        return ""
    days = (day - today).days
    if days < 0:
        return _("deadline passed")
    if days == 0:
        return _("ends today")
    return _("%(n)d days left", n=days)


APPLICATION_BADGES = {SUBMITTED: "badge-pending", FORWARDED: "badge-pending", APPROVED: "badge-valid",
                      RETURNED: "badge-rejected", WITHDRAWN: "badge-superseded"}


@bp.app_context_processor
def award_helpers():
    return {"awards_nav": awards_nav, "award_hours": hours_text, "deadline_note": deadline_note,
            "round_label": round_label, "year_label": year_label,
            "tier_label": tier_label, "application_badge": lambda status: APPLICATION_BADGES.get(status, ""),
            "application_status_label": lambda status: str(APPLICATION_STATUS_LABELS.get(status, status)),
            "award_badge": lambda status: "badge-valid" if status == VALID else "badge-revoked",
            "award_status_label": lambda status: str(AWARD_STATUS_LABELS.get(status, status))}


def stage_of(user) -> str | None:
    """The status an application has when it waits for this user's decision."""
    if user.role in SECTOR_ROLES:
        return SUBMITTED
    if user.role == access.MINISTRY:
        return FORWARDED
    return None


def year_label(year: int) -> str:
    """Chinese pages count years in the ROC calendar (115年度), like their dates; English ones in AD."""
    return f"{year - ROC_OFFSET}年度" if is_chinese() else str(year)


def round_label(award_round: AwardRound) -> str:
    return f"{year_label(award_round.year)} {SCHEME_LABELS.get(award_round.scheme, '')}"


def choose_round(field, rounds):
    """Fill a round select; the chosen round, or the first one when none (or an unknown one) is chosen."""
    field.choices = options([(str(r.id), round_label(r)) for r in rounds])
    chosen = next((r for r in rounds if str(r.id) == (field.data or "")), rounds[0] if rounds else None)
    if chosen is not None:
        field.data = str(chosen.id)
    return chosen


def open_rounds():
    return db.session.scalars(select(AwardRound).where(AwardRound.status == OPEN_ROUND)
                              .order_by(AwardRound.year.desc(), AwardRound.id.desc())).all()


@bp.get("/")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def index():
    """Unit staff: who can get an award in the chosen round, and the unit's applications in it."""
    if current_user.role == access.VOLUNTEER:
        return redirect(url_for(".mine"))
    if current_user.role not in access.UNIT_STAFF:
        return redirect(url_for(".review"))
    form = EligibilityFilter(request.args)
    award_round = choose_round(form.round, open_rounds())
    form.reset_invalid()
    today = today_taipei()
    rows, applications = [], []
    if award_round is not None:
        rows = unit_rows(current_user.unit, award_round, form.show.data or "near", form.q.data)
        applications = db.session.scalars(
            select(AwardApplication).where(AwardApplication.unit_id == current_user.unit_id,
                                           AwardApplication.round_id == award_round.id)
            .options(selectinload(AwardApplication.person)).order_by(AwardApplication.id.desc())).all()
    page = form.page.data or 1
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return page_or_fragment(
        "awards/index.html", "results", form=form, award_round=award_round, today=today,
        rows=shown, any_selectable=any(r["status"] == "eligible" for r in shown), total=len(rows), page=page,
        pages=max((len(rows) - 1) // PER_PAGE + 1, 1), applications=applications,
        may_apply=award_round is not None and award_round.accepts_unit_applications(today),
        version_form=VersionForm(formdata=None))


ROW_ORDER = {"eligible": 0, "papers": 1, "near": 2, "applied": 3, "later": 4}
SHOWN = {"eligible": {"eligible"}, "near": {"eligible", "papers", "near", "applied"}, "all": set(ROW_ORDER)}


def row_status(result) -> str:
    """eligible; papers: the hours are reached but a paper is missing; near: within 10% of the next tier."""
    if result.facts.open_application:
        return "applied"
    if result.eligible:
        return "eligible"
    if result.tier is not None:
        return "papers"
    if result.next_tier and result.missing_half_hours * NEAR_SHARE <= THRESHOLDS[result.facts.scheme][result.next_tier]:
        return "near"
    return "later"


def unit_rows(unit: Unit, award_round: AwardRound, show: str, q: str | None) -> list[dict]:
    query = (select(Person).join(Membership).where(Membership.unit_id == unit.id, Membership.status != "left")
             .distinct().order_by(Person.name, Person.id))
    if q:
        query = query.where(Person.name.contains(q, autoescape=True))
    people = db.session.scalars(query).all()
    results = eligibility([p.id for p in people], award_round)
    rows = [{"person": p, "result": results[p.id], "status": row_status(results[p.id])} for p in people]
    rows = [r for r in rows if r["status"] in SHOWN.get(show, SHOWN["near"])]
    rows.sort(key=lambda r: (ROW_ORDER[r["status"]], -r["result"].facts.half_hours))
    return rows


# --- applying (unit staff) -------------------------------------------------------------------

def applying_round(value) -> AwardRound | None:
    award_round = db.session.get(AwardRound, int(value)) if str(value or "").isdigit() else None
    return award_round if award_round is not None and award_round.status == OPEN_ROUND else None


def unit_people(ids) -> list[Person]:
    """The chosen people who currently serve in the user's unit (anyone else is ignored)."""
    wanted = {int(v) for v in ids if str(v or "").isdigit()}
    if not wanted:
        return []
    return db.session.scalars(select(Person).join(Membership).where(
        Person.id.in_(wanted), Membership.unit_id == current_user.unit_id, Membership.status != "left")
        .distinct().order_by(Person.name, Person.id)).all()


@bp.route("/apply", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def apply():
    """The summary of the ticked volunteers with a merit statement each; sending applies for all of them."""
    form = ApplyForm()
    posted = request.method == "POST"
    award_round = applying_round(form.round_id.data if posted else request.args.get("round_id"))
    ids = [e.form.person_id.data for e in form.entries] if posted else request.args.getlist("person_id")
    people = unit_people(ids)
    if award_round is None or not people:
        flash(_("Choose an open round and tick at least one volunteer to apply for."), "error")
        return redirect(url_for(".index"))
    if not posted:
        form = ApplyForm(formdata=None, data={"round_id": str(award_round.id),
                                              "entries": [{"person_id": str(p.id)} for p in people]})
    results = eligibility([p.id for p in people], award_round)
    by_id = {str(p.id): p for p in people}
    if posted and form.validate():
        merits = {e.form.person_id.data: e.form.merit.data for e in form.entries}
        today = today_taipei()
        try:
            for person in people:
                try:
                    operations.apply(award_round, results[person.id], current_user.unit, merits.get(str(person.id)),
                                     current_user, today)
                except AwardError as exc:
                    raise AwardError(f"{person.name}: {exc.message}") from exc
        except AwardError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        except IntegrityError:      # another clerk applied for the same volunteer at the same moment
            db.session.rollback()
            flash(_("Someone applied for one of these volunteers in this round at the same moment. Check the "
                    "list and try again."), "error")
        else:
            db.session.commit()
            flash(_("%(n)d applications were sent to the sector authority. You can withdraw them until it "
                    "handles them.", n=len(people)), "success")
            return redirect(url_for(".index", round=award_round.id))
    for entry in form.entries:
        person = by_id.get(entry.form.person_id.data)
        if person is not None:
            entry.form.merit.label.text = _("Merit statement (事蹟) of %(name)s", name=person.name)
    return render_template("awards/apply.html", form=form, award_round=award_round, people=by_id, results=results,
                           today=today_taipei()), 422 if posted else 200


@bp.post("/applications/<int:award_application_id>/withdraw")
@access.allow(*access.UNIT_STAFF)
def withdraw(award_application_id):
    application = get_application_or_404(award_application_id, current_user, for_write=True)
    check_version(application, VersionForm())
    return run_step(lambda: operations.withdraw(application, current_user),
                    lambda: _("The application for %(name)s was withdrawn.", name=application.person.name),
                    url_for(".index", round=application.round_id))


def run_step(step, message, back: str):
    """Commit the step and say so, or roll back and say why; a concurrent change is a conflict (409)."""
    try:
        step()
    except AwardError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        abort(409)
    else:
        db.session.commit()
        flash(message(), "success")
    return redirect(back)


# --- one application -------------------------------------------------------------------------

@bp.get("/applications/<int:award_application_id>")
@access.allow(*access.RECORD_READERS)
def show_application(award_application_id):
    application = get_application_or_404(award_application_id, current_user)
    result = checks_today(application) if application.is_open else None
    reviewer = db.session.scalar(select(AwardApplication.id).where(
        AwardApplication.id == application.id, review_scope(current_user))) is not None
    waiting_for_me = reviewer and application.status == stage_of(current_user)
    award = db.session.scalar(select(Award).where(Award.application_id == application.id))
    return render_template(
        "awards/application.html", application=application, result=result, award=award, today=today_taipei(),
        may_withdraw=application.status == SUBMITTED and current_user.role in access.UNIT_STAFF
        and current_user.unit_id == application.unit_id,
        may_forward=waiting_for_me and current_user.role in SECTOR_ROLES,
        may_approve=waiting_for_me and current_user.role == access.MINISTRY,
        may_return=waiting_for_me, version_form=VersionForm(formdata=None),
        forward_form=ForwardForm(formdata=None), return_form=ReturnForm(formdata=None))


def decision_target(award_application_id, form):
    """The application, version-checked; None (with a message) when it is not waiting for this user."""
    application = get_application_or_404(award_application_id, current_user, for_review=True)
    check_version(application, form)
    if application.status != stage_of(current_user):
        flash(_("This application is not waiting for your decision (now: %(status)s).",
                status=application.status_label), "error")
        return None
    return application


def back_to(application) -> str:
    return url_for(".show_application", award_application_id=application.id)


@bp.post("/applications/<int:award_application_id>/forward")
@access.allow(*SECTOR_ROLES)
def forward(award_application_id):
    form = ForwardForm()
    application = decision_target(award_application_id, form)
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    if not form.validate():
        flash(_("The note may have at most 300 characters."), "error")
        return redirect(back_to(application))
    return run_step(lambda: operations.forward(application, current_user, form.note.data),
                    lambda: _("The application for %(name)s was forwarded to the ministry.",
                              name=application.person.name), url_for(".review"))


@bp.post("/applications/<int:award_application_id>/approve")
@access.allow(access.MINISTRY)
def approve(award_application_id):
    application = decision_target(award_application_id, VersionForm())
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    return run_step(lambda: operations.approve(application, current_user, today_taipei()),
                    lambda: _("Approved: %(name)s receives the %(tier)s.", name=application.person.name,
                              tier=application.tier_label), url_for(".review"))


@bp.post("/applications/<int:award_application_id>/return")
@access.allow(*REVIEWERS)
def return_(award_application_id):
    form = ReturnForm()
    application = decision_target(award_application_id, form)
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    if not form.validate():
        flash(_("Please give the reason for returning the application (at most 300 characters)."), "error")
        return redirect(back_to(application))
    return run_step(lambda: operations.return_application(application, form.reason.data, current_user),
                    lambda: _("The application was returned to %(unit)s.", unit=localized(application.unit)),
                    url_for(".review"))


# --- review queue and statistics -------------------------------------------------------------

FILTER_KEYS = ("round", "unit", "tier", "status")


def review_filter() -> tuple[ReviewFilter, list[AwardRound]]:
    form = ReviewFilter(request.args)
    rounds = db.session.scalars(select(AwardRound).order_by(AwardRound.year.desc(), AwardRound.id.desc())).all()
    units = db.session.scalars(select(Unit).where(Unit.id.in_(
        select(AwardApplication.unit_id).where(application_scope(current_user)))).order_by(Unit.code)).all()
    form.round.choices = options([("", _("All rounds"))] + [(str(r.id), round_label(r)) for r in rounds])
    form.unit.choices = options([("", _("All units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    form.status.choices = status_choices(_("Any status"))
    if "status" not in request.args:
        form.status.data = stage_of(current_user) or ""
    form.reset_invalid()
    return form, rounds


def filtered(form: ReviewFilter, with_status: bool = True):
    query = select(AwardApplication).where(application_scope(current_user))
    for value, column in ((form.round.data, AwardApplication.round_id), (form.unit.data, AwardApplication.unit_id)):
        if value:
            query = query.where(column == int(value))
    if form.tier.data:
        query = query.where(AwardApplication.tier == form.tier.data)
    if with_status and form.status.data:
        query = query.where(AwardApplication.status == form.status.data)
    return query


def status_counts(form: ReviewFilter) -> list[tuple]:
    """How many applications of the filtered set are at each status (the county's statistics)."""
    sub = filtered(form, with_status=False).subquery()
    counts = dict(db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all())
    return [(s, counts.get(s, 0)) for s in APPLICATION_STATUSES]


@bp.get("/review")
@access.allow(*REVIEW_READERS)
def review():
    form, rounds = review_filter()
    query = (filtered(form).options(selectinload(AwardApplication.person), selectinload(AwardApplication.unit),
                                    selectinload(AwardApplication.round))
             .order_by(AwardApplication.applied_at, AwardApplication.id))
    page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    stage = stage_of(current_user)
    chosen = next((r for r in rounds if str(r.id) == (form.round.data or "")), None)
    return page_or_fragment(
        "awards/review.html", "results", form=form, page=page, stage=stage, counts=status_counts(form),
        award_round=chosen, today=today_taipei(), decide_form=BulkReviewForm(formdata=None),
        may_forward=current_user.role in SECTOR_ROLES, may_approve=current_user.role == access.MINISTRY,
        filter_args={k: request.args[k] for k in FILTER_KEYS if request.args.get(k)})


@bp.get("/review.csv")
@access.allow(*REVIEW_READERS)
def review_export():
    """The roster (造冊) of the filtered applications as the sector authority sends it on: masked IDs, no
    address or phone (data minimisation), audited with row count and file hash."""
    expect_write()
    form, _rounds = review_filter()
    applications = db.session.scalars(
        filtered(form).options(selectinload(AwardApplication.person), selectinload(AwardApplication.unit),
                               selectinload(AwardApplication.round))
        .order_by(AwardApplication.unit_id, AwardApplication.applied_at, AwardApplication.id)).all()
    header = [_("Award round"), _("Tier"), _("Hours counted"), _("Name"), _("Sex"), _("Date of birth"), _("ID number"),
              _("Unit code"), _("Unit"), _("Reviewing authority"), _("Channel"), _("Status")]
    body = [[round_label(a.round), a.tier_label, hours_text(a.half_hours), a.person.name, sex_label(a.person.sex),
             format_date(a.person.birth_date), a.person.masked_id, a.unit.code, localized(a.unit),
             localized(a.unit.sector_authority) if a.unit.sector_authority else "", a.channel_label, a.status_label]
            for a in applications]
    filename = f"award-applications-{today_taipei().isoformat()}.csv"
    audit.record("award.export", current_user._get_current_object(), rows=len(body),
                 sha256=hashlib.sha256(csv_bytes(header, body)).hexdigest(),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return csv_response(filename, header, body)


def bulk_step(application, action: str, form: BulkReviewForm):
    if action == "forward":
        operations.forward(application, current_user, form.note.data)
    elif action == "approve":
        operations.approve(application, current_user, today_taipei())
    else:
        operations.return_application(application, form.reason.data, current_user)


BULK_ACTIONS = {access.SECTOR_LOCAL: ("forward", "return"), access.SECTOR_CENTRAL: ("forward", "return"),
                access.MINISTRY: ("approve", "return")}


@bp.post("/review")
@access.allow(*REVIEWERS)
def decide_many():
    """Forward (sector) or approve (ministry) or return the ticked applications, each on its own."""
    form = BulkReviewForm()
    action = request.form.get("action")
    back = url_for(".review", **{k: str(request.args[k])[:20] for k in FILTER_KEYS if request.args.get(k)})
    ids = {int(v) for v in request.form.getlist("application_id") if v.isdigit()}
    if action not in BULK_ACTIONS[current_user.role] or not ids or not form.validate():
        flash(_("Tick at least one application and choose what to do with it."), "error")
        return redirect(back)
    if action == "return" and not form.reason.data:
        flash(_("Please give the reason for returning the applications."), "error")
        return redirect(back)
    chosen = db.session.scalars(select(AwardApplication).where(
        AwardApplication.id.in_(ids), review_scope(current_user)).order_by(AwardApplication.id)).all()
    stage, done, refused = stage_of(current_user), 0, []
    for application in chosen:
        name = application.person.name
        if request.form.get(f"version-{application.id}") != str(application.version) or application.status != stage:
            refused.append(_("%(name)s: this application changed since the list was shown; reload it and try "
                             "again.", name=name))
            continue
        try:
            with db.session.begin_nested():
                bulk_step(application, action, form)
            done += 1
        except AwardError as exc:
            refused.append(f"{name}: {exc.message}")
        except (StaleDataError, IntegrityError):
            refused.append(_("%(name)s: someone changed this application at the same moment; reload the list and "
                             "try again.", name=name))
    db.session.commit()
    message = {"forward": _("%(n)d applications forwarded to the ministry.", n=done),
               "approve": _("%(n)d applications approved; the awards are in the volunteers' records.", n=done),
               "return": _("%(n)d applications returned to their units.", n=done)}[action]
    flash(message, "success" if done else "info")
    for text in refused:
        flash(text, "error")
    return redirect(back)


# --- the volunteer's awards, one award, revocation ------------------------------------------

@bp.get("/mine")
@access.allow(access.VOLUNTEER)
def mine():
    if current_user.person is None:
        abort(404)
    awards = db.session.scalars(select(Award).where(Award.person_id == current_user.person_id)
                                .order_by(Award.year.desc(), Award.id.desc())).all()
    applications = db.session.scalars(
        select(AwardApplication).where(AwardApplication.person_id == current_user.person_id)
        .options(selectinload(AwardApplication.unit), selectinload(AwardApplication.round))
        .order_by(AwardApplication.id.desc())).all()
    return render_template("awards/mine.html", awards=awards, applications=applications)


@bp.get("/<int:award_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show_award(award_id):
    award = get_award_or_404(award_id, current_user)
    return render_template("awards/award.html", award=award,
                           may_revoke=award.status == "valid" and current_user.role == access.MINISTRY,
                           revoke_form=RevokeForm(formdata=None))


@bp.post("/<int:award_id>/revoke")
@access.allow(access.MINISTRY)
def revoke(award_id):
    award = get_award_or_404(award_id, current_user, for_write=True)
    form = RevokeForm()
    check_version(award, form)
    if not form.validate():
        flash(_("Please give the reason for revoking the award (at most 300 characters)."), "error")
        return redirect(url_for(".show_award", award_id=award.id))
    return run_step(lambda: operations.revoke(award, form.reason.data, current_user),
                    lambda: _("The award was revoked; the volunteer's record now shows it as revoked."),
                    url_for(".show_award", award_id=award.id))


from . import paper_views, round_views  # noqa: E402,F401
