"""Database rows → the engine's facts, for a whole roster in a fixed number of queries (no N+1)."""
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select

from portal.certificates.models import PERFORMANCE
from portal.documents.models import Document, DocumentStatus
from portal.hours.models import ACTIVE, HourEntry
from portal.platform.extensions import db
from portal.records.models import CANCELLED as BOOK_CANCELLED
from portal.records.models import RecordBook

from .models import OPEN_STATUSES, Award, AwardApplication, AwardRound, AwardStatus, Scheme
from .rules import HEALTH_AND_WELFARE_FIELDS, Facts, Result, evaluate


def load_facts(person_ids: Iterable[int], award_round: AwardRound) -> dict[int, Facts]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    hours = select(HourEntry.person_id, func.sum(HourEntry.half_hours)).where(
        HourEntry.person_id.in_(ids), HourEntry.status == ACTIVE, HourEntry.end_on <= award_round.cutoff_on)
    if award_round.scheme == Scheme.HEALTH_WELFARE:
        hours = hours.where(HourEntry.field_code.in_(HEALTH_AND_WELFARE_FIELDS))
    counted = dict(db.session.execute(hours.group_by(HourEntry.person_id)).all())
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_(ids), RecordBook.kind != BOOK_CANCELLED)))
    certificates = dict(db.session.execute(
        select(Document.person_id, func.max(Document.id)).where(
            Document.person_id.in_(ids), Document.kind == PERFORMANCE, Document.status == DocumentStatus.VALID)
        .group_by(Document.person_id)).all())
    received = defaultdict(set)
    for pid, tier in db.session.execute(select(Award.person_id, Award.tier).where(
            Award.person_id.in_(ids), Award.scheme == award_round.scheme, Award.status == AwardStatus.VALID)):
        received[pid].add(tier)
    applied = set(db.session.scalars(select(AwardApplication.person_id).where(
        AwardApplication.person_id.in_(ids), AwardApplication.round_id == award_round.id,
        AwardApplication.status.in_(OPEN_STATUSES))))
    return {pid: Facts(person_id=pid, scheme=award_round.scheme, cutoff_on=award_round.cutoff_on,
                       half_hours=int(counted.get(pid) or 0), record_book=pid in with_book,
                       performance_certificate_id=certificates.get(pid), received_tiers=received[pid],
                       open_application=pid in applied)
            for pid in ids}


def eligibility(person_ids: Iterable[int], award_round: AwardRound) -> dict[int, Result]:
    return {pid: evaluate(f) for pid, f in load_facts(person_ids, award_round).items()}


def checks_today(application: AwardApplication) -> Result:
    """The engine's checks for an open application as of today, not counting the application itself."""
    facts = load_facts([application.person_id], application.round)[application.person_id]
    facts.open_application = False
    return evaluate(facts)
