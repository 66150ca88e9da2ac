"""Unit registration: a new using unit applies on the web; its county or sector authority decides (issue 13,
docs/rules/unit-registration.md)."""
from flask import Blueprint

bp = Blueprint("unit_registration", __name__, url_prefix="/unit-registration")

from . import views  # noqa: E402,F401
