"""The unit's award pages: who can get an award in an open round (eligible now, close, everyone), applying
for the ticked volunteers with a merit statement each, and withdrawing an application."""
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.platform import access
from portal.platform.database import reads_from_replica
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.params import ids_in
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person

from . import bp, facts, operations
from .forms import ApplyForm, EligibilityFilter, VersionForm, choose_round
from .models import AwardApplication, AwardRound
from .operations import AwardError
from .rules import STANDINGS, Result, Standing, Step, evaluate, may_take, shown, standing, standing_of
from .scopes import application_scope, applying_round, elsewhere, get_application_or_404, open_rounds, serving_people
from .views import PER_PAGE, run_step


@dataclass(frozen=True)
class Row:
    """One volunteer of the unit's list: the engine's result and where the volunteer stands."""
    person: Person
    result: Result
    standing: Standing

    @property
    def eligible(self) -> bool:
        return self.standing == Standing.ELIGIBLE

    @property
    def papers(self) -> bool:
        return self.standing == Standing.PAPERS

    @property
    def near(self) -> bool:
        return self.standing == Standing.NEAR

    @property
    def applied(self) -> bool:
        return self.standing == Standing.APPLIED


@bp.get("/")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
@reads_from_replica
def index():
    """Unit staff: who can get an award in the chosen round, and the unit's applications in it."""
    other = elsewhere(current_user)
    if other is not None:
        return redirect(url_for(other))
    form = EligibilityFilter(request.args)
    award_round = choose_round(form.round, open_rounds())
    form.reset_invalid()
    today = today_taipei()
    rows_shown, total, applications = [], 0, []
    page = form.page.data or 1
    if award_round is not None:
        rows_shown, total = unit_page(current_user.unit_id, award_round, form.show.data or "near", form.q.data,
                                      page, PER_PAGE)
        applications = db.session.scalars(
            select(AwardApplication).where(application_scope(current_user),
                                           AwardApplication.round_id == award_round.id)
            .options(selectinload(AwardApplication.person)).order_by(AwardApplication.id.desc())).all()
    return page_or_fragment(
        "awards/index.html", "results", form=form, award_round=award_round, today=today,
        rows=rows_shown, any_selectable=any(r.eligible for r in rows_shown), total=total, page=page,
        pages=max((total - 1) // PER_PAGE + 1, 1), applications=applications,
        withdrawable={a.id for a in applications if may_take(Step.WITHDRAW, a.status)},
        may_apply=award_round is not None and award_round.accepts_unit_applications(today),
        version_form=VersionForm(formdata=None))


def unit_page(unit_id: int, award_round: AwardRound, show: str, q: str | None, page: int,
              per_page: int) -> tuple[list[Row], int]:
    """One page of the unit's current volunteers the "Show" choice lists (eligible first, then by hours,
    then by name) and how many the list has. Every volunteer's facts come from set-based queries and are
    ranked without the engine's words (rules.standing_of); the engine runs for the page only."""
    current = (Membership.unit_id == unit_id, Membership.is_current)
    if q:   # the memberships' copy of the name (registry.sort_names)
        current += (Membership.sort_name.contains(q, autoescape=True),)
    members = select(Membership.person_id).where(*current)
    # Name order from the unit's own index range (unit_id, sort_name): no walk over every person by name.
    by_name = db.session.scalars(select(Membership.person_id).where(*current).group_by(Membership.person_id)
                                 .order_by(func.min(Membership.sort_name), Membership.person_id)).all()
    known = facts.load_facts(members, award_round)
    wanted = shown(show)
    ranked = []
    for position, pid in enumerate(by_name):
        place = standing_of(known[pid])
        if place in wanted:
            ranked.append((STANDINGS.index(place), -known[pid].half_hours, position, pid))
    ranked.sort()
    ids = [pid for *_key, pid in ranked[(page - 1) * per_page: page * per_page]]
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    rows = []
    for pid in ids:
        result = evaluate(known[pid])
        rows.append(Row(people[pid], result, standing(result)))
    return rows, len(ranked)


def chosen_people(ids) -> list[Person]:
    """The chosen people who currently serve in the user's unit (anyone else is ignored)."""
    wanted = set(ids_in(ids))
    return serving_people(current_user.unit_id, ids=wanted) if wanted else []


@bp.route("/apply", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def apply():
    """The summary of the ticked volunteers with a merit statement each; sending applies for all of them."""
    form = ApplyForm()
    posted = request.method == "POST"
    award_round = applying_round(form.round_id.data if posted else request.args.get("round_id"))
    ids = [e.form.person_id.data for e in form.entries] if posted else request.args.getlist("person_id")
    people = chosen_people(ids)
    if award_round is None or not people:
        flash(_("Choose an open round and tick at least one volunteer to apply for."), "error")
        return redirect(url_for(".index"))
    if not posted:
        form = ApplyForm(formdata=None, data={"round_id": str(award_round.id),
                                              "entries": [{"person_id": str(p.id)} for p in people]})
    results = facts.eligibility([p.id for p in people], award_round)
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
            flash(ngettext("%(num)d application was sent to the sector authority. You can withdraw it until it "
                           "handles it.", "%(num)d applications were sent to the sector authority. You can "
                           "withdraw them until it handles them.", len(people)), "success")
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
