"""Insurance screens: policies of a unit or county, enrolling members (age caps), ending cover, caps."""
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from portal.platform import access
from portal.platform.confirm import ask, confirmed
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import chinese_only, format_date, is_chinese, localized
from portal.platform.pagination import CURSOR_ARG, asc, keyset
from portal.platform.params import id_or_none
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import visible_unit_ids
from portal.registry.unit_filter import fill_unit_filter

from . import bp
from .facts import candidate_query, covered, insurer, insurers, over_unit_cap
from .forms import CandidateFilter, EndCoverForm, EnrolForm, InsurerForm, PolicyForm
from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from .operations import InsuranceError, create_policy, end_enrolment, enrol, set_insurer
from .rules import CoverState, age_refusal, cover_state, default_start, end_problem, end_voids, open_cover
from .scopes import get_enrolment_or_404, get_policy_or_404, may_manage_policy, policy_holder_for, policy_scope

MANAGERS = (*access.UNIT_STAFF, access.COUNTY)
SETTINGS = (access.MINISTRY, access.ADMIN)
# A county policy covers tens of thousands: candidates come a page at a time, enrolments up to a bound.
CANDIDATES_PER_PAGE = 50
ENROLLED_SHOWN = 200
CANDIDATE_ORDER = (asc(Unit.code), asc(Person.name), asc(Membership.id))


@bp.app_template_global()
def insurer_name(policy: InsurancePolicy) -> str:
    """The policy's insurer in the page's language: the English name where the insurer has one (looked up
    once per request, only on English pages), else the Chinese name marked as such."""
    if is_chinese():
        return policy.insurer_name
    if "insurer_names_en" not in g:
        g.insurer_names_en = {i.code: i.name_en for i in insurers()}
    return g.insurer_names_en.get(policy.insurer_code) or chinese_only(policy.insurer_name)


def insurer_label(info) -> str:
    cap = _("age cap %(n)d", n=info.max_age) if info.max_age else _("no age cap")
    return f"{localized(info)} ({cap})"


@bp.get("/")
@access.allow(*access.RECORD_READERS)
def index():
    today = today_taipei()
    enrolled_now = (select(InsuranceEnrolment.policy_id, func.count(InsuranceEnrolment.id).label("n"))
                    .where(InsuranceEnrolment.status == EnrolmentStatus.ACTIVE, InsuranceEnrolment.starts_on <= today,
                           InsuranceEnrolment.ends_on >= today)
                    .group_by(InsuranceEnrolment.policy_id).subquery())
    rows = db.session.execute(
        select(InsurancePolicy, func.coalesce(enrolled_now.c.n, 0))
        .outerjoin(enrolled_now, enrolled_now.c.policy_id == InsurancePolicy.id)
        .where(policy_scope(current_user), InsurancePolicy.status == PolicyStatus.ACTIVE)
        .order_by(InsurancePolicy.ends_on.desc(), InsurancePolicy.id.desc())).all()
    members = (select(Membership.person_id, Membership.unit_id)
               .where(Membership.is_current, Membership.unit_id.in_(visible_unit_ids(current_user)))
               .distinct().subquery())
    total, insured = db.session.execute(select(
        func.count(), func.coalesce(func.sum(
            case((covered(members.c.person_id, today, members.c.unit_id), 1), else_=0)), 0))
        .select_from(members)).one()
    return render_template("insurance/index.html", rows=rows, total=total, insured=insured, today=today,
                           may_add=policy_holder_for(current_user) is not None, insurers=insurers(),
                           may_see_uninsured=access.may_call("insurance.uninsured"),
                           may_set_caps=access.may_call("insurance.insurers"))


@bp.route("/policies/new", methods=["GET", "POST"])
@access.allow(*MANAGERS)
def new():
    holder = policy_holder_for(current_user)
    if holder is None:
        abort(404)
    form = PolicyForm()
    form.insurer_code.choices = options((i.code, insurer_label(i)) for i in insurers())
    if form.validate_on_submit():
        try:
            policy = create_policy(form.data, holder, current_user)
        except InsuranceError as exc:
            form.insurer_code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Policy %(no)s recorded. Now enrol the volunteers it covers.", no=policy.policy_no), "success")
            return redirect(url_for(".show", policy_id=policy.id))
    return render_template("insurance/new.html", form=form, holder=holder), 422 if form.errors else 200


def enrol_form(policy, candidates, formdata=None):
    form = EnrolForm(formdata=formdata)
    form.members.choices = options((str(m.id), m.person.name) for m in candidates)
    if formdata is None:
        form.starts_on.data = default_start(policy, today_taipei())
    return form


def candidate_filter(policy) -> CandidateFilter:
    """Unit, name, and over the cap (the county's default: the volunteers only the county can insure)."""
    filters = CandidateFilter(request.args)
    fill_unit_filter(filters.unit, current_user, _("All my units"), request.args.get("unit", ""))
    filters.over.choices = options([("over", _("At or above their unit insurer's age cap")),
                                    ("all", _("Everyone not enrolled yet"))])
    if not filters.validate():
        for field in (filters.unit, filters.q, filters.over):
            if field.errors:
                field.data = None
    if not filters.over.data:
        filters.over.data = "all" if policy.unit_id else "over"
    return filters


def filtered(query, filters, unit_column):
    """The query of people (joined) narrowed by the filter's unit and name."""
    unit_id = id_or_none(filters.unit.data or "")
    if unit_id:
        query = query.where(unit_column == unit_id)
    if filters.q.data:
        query = query.where(Person.name.contains(filters.q.data, autoescape=True))
    return query


