"""Account forms: role and the scope anchors the actor may use (docs/rules/accounts.md#am2), contact details.

`account_form` builds the form for one actor: the admin gets every field; a delegated manager only the roles
it may create and the anchors it names itself (a supervisor sees neither a role nor a unit: the clerk joins
their unit), and when editing only name, contact details and whether the account may sign in."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.platform import access
from portal.platform.forms import Form, clean_text, options, single_line
from portal.registry.catalog import COUNTIES, FIELDS
from portal.registry.labels import ROLE_LABELS

from .rules import creatable_roles, may_change_role_and_scope, scope_fields

SCOPE_FIELDS = ("unit_code", "county", "field", "person_id_number")
# The shapes the volunteer form accepts too (portal/volunteers/forms.py): the registry keeps no validator.
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE = re.compile(r"^[0-9+()#\- ]{6,30}$")


class AccountForm(Form):
    username = StringField(_l("Username"), filters=[clean_text, lambda v: v.lower() if v else v],
                           validators=[single_line, DataRequired(), Length(min=3, max=64),
                                       Regexp(r"^[a-z0-9._-]+$", message=_l("Use lower-case letters, digits, dots, "
                                                                            "dashes or underscores."))])
    display_name = StringField(_l("Display name"), filters=[clean_text], validators=[single_line, Optional(), Length(max=60)])
    email = StringField(_l("E-mail"), filters=[clean_text], validators=[Optional(), Length(max=254)],
                        description=_l("Required for staff and authority accounts: notifications and password "
                                       "recovery go here."),
                        render_kw={"autocomplete": "off", "inputmode": "email"})
    phone = StringField(_l("Phone"), filters=[clean_text], validators=[single_line, Optional(), Length(max=30)],
                        render_kw={"autocomplete": "off", "inputmode": "tel"})
    role = SelectField(_l("Role"), choices=options((r, ROLE_LABELS[r]) for r in access.ROLES))
    unit_code = StringField(_l("Unit code"), filters=[clean_text], validators=[single_line, Optional(), Length(max=20)],
                            description=_l("For unit clerks and supervisors."))
    county = SelectField(_l("County or city"), validators=[Optional()],
                         description=_l("For county authorities and local sector authorities."))
    field = SelectField(_l("Service field"), validators=[Optional()],
                        description=_l("For local and central sector authorities."))
    person_id_number = StringField(_l("Volunteer's ID number"), filters=[clean_text],
                                   validators=[single_line, Optional(), Length(max=20)], description=_l("For volunteer accounts."))
    active = BooleanField(_l("Account may sign in"), default=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def set_choices(self, localize, roles=access.ROLES):
        if "role" in self:
            self.role.choices = options((r, ROLE_LABELS[r]) for r in roles)
        if "county" in self:
            self.county.choices = options([("", "—")] + [(c.code, localize(c)) for c in COUNTIES])
        if "field" in self:
            self.field.choices = options([("", "—")] + [(f.code, localize(f)) for f in FIELDS])

    def validate_email(self, field):
        if field.data and not EMAIL.match(field.data):
            raise ValidationError(_l("Enter an e-mail address such as name@example.org."))

    def validate_phone(self, field):
        if field.data and not PHONE.match(field.data):
            raise ValidationError(_l("Use digits, spaces, +, - or parentheses, e.g. 0912-345-678."))


class NewAccountForm(AccountForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)],
                             description=_l("The user must change it at the first sign-in. Hand it over yourself: "
                                            "the portal never sends passwords by e-mail."),
                             render_kw={"autocomplete": "new-password"})


class ResetPasswordForm(Form):
    password = PasswordField(_l("New initial password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password and end sessions"))


def account_form(actor_role: str, localize, *, new: bool, obj=None) -> AccountForm:
    """The account form as `actor_role` may fill it in (AM2)."""
    form = NewAccountForm() if new else AccountForm(obj=obj)
    offered = scope_fields(actor_role)
    roles = creatable_roles(actor_role)
    fixed = not new and not may_change_role_and_scope(actor_role)
    for name in SCOPE_FIELDS:
        if fixed or name not in offered:
            del form[name]
    if fixed:
        del form["username"]
    if fixed or len(roles) == 1:
        del form["role"]
    if actor_role == access.COUNTY and "unit_code" in form:
        form.unit_code.description = _l("For a volunteer supervisor: the code of one of your county's units.")
    if access.VOLUNTEER not in roles:
        form.email.flags.required = True   # every account this actor handles is a staff account (AM3)
    form.set_choices(localize, roles)
    return form
