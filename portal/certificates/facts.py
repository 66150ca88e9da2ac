"""Loads from the database the facts the certificate rules need: hours, memberships, units, training,
open requests and valid certificates, for one person or a whole unit in a fixed number of queries."""
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import and_, extract, func, select

from portal.documents.models import Document, DocumentStatus
from portal.hours.models import ACTIVE, HourEntry
from portal.hours.summaries import HourMonth
from portal.platform.extensions import db
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Membership, Person, Unit
from portal.training.models import TrainingRecord, TrainingStatus

from . import rules
from .models import OPEN_REQUEST_STATUSES, PERFORMANCE, CertificateRequest, RequestStatus
from .rules import Candidate, HourRow, ServiceSummary, performance_eligibility

HoursSource = Callable[[list[int], int | None], Iterable[HourRow]]


def recorded_hours(person_ids: list[int], unit_id: int | None) -> list[HourRow]:
    """Active hour entries from the hours feature, summed per person, unit, field and year (by the
    start date, as the hours screens count them)."""
    year = extract("year", HourEntry.start_on)
    query = (select(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, func.min(HourEntry.start_on),
                    func.max(HourEntry.end_on), func.sum(HourEntry.half_hours))
             .where(HourEntry.person_id.in_(person_ids), HourEntry.status == ACTIVE)
             .group_by(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, year))
    if unit_id is not None:
        query = query.where(HourEntry.unit_id == unit_id)
    return [HourRow(pid, uid, field_code, start_on, end_on, int(half))
            for pid, uid, field_code, start_on, end_on, half in db.session.execute(query)]


def service_summaries(person_ids: Iterable[int], unit_id: int | None = None, *,
                      hours_source: HoursSource | None = None) -> dict[int, ServiceSummary]:
    """Service of several people (in one unit, or everywhere) in two queries (rules.summarise counts it).

    Hours come from `hours_source` (tests pass a double), by default the hours feature.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    members = select(Membership).where(Membership.person_id.in_(ids)).order_by(Membership.joined_on, Membership.id)
    if unit_id is not None:
        members = members.where(Membership.unit_id == unit_id)
    memberships = db.session.scalars(members).all()
    rows = (hours_source or recorded_hours)(ids, unit_id) or []
    return rules.summarise(ids, memberships, rows)


def service_summary(person_id: int, unit_id: int | None = None, *,
                    hours_source: HoursSource | None = None) -> ServiceSummary:
    return service_summaries([person_id], unit_id, hours_source=hours_source)[person_id]


def units_by_id(unit_ids: Iterable[int]) -> dict[int, Unit]:
    ids = list(set(unit_ids))
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}


def training_rows(person_id: int) -> list[dict]:
    """Verified training for the transcript."""
    records = db.session.scalars(select(TrainingRecord).where(
        TrainingRecord.person_id == person_id, TrainingRecord.status == TrainingStatus.VERIFIED)
        .order_by(TrainingRecord.completed_on, TrainingRecord.id))
    return [{
        "kind": r.kind, "field_en": FIELD_BY_CODE[r.field_code].name_en if r.field_code in FIELD_BY_CODE else "",
        "course_name": r.course_name or "", "completed_on": r.completed_on.isoformat() if r.completed_on else None,
        "hours": str(r.hours) if r.hours is not None else "",
    } for r in records]


def request_problems(kind: str, person: Person, unit: Unit, *, hours_source: HoursSource | None = None,
                     on: date | None = None) -> list[str]:
    """Why a request cannot be sent (or a certificate issued) now; empty when it can (rules.request_problems
    on the unit's service for a performance certificate, on the whole record for an English document)."""
    if kind == PERFORMANCE:
        summary = service_summary(person.id, unit.id, hours_source=hours_source)
        return rules.request_problems(kind, person, summary, [unit], on)
    summary = service_summary(person.id, hours_source=hours_source)
    units = list(units_by_id([unit.id] + summary.unit_ids()).values())
    return rules.request_problems(kind, person, summary, units, on)


def open_request_for(kind: str, person_id: int, unit_id: int) -> CertificateRequest | None:
    return db.session.scalar(select(CertificateRequest).where(
        CertificateRequest.kind == kind, CertificateRequest.person_id == person_id,
        CertificateRequest.unit_id == unit_id, CertificateRequest.status.in_(OPEN_REQUEST_STATUSES)))


def unit_candidates(unit: Unit, *, hours_source: HoursSource | None = None, on: date | None = None) -> list[Candidate]:
    """Everyone who served in the unit, with the performance-certificate eligibility of each.

    The eligibility needs only the first service date and the hours in the unit (rules.performance_eligibility),
    so the summaries here carry just those, in a fixed number of queries whatever the unit's size: the hours
    from the monthly summaries (hours.summaries.HourMonth, the unit's index), the first service date from the
    memberships and each volunteer's first entry in the unit (one index probe each, never the unit's
    entries). A certificate itself is made from the full summary (service_summary). `hours_source` (tests'
    doubles) takes the full path."""
    people = db.session.scalars(select(Person).join(Membership).where(Membership.unit_id == unit.id)
                                .distinct().order_by(Person.name, Person.id)).all()
    ids = [p.id for p in people]
    if hours_source is not None:
        summaries = service_summaries(ids, unit.id, hours_source=hours_source)
    else:
        summaries = _first_and_total(unit.id, ids)
    open_requests = {r.person_id: r for r in db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.unit_id == unit.id, CertificateRequest.kind == PERFORMANCE,
        CertificateRequest.status.in_(OPEN_REQUEST_STATUSES)))}
    valid = {d.person_id: d for d in db.session.scalars(select(Document).where(
        Document.unit_id == unit.id, Document.kind == PERFORMANCE, Document.status == DocumentStatus.VALID))}
    return [Candidate(p, summaries[p.id], performance_eligibility(summaries[p.id], on), open_requests.get(p.id),
                      valid.get(p.id)) for p in people]


