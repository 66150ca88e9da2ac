"""The registration form of the API clients page (input shape only; who may register for whom: rules.py)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.platform.forms import Form, VersionForm, no_markup, options, single_line

from .models import SCOPES

RATE_LIMIT = r"^\d{1,6} per (second|minute|hour|day)$"


class ScopeField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ClientForm(Form):
    name = StringField(_l("Name of the partner system"), validators=[DataRequired(), Length(max=100), single_line,
                                                                     no_markup])
    owner = StringField(_l("Acts for the account (username)"),
                        description=_l("A unit-staff or authority account; the client sees and writes only "
                                       "within that account's area."),
                        validators=[DataRequired(), Length(max=64), single_line])
    scopes = ScopeField(_l("Scopes"), choices=options((s, s) for s in SCOPES), validators=[DataRequired()])
    rate_limit = StringField(_l("Rate limit"),
                             validators=[Optional(), Regexp(RATE_LIMIT, message=_l("Write it the way the example does."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The notation is typed as it is, in English, whatever the page's language: shown as code, not as words.
        example = Markup('<code lang="en">600 per minute</code>')
        self.rate_limit.description = escape(_("For example %(example)s; empty: the default.")) % {"example": example}


class ClientActionForm(VersionForm):
    """Rotate or revoke: the version guards against acting on a client someone else just changed."""
