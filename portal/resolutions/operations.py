"""Changes to meetings, items, bodies, progress and reviews: each writes its audit line and flushes; the view
commits. Nothing is deleted (docs/resolutions.md)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.models import Authority

from . import rules
from .models import Meeting, ProgressReport, Resolution, ResolutionBody, Review, Status

MEETING_FIELDS = ("roc_year", "held_on", "place", "chair", "host")
ITEM_FIELDS = ("seq", "subject", "decision")


class ResolutionError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _changes(obj, values: dict, fields) -> dict:
    """Set the fields that differ; return {field: [before, after]} for the audit line."""
    changed = {}
    for name in fields:
        if name in values and getattr(obj, name) != values[name]:
            changed[name] = [getattr(obj, name), values[name]]
            setattr(obj, name, values[name])
    return changed


def _check_meeting(values: dict, meeting: Meeting | None):
    problem = rules.meeting_problem(values["roc_year"], values.get("held_on"))
    if problem:
        raise ResolutionError(problem)
    same_year = db.session.scalar(select(Meeting.id).where(Meeting.roc_year == values["roc_year"]))
    if same_year is not None and (meeting is None or same_year != meeting.id):
        raise ResolutionError(_l("The meeting of ROC year %(year)s is already recorded.", year=values["roc_year"]))
    if meeting is not None and values["roc_year"] != meeting.roc_year and (meeting.resolutions or db.session.scalar(
            select(func.count()).select_from(Review).where(Review.meeting_id == meeting.id))):
        raise ResolutionError(_l("The year numbers this meeting's items and reviews; it cannot change now."))


def create_meeting(values: dict, user) -> Meeting:
    _check_meeting(values, None)
    meeting = Meeting(roc_year=values["roc_year"], held_on=values.get("held_on"), place=values.get("place") or "",
                      chair=values.get("chair") or "", host=values.get("host") or "",
                      created_by_id=getattr(user, "id", None))
    db.session.add(meeting)
    db.session.flush()
    audit.record("resolutions.meeting_create", meeting, **{k: getattr(meeting, k) for k in MEETING_FIELDS})
    return meeting


def update_meeting(meeting: Meeting, values: dict, user) -> dict:
    _check_meeting(values, meeting)
    changed = _changes(meeting, values, MEETING_FIELDS)
    if changed:
        meeting.updated_at = utcnow()
        db.session.flush()
        audit.record("resolutions.meeting_update", meeting, changes=changed)
    return changed


def _authorities(authority_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in authority_ids))
    if not ids:
        raise ResolutionError(_l("Choose at least one responsible body."))
    found = set(db.session.scalars(select(Authority.id).where(Authority.id.in_(ids))))
    if found != set(ids):
        raise ResolutionError(_l("A chosen responsible body does not exist."))
    return ids


def next_seq(meeting: Meeting) -> int:
    return (db.session.scalar(select(func.max(Resolution.seq)).where(Resolution.meeting_id == meeting.id)) or 0) + 1


def _check_seq(meeting_id: int, seq: int, resolution_id: int | None):
    taken = db.session.scalar(select(Resolution.id).where(Resolution.meeting_id == meeting_id, Resolution.seq == seq))
    if taken is not None and taken != resolution_id:
        raise ResolutionError(_l("Number %(seq)s is already used at this meeting.", seq=seq))


def _set_bodies(resolution: Resolution, authority_ids: list[int], user) -> dict:
    """Add, re-add or take off bodies (marked, never deleted; the caller flushes); return
    {"added": [...], "removed": [...]}."""
    rows = {b.authority_id: b for b in db.session.scalars(
        select(ResolutionBody).where(ResolutionBody.resolution_id == resolution.id))}
    added, removed, now, actor = [], [], utcnow(), getattr(user, "id", None)
    for position, authority_id in enumerate(authority_ids):
        row = rows.get(authority_id)
        if row is None:
            db.session.add(ResolutionBody(resolution_id=resolution.id, authority_id=authority_id, position=position,
                                          added_by_id=actor, added_at=now))
            added.append(authority_id)
        else:
            if row.removed_at is not None:
                row.removed_at, row.removed_by_id, row.added_at, row.added_by_id = None, None, now, actor
                added.append(authority_id)
            row.position = position
    for authority_id, row in rows.items():
        if authority_id not in authority_ids and row.removed_at is None:
            row.removed_at, row.removed_by_id = now, actor
            removed.append(authority_id)
    return {"added": added, "removed": removed} if added or removed else {}


def create_resolution(meeting: Meeting, values: dict, authority_ids: list[int], user) -> Resolution:
    ids = _authorities(authority_ids)
    _check_seq(meeting.id, values["seq"], None)
    resolution = Resolution(meeting=meeting, seq=values["seq"], subject=values["subject"],
                            decision=values["decision"], created_by_id=getattr(user, "id", None))
    db.session.add(resolution)
    db.session.flush()
    _set_bodies(resolution, ids, user)
    db.session.flush()
    db.session.expire(resolution, ["bodies"])
    audit.record("resolutions.item_create", resolution, number=resolution.number, bodies=ids,
                 subject=resolution.subject, decision=resolution.decision)
    return resolution


def update_resolution(resolution: Resolution, values: dict, authority_ids: list[int], user) -> dict:
    if resolution.is_withdrawn:
        raise ResolutionError(_l("This item was withdrawn."))
    ids = _authorities(authority_ids)
    _check_seq(resolution.meeting_id, values["seq"], resolution.id)
    bodies = _set_bodies(resolution, ids, user)  # reads first: its query would flush the field changes apart
    changed = _changes(resolution, values, ITEM_FIELDS)
    if bodies:
        changed["bodies"] = bodies
    if changed:
        resolution.updated_at = utcnow()  # one UPDATE (one version step) for fields and bodies together
        db.session.flush()
        db.session.expire(resolution, ["bodies"])
        audit.record("resolutions.item_update", resolution, number=resolution.number, changes=changed)
    return changed


def withdraw(resolution: Resolution, reason: str, user):
    """Void an item recorded by mistake: kept with its reason, no longer tracked or carried over."""
    if resolution.is_withdrawn:
        raise ResolutionError(_l("This item was withdrawn."))
    before = resolution.status
    resolution.status, resolution.closed_meeting = Status.WITHDRAWN, None
    resolution.withdrawn_reason, resolution.withdrawn_at = reason, utcnow()
    resolution.withdrawn_by_id, resolution.updated_at = getattr(user, "id", None), resolution.withdrawn_at
    db.session.flush()
    audit.record("resolutions.item_withdraw", resolution, number=resolution.number, before=before, reason=reason)


def report_progress(assignment: ResolutionBody, reported_on: date, text: str, user) -> ProgressReport:
    """A body's progress report on its item; refused once the item is released or withdrawn."""
    resolution = assignment.resolution
    if not rules.may_report(resolution.status, assignment.authority_id, [b.authority_id for b in resolution.bodies]):
        raise ResolutionError(_l("This item is no longer tracked; progress can no longer be reported."))
    report = ProgressReport(resolution_id=resolution.id, authority_id=assignment.authority_id,
                            reported_on=reported_on, text=text, posted_by_id=getattr(user, "id", None))
    db.session.add(report)
    db.session.flush()
    audit.record("resolutions.progress", report, resolution=resolution.number, authority=assignment.authority_id,
                 reported_on=reported_on, text=text)
    return report


def review(resolution: Resolution, meeting: Meeting, outcome: str, note: str, user) -> Review:
    """The ministry's 管考建議 at `meeting`: 解除列管 releases the item there, 繼續列管 keeps it open (and
    undoes an earlier release at the same meeting: the newest review of a meeting counts)."""
    reviewed = db.session.scalars(select(Meeting.roc_year).join(Review, Review.meeting_id == Meeting.id)
                                  .where(Review.resolution_id == resolution.id))
    problem = rules.review_problem(resolution.meeting.roc_year, meeting.roc_year, list(reviewed), resolution.status)
    if problem:
        raise ResolutionError(problem)
    row = Review(resolution_id=resolution.id, meeting_id=meeting.id, outcome=outcome, note=note,
                 decided_by_id=getattr(user, "id", None))
    db.session.add(row)
    before = resolution.status
    resolution.status = rules.status_after(outcome)
    resolution.closed_meeting = meeting if resolution.status == Status.CLOSED else None
    resolution.updated_at = utcnow()
    db.session.flush()
    audit.record("resolutions.review", row, resolution=resolution.number, meeting=meeting.roc_year, outcome=outcome,
                 before=before, after=resolution.status, note=note)
    return row
