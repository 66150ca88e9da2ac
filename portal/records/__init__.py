"""The online service record book (服務紀錄冊): request, county issuance, page and PDF; data completeness."""
from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/records")

from . import cli, completeness_views, summaries, summary_hooks, views  # noqa: E402,F401
