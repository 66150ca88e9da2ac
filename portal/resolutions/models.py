"""Meetings of the national liaison meeting (全國志願服務聯繫會報), their resolutions, the responsible bodies,
the bodies' progress reports (辦理情形) and the ministry's reviews (管考建議).

Nothing is deleted: a resolution is withdrawn with a reason, a body taken off a resolution keeps its row
(removed_at), progress reports and reviews are only ever added. A resolution's status and closing meeting
are kept on its row (from its latest review) so that the lists filter them with an index."""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class Status(StrEnum):
    OPEN = "open"            # 列管中 (made, or kept open by 繼續列管)
    CLOSED = "closed"        # 解除列管
    WITHDRAWN = "withdrawn"  # recorded by mistake or superseded; kept with its reason, never carried over


class Outcome(StrEnum):
    """The ministry's 管考建議 on an item, given at a later meeting."""
    CLOSE = "close"  # 解除列管
    KEEP = "keep"    # 繼續列管


STATUS_LABELS = {Status.OPEN: _l("Under tracking"), Status.CLOSED: _l("Released from tracking"),
                 Status.WITHDRAWN: _l("Withdrawn")}
OUTCOME_LABELS = {Outcome.CLOSE: _l("Release from tracking"), Outcome.KEEP: _l("Keep under tracking")}


class Meeting(db.Model):
    """One national liaison meeting; one a year, so the ROC year names it and numbers its resolutions."""
    __tablename__ = "resolution_meetings"
    __table_args__ = (CheckConstraint("roc_year between 1 and 999", name="roc_year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roc_year: Mapped[int] = mapped_column(unique=True)
    held_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    chair: Mapped[str] = mapped_column(String(100), default="")
    host: Mapped[str] = mapped_column(String(120), default="")  # 承辦: the county that ran it that year
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    resolutions: Mapped[list["Resolution"]] = relationship(
        back_populates="meeting", foreign_keys="Resolution.meeting_id", order_by="Resolution.seq")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self):
        return f"<Meeting {self.roc_year}>"


class Resolution(db.Model):
    """A resolution (決議事項) of a meeting, numbered `<ROC year>-<seq>` like 113-1."""
    __tablename__ = "resolutions"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_resolutions_meeting_seq"),
                      CheckConstraint("seq > 0", name="positive_seq"),
                      Index("ix_resolutions_status_meeting", "status", "meeting_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("resolution_meetings.id"))
    seq: Mapped[int]
    subject: Mapped[str] = mapped_column(Text)    # 案由
    decision: Mapped[str] = mapped_column(Text)   # 決議
    status: Mapped[str] = mapped_column(String(10), default=Status.OPEN)
    # The meeting whose review released it (解除列管); None while open or withdrawn.
    closed_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("resolution_meetings.id"), index=True)
    withdrawn_reason: Mapped[str] = mapped_column(String(300), default="")
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by every change (bodies and reviews included), so that the row's version moves with it.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting] = relationship(back_populates="resolutions", foreign_keys=[meeting_id])
    closed_meeting: Mapped[Meeting | None] = relationship(foreign_keys=[closed_meeting_id])
    bodies: Mapped[list["ResolutionBody"]] = relationship(
        primaryjoin="and_(ResolutionBody.resolution_id == Resolution.id, ResolutionBody.removed_at.is_(None))",
        order_by="ResolutionBody.position, ResolutionBody.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        return f"{self.meeting.roc_year}-{self.seq}"

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def is_withdrawn(self) -> bool:
        return self.status == Status.WITHDRAWN

    def __repr__(self):
        return f"<Resolution {self.meeting_id}-{self.seq} {self.status}>"


class ResolutionBody(db.Model):
    """A responsible body (辦理單位) of a resolution: an authority of the portal, whose accounts report progress.
    Taking a body off marks the row (removed_at); adding it again clears the mark."""
    __tablename__ = "resolution_bodies"
    __table_args__ = (UniqueConstraint("resolution_id", "authority_id", name="uq_resolution_bodies"),
                      Index("ix_resolution_bodies_authority", "authority_id", "resolution_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolutions.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    position: Mapped[int] = mapped_column(default=0)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]

    resolution: Mapped[Resolution] = relationship(foreign_keys=[resolution_id])
    authority: Mapped["Authority"] = relationship(lazy="joined")  # noqa: F821


class ProgressReport(db.Model):
    """A body's progress report (辦理情形) as of a day; never edited: a later report tells what changed.
    `reported_on` is empty only for reports typed from old minutes that do not date them."""
    __tablename__ = "resolution_progress"
    __table_args__ = (Index("ix_resolution_progress_item", "resolution_id", "authority_id", "reported_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolutions.id"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    reported_on: Mapped[date | None]
    text: Mapped[str] = mapped_column(Text)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority: Mapped["Authority"] = relationship(lazy="joined")  # noqa: F821
    posted_by: Mapped["User | None"] = relationship()  # noqa: F821


class Review(db.Model):
    """The ministry's 管考建議 on a resolution at a later meeting. Only added: the newest review of a
    resolution at a meeting is the one that counts, the earlier ones stay as its history."""
    __tablename__ = "resolution_reviews"
    __table_args__ = (Index("ix_resolution_reviews_item", "resolution_id", "meeting_id", "id"),
                      Index("ix_resolution_reviews_meeting", "meeting_id", "resolution_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolutions.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("resolution_meetings.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    decided_by: Mapped["User | None"] = relationship()  # noqa: F821
