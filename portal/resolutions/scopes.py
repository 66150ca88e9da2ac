"""Who may see and do what in resolution tracking.

The meetings' minutes are public, so every authority account (ministry, counties, sector authorities)
reads every meeting and item; volunteers and units do not use these pages (the route policy keeps them
out). The ministry records meetings and items and gives the 管考建議. A responsible body's accounts
report progress on their own items: the object they post to is their assignment (resolution × body), and
an assignment of another body answers 404 exactly like a missing one."""
from flask import abort
from sqlalchemy import exists, false, select

from portal.platform import access
from portal.platform.extensions import db

from . import rules
from .models import Meeting, Resolution, ResolutionBody


def reads(user) -> bool:
    return getattr(user, "role", None) in access.AUTHORITIES


def manages(user) -> bool:
    """The ministry keeps the meetings, the items and their reviews."""
    return getattr(user, "role", None) == access.MINISTRY


def get_meeting_or_404(meeting_id: int, user) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id) if reads(user) else None
    if meeting is None:
        abort(404)
    return meeting


def get_resolution_or_404(resolution_id: int, user) -> Resolution:
    resolution = db.session.get(Resolution, resolution_id) if reads(user) else None
    if resolution is None:
        abort(404)
    return resolution


def get_assignment_or_404(assignment_id: int, user) -> ResolutionBody:
    """The user's own body on an item (an active assignment of the user's authority)."""
    authority_id = getattr(user, "authority_id", None)
    assignment = db.session.scalar(select(ResolutionBody).where(
        ResolutionBody.id == assignment_id, ResolutionBody.removed_at.is_(None),
        ResolutionBody.authority_id == authority_id)) if reads(user) and authority_id else None
    if assignment is None:
        abort(404)
    return assignment


def mine(user):
    """SQL condition on Resolution: the user's authority is one of its responsible bodies."""
    authority_id = getattr(user, "authority_id", None)
    if not authority_id:
        return false()
    return exists().where(ResolutionBody.resolution_id == Resolution.id, ResolutionBody.removed_at.is_(None),
                          ResolutionBody.authority_id == authority_id)


def own_assignment(user, resolution: Resolution) -> ResolutionBody | None:
    authority_id = getattr(user, "authority_id", None)
    return next((b for b in resolution.bodies if b.authority_id == authority_id), None) if authority_id else None


def item_actions(user, resolution: Resolution) -> dict:
    """What the user may do on an item's page: its body reports progress while it is tracked; the ministry
    edits, reviews and withdraws it."""
    assignment = own_assignment(user, resolution)
    can_report = assignment is not None and rules.may_report(
        resolution.status, assignment.authority_id, [b.authority_id for b in resolution.bodies])
    return {"assignment": assignment if can_report else None, "can_manage": manages(user) and not
            resolution.is_withdrawn}
