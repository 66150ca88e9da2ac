"""Home pages per role, the language switch, the navigation built from the route policy, and the daily
reminders and staff digests (`flask notify daily`)."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from . import cli, models, views  # noqa: E402,F401  (models: the reminders_sent table for create_all)
