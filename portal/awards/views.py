"""What every award page shares: the template helpers and the sub-menu, the page size, and running one
step with its commit or its message. The pages are split by workflow: unit_views (the unit's list and
applications), application_views (one application and the decisions on it), review_views (the review
queue, its roster and bulk decisions), paper_views, round_views, award_views (awards received and
revocation) and import_views."""
from flask import abort, flash, g, redirect
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.platform.extensions import db
from portal.platform.i18n import chinese_only, hours_text, is_chinese
from portal.registry.models import Authority

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


@bp.app_template_global()
def award_issuer(name: str) -> str:
    """Who gave an award, in the page's language. Awards store the body's name as text (imported awards name
    bodies outside the portal); an authority of that name gives its English name, else the text is marked."""
    if is_chinese() or not name:
        return name
    if "award_issuers_en" not in g:
        g.award_issuers_en = {}
    if name not in g.award_issuers_en:
        g.award_issuers_en[name] = db.session.scalar(select(Authority.name_en).where(Authority.name == name).limit(1))
    return g.award_issuers_en[name] or chinese_only(name)


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
