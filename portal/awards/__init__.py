"""Awards (志願服務獎勵): rounds, eligibility, unit applications, sector and ministry review, other-award import."""
from flask import Blueprint

bp = Blueprint("awards", __name__, url_prefix="/awards", cli_group="awards")

# The pages, by workflow; views.py holds what they share.
from . import (  # noqa: E402,F401
    application_views,
    award_views,
    channel_views,
    cli,
    import_views,
    paper_views,
    review_views,
    round_views,
    unit_views,
    views,
)
