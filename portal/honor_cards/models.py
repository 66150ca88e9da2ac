"""Honor cards (志願服務榮譽卡), the units' applications for them, card numbering, and venues.

A card is never deleted: cancellation (註銷) and replacement by a reissued card (補發) are
statuses. Its kind says how it came about: first issue (初次), renewal (換發) or reissue (補發).
Cards written by the county's import keep who imported them and from which file.
"""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.platform.uploads import StoredFile  # noqa: F401  (the target of HonorCardApplication.letter)
from portal.registry.catalog import COUNTY_BY_CODE

from .numbers import number_key


class CardKind(StrEnum):
    """How a card came about; the values are what the database stores."""
    FIRST = "first"         # 初次
    RENEWAL = "renewal"     # 換發: after an earlier card, with a new counting window
    REISSUE = "reissue"     # 補發: a lost or damaged card replaced with the same validity


KIND_LABELS = {CardKind.FIRST: _l("First issue (初次)"), CardKind.RENEWAL: _l("Renewal (換發)"),
               CardKind.REISSUE: _l("Reissue (補發)")}


class CardStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"     # 註銷
    REPLACED = "replaced"       # by a reissued card


CARD_STATUS_LABELS = {CardStatus.VALID: _l("Valid"), CardStatus.CANCELLED: _l("Cancelled (註銷)"),
                      CardStatus.REPLACED: _l("Replaced by a reissued card")}


class CardSource(StrEnum):
    APPLICATION = "application"     # an approved application
    IMPORT = "import"               # the county's import, with its batch and file
    REISSUE = "reissue"             # reissued by the county


# Anything else reads as an application (the column's default).
CARD_SOURCE_LABELS = {CardSource.IMPORT: _l("Imported"), CardSource.REISSUE: _l("Reissued")}


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"     # waiting for the county
    CANCELLED = "cancelled"     # by the unit
    APPROVED = "approved"
    RETURNED = "returned"


APPLICATION_STATUSES = tuple(ApplicationStatus)
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Waiting for the county"), ApplicationStatus.CANCELLED: _l("Cancelled by the unit"),
    ApplicationStatus.APPROVED: _l("Approved"), ApplicationStatus.RETURNED: _l("Returned by the county")}


class CardForm(StrEnum):
    """Which form of the card a venue accepts."""
    PAPER = "paper"
    ELECTRONIC = "electronic"
    BOTH = "both"


CARD_FORM_LABELS = {CardForm.PAPER: _l("Paper card only"), CardForm.ELECTRONIC: _l("Electronic card only"),
                    CardForm.BOTH: _l("Paper or electronic card")}


class Discount(StrEnum):
    FREE = "free"
    HALF = "half"
    OTHER = "other"


DISCOUNT_LABELS = {Discount.FREE: _l("Free entry"), Discount.HALF: _l("Half price"),
                   Discount.OTHER: _l("Other discount")}

_SUBMITTED_ONLY = text("status = 'submitted'")


def _number_key_of_insert(context) -> str:
    return number_key(context.get_current_parameters().get("number"))


class HonorCard(db.Model):
    __tablename__ = "honor_cards"
    # Cards approved per year, nationally and per county (the authorities' dashboards).
    __table_args__ = (Index("ix_honor_cards_approved", "approved_on", "id"),
                      Index("ix_honor_cards_county_approved", "county_code", "approved_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    # The number as compared (search, duplicates): filled from `number` on every insert (docs/rules/honor-cards.md#hc13).
    number_key: Mapped[str | None] = mapped_column(String(30), unique=True, index=True, default=_number_key_of_insert)
    kind: Mapped[str] = mapped_column(String(10), default=CardKind.FIRST)
    status: Mapped[str] = mapped_column(String(10), default=CardStatus.VALID, index=True)
    county_code: Mapped[str] = mapped_column(String(3), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("honor_card_applications.id"))
    approved_on: Mapped[date]
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    # The counting window and the hours this card used; they are never counted again.
    window_start: Mapped[date | None]
    window_end: Mapped[date | None]
    half_hours: Mapped[int | None]
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("honor_cards.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    source: Mapped[str] = mapped_column(String(12), default=CardSource.APPLICATION)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_filename: Mapped[str] = mapped_column(String(120), default="")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_on: Mapped[date | None]
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    authority: Mapped["Authority | None"] = relationship()  # noqa: F821
    document: Mapped["Document | None"] = relationship()  # noqa: F821
    imported_by: Mapped["User | None"] = relationship(foreign_keys=[imported_by_id])  # noqa: F821
    replaces: Mapped["HonorCard | None"] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def county(self):
        return COUNTY_BY_CODE.get(self.county_code)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return CARD_STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self):
        return CARD_SOURCE_LABELS.get(self.source, _l("Application"))

    @property
    def is_valid(self) -> bool:
        """Not cancelled and not replaced (it may have expired or not have started yet)."""
        return self.status == CardStatus.VALID

    @property
    def is_imported(self) -> bool:
        return self.source == CardSource.IMPORT

    def in_force_on(self, day: date) -> bool:
        return self.is_valid and self.valid_from <= day <= self.valid_to

    def expired_on(self, day: date) -> bool:
        return self.is_valid and self.valid_to < day

    def __repr__(self):
        return f"<HonorCard {self.number} {self.kind} {self.status}>"


class HonorCardApplication(db.Model):
    """A unit's application for one volunteer, with the eligibility it was made on."""
    __tablename__ = "honor_card_applications"
    __table_args__ = (
        # At most one open application per volunteer, whichever unit applied.
        Index("uq_honor_card_applications_open", "person_id", unique=True,
              sqlite_where=_SUBMITTED_ONLY, postgresql_where=_SUBMITTED_ONLY),
        # The review queue's keyset order.
        Index("ix_honor_card_applications_queue", "status", "applied_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=CardKind.FIRST)
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.SUBMITTED, index=True)
    applied_on: Mapped[date]
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    window_start: Mapped[date | None]
    window_end: Mapped[date | None]
    half_hours: Mapped[int] = mapped_column(default=0)
    letter_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    letter: Mapped["StoredFile | None"] = relationship()
    applied_by: Mapped["User | None"] = relationship(foreign_keys=[applied_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821
    card: Mapped[HonorCard | None] = relationship(
        primaryjoin="HonorCard.application_id == HonorCardApplication.id", viewonly=True, uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return APPLICATION_STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status == ApplicationStatus.SUBMITTED

    def __repr__(self):
        return f"<HonorCardApplication {self.id} {self.status}>"


class Venue(db.Model):
    """A scenic area or venue that honours the card (風景區/場館優惠), kept by the ministry or a county."""
    __tablename__ = "honor_card_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    county_code: Mapped[str] = mapped_column(String(3), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    discount: Mapped[str] = mapped_column(String(10), default=Discount.FREE)
    discount_note: Mapped[str] = mapped_column(String(200), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    card_forms: Mapped[str] = mapped_column(String(10), default=CardForm.BOTH)
    website: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    authority: Mapped["Authority | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def county(self):
        return COUNTY_BY_CODE.get(self.county_code)

    @property
    def card_forms_label(self):
        return CARD_FORM_LABELS.get(self.card_forms, self.card_forms)

    @property
    def discount_label(self):
        return DISCOUNT_LABELS.get(self.discount, self.discount)
