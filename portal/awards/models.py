"""Awards (志願服務獎勵): the ministry's yearly rounds, units' applications, and awards received.

Two MOHW schemes run as configurable rounds (docs/rules/awards.md#a4): the general award (3,000 / 5,000 /
8,000 h, 銅/銀/金牌) and the health-and-welfare award (1,500 / 2,000 / 2,500 h, 銅/銀/金質徽章).
An application goes unit → the unit's sector authority (forwards or returns) → the ministry
(approves or returns); approval writes the award into the record. Awards of other schemes (MOE,
culture, labour...) are imported by the authority that gave them, with provenance. Nothing is
deleted: applications are withdrawn or returned, awards revoked with a reason.
"""
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

GENERAL, HEALTH_WELFARE, OTHER = "general", "health_welfare", "other"
SCHEMES = (GENERAL, HEALTH_WELFARE)
SCHEME_LABELS = {GENERAL: _l("Volunteer service award (general)"),
                 HEALTH_WELFARE: _l("Health and welfare volunteer award"),
                 OTHER: _l("Other award")}

BRONZE, SILVER, GOLD = "bronze", "silver", "gold"
TIERS = (BRONZE, SILVER, GOLD)
TIER_LABELS = {
    GENERAL: {BRONZE: _l("bronze medal (銅牌)"), SILVER: _l("silver medal (銀牌)"), GOLD: _l("gold medal (金牌)")},
    HEALTH_WELFARE: {BRONZE: _l("bronze badge (銅質徽章)"), SILVER: _l("silver badge (銀質徽章)"),
                     GOLD: _l("gold badge (金質徽章)")},
}

OPEN_ROUND, CLOSED_ROUND = "open", "closed"

SUBMITTED, FORWARDED, APPROVED, RETURNED, WITHDRAWN = "submitted", "forwarded", "approved", "returned", "withdrawn"
APPLICATION_STATUSES = (SUBMITTED, FORWARDED, APPROVED, RETURNED, WITHDRAWN)
OPEN_STATUSES = (SUBMITTED, FORWARDED)
APPLICATION_STATUS_LABELS = {
    SUBMITTED: _l("Waiting for the sector authority"), FORWARDED: _l("Forwarded to the ministry"),
    APPROVED: _l("Approved"), RETURNED: _l("Returned"), WITHDRAWN: _l("Withdrawn by the unit"),
}
ONLINE, PAPER = "online", "paper"
CHANNEL_LABELS = {ONLINE: _l("Online"), PAPER: _l("Paper (entered by the authority)")}

VALID, REVOKED = "valid", "revoked"
AWARD_STATUS_LABELS = {VALID: _l("Valid"), REVOKED: _l("Revoked")}
FROM_APPLICATION, FROM_IMPORT = "application", "import"

_OPEN_ONLY = text("status IN ('submitted', 'forwarded')")


def tier_label(scheme: str, tier: str | None) -> str:
    return str(TIER_LABELS.get(scheme, {}).get(tier, tier or ""))


class AwardRound(db.Model):
    """One yearly round of one scheme: hours count up to the cut-off; each stage has its deadline."""
    __tablename__ = "award_rounds"
    __table_args__ = (UniqueConstraint("scheme", "year", name="uq_award_rounds_scheme_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    cutoff_on: Mapped[date]
    unit_deadline: Mapped[date]
    review_deadline: Mapped[date]
    ministry_deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=OPEN_ROUND)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def scheme_label(self) -> str:
        return str(SCHEME_LABELS.get(self.scheme, self.scheme))

    def accepts_unit_applications(self, today: date) -> bool:
        return self.status == OPEN_ROUND and today <= self.unit_deadline

    def __repr__(self):
        return f"<AwardRound {self.scheme} {self.year}>"


class AwardApplication(db.Model):
    """A unit's application for one volunteer in one round, with the hours it was made on."""
    __tablename__ = "award_applications"
    __table_args__ = (
        # One open application per volunteer and round, whichever unit applied ("one tier per round").
        Index("uq_award_applications_open", "person_id", "round_id", unique=True,
              sqlite_where=_OPEN_ONLY, postgresql_where=_OPEN_ONLY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_rounds.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    tier: Mapped[str] = mapped_column(String(10))
    half_hours: Mapped[int] = mapped_column(default=0)
    merit: Mapped[str] = mapped_column(Text, default="")          # 事蹟 (merit statement)
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    channel: Mapped[str] = mapped_column(String(10), default=ONLINE)
    status: Mapped[str] = mapped_column(String(10), default=SUBMITTED, index=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(String(300), default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(String(300), default="")
    version: Mapped[int] = mapped_column(default=1)

    round: Mapped[AwardRound] = relationship()
    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    applied_by: Mapped["User | None"] = relationship(foreign_keys=[applied_by_id])  # noqa: F821
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return str(APPLICATION_STATUS_LABELS.get(self.status, self.status))

    @property
    def tier_label(self) -> str:
        return tier_label(self.round.scheme, self.tier)

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))

    def __repr__(self):
        return f"<AwardApplication {self.id} {self.tier} {self.status}>"


class Award(db.Model):
    """An award a volunteer received: from an approved application or imported with its provenance."""
    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")   # the award's own name (other schemes)
    issuer: Mapped[str] = mapped_column(String(120), default="")
    year: Mapped[int]
    awarded_on: Mapped[date | None]
    half_hours: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(12), default=FROM_APPLICATION)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("award_applications.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_filename: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(10), default=VALID)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    application: Mapped[AwardApplication | None] = relationship()
    imported_by: Mapped["User | None"] = relationship(foreign_keys=[imported_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        """What the record book prints: the scheme and tier, or the imported award's own title."""
        if self.scheme in SCHEMES:
            return _("%(scheme)s: %(tier)s", scheme=SCHEME_LABELS[self.scheme], tier=tier_label(self.scheme, self.tier))
        return self.title

    def __repr__(self):
        return f"<Award {self.id} {self.scheme} {self.tier} {self.year}>"
