"""Home pages per role, the language switch, and the navigation built from the route policy."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from . import views  # noqa: E402,F401
