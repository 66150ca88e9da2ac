"""Resolution tracking (決議事項列管): the ministry's national liaison meetings, their resolutions, the
responsible bodies' progress and the ministry's 解除列管 / 繼續列管, printed as the meeting annex."""
from flask import Blueprint

bp = Blueprint("resolutions", __name__, url_prefix="/resolutions")

from . import item_views, views  # noqa: E402,F401