def _first_and_total(unit_id: int, ids: list[int]) -> dict[int, ServiceSummary]:
    """Per person: the first service date in the unit (first membership, first active entry) and the active
    hours in the unit, as ServiceSummary without rows and periods (what the candidates list shows)."""
    firsts = select(Membership.person_id, func.min(Membership.joined_on).label("joined")).where(
        Membership.unit_id == unit_id).group_by(Membership.person_id).subquery()
    first_entry = (select(func.min(HourEntry.start_on))
                   .where(HourEntry.person_id == firsts.c.person_id, HourEntry.unit_id == unit_id,
                          HourEntry.status == ACTIVE).scalar_subquery())
    summaries = {pid: ServiceSummary(pid) for pid in ids}
    for pid, joined, entry in db.session.execute(select(firsts.c.person_id, firsts.c.joined, first_entry)):
        if pid in summaries:
            summaries[pid].first_service_date = min(filter(None, [joined, entry]))
    for pid, half in db.session.execute(
            select(HourMonth.person_id, func.sum(HourMonth.half_hours))
            .where(HourMonth.unit_id == unit_id).group_by(HourMonth.person_id)):
        if pid in summaries:
            summaries[pid].total_half_hours = int(half)
    return summaries


# The open requests by the step that waits on the unit (docs/rules/certificates.md#p2): the register's
# "open" filter and the home page's work list count and list exactly these.
OPEN_STEPS = {
    "prepare": and_(CertificateRequest.kind == PERFORMANCE, CertificateRequest.status == RequestStatus.REQUESTED),
    "countersign": and_(CertificateRequest.kind == PERFORMANCE, CertificateRequest.status == RequestStatus.PREPARED),
    "english": and_(CertificateRequest.kind != PERFORMANCE, CertificateRequest.status == RequestStatus.REQUESTED),
}


def prepared_requests(unit_id: int) -> list[CertificateRequest]:
    """The unit's performance certificates waiting for the supervisor's countersignature."""
    return db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.unit_id == unit_id, CertificateRequest.kind == PERFORMANCE,
        CertificateRequest.status == RequestStatus.PREPARED).order_by(CertificateRequest.id)).all()
