"""Self-service accounts: activation by volunteers a unit registered, password recovery (issue 13)."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

from . import models, print_views, recovery_views, views  # noqa: E402,F401
