"""Honor cards (榮譽卡): eligibility, application, county review, e-card, county-only import, venues."""
from flask import Blueprint

bp = Blueprint("honor_cards", __name__, url_prefix="/honor-cards", cli_group="honor-cards")

# The pages, by workflow, and the commands; views.py holds what the pages share.
from . import (  # noqa: E402,F401
    card_views,
    cli,
    eligibility_views,
    import_views,
    review_views,
    venue_import_views,
    venue_views,
    views,
)
