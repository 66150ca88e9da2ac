"""Paper applications: the sector authority enters what a unit sent on paper, checked like an online one."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.params import id_or_none
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person, Unit

from . import bp, facts, operations
from .forms import PaperFilter, PaperForm, choose_round
from .models import AwardRound, Channel
from .operations import AwardError
from .rules import SECTOR_ROLES
from .scopes import applying_round, open_rounds, reviewed_units
from .views import PER_PAGE


def paper_rounds(today) -> list[AwardRound]:
    """Rounds that still take paper applications: open, up to the sector authorities' deadline."""
    return [r for r in open_rounds() if r.accepts_paper_applications(today)]


def id_condition(q: str):
    """Match a name, a full ID number, or an ID masked as printed (first 6 characters only)."""
    plain = q.replace("*", "").replace("＊", "").strip().upper()
    conditions = [Person.name.contains(q, autoescape=True)]
    if len(plain) >= 6 and plain.isalnum():
        conditions.append(Person.id_number == plain if len(plain) > 6 and "*" not in q and "＊" not in q
                          else Person.id_number.startswith(plain[:6], autoescape=True))
    return or_(*conditions)


@bp.get("/paper")
@access.allow(*SECTOR_ROLES)
def paper():
    """Find a volunteer of one of the authority's units to enter a paper application for."""
    form = PaperFilter(request.args)
    today = today_taipei()
    award_round = choose_round(form.round, paper_rounds(today))
    units = db.session.scalars(select(Unit).where(reviewed_units(current_user)).order_by(Unit.code)).all()
    form.unit.choices = options([("", _("All my units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    form.reset_invalid()
    rows = []
    if award_round is not None and form.q.data:
        query = (select(Person, Unit).join(Membership, Membership.person_id == Person.id)
                 .join(Unit, Unit.id == Membership.unit_id)
                 .where(reviewed_units(current_user), Membership.is_current, id_condition(form.q.data))
                 .distinct().order_by(Person.name, Person.id, Unit.code).limit(PER_PAGE))
        if form.unit.data:
            query = query.where(Unit.id == int(form.unit.data))
        found = db.session.execute(query).all()
        results = facts.eligibility([p.id for p, _unit in found], award_round)
        rows = [{"person": p, "unit": u, "result": results[p.id]} for p, u in found]
    return page_or_fragment("awards/paper.html", "results", form=form, award_round=award_round, rows=rows,
                            today=today)


def paper_target():
    """The round, unit and volunteer of a paper entry, or None unless the round takes applications, the unit
    is one of the authority's own and the volunteer serves in it (missing and foreign look the same)."""
    ids = [id_or_none(request.values.get(k)) for k in ("round_id", "unit_id", "person_id")]
    if not all(ids):
        return None
    round_id, unit_id, person_id = ids
    award_round = applying_round(round_id)
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id, reviewed_units(current_user)))
    person = db.session.scalar(select(Person).join(Membership).where(
        Person.id == person_id, Membership.unit_id == unit_id, Membership.is_current).limit(1))
    if award_round is None or unit is None or person is None:
        return None
    return award_round, unit, person


@bp.route("/paper/enter", methods=["GET", "POST"])
@access.allow(*SECTOR_ROLES)
def enter_paper():
    target = paper_target()
    if target is None:
        flash(_("Find the volunteer first, then choose “Enter the paper application”."), "error")
        return redirect(url_for(".paper"))
    award_round, unit, person = target
    result = facts.eligibility([person.id], award_round)[person.id]
    form = PaperForm(data={"round_id": award_round.id, "unit_id": unit.id, "person_id": person.id}) \
        if request.method == "GET" else PaperForm()
    if request.method == "POST" and form.validate():
        try:
            application = operations.apply(award_round, result, unit, form.merit.data, current_user, today_taipei(),
                                           channel=Channel.PAPER)
        except AwardError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        except IntegrityError:
            db.session.rollback()
            flash(_("This volunteer already has an open application in this round."), "error")
        else:
            db.session.commit()
            flash(_("The paper application for %(name)s was recorded; it waits for your review like an online one.",
                    name=person.name), "success")
            return redirect(url_for(".show_application", award_application_id=application.id))
    return render_template("awards/paper_enter.html", form=form, award_round=award_round, unit=unit, person=person,
                           result=result, today=today_taipei()), 422 if request.method == "POST" else 200
