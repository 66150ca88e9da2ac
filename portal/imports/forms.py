"""The upload form: what is imported, the file, and (for CSV) its text encoding."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired

from portal.platform.forms import Form, options

ENCODINGS = [("", _l("Detect automatically (UTF-8 or Big5)")), ("utf-8", _l("UTF-8")),
             ("cp950", _l("Big5 / CP950 (older Excel files)"))]


class UploadForm(Form):
    kind = SelectField(_l("What to import"), validators=[DataRequired()])
    file = FileField(_l("File"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "xls", "csv"], _l("Upload an .xlsx, .xls or .csv file."))],
        description=_l("Excel (.xlsx, .xls) or CSV. At most 20,000 rows and 10 MB."))
    encoding = SelectField(_l("Text encoding (CSV only)"), choices=options(ENCODINGS), default="")
    submit = SubmitField(_l("Upload and check"))


class ConfirmForm(Form):
    version = HiddenField()
