"""Awards (志願服務獎勵): rounds, eligibility, unit applications, sector and ministry review, other-award import."""
from flask import Blueprint

bp = Blueprint("awards", __name__, url_prefix="/awards", cli_group="awards")

from . import models, views  # noqa: E402,F401
from . import import_views  # noqa: E402,F401  (other-award import pages)
