"""Accounts: list, create, edit role/scope, lock out, unlock, reset password or two-step sign-in. Admin only."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
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

from . import bp
from .forms import AccountForm, NewAccountForm, ResetPasswordForm
from .operations import (
    create_account,
    reset_account_mfa,
    reset_account_password,
    scope_for,
    unlock_account,
    update_account,
)
from .scopes import get_user_or_404

USER_ORDER = (asc(User.role), asc(User.username), asc(User.id))


@bp.get("/users")
@access.allow(access.ADMIN)
def index():
    q = (request.args.get("q") or "").strip()[:64]
    role = request.args.get("role") if request.args.get("role") in access.ROLES else ""
    query = select(User)
    if q:
        query = query.where(or_(User.username.contains(q, autoescape=True),
                                User.display_name.contains(q, autoescape=True)))
    if role:
        query = query.where(User.role == role)
    # By role and username over the index on (role, username, id): keyset pages, a count bounded at 1,000
    # (volunteers' accounts may be a million).
    page = keyset(query, USER_ORDER, request.args.get(CURSOR_ARG), 50)
    return page_or_fragment("admin/users.html", "results", page=page, q=q, role=role, roles=access.ROLES)


def apply_form(form, user=None):
    """Validate scope and password rules on top of the form; returns the scope or None."""
    scope, errors = scope_for(form)
    for name, message in errors.items():
        form[name].errors.append(message)
    if isinstance(form, NewAccountForm):
        form.password.errors.extend(policy_problems(form.password.data, form.role.data, form.username.data))
    taken = db.session.scalar(select(User).where(User.username == form.username.data))
    if taken is not None and taken is not user:
        form.username.errors.append(_("This username is taken."))
    return None if any(f.errors for f in form) else scope


@bp.route("/users/new", methods=["GET", "POST"])
@access.allow(access.ADMIN)
def new():
    form = NewAccountForm()
    form.set_choices(localized)
    if form.validate_on_submit() and (scope := apply_form(form)) is not None:
        user = create_account(form.username.data, form.password.data, form.role.data,
                              form.display_name.data or "", form.active.data, scope)
        db.session.commit()
        flash(_("Account %(name)s created. The user must change the password at the first sign-in.",
                name=user.username), "success")
        return redirect(url_for(".index"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access.allow(access.ADMIN)
def edit(user_id):
    user = get_user_or_404(user_id)
    form = AccountForm(obj=user)
    form.set_choices(localized)
    reset = ResetPasswordForm(formdata=None)
    if request.method == "GET":
        form.unit_code.data = user.unit.code if user.unit else ""
        form.county.data = user.authority.county_code if user.authority else ""
        form.field.data = user.authority.field_code if user.authority else ""
        form.person_id_number.data = user.person.masked_id if user.person else ""
    if form.validate_on_submit():
        check_version(user, form)
        if user.role == access.VOLUNTEER and form.role.data == access.VOLUNTEER and user.person \
                and form.person_id_number.data == user.person.masked_id:
            form.person_id_number.data = user.person.id_number  # the masked number shown stands for the same person
        if (scope := apply_form(form, user)) is not None:
            update_account(user, form.username.data, form.display_name.data or "", form.role.data, form.active.data,
                           scope)
            db.session.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for(".index"))
    return render_template("admin/user_form.html", form=form, user=user, reset=reset), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/password")
@access.allow(access.ADMIN)
def reset_password(user_id):
    user = get_user_or_404(user_id)
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
    user = get_user_or_404(user_id)
    reset_account_mfa(user)
    db.session.commit()
    flash(_("Two-step sign-in of %(name)s reset; the app is set up again at the next sign-in.",
            name=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/users/<int:user_id>/unlock")
@access.allow(access.ADMIN)
def unlock(user_id):
    user = get_user_or_404(user_id)
    unlock_account(user)
    db.session.commit()
    flash(_("Account %(name)s unlocked.", name=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))
