"""Finding a volunteer of the unit's roster from what a clerk types: a name, a full ID, or an ID prefix."""
import re
import unicodedata

from sqlalchemy import false, or_, select

from portal.imports.values import same_name
from portal.platform.extensions import db
from portal.registry.identity import mask_id, normalise
from portal.registry.models import Membership, Person

from .rules import Problem

_ID_PREFIX = re.compile(r"^[A-Z][0-9A-Z]\d{0,8}\**$")


def person_label(name: str, id_number: str) -> str:
    return f"{name} {mask_id(id_number)}"


def roster_people(unit_id: int) -> list:
    """(id, name, id_number) of everyone with a membership in the unit, in one query."""
    return db.session.execute(
        select(Person.id, Person.name, Person.id_number)
        .where(Person.id.in_(select(Membership.person_id).where(Membership.unit_id == unit_id)))
        .order_by(Person.name, Person.id)).all()


def roster_suggestions(unit_id: int) -> list[str]:
    """Everyone currently serving in the unit as 'name A12345****', offered in the grid's volunteer cells."""
    people = db.session.execute(
        select(Person.name, Person.id_number).join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id, Membership.is_current).distinct()
        .order_by(Person.name)).all()
    return [person_label(name, number) for name, number in people]


def search_roster(unit_id: int, text: str, limit: int = 20) -> list:
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return []
    prefix = normalise(text).rstrip("*")
    return db.session.execute(
        select(Person.id, Person.name, Person.id_number)
        .where(Person.id.in_(select(Membership.person_id).where(Membership.unit_id == unit_id)),
               or_(Person.name.contains(text, autoescape=True),
                   Person.id_number.startswith(prefix, autoescape=True) if prefix else false()))
        .order_by(Person.name, Person.id).limit(limit)).all()


class RosterIndex:
    """The unit's roster in memory, to resolve many grid cells without a query per cell."""

    def __init__(self, people):
        self.people = list(people)
        self.by_number = {p.id_number: p for p in self.people}

    def resolve(self, text: str):
        """(person row, None) or (None, Problem) for what was typed in a volunteer cell."""
        raw = unicodedata.normalize("NFKC", text or "").strip()
        if not raw:
            return None, Problem("required", "person")
        number = normalise(raw)
        if number in self.by_number:
            return self.by_number[number], None
        # "王小明 A12345****" as offered by the suggestions, or a name, or an ID prefix.
        parts = raw.rsplit(" ", 1)
        name, prefix = raw, ""
        if len(parts) == 2 and _ID_PREFIX.match(normalise(parts[1])):
            name, prefix = parts[0], normalise(parts[1]).rstrip("*")
        elif _ID_PREFIX.match(number) and len(number.rstrip("*")) >= 2:
            name, prefix = "", number.rstrip("*")
        matches = [p for p in self.people
                   if (not name or same_name(p.name, name)) and p.id_number.startswith(prefix)]
        if len(matches) == 1:
            return matches[0], None
        if not matches:
            return None, Problem("no_match", "person")
        return None, Problem("ambiguous_volunteer", "person")
