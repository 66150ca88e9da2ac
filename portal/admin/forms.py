"""Account forms: role and the one scope anchor the role needs."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.platform import access
from portal.platform.forms import Form, clean_text, options
from portal.registry.catalog import COUNTIES, FIELDS
from portal.registry.labels import ROLE_LABELS


class AccountForm(Form):
    username = StringField(_l("Username"), filters=[clean_text, lambda v: v.lower() if v else v],
                           validators=[DataRequired(), Length(min=3, max=64),
                                       Regexp(r"^[a-z0-9._-]+$", message=_l("Use lower-case letters, digits, dots, "
                                                                            "dashes or underscores."))])
    display_name = StringField(_l("Display name"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    role = SelectField(_l("Role"), choices=options((r, ROLE_LABELS[r]) for r in access.ROLES))
    unit_code = StringField(_l("Unit code"), filters=[clean_text], validators=[Optional(), Length(max=20)],
                            description=_l("For unit clerks and supervisors."))
    county = SelectField(_l("County or city"), validators=[Optional()],
                         description=_l("For county authorities and local sector authorities."))
    field = SelectField(_l("Service field"), validators=[Optional()],
                        description=_l("For local and central sector authorities."))
    person_id_number = StringField(_l("Volunteer's ID number"), filters=[clean_text],
                                   validators=[Optional(), Length(max=20)], description=_l("For volunteer accounts."))
    active = BooleanField(_l("Account may sign in"), default=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def set_choices(self, localize):
        self.county.choices = options([("", "—")] + [(c.code, localize(c)) for c in COUNTIES])
        self.field.choices = options([("", "—")] + [(f.code, localize(f)) for f in FIELDS])


class NewAccountForm(AccountForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)],
                             description=_l("The user must change it at the first sign-in."),
                             render_kw={"autocomplete": "new-password"})


class ResetPasswordForm(Form):
    password = PasswordField(_l("New initial password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password and end sessions"))
