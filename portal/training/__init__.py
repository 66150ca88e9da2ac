"""Training records, certificate uploads, verification, the training gate, lost-certificate cases."""
from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")

from . import case_views, missing_views, record_views, views  # noqa: E402,F401
