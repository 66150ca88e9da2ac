"""Forgot password: a code and a link to the e-mail or phone on file, then a new password; authority and admin
accounts also give their second-step code (docs/rules/accounts.md#rec1 to #rec4)."""
from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import mfa
from portal.auth.models import User
from portal.auth.operations import record_failure
from portal.platform import access
from portal.platform.extensions import db

from . import bp, limits
from .forms import RecoveryCodeForm, RecoveryPasswordForm, RecoveryRequestForm
from .models import OneTimeCode
from .operations import (
    check_code,
    count_wrong_try,
    find_account,
    link_open,
    newest_code,
    recover,
    recovery_problems,
    request_recovery,
    row_for_link,
)
from .rules import CODE_MINUTES, MAX_TRIES, Purpose
from .views import public

GRANT = "recovery"  # session key: the recovery whose code or link this browser proved


@bp.route("/forgot", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limits.per_id("identifier", "recover")
@limits.per_address()
def forgot():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RecoveryRequestForm()
    if form.validate_on_submit():
        request_recovery(form.identifier.data, form.channel.data)
        db.session.commit()
        return public(redirect(url_for(".recover_code"), 303))  # the same answer for every name (REC1)
    return public(render_template("accounts/forgot.html", form=form), 422 if form.errors else 200)


@bp.route("/recover", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limits.code_entry()
def recover_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        user = find_account(form.identifier.data)
        row = newest_code(Purpose.RECOVER, user_id=user.id if user is not None and user.active else None)
        if check_code(row, Purpose.RECOVER, form.code.data):
            return _granted(row)
        db.session.commit()  # the wrong try counts
        form.code.errors.append(_("This code is not right, has expired or was already used. A code is valid for "
                                  "%(n)d minutes and %(tries)d tries; only the newest code you asked for counts.",
                                  n=CODE_MINUTES, tries=MAX_TRIES))
    return public(render_template("accounts/recover.html", form=form), 422 if form.errors else 200)


@bp.get("/recover/link/<token>")
@access.allow(*access.EVERYONE)
@limits.code_entry()
def recover_link(token):
    """Opening the link proves the mailbox; it uses nothing up (a mail scanner that opens links first does no
    harm): the code is used when the new password is set."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    row = row_for_link(token)
    if row is None:
        return public(render_template("accounts/link_invalid.html"), 404)
    return _granted(row)


def _granted(row: OneTimeCode):
    session[GRANT] = row.id
    return public(redirect(url_for(".recover_password"), 303))


def granted_row() -> OneTimeCode | None:
    row = db.session.get(OneTimeCode, session.get(GRANT) or 0)
    if row is None or row.user_id is None or not link_open(row):
        return None
    return row if newest_code(Purpose.RECOVER, user_id=row.user_id) is row else None


@bp.route("/recover/password", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limits.code_entry()
def recover_password():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    row = granted_row()
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None or not user.active:
        session.pop(GRANT, None)
        flash(_("That code or link is no longer valid. Please ask for a new one."), "info")
        return redirect(url_for(".forgot"))
    needs_code = mfa.requires_mfa(user)
    if needs_code and not user.totp_secret:
        return public(render_template("accounts/no_second_factor.html"), 409)
    form = RecoveryPasswordForm()
    if form.validate_on_submit():
        form.new.errors.extend(recovery_problems(user, form.new.data))
        if not form.errors and needs_code:
            if mfa.normalized(form.totp.data) is None:
                form.totp.errors.append(_("Enter the six digits the app shows."))
            elif not mfa.accept_code(user, form.totp.data):
                record_failure(user)  # counts towards the account's lockout, as at sign-in (AC4)
                count_wrong_try(row)  # and uses up the recovery code's tries (REC2)
                db.session.commit()
                form.totp.errors.append(_("The code is not correct or was already used. Wait for the next code "
                                          "in your app and enter it."))
        if not form.errors:
            if recover(user, row, form.new.data):
                db.session.commit()
                session.pop(GRANT, None)
                flash(_("Your password has been changed and every session of the account has been signed out. "
                        "Sign in with the new password."), "success")
                return redirect(url_for("auth.login"))
            return redirect(url_for(".recover_password"))
    return public(render_template("accounts/recover_password.html", form=form, needs_code=needs_code,
                                  username=user.username), 422 if form.errors else 200)
