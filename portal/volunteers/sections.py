"""The unified volunteer view: one builder per section, each loaded on its own (htmx) when opened.

Every builder receives a person the viewer may already see (loaded through scopes.py) and
limits what it shows to the viewer's scope: another unit's hour entries only as a total per unit
(docs/rules/record-book.md#b8), documents through the certificates scope.
"""
from flask_login import current_user
from sqlalchemy import select, true
from sqlalchemy.orm import contains_eager

from portal.awards.record import award_lines, received_tiers
from portal.documents.kinds import kind_label
from portal.documents.models import Document
from portal.documents.scopes import document_scope
from portal.hours.models import EntryStatus, HourEntry
from portal.hours.operations import person_totals
from portal.hours.scopes import entry_scope
from portal.insurance.facts import cover_of
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.completeness import ITEM_LABELS, ITEMS, item_conditions
from portal.records.forms import RequestForm
from portal.records.models import RecordBookRequest
from portal.records.operations import book_of, pending_request, requirements
from portal.registry.models import Membership, Unit
from portal.registry.scopes import visible_unit_ids

from .forms import PhotoForm, PhotoReviewForm
from .progress import award_progress, honor_card_progress
from .record_book import training_of
from .section_names import SECTIONS  # noqa: E402,F401


def row_units() -> set[int] | None:
    if current_user.role in (access.VOLUNTEER, access.MINISTRY):
        return None
    return set(db.session.scalars(visible_unit_ids(current_user)))


def own_unit_member(person) -> bool:
    return current_user.role in access.UNIT_STAFF and any(
        m.unit_id == current_user.unit_id and m.is_current for m in person.memberships)


def photo(person):
    return {"may_review": own_unit_member(person), "photo_form": PhotoForm(formdata=None),
            "review_form": PhotoReviewForm(formdata=None)}


def training(person):
    return {"records": training_of(person.id)}


def record_book(person):
    history = db.session.scalars(select(RecordBookRequest).where(RecordBookRequest.person_id == person.id)
                                 .order_by(RecordBookRequest.id.desc())).all()
    unit_id = current_user.unit_id if own_unit_member(person) else None
    return {"book": book_of(person.id), "pending": pending_request(person.id), "history": history,
            "requirements": requirements(person, unit_id), "may_request": own_unit_member(person),
            "request_form": RequestForm(formdata=None)}


def insurance(person):
    return {"cover": cover_of(person.id), "today": today_taipei()}


def hours(person):
    totals = person_totals(person.id, row_units())
    recent = db.session.scalars(
        select(HourEntry).join(HourEntry.unit).options(contains_eager(HourEntry.unit))
        .where(HourEntry.person_id == person.id, entry_scope(current_user))
        .order_by(HourEntry.start_on.desc(), HourEntry.id.desc()).limit(20)).all()
    return {"totals": totals, "recent": recent}


def awards(person):
    totals = person_totals(person.id, None)
    lines = award_lines(person.id)
    return {"progress": award_progress(totals.total, dict(totals.by_field), received_tiers(lines)), "awards": lines}


def honor_cards(person):
    totals = person_totals(person.id, None)
    first = db.session.scalar(select(HourEntry.start_on).where(HourEntry.person_id == person.id,
                                                               HourEntry.status == EntryStatus.ACTIVE)
                              .order_by(HourEntry.start_on).limit(1))
    return {"progress": honor_card_progress(person.id, totals.total, first, today_taipei())}


def documents(person):
    docs = db.session.scalars(select(Document).where(Document.person_id == person.id, document_scope(current_user))
                              .order_by(Document.issued_at.desc(), Document.id.desc()).limit(50)).all()
    return {"documents": docs, "kind_label": kind_label}


def completeness(person):
    today = today_taipei()
    units = db.session.scalars(
        select(Unit).join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.person_id == person.id, Membership.is_current,
               Unit.id.in_(visible_unit_ids(current_user)) if current_user.role != access.VOLUNTEER else true())
        .distinct().order_by(Unit.code)).all()
    rows = []
    for unit in units:
        conditions = item_conditions(person.id, unit.id, today)
        flags = db.session.execute(select(*[c for c in conditions.values()])).one()
        rows.append((unit, dict(zip(conditions, (bool(f) for f in flags), strict=True))))
    return {"rows": rows, "items": ITEMS, "labels": ITEM_LABELS}


BUILDERS = {"photo": photo, "training": training, "record_book": record_book, "insurance": insurance,
            "hours": hours, "awards": awards, "honor_cards": honor_cards, "documents": documents,
            "completeness": completeness}
