"""The volunteer registry: people, unit memberships, roster list and export."""
from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")

from . import views  # noqa: E402,F401
