"""The form of the credential check (a pasted credential)."""
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.platform.forms import Form

MAX_TEXT = 100_000     # characters: a portal credential is about 3,000


class CheckForm(Form):
    credential = TextAreaField(_l("Credential (JSON)"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                               description=_l("Paste the whole credential, from { to }."))
