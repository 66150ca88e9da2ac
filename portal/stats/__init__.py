"""What the authorities run the system for: the KPI definitions (active volunteers on 31 December, aged 65+,
growth, completeness), the year-end headcounts they are read from, the dashboards per authority and the
`flask stats` commands."""
from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/stats")

from . import cli, views  # noqa: E402,F401
