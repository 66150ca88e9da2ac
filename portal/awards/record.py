"""Awards as a volunteer's record shows them (record book, My record, the unified volunteer view).

Every award is listed, revoked ones too, marked as revoked with the reason: the record never
hides data, but a revoked award is clearly not valid. Each line says where the award came from:
an approved application, or an import (the file and the authority that imported it). One query
per person; the open applications are one more, for My record.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.imports.models import ImportBatch
from portal.platform.extensions import db
from portal.platform.i18n import localized
from portal.registry.models import Authority

from .models import OPEN_STATUSES, SCHEMES, TIERS, Award, AwardApplication, AwardStatus, Scheme


@dataclass(frozen=True)
class AwardLine:
    award: Award
    importer: Authority | None       # the authority whose import recorded the award

    @property
    def name(self) -> str:
        a = self.award
        return f"{a.name} {a.tier}" if a.scheme == Scheme.OTHER and a.tier else a.name

    @property
    def revoked(self) -> bool:
        return self.award.is_revoked

    @property
    def source_text(self) -> str:
        a = self.award
        if a.is_imported:
            return _("imported from %(file)s by %(authority)s", file=a.source_filename or "—",
                     authority=localized(self.importer) or "—")
        return _("approved application")


def award_lines(person_id: int) -> list[AwardLine]:
    """The person's awards, oldest first (undated last in their year), with the importing authority: one query."""
    rows = db.session.execute(
        select(Award, Authority).outerjoin(ImportBatch, ImportBatch.id == Award.import_batch_id)
        .outerjoin(Authority, Authority.id == ImportBatch.authority_id)
        .where(Award.person_id == person_id)
        .order_by(Award.year, Award.awarded_on.is_(None), Award.awarded_on, Award.id)).all()
    return [AwardLine(award, authority) for award, authority in rows]


def received_tiers(lines: list[AwardLine]) -> dict[str, set]:
    """Scheme → tiers held (valid awards of the two MOHW schemes only)."""
    received = {scheme: set() for scheme in SCHEMES}
    for line in lines:
        a = line.award
        if a.status == AwardStatus.VALID and a.scheme in SCHEMES and a.tier in TIERS:
            received[a.scheme].add(a.tier)
    return received


def open_applications(person_id: int) -> list[AwardApplication]:
    """Applications still on their way (submitted or forwarded), with their round and unit: one query."""
    return list(db.session.scalars(
        select(AwardApplication).options(joinedload(AwardApplication.round), joinedload(AwardApplication.unit))
        .where(AwardApplication.person_id == person_id, AwardApplication.status.in_(OPEN_STATUSES))
        .order_by(AwardApplication.applied_at, AwardApplication.id)))


def payload_of(lines: list[AwardLine]) -> list[dict]:
    """The awards as the printed record book keeps them (Chinese names, ISO dates); call in zh_TW."""
    return [{"name": line.name, "year": line.award.year, "issuer": line.award.issuer,
             "awarded_on": line.award.awarded_on.isoformat() if line.award.awarded_on else None,
             "source": line.award.source, "file": line.award.source_filename,
             "importer": line.importer.name if line.importer else "",
             "revoked": line.revoked, "revoke_reason": line.award.revoke_reason}
            for line in lines]
