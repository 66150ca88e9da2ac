"""Composition floor: the pages that gather several features around a volunteer — the roster with
its columns, the unified volunteer view and its sections, My record, progress toward honor cards
and awards, the record book page and PDF, and the roster import kind."""
from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")

from . import my_data_views, record_book_views, views  # noqa: E402,F401
