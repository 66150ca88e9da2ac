"""The preferences form: a checkbox per event and channel (named "on", value "<event>:<channel>"), read
from request.form by the view; the form class carries the CSRF token."""
from flask_wtf import FlaskForm

from . import events
from .models import CHANNELS


class PreferencesForm(FlaskForm):
    channels = CHANNELS


def preference_rows(role: str) -> list[events.Event]:
    """The events an account of this role may get, one row each."""
    return events.for_role(role)
