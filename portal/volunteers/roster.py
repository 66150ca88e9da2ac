"""The roster query: one row per membership with training, record book, insurance and this year's
hours as computed columns, so the whole page (and the export) is one query with no per-row loads."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import contains_eager

from portal.hours.models import ACTIVE as HOURS_ACTIVE
from portal.hours.models import HourEntry
from portal.insurance.facts import covered
from portal.records.operations import valid_book_exists
from portal.registry.identity import normalise
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import membership_scope
from portal.training.facts import verified_basic, verified_special


def conditions(today: date) -> dict:
    """SQL conditions on the membership row for the yes/no columns."""
    return {
        "training": and_(verified_basic(Membership.person_id),
                         verified_special(Membership.person_id, Membership.field_code)),
        "book": valid_book_exists(Membership.person_id),
        "insured": covered(Membership.person_id, today, Membership.unit_id),
    }


def hours_this_year(today: date):
    return (select(func.coalesce(func.sum(HourEntry.half_hours), 0))
            .where(HourEntry.person_id == Membership.person_id, HourEntry.unit_id == Membership.unit_id,
                   HourEntry.status == HOURS_ACTIVE, HourEntry.start_on >= date(today.year, 1, 1),
                   HourEntry.start_on <= date(today.year, 12, 31))
            .correlate(Membership).scalar_subquery())


@dataclass
class RosterRow:
    membership: Membership
    training: bool
    book: bool
    insured: bool
    half_hours: int

    @property
    def person(self):
        return self.membership.person

    @property
    def unit(self):
        return self.membership.unit


def roster_query(form, user, today: date):
    flags = conditions(today)
    query = (select(Membership, *[case((c, 1), else_=0).label(k) for k, c in flags.items()],
                    hours_this_year(today).label("half_hours"))
             .join(Membership.person).join(Membership.unit)
             .options(contains_eager(Membership.person), contains_eager(Membership.unit))
             .where(membership_scope(user)))
    if form.q.data:
        text = form.q.data
        query = query.where(or_(Person.name.contains(text, autoescape=True),
                                Person.id_number.startswith(normalise(text), autoescape=True)))
    if form.unit.data:
        query = query.where(Membership.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Membership.field_code == form.field.data)
    if form.status.data:
        query = query.where(Membership.status == form.status.data)
    for key in ("training", "book", "insured"):
        wanted = getattr(form, key).data
        if wanted == "yes":
            query = query.where(flags[key])
        elif wanted == "no":
            query = query.where(not_(flags[key]))
    return query.order_by(Unit.code, Person.name, Membership.id)


def rows_of(result) -> list[RosterRow]:
    return [RosterRow(m, bool(t), bool(b), bool(i), int(h or 0)) for m, t, b, i, h in result]
