"""Awards (志願服務獎勵): the ministry's yearly rounds, units' applications, and awards received.

Two MOHW schemes run as configurable rounds (docs/rules/awards.md#a4): the general award (3,000 / 5,000 /
8,000 h, 銅/銀/金牌) and the health-and-welfare award (1,500 / 2,000 / 2,500 h, 銅/銀/金質徽章).
An application goes unit → the unit's sector authority (forwards or returns) → the ministry
(approves or returns); approval writes the award into the record. Awards of other schemes (MOE,
culture, labour...) are imported by the authority that gave them, with provenance. Nothing is
deleted: applications are withdrawn or returned, awards revoked with a reason.
"""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class Scheme(StrEnum):
    """An award's scheme; the values are what the database stores. OTHER: an imported award of any other scheme."""
    GENERAL = "general"
    HEALTH_WELFARE = "health_welfare"
    OTHER = "other"


SCHEMES = (Scheme.GENERAL, Scheme.HEALTH_WELFARE)      # the two MOHW schemes, which run as rounds
SCHEME_LABELS = {Scheme.GENERAL: _l("Volunteer service award (general)"),
                 Scheme.HEALTH_WELFARE: _l("Health and welfare volunteer award"),
                 Scheme.OTHER: _l("Other award")}


class Tier(StrEnum):
    """The tiers of the two MOHW schemes, lowest first (a volunteer only moves up)."""
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


TIERS = tuple(Tier)
TIER_LABELS = {
    Scheme.GENERAL: {Tier.BRONZE: _l("bronze medal (銅牌)"), Tier.SILVER: _l("silver medal (銀牌)"),
                     Tier.GOLD: _l("gold medal (金牌)")},
    Scheme.HEALTH_WELFARE: {Tier.BRONZE: _l("bronze badge (銅質徽章)"), Tier.SILVER: _l("silver badge (銀質徽章)"),
                            Tier.GOLD: _l("gold badge (金質徽章)")},
}


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ApplicationStatus(StrEnum):
    """An application's stage: the sector authority handles submitted ones, the ministry forwarded ones."""
    SUBMITTED = "submitted"
    FORWARDED = "forwarded"
    APPROVED = "approved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


APPLICATION_STATUSES = tuple(ApplicationStatus)
OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.FORWARDED)
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Waiting for the sector authority"),
    ApplicationStatus.FORWARDED: _l("Forwarded to the ministry"),
    ApplicationStatus.APPROVED: _l("Approved"), ApplicationStatus.RETURNED: _l("Returned"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn by the unit"),
}


class Channel(StrEnum):
    ONLINE = "online"
    PAPER = "paper"         # entered by the sector authority from a unit's paper form


CHANNEL_LABELS = {Channel.ONLINE: _l("Online"), Channel.PAPER: _l("Paper (entered by the authority)")}


class AwardStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


AWARD_STATUS_LABELS = {AwardStatus.VALID: _l("Valid"), AwardStatus.REVOKED: _l("Revoked")}


class AwardSource(StrEnum):
    APPLICATION = "application"     # an approved application
    IMPORT = "import"               # the other-award import, with its batch and file


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
    status: Mapped[str] = mapped_column(String(10), default=RoundStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def scheme_label(self) -> str:
        return str(SCHEME_LABELS.get(self.scheme, self.scheme))

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    def accepts_unit_applications(self, today: date) -> bool:
        return self.is_open and today <= self.unit_deadline

    def accepts_paper_applications(self, today: date) -> bool:
        """Sector authorities enter paper applications up to their own deadline."""
        return self.is_open and today <= self.review_deadline

    def __repr__(self):
        return f"<AwardRound {self.scheme} {self.year}>"


class AwardApplication(db.Model):
    """A unit's application for one volunteer in one round, with the hours it was made on."""
    __tablename__ = "award_applications"
    __table_args__ = (
        # One open application per volunteer and round, whichever unit applied ("one tier per round").
        Index("uq_award_applications_open", "person_id", "round_id", unique=True,
              sqlite_where=_OPEN_ONLY, postgresql_where=_OPEN_ONLY),
        # The review queue's keyset order.
        Index("ix_award_applications_queue", "status", "applied_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_rounds.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    tier: Mapped[str] = mapped_column(String(10))
    half_hours: Mapped[int] = mapped_column(default=0)
    merit: Mapped[str] = mapped_column(Text, default="")          # 事蹟 (merit statement)
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    channel: Mapped[str] = mapped_column(String(10), default=Channel.ONLINE)
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.SUBMITTED, index=True)
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
    source: Mapped[str] = mapped_column(String(12), default=AwardSource.APPLICATION)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("award_applications.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_filename: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(10), default=AwardStatus.VALID)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")
    # The award's certificate (document kind "award", docs/rules/awards.md#a11); None for an award given before
    # migration 0025 until `flask awards issue-documents`, or one whose name the font could not print.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    application: Mapped[AwardApplication | None] = relationship()
    document: Mapped["Document | None"] = relationship()  # noqa: F821
    imported_by: Mapped["User | None"] = relationship(foreign_keys=[imported_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        """What the record book prints: the scheme and tier, or the imported award's own title."""
        if self.scheme in SCHEMES:
            return _("%(scheme)s: %(tier)s", scheme=SCHEME_LABELS[self.scheme], tier=tier_label(self.scheme, self.tier))
        return self.title

    @property
    def is_revoked(self) -> bool:
        return self.status == AwardStatus.REVOKED

    @property
    def is_imported(self) -> bool:
        return self.source == AwardSource.IMPORT

    def __repr__(self):
        return f"<Award {self.id} {self.scheme} {self.tier} {self.year}>"
