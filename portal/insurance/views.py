"""Insurance screens: policies of a unit or county, enrolling members (age caps), ending cover, caps."""
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select

from portal.platform import access
from portal.platform.confirm import ask, confirmed
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.i18n import chinese_only, format_date, is_chinese, localized
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership
from portal.registry.scopes import visible_unit_ids

from . import bp
from .facts import candidate_memberships, covered, insurer, insurers
from .forms import EndCoverForm, EnrolForm, InsurerForm, PolicyForm
from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from .operations import InsuranceError, create_policy, end_enrolment, enrol, set_insurer
from .rules import CoverState, age_refusal, cover_state, default_start, end_problem, end_voids, open_cover
from .scopes import get_enrolment_or_404, get_policy_or_404, may_manage_policy, policy_holder_for, policy_scope

MANAGERS = (*access.UNIT_STAFF, access.COUNTY)
SETTINGS = (access.MINISTRY, access.ADMIN)


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


def show_policy(policy, form=None, refusals=(), status=200):
    today = today_taipei()
    enrolments = db.session.scalars(
        select(InsuranceEnrolment).where(InsuranceEnrolment.policy_id == policy.id)
        .join(InsuranceEnrolment.person).order_by(InsuranceEnrolment.status, InsuranceEnrolment.id)).all()
    may_manage = may_manage_policy(current_user, policy)
    info = insurer(policy.insurer_code)
    candidates, notes = [], {}
    if may_manage:
        enrolled = {e.person_id for e in enrolments if open_cover(e, today)}
        seen = set()
        for m in candidate_memberships(policy, current_user):
            if m.person_id in enrolled or (m.person_id, m.unit_id) in seen:
                continue
            seen.add((m.person_id, m.unit_id))
            candidates.append(m)
        start = form.starts_on.data if form is not None and form.starts_on.data else default_start(policy, today)
        notes = {m.id: age_refusal(m.person, policy, start, m.unit, info) for m in candidates}
        form = form or enrol_form(policy, candidates)
    return render_template("insurance/show.html", policy=policy, enrolments=enrolments, candidates=candidates,
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
    candidates = {str(m.id): m for m in candidate_memberships(policy, current_user)}
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

