"""What every honor-card page shares: the template helpers and the sub-menu, the page size, and where
/honor-cards/ starts for each role. The pages are split by workflow: eligibility_views (who is eligible,
a volunteer's checklist, My honor card, the unit's applications), review_views (the county's queue and
decisions), card_views (issued cards, the e-card, cancellation and reissue), import_views and venue_views."""
from functools import partial

from flask import redirect, url_for
from flask_login import current_user

from portal.platform import access
from portal.platform.i18n import hours_text
from portal.platform.timeutil import today_taipei

from . import bp
from .facts import eligibility_of
from .rules import window_words
from .scopes import nav_items, start_endpoint

READERS = access.RECORD_READERS
PER_PAGE = 50


@bp.app_template_global()
def honor_card_eligibility(person):
    """For other features' pages (the volunteer record): the person's eligibility today, or None."""
    return eligibility_of(person.id, today_taipei()) if person is not None else None


@bp.app_context_processor
def honor_card_helpers():
    # Honor-card pages print hours without a thousands separator (600 -> "300", 85 -> "42.5").
    return {"honor_hours": partial(hours_text, grouped=False), "window_words": window_words,
            "honor_nav": lambda: nav_items(current_user)}


@bp.get("/")
@access.allow(*access.SIGNED_IN)
def index():
    """Each role starts where its work is."""
    return redirect(url_for(start_endpoint(current_user)))


def county_authority():
    """The reviewer's own authority: the county issues the card (Act Art. 20)."""
    return current_user.authority
