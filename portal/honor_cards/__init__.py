"""Honor cards (榮譽卡): eligibility, application, county review, e-card, county-only import, venues."""
from flask import Blueprint

bp = Blueprint("honor_cards", __name__, url_prefix="/honor-cards", cli_group="honor-cards")

from . import cli, importing, views  # noqa: E402,F401
