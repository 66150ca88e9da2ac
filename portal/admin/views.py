"""Accounts where the people are (docs/rules/accounts.md#am1): list, create, edit, disable and reset the
password of the accounts in the actor's scope: a unit supervisor their unit's clerks, a county its units'
supervisors and its own staff, the ministry the authority accounts, the system admin every account. Unlocking
and resetting two-step sign-in stay with the admin. An account outside the actor's scope answers 404."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from portal.auth.models import User
from portal.auth.operations import new_password_problems
from portal.auth.passwords import policy_problems
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import CURSOR_ARG, asc, keyset
from portal.platform.params import arg, to_search
from portal.registry.labels import role_label, scope_label

from . import bp
from .forms import NewAccountForm, ResetPasswordForm, account_form
from .operations import (
    create_account,
    reset_account_mfa,
    reset_account_password,
    scope_for,
    unlock_account,
    update_account,
)
from .rules import MANAGERS, creatable_roles, manageable, may_change_role_and_scope, may_reset_second_factor
from .scopes import anchor_for_scope, anchor_of, get_user_or_404, manageable_accounts

USER_ORDER = (asc(User.role), asc(User.username), asc(User.id))
INTROS = {access.UNIT_SUPERVISOR: _l("The clerk accounts of your unit. You create them, disable them and set a new "
                                     "initial password when a clerk has forgotten theirs."),
          access.COUNTY: _l("The volunteer supervisor accounts of your county's units and the accounts of your own "
                            "authority."),
          access.MINISTRY: _l("The accounts of the county, sector authority and ministry staff.")}


@bp.get("/users")
@access.allow(*MANAGERS)
def index():
    roles = creatable_roles(current_user.role)
    q = arg("q", to_search, 64, default="")
    role = request.args.get("role") if request.args.get("role") in roles else ""
    query = select(User).where(manageable_accounts(current_user))
    if q:
        query = query.where(or_(User.username.contains(q, autoescape=True),
                                User.display_name.contains(q, autoescape=True)))
    if role:
        query = query.where(User.role == role)
    # By role and username over the index on (role, username, id): keyset pages, a count bounded at 1,000
    # (volunteers' accounts may be a million).
    page = keyset(query, USER_ORDER, request.args.get(CURSOR_ARG), 50)
    return page_or_fragment("admin/users.html", "results", page=page, q=q, role=role, roles=roles,
                            intro=INTROS.get(current_user.role))


def apply_form(form, user=None) -> tuple[str, dict | None] | None:
    """Role and scope (None: unchanged) after the checks on top of the form (AM2, password rules, e-mail of
    staff accounts, a free username); None when the form has errors."""
    actor = current_user
    role = form.role.data if "role" in form else (user.role if user else creatable_roles(actor.role)[0])
    scope = None
    if user is None or may_change_role_and_scope(actor.role):
        scope, errors = scope_for(form, actor, role)
        for name, message in errors.items():
            form[name].errors.append(message)
        if not errors and user is None and not manageable(actor.role, anchor_of(actor), role,
                                                          anchor_for_scope(scope)):
            # Defence in depth: the form never offers an account the rule refuses.
            (form.role if "role" in form else form.username).errors.append(_("You may not create this account."))
    if role != access.VOLUNTEER and not form.email.data:
        form.email.errors.append(_("Enter the e-mail address of the account holder."))
    if isinstance(form, NewAccountForm):
        form.password.errors.extend(policy_problems(form.password.data, role, form.username.data))
    if "username" in form:
        taken = db.session.scalar(select(User).where(User.username == form.username.data))
        if taken is not None and taken is not user:
            form.username.errors.append(_("This username is taken."))
    return None if any(f.errors for f in form) else (role, scope)


def fixed_facts(user=None) -> list[tuple[str, str]]:
    """What a delegated manager cannot choose, shown as facts: the role and the scope."""
    actor = current_user
    facts = []
    roles = creatable_roles(actor.role)
    if user is not None and not may_change_role_and_scope(actor.role):
        facts = [(_("Role"), role_label(user.role)), (_("Scope"), scope_label(user))]
    elif user is None and len(roles) == 1:
        facts = [(_("Role"), role_label(roles[0])), (_("Scope"), scope_label(actor))]
    return facts


@bp.route("/users/new", methods=["GET", "POST"])
@access.allow(*MANAGERS)
def new():
    form = account_form(current_user.role, localized, new=True)
    if form.validate_on_submit() and (done := apply_form(form)) is not None:
        role, scope = done
        user = create_account(form.username.data, form.password.data, role, form.display_name.data or "",
                              form.active.data, scope, email=form.email.data, phone=form.phone.data)
        db.session.commit()
        flash(_("Account %(name)s created. The user must change the password at the first sign-in.",
                name=user.username), "success")
        return redirect(url_for(".index"))
    return render_template("admin/user_form.html", form=form, user=None, facts=fixed_facts()), \
        422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access.allow(*MANAGERS)
def edit(user_id):
    user = get_user_or_404(user_id, current_user)
    form = account_form(current_user.role, localized, new=False, obj=user)
    reset = ResetPasswordForm(formdata=None)
    if request.method == "GET" and "unit_code" in form:
        form.unit_code.data = user.unit.code if user.unit else ""
        form.county.data = user.authority.county_code if user.authority else ""
        form.field.data = user.authority.field_code if user.authority else ""
        form.person_id_number.data = user.person.masked_id if user.person else ""
    if form.validate_on_submit():
        check_version(user, form)
        if "person_id_number" in form and user.role == access.VOLUNTEER and form.role.data == access.VOLUNTEER \
                and user.person and form.person_id_number.data == user.person.masked_id:
            form.person_id_number.data = user.person.id_number  # the masked number shown stands for the same person
        if (done := apply_form(form, user)) is not None:
            role, scope = done
            username = form.username.data if "username" in form else user.username
            update_account(user, username=username, display_name=form.display_name.data or "",
                           email=form.email.data, phone=form.phone.data, role=role, active=form.active.data,
                           scope=scope)
            db.session.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for(".index"))
    return render_template("admin/user_form.html", form=form, user=user, reset=reset, facts=fixed_facts(user),
                           may_unlock=may_reset_second_factor(current_user.role)), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/password")
@access.allow(*MANAGERS)
def reset_password(user_id):
    user = get_user_or_404(user_id, current_user)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        problems = new_password_problems(user, form.password.data)
        if problems:
            flash(" ".join(problems), "error")
        else:
            reset_account_password(user, form.password.data)
            db.session.commit()
            flash(_("Password set. All sessions of %(name)s have ended.", name=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/users/<int:user_id>/mfa/reset")
@access.allow(access.ADMIN)
def reset_mfa(user_id):
    user = get_user_or_404(user_id, current_user)
    reset_account_mfa(user)
    db.session.commit()
    flash(_("Two-step sign-in of %(name)s reset; the app is set up again at the next sign-in.",
            name=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/users/<int:user_id>/unlock")
@access.allow(access.ADMIN)
def unlock(user_id):
    user = get_user_or_404(user_id, current_user)
    unlock_account(user)
    db.session.commit()
    flash(_("Account %(name)s unlocked.", name=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))
