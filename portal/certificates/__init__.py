"""Certificates: the performance certificate, the English certificate and transcript (requests, the unit's
batch), and the pages of the document register and of the public verification for every document kind."""
from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import request_views, unit_views, verify_views, views  # noqa: E402,F401
