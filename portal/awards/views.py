"""What every award page shares: the template helpers and the sub-menu, the page size, and running one
step with its commit or its message. The pages are split by workflow: unit_views (the unit's list and
applications), application_views (one application and the decisions on it), review_views (the review
queue, its roster and bulk decisions), paper_views, round_views, award_views (awards received and
revocation) and import_views."""
from flask import abort, flash, redirect
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.platform.extensions import db
from portal.platform.i18n import hours_text

from . import bp
from .labels import (
    application_badge,
    application_status_label,
    award_badge,
    award_status_label,
    deadline_note,
    round_label,
)
from .models import tier_label
from .operations import AwardError
from .scopes import nav_items

PER_PAGE = 50


@bp.app_context_processor
def award_helpers():
    return {"awards_nav": lambda: nav_items(current_user), "award_hours": hours_text, "deadline_note": deadline_note,
            "round_label": round_label, "tier_label": tier_label,
            "application_badge": application_badge, "application_status_label": application_status_label,
            "award_badge": award_badge, "award_status_label": award_status_label}


def run_step(step, message, back: str):
    """Commit the step and say so, or roll back and say why; a concurrent change is a conflict (409)."""
    try:
        step()
    except AwardError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        abort(409)
    else:
        db.session.commit()
        flash(message(), "success")
    return redirect(back)