def show_policy(policy, form=None, refusals=(), status=200):
    today = today_taipei()
    may_manage = may_manage_policy(current_user, policy)
    info, filters = insurer(policy.insurer_code), candidate_filter(policy)
    enrolments = db.session.scalars(filtered(
        select(InsuranceEnrolment).join(InsuranceEnrolment.person).where(InsuranceEnrolment.policy_id == policy.id),
        filters, InsuranceEnrolment.unit_id)
        .order_by(InsuranceEnrolment.status, InsuranceEnrolment.id).limit(ENROLLED_SHOWN + 1)).all()
    page, notes = None, {}
    if may_manage:
        start = form.starts_on.data if form is not None and form.starts_on.data else default_start(policy, today)
        query = filtered(candidate_query(policy, current_user), filters, Membership.unit_id).options(
            contains_eager(Membership.person), contains_eager(Membership.unit))
        if filters.over.data == "over":
            query = query.where(over_unit_cap(start))
        page = keyset(query, CANDIDATE_ORDER, request.args.get(CURSOR_ARG), CANDIDATES_PER_PAGE)
        notes = {m.id: age_refusal(m.person, policy, start, m.unit, info) for m in page.items}
        form = form or enrol_form(policy, page.items)
    return page_or_fragment("insurance/show.html", "candidates", policy=policy, enrolments=enrolments[:ENROLLED_SHOWN],
                           more_enrolled=len(enrolments) > ENROLLED_SHOWN, page=page, filters=filters,
                           candidates=page.items if page else [],
                           notes=notes, form=form, refusals=refusals, may_manage=may_manage, today=today,
                           info=info, end_form=EndCoverForm(formdata=None), CoverState=CoverState,
                           states={e.id: cover_state(e, today) for e in enrolments},
                           may_end={e.id for e in enrolments if open_cover(e, today)}), status


@bp.get("/policies/<int:policy_id>")
@access.allow(*access.RECORD_READERS)
def show(policy_id):
    return show_policy(get_policy_or_404(policy_id, current_user))


@bp.post("/policies/<int:policy_id>/enrol")
@access.allow(*MANAGERS)
def enrol_members(policy_id):
    policy = get_policy_or_404(policy_id, current_user, for_write=True)
    posted = [i for i in (id_or_none(v) for v in request.form.getlist("members")) if i][:CANDIDATES_PER_PAGE * 4]
    candidates = {str(m.id): m for m in db.session.scalars(
        candidate_query(policy, current_user).where(Membership.id.in_(posted)))}
    form = enrol_form(policy, candidates.values(), formdata=request.form)
    if not form.validate():
        return show_policy(policy, form, status=422)
    chosen = [candidates[i] for i in form.members.data if i in candidates]
    if not chosen:
        form.members.errors = [_("Choose at least one volunteer.")]
        return show_policy(policy, form, status=422)
    done, refusals = 0, []
    for membership in chosen:
        try:
            with db.session.begin_nested():
                enrol(policy, membership, form.starts_on.data, current_user)
            done += 1
        except InsuranceError as exc:
            refusals.append(str(exc))
    db.session.commit()
    if done:
        flash(ngettext("%(num)d volunteer enrolled.", "%(num)d volunteers enrolled.", done), "success")
    if refusals:
        return show_policy(policy, enrol_form(policy, candidates.values()), refusals=refusals,
                           status=200 if done else 422)
    return redirect(url_for(".show", policy_id=policy.id))


@bp.post("/enrolments/<int:enrolment_id>/end")
@access.allow(*MANAGERS)
def end(enrolment_id):
    enrolment = get_enrolment_or_404(enrolment_id, current_user, for_write=True)
    form = EndCoverForm()
    if form.validate_on_submit():
        check_version(enrolment, form)
        ends_on, name = form.ends_on.data, enrolment.person.name
        if not confirmed() and not end_problem(enrolment, ends_on):   # docs/rules/platform.md#pl9
            return ask(_("End the insurance cover"), [
                _("The cover of %(name)s is void: it ends before it started on %(start)s.", name=name,
                  start=format_date(enrolment.starts_on)) if end_voids(enrolment, ends_on)
                else _("The cover of %(name)s ends on %(date)s instead of %(end)s; service after that day is not "
                       "insured by this policy.", name=name, date=format_date(ends_on),
                       end=format_date(enrolment.ends_on)),
                _("Ending cover cannot be undone; enrol the volunteer again if needed.")],
                _("Yes, end the cover"), url_for(".show", policy_id=enrolment.policy_id))
        try:
            end_enrolment(enrolment, form.ends_on.data, form.reason.data, current_user)
        except InsuranceError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Cover of %(name)s ends on the date given.", name=enrolment.person.name), "success")
    else:
        flash(_("Give the last day of cover and the reason."), "error")
    return redirect(url_for(".show", policy_id=enrolment.policy_id))


@bp.route("/insurers", methods=["GET", "POST"], endpoint="insurers")
@access.allow(*SETTINGS)
def insurer_settings():
    form = InsurerForm()
    if form.validate_on_submit():
        set_insurer(form.code.data, form.name.data, form.name_en.data or "", form.max_age.data, current_user)
        db.session.commit()
        flash(_("Insurer %(name)s saved.", name=form.name.data), "success")
        return redirect(url_for(".insurers"))
    return render_template("insurance/insurers.html", form=form, insurers=insurers()), 422 if form.errors else 200

