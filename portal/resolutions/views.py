"""Meetings, resolutions and progress."""
from . import bp  # noqa: F401
