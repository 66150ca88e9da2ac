"""Authorities (ministry, counties, sector authorities) and using units (運用單位).

People (one record per volunteer, for life) and their memberships of using units.
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DDL, ForeignKey, Index, String, UniqueConstraint, event, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .catalog import COUNTY_BY_CODE, FIELD_BY_CODE
from .identity import mask_id, mask_name
from .sort_names import trigger_statements as sort_name_triggers


class AuthorityKind(StrEnum):
    MINISTRY = "ministry"
    COUNTY = "county"
    SECTOR_LOCAL = "sector_local"
    SECTOR_CENTRAL = "sector_central"


AUTHORITY_KINDS = tuple(AuthorityKind)
SECTORS = ("public", "private")


class Authority(db.Model):
    __tablename__ = "authorities"
    __table_args__ = (UniqueConstraint("kind", "county_code", "field_code", name="uq_authorities_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    county_code: Mapped[str | None] = mapped_column(String(3), index=True)
    field_code: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self):
        return f"<Authority {self.kind} {self.county_code or ''} {self.field_code or ''}>"


class Unit(db.Model):
    __tablename__ = "units"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_units_county_list", "county_code", "code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    county_code: Mapped[str] = mapped_column(String(3), index=True)
    field_code: Mapped[str] = mapped_column(String(20), index=True)
    sector: Mapped[str] = mapped_column(String(10))
    sector_authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sector_authority: Mapped[Authority | None] = relationship()
    extra_fields: Mapped[list["UnitField"]] = relationship(
        cascade="all, delete-orphan", order_by="UnitField.field_code")

    @property
    def county(self):
        return COUNTY_BY_CODE.get(self.county_code)

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @property
    def field_codes(self) -> list[str]:
        """Main field first, then any further fields the unit serves."""
        return [self.field_code] + [f.field_code for f in self.extra_fields if f.field_code != self.field_code]

    def __repr__(self):
        return f"<Unit {self.code}>"


class UnitField(db.Model):
    """A further service field of a unit besides its main one."""
    __tablename__ = "unit_fields"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)


SEXES = ("M", "F", "X")


class MembershipStatus(StrEnum):
    """A membership's status; the values are what the database stores and templates compare."""
    ACTIVE = "active"
    PAUSED = "paused"
    TRAINEE = "trainee"
    LEFT = "left"


MEMBERSHIP_STATUSES = tuple(MembershipStatus)


class PhotoStatus(StrEnum):
    """The ID photo: none yet, uploaded and waiting for the unit, or accepted."""
    NONE = "none"
    PENDING = "pending"
    ACCEPTED = "accepted"


PHOTO_NONE, PHOTO_PENDING, PHOTO_ACCEPTED = PhotoStatus
PHOTO_STATUSES = tuple(PhotoStatus)


class Person(db.Model):
    __tablename__ = "people"
    # The few photos waiting for a unit to accept them, without reading a million people (the work list).
    __table_args__ = (Index("ix_people_photo_pending", "id", postgresql_where=text("photo_status = 'pending'"),
                            sqlite_where=text("photo_status = 'pending'")),)

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
    def photo_accepted(self) -> bool:
        return self.photo_status == PhotoStatus.ACCEPTED

    @property
    def photo_pending(self) -> bool:
        return self.photo_status == PhotoStatus.PENDING

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
                                       name="uq_memberships_person_unit"),
                      # A unit's roster in its own order (registry.sort_names, volunteers.roster); with the
                      # status and field its filtered counts read the index alone.
                      Index("ix_memberships_unit_sort", "unit_id", "sort_name", "id",
                            postgresql_include=["status", "field_code"]))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    field_code: Mapped[str] = mapped_column(String(20))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The person's name, copied and kept equal by the database (registry.sort_names): never set it.
    sort_name: Mapped[str] = mapped_column(String(60), server_default="")

    person: Mapped[Person] = relationship(back_populates="memberships")
    unit: Mapped["Unit"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @hybrid_property
    def is_current(self) -> bool:
        """Serving (active, paused or trainee), not left: the one definition of a current membership,
        usable on an instance and in SQL (`select(Membership).where(Membership.is_current)`)."""
        return self.status != MembershipStatus.LEFT


for _dialect in ("sqlite", "postgresql"):
    for _sql in sort_name_triggers(_dialect):
        event.listen(Membership.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))
