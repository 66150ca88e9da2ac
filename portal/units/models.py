"""Authorities (ministry, counties, sector authorities) and using units (運用單位)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from .catalog import COUNTY_BY_CODE, FIELD_BY_CODE

AUTHORITY_KINDS = ("ministry", "county", "sector_local", "sector_central")
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

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    county_code: Mapped[str] = mapped_column(String(3), index=True)
    field_code: Mapped[str] = mapped_column(String(20), index=True)
    sector: Mapped[str] = mapped_column(String(10))
    sector_authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
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
