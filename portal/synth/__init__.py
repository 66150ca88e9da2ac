"""`flask synth`: the national synthetic data set (docs/synth.md), written straight into an empty database."""
from flask import Blueprint

bp = Blueprint("synth", __name__, cli_group=None)

from . import cli  # noqa: E402,F401
