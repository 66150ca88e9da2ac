"""The record book as a whole (composition: it gathers training, insurance, hours and awards). What a record book holds (amended Cert/Book Regs Art. 4, docs/rules/record-book.md#b3): basic data, photo,
training, insurance, service entries by year with totals, awards. One builder serves the page
and the PDF; `row_unit_ids` limits which units' entries appear as rows (docs/rules/record-book.md#b8: a unit sees
another unit's entries for a shared volunteer only as a total per unit).
"""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.awards.record import award_lines
from portal.awards.record import payload_of as awards_payload
from portal.hours.models import ACTIVE as HOURS_ACTIVE
from portal.hours.models import HourEntry
from portal.insurance.facts import cover_of
from portal.platform.extensions import db
from portal.records.models import RecordBook, RecordBookRequest
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Person, Unit
from portal.training.models import TrainingRecord, TrainingStatus


@dataclass
class YearBlock:
    year: int
    entries: list = field(default_factory=list)
    half_hours: int = 0


@dataclass
class BookContent:
    person: Person
    book: RecordBook | None
    history: list
    training: list
    insurance: list
    years: list                 # YearBlock, oldest first, rows of the visible units
    other_units: list           # (Unit, half-hours) of units shown only as a total
    total_half_hours: int       # all units
    awards: list                # awards.record.AwardLine, revoked ones included (marked)


def training_of(person_id: int) -> list[TrainingRecord]:
    return list(db.session.scalars(
        select(TrainingRecord).where(TrainingRecord.person_id == person_id, TrainingRecord.status != TrainingStatus.REJECTED)
        .order_by(TrainingRecord.kind, TrainingRecord.completed_on, TrainingRecord.id)))


def service_years(person_id: int, row_unit_ids: set[int] | None) -> tuple[list[YearBlock], list, int]:
    """Entries by year (visible units) plus totals of the other units; one query each."""
    query = (select(HourEntry).options(joinedload(HourEntry.unit))
             .where(HourEntry.person_id == person_id, HourEntry.status == HOURS_ACTIVE)
             .order_by(HourEntry.start_on, HourEntry.id))
    if row_unit_ids is not None:
        query = query.where(HourEntry.unit_id.in_(row_unit_ids))
    years: dict[int, YearBlock] = {}
    for entry in db.session.scalars(query):
        block = years.setdefault(entry.start_on.year, YearBlock(entry.start_on.year))
        block.entries.append(entry)
        block.half_hours += entry.half_hours
    others = []
    if row_unit_ids is not None:
        others = db.session.execute(
            select(Unit, func.sum(HourEntry.half_hours)).join(Unit, Unit.id == HourEntry.unit_id)
            .where(HourEntry.person_id == person_id, HourEntry.status == HOURS_ACTIVE,
                   HourEntry.unit_id.not_in(row_unit_ids))
            .group_by(Unit).order_by(Unit.code)).all()
    total = sum(b.half_hours for b in years.values()) + sum(int(h) for _, h in others)
    return [years[y] for y in sorted(years)], [(u, int(h)) for u, h in others], total


def book_content(person: Person, book: RecordBook | None, row_unit_ids: set[int] | None) -> BookContent:
    history = list(db.session.scalars(
        select(RecordBookRequest).where(RecordBookRequest.person_id == person.id)
        .order_by(RecordBookRequest.requested_on.desc(), RecordBookRequest.id.desc())))
    years, others, total = service_years(person.id, row_unit_ids)
    return BookContent(person=person, book=book, history=history, training=training_of(person.id),
                       insurance=cover_of(person.id), years=years, other_units=others, total_half_hours=total,
                       awards=award_lines(person.id))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def field_name(code: str | None) -> str:
    entry = FIELD_BY_CODE.get(code) if code else None
    return entry.name if entry else (code or "")


def payload_of(content: BookContent) -> dict:
    """The printed record as plain data (the document's snapshot; Chinese names, ISO dates)."""
    person, book = content.person, content.book
    with force_locale("zh_TW"):
        awards = awards_payload(content.awards)
    return {
        "name": person.name, "name_latin": person.name_latin or "", "sex": person.sex or "",
        "birth_date": _iso(person.birth_date), "id_masked": person.masked_id,
        "number": book.number, "kind": book.kind, "edition": book.edition, "issued_on": _iso(book.issued_on),
        "issuer_name": book.authority.name if book.authority else "",
        "unit_name": book.unit.name if book.unit else "",
        "training": [{"kind": t.kind, "field": field_name(t.field_code), "course_name": t.course_name,
                      "hours": str(t.hours) if t.hours is not None else "", "provider": t.provider,
                      "completed_on": _iso(t.completed_on), "certificate_no": t.certificate_no,
                      "verified": t.status == TrainingStatus.VERIFIED} for t in content.training],
        "insurance": [{"insurer": e.policy.insurer_name, "policy_no": e.policy.policy_no,
                       "unit_name": e.unit.name, "from": _iso(e.starts_on), "to": _iso(e.ends_on)}
                      for e in content.insurance],
        "years": [{"year": b.year, "half_hours": b.half_hours,
                   "entries": [[_iso(e.start_on), _iso(e.end_on) if e.end_on != e.start_on else None, e.unit.name,
                                field_name(e.field_code), e.content or "", e.half_hours] for e in b.entries]}
                  for b in content.years],
        "total_half_hours": content.total_half_hours,
        "awards": awards,
    }
