"""Account management: the system administrator for every account, unit supervisors, counties and the ministry
for the accounts of the people below them (docs/rules/accounts.md#am1). No volunteer data."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401
