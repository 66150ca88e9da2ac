"""The review queue: the applications a sector authority, the county or the ministry may read, with counts
per status, the roster download (造冊), and the decision on the ticked applications, each on its own."""
import hashlib

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.exports import csv_bytes, csv_response
from portal.platform.extensions import db
from portal.platform.forms import options, same_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, hours_text, localized
from portal.platform.pagination import COUNT_CAP, CURSOR_ARG, asc, keyset
from portal.platform.params import ids_in
from portal.platform.timeutil import today_taipei
from portal.registry.labels import sex_label
from portal.registry.models import Unit

from . import bp, operations
from .forms import BulkReviewForm, ReviewFilter, status_choices
from .labels import round_label
from .models import APPLICATION_STATUSES, AwardApplication, AwardRound
from .operations import AwardError
from .rules import Step, waiting_stage
from .scopes import REVIEW_READERS, REVIEWERS, application_scope, review_scope, review_steps
from .views import PER_PAGE

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
        form.status.data = waiting_stage(current_user.role) or ""
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


def status_counts(form: ReviewFilter) -> dict[str, tuple[int, bool]]:
    """How many applications of the filtered set are at each status (the county's statistics): (count, more),
    each counted up to COUNT_CAP in one statement whose branches stop after COUNT_CAP + 1 rows, so that the
    ministry's queue over every round never counts a whole table."""
    branches = []
    for status in APPLICATION_STATUSES:
        rows = (filtered(form, with_status=False).where(AwardApplication.status == status)
                .with_only_columns(AwardApplication.id).limit(COUNT_CAP + 1).subquery())
        branches.append(select(literal(str(status)).label("status"), func.count().label("n")).select_from(rows))
    counts = dict(db.session.execute(union_all(*branches)).all())
    return {s: (min(counts.get(s, 0), COUNT_CAP), counts.get(s, 0) > COUNT_CAP) for s in APPLICATION_STATUSES}


# The queue's order, oldest application first: a keyset (index ix_award_applications_review) so that page 100
# costs what page 1 does; its count comes from the status counts, never from counting the queue again.
REVIEW_ORDER = (asc(AwardApplication.applied_at), asc(AwardApplication.id))


@bp.get("/review")
@access.allow(*REVIEW_READERS)
def review():
    form, rounds = review_filter()
    query = filtered(form).options(selectinload(AwardApplication.person), selectinload(AwardApplication.unit),
                                   selectinload(AwardApplication.round))
    counts = status_counts(form)
    counted = [counts[form.status.data]] if form.status.data in counts else list(counts.values())
    page = keyset(query, REVIEW_ORDER, request.args.get(CURSOR_ARG), PER_PAGE, count=False)
    page.total, page.more = sum(n for n, _more in counted), any(more for _n, more in counted)
    steps = review_steps(current_user)
    chosen = next((r for r in rounds if str(r.id) == (form.round.data or "")), None)
    shown = [(s, f"{n:,}+" if more else n) for s, (n, more) in counts.items()]
    return page_or_fragment(
        "awards/review.html", "results", form=form, page=page, stage=waiting_stage(current_user.role),
        counts=shown, award_round=chosen, today=today_taipei(), decide_form=BulkReviewForm(formdata=None),
        may_forward=Step.FORWARD in steps, may_approve=Step.APPROVE in steps,
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


def bulk_step(application, step: Step, form: BulkReviewForm):
    if step == Step.FORWARD:
        operations.forward(application, current_user, form.note.data, today_taipei())
    elif step == Step.APPROVE:
        operations.approve(application, current_user, today_taipei())
    else:
        operations.return_application(application, form.reason.data, current_user)


@bp.post("/review")
@access.allow(*REVIEWERS)
def decide_many():
    """Forward (sector) or approve (ministry) or return the ticked applications, each on its own."""
    form = BulkReviewForm()
    action = request.form.get("action")
    back = url_for(".review", **{k: str(request.args[k])[:20] for k in FILTER_KEYS if request.args.get(k)})
    ids = set(ids_in(request.form.getlist("application_id")))
    if action not in review_steps(current_user) or not ids or not form.validate():
        flash(_("Tick at least one application and choose what to do with it."), "error")
        return redirect(back)
    step = Step(action)
    if step == Step.RETURN and not form.reason.data:
        flash(_("Please give the reason for returning the applications."), "error")
        return redirect(back)
    chosen = db.session.scalars(select(AwardApplication).where(
        AwardApplication.id.in_(ids), review_scope(current_user)).order_by(AwardApplication.id)).all()
    stage, done, refused = waiting_stage(current_user.role), 0, []
    for application in chosen:
        name = application.person.name
        if not same_version(application, request.form.get(f"version-{application.id}")) or application.status != stage:
            refused.append(_("%(name)s: this application changed since the list was shown; reload it and try "
                             "again.", name=name))
            continue
        try:
            with db.session.begin_nested():
                bulk_step(application, step, form)
            done += 1
        except AwardError as exc:
            refused.append(f"{name}: {exc.message}")
        except (StaleDataError, IntegrityError):
            refused.append(_("%(name)s: someone changed this application at the same moment; reload the list and "
                             "try again.", name=name))
    db.session.commit()
    message = {Step.FORWARD: ngettext("%(num)d application forwarded to the ministry.",
                                      "%(num)d applications forwarded to the ministry.", done),
               Step.APPROVE: ngettext("%(num)d application approved; the award is in the volunteer's record.",
                                      "%(num)d applications approved; the awards are in the volunteers' records.", done),
               Step.RETURN: ngettext("%(num)d application returned to its unit.",
                                     "%(num)d applications returned to their units.", done)}[step]
    flash(message, "success" if done else "info")
    for text in refused:
        flash(text, "error")
    return redirect(back)
