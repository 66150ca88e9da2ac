"""The rows of a meeting's lists, in a fixed number of queries whatever the number of items: the items, then
their bodies, progress reports and reviews, each in one query."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, contains_eager

from portal.platform.extensions import db
from portal.registry.models import Authority

from . import rules
from .models import Meeting, ProgressReport, Resolution, ResolutionBody, Review, Status


@dataclass
class Row:
    """One line of the annex table (編號, 案由, 決議, 辦理單位, 辦理情形, 管考建議)."""
    resolution: Resolution
    bodies: list[Authority]
    progress: list[tuple[Authority, ProgressReport]]   # the newest report of each body that reported
    review: Review | None                              # the 管考建議 shown on this list
    reviews: list[Review] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.resolution.number


def carried_query(meeting: Meeting):
    """The earlier meetings' items on this meeting's list (rules.carried_over, as SQL)."""
    made, closed = aliased(Meeting), aliased(Meeting)
    return (select(Resolution).join(made, Resolution.meeting_id == made.id)
            .outerjoin(closed, Resolution.closed_meeting_id == closed.id)
            .options(contains_eager(Resolution.meeting.of_type(made)))
            .where(made.roc_year < meeting.roc_year, Resolution.status != Status.WITHDRAWN,
                   or_(Resolution.closed_meeting_id.is_(None), closed.roc_year >= meeting.roc_year))
            .order_by(made.roc_year, Resolution.seq))


def own_query(meeting: Meeting):
    return (select(Resolution).where(Resolution.meeting_id == meeting.id)
            .options(contains_eager(Resolution.meeting)).join(Resolution.meeting).order_by(Resolution.seq))


def rows_for(resolutions: list[Resolution], review_meeting: Meeting | None, cutoff) -> list[Row]:
    """Rows with the bodies, each body's newest report up to `cutoff`, and the review given at
    `review_meeting` (None: the newest review at any meeting)."""
    ids = [r.id for r in resolutions]
    if not ids:
        return []
    bodies = defaultdict(list)
    for body in db.session.scalars(select(ResolutionBody).where(
            ResolutionBody.resolution_id.in_(ids), ResolutionBody.removed_at.is_(None))
            .order_by(ResolutionBody.position, ResolutionBody.id)):
        bodies[body.resolution_id].append(body.authority)
    reports = defaultdict(list)
    for report in db.session.scalars(select(ProgressReport).where(ProgressReport.resolution_id.in_(ids))):
        reports[report.resolution_id].append(report)
    reviews = defaultdict(list)
    for review in db.session.scalars(select(Review).where(Review.resolution_id.in_(ids)).order_by(Review.id)):
        reviews[review.resolution_id].append(review)
    rows = []
    for resolution in resolutions:
        latest = rules.latest_reports(reports[resolution.id], cutoff)
        listed = bodies[resolution.id]
        # Bodies in their order, then any earlier body (since taken off) whose report still stands.
        order = [a.id for a in listed] + [i for i in latest if i not in {a.id for a in listed}]
        progress = [(latest[i].authority, latest[i]) for i in order if i in latest]
        own = reviews[resolution.id]
        if review_meeting is not None:
            own = [r for r in own if r.meeting_id == review_meeting.id]
        rows.append(Row(resolution, listed, progress, own[-1] if own else None, reviews[resolution.id]))
    return rows


def carried_rows(meeting: Meeting) -> list[Row]:
    """上次會議決議事項辦理情形: the items still tracked when this meeting sat, the progress as of that day
    and the 管考建議 given at this meeting."""
    return rows_for(list(db.session.scalars(carried_query(meeting)).unique()), meeting, meeting.held_on)


def own_rows(meeting: Meeting) -> list[Row]:
    """本次會議決議事項: this meeting's items as they stand now (newest progress, newest review)."""
    return rows_for(list(db.session.scalars(own_query(meeting)).unique()), None, None)


def reviewing_meetings(resolution: Resolution) -> list[Meeting]:
    """Meetings after the item's own, newest first (where its 管考建議 can be given)."""
    return list(db.session.scalars(select(Meeting).where(Meeting.roc_year > resolution.meeting.roc_year)
                                   .order_by(Meeting.roc_year.desc())))


def reports_of(resolution: Resolution) -> list[ProgressReport]:
    """Every progress report of the item, newest first (the history)."""
    reports = db.session.scalars(select(ProgressReport).where(ProgressReport.resolution_id == resolution.id))
    return sorted(reports, key=rules.report_key, reverse=True)


def reviews_of(resolution: Resolution) -> list[Review]:
    return list(db.session.scalars(select(Review).where(Review.resolution_id == resolution.id)
                                   .join(Review.meeting).order_by(Meeting.roc_year.desc(), Review.id.desc())))
