"""People (one record per volunteer, for life) and their memberships of using units."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.units.catalog import FIELD_BY_CODE
from .identity import mask_id, mask_name

SEXES = ("M", "F", "X")
MEMBERSHIP_STATUSES = ("active", "paused", "trainee", "left")
PHOTO_NONE, PHOTO_PENDING, PHOTO_ACCEPTED = "none", "pending", "accepted"
PHOTO_STATUSES = (PHOTO_NONE, PHOTO_PENDING, PHOTO_ACCEPTED)


class Person(db.Model):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    name_latin: Mapped[str] = mapped_column(String(120), default="")
    id_kind: Mapped[str] = mapped_column(String(10))
    id_number: Mapped[str] = mapped_column(String(20), unique=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None]
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # ID photo (1-inch, 5:7): a stored file of portal/uploads.py; the unit accepts it.
    photo_file_id: Mapped[int | None]
    photo_status: Mapped[str] = mapped_column(String(10), default=PHOTO_NONE)
    photo_uploaded_at: Mapped[datetime | None]
    photo_reviewed_at: Mapped[datetime | None]
    photo_reviewed_by_id: Mapped[int | None]  # users.id (no FK: users already point at people)
    photo_note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="person", order_by="Membership.joined_on")

    __mapper_args__ = {"version_id_col": version}

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def has_accepted_photo(self) -> bool:
        return self.photo_status == PHOTO_ACCEPTED and self.photo_file_id is not None

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def __repr__(self):
        return f"<Person {self.id}>"


class Membership(db.Model):
    """A person serving in a using unit: joined, left, status, service field."""
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "field_code", "joined_on",
                                       name="uq_memberships_person_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    field_code: Mapped[str] = mapped_column(String(20))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(back_populates="memberships")
    unit: Mapped["Unit"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @property
    def is_current(self) -> bool:
        return self.status != "left"
