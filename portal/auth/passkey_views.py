"""Passkey pages and ceremonies (docs/rules/accounts.md#pk1): the account's passkeys, the second step of an
authority's sign-in, a first sign-in that sets up a passkey instead of the app, and signing in with a
passkey alone.

Each ceremony is two requests. The options (JSON, fetched by static/js/passkeys.js) carry a new challenge;
the browser's answer is then posted with an ordinary form, so the result is an ordinary page: a redirect,
or the same page with the problem in words.
"""
from flask import abort, current_app, flash, jsonify, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.platform import access, audit
from portal.platform.extensions import db, limiter

from . import bp, mfa, passkeys
from .forms import CodeForm, LoginForm, PasskeyAddForm, PasskeyNameForm, PasskeyResponseForm
from .models import Passkey, User
from .operations import record_failure
from .passwords import verify_password
from .rules import safe_next
from .views import finish_sign_in, login_page, pending_user, second_step_page, setup_page, sign_in_again


def login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def problem_text(error: passkeys.PasskeyError) -> str:
    if error.reason in ("missing", "malformed"):
        return _("The passkey did not answer. Try again, and follow what your browser or phone asks.")
    if error.reason == "duplicate":
        return _("This passkey is already registered.")
    if error.reason == "challenge":
        return _("The request expired or was already used. Try again.")
    return _("The passkey could not be verified. Try again, or use another way to sign in.")


def get_passkey_or_404(passkey_id: int, user: User) -> Passkey:
    """Only the account's own passkeys that are still in use; any other id is 'not found'."""
    passkey = db.session.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id,
                                                      Passkey.disabled_at.is_(None)))
    if passkey is None:
        abort(404)
    return passkey


# --- the account's passkeys -------------------------------------------------------------------------

def passkeys_page(form: PasskeyAddForm, passkey_error: str | None = None):
    user = current_user._get_current_object()
    return render_template("auth/passkeys.html", form=form, passkeys=passkeys.active_passkeys(user),
                           signs_in_alone=not mfa.requires_mfa(user), passkey_error=passkey_error)


@bp.get("/passkeys")
@access.allow(*access.SIGNED_IN)
def passkey_list():
    return passkeys_page(PasskeyAddForm(formdata=None))


@bp.post("/passkeys/options")
@access.allow(*access.SIGNED_IN)
def passkey_add_options():
    """Creation options once the name and the current password are right; otherwise 422 and the script
    posts the form as it is, so that the page shows the problems by their fields."""
    form = PasskeyAddForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit() or not verify_password(user.password_hash, form.password.data):
        return jsonify(ok=False), 422
    options = passkeys.registration_options(user)
    db.session.commit()
    return jsonify(options)


@bp.post("/passkeys")
@access.allow(*access.SIGNED_IN)
def passkey_add():
    form = PasskeyAddForm()
    user = current_user._get_current_object()
    problem = None
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append(_("The current password is not correct."))
        else:
            try:
                passkeys.register(user, passkeys.parse_response(form.credential.data), form.name.data)
            except passkeys.PasskeyError as error:
                problem = problem_text(error)
            else:
                db.session.commit()
                flash(_("The passkey “%(name)s” was added.", name=form.name.data), "success")
                return redirect(url_for(".passkey_list"))
    db.session.commit()  # a challenge taken stays used
    return passkeys_page(form, problem), 422


@bp.post("/passkeys/<int:passkey_id>/remove")
@access.allow(*access.SIGNED_IN)
def passkey_remove(passkey_id: int):
    passkey = get_passkey_or_404(passkey_id, current_user)
    passkeys.disable(passkey)
    db.session.commit()
    flash(_("The passkey “%(name)s” was removed. It can no longer be used to sign in.", name=passkey.name), "success")
    return redirect(url_for(".passkey_list"))


# --- second step of an authority's sign-in ----------------------------------------------------------

@bp.post("/login/code/passkey/options")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def second_step_passkey_options():
    user = pending_user()
    if user is None or not passkeys.has_passkey(user):
        return jsonify(ok=False), 422
    options = passkeys.authentication_options(passkeys.SECOND_STEP, user)
    db.session.commit()
    return jsonify(options)


@bp.post("/login/code/passkey")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def second_step_passkey():
    """Instead of the six-digit code; a passkey that fails counts like a wrong code (AC4)."""
    user = pending_user()
    if user is None:
        return sign_in_again()
    form = PasskeyResponseForm()
    try:
        if not form.validate_on_submit():
            raise passkeys.PasskeyError("malformed", counts=False)
        passkeys.authenticate(passkeys.SECOND_STEP, passkeys.parse_response(form.credential.data), user)
    except passkeys.PasskeyError as error:
        if error.counts:
            record_failure(user)
        db.session.commit()
        if pending_user() is None:
            return sign_in_again()
        return second_step_page(user, CodeForm(formdata=None), problem_text(error)), 422
    return finish_sign_in(user, session["mfa_pending"].get("next"), mfa_done=True)


# --- first sign-in of an authority: a passkey instead of the app -----------------------------------

@bp.post("/login/setup/passkey/options")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def setup_passkey_options():
    user = pending_user()
    form = PasskeyNameForm()
    if user is None or mfa.enrolled(user) or not form.validate_on_submit():
        return jsonify(ok=False), 422
    options = passkeys.registration_options(user)
    db.session.commit()
    return jsonify(options)


@bp.post("/login/setup/passkey")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def setup_passkey():
    """The password was right a moment ago and the account has no second step yet: the new passkey
    becomes it, as the app's first code does on the QR page."""
    user = pending_user()
    if user is None:
        return sign_in_again()
    if mfa.enrolled(user):
        return redirect(url_for(".second_step"))
    form = PasskeyNameForm()
    problem = None
    if form.validate_on_submit():
        try:
            passkeys.register(user, passkeys.parse_response(form.credential.data), form.name.data)
        except passkeys.PasskeyError as error:
            problem = problem_text(error)
        else:
            audit.record("user.mfa_enrolled", user, username=user.username, role=user.role, method="passkey")
            flash(_("Your passkey is set up. From now on you will use it after your password."), "success")
            return finish_sign_in(user, session["mfa_pending"].get("next"), mfa_done=True)
    db.session.commit()
    return setup_page(user, CodeForm(formdata=None), form, problem), 422


# --- signing in with a passkey alone -----------------------------------------------------------------

@bp.post("/login/passkey/options")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def passkey_sign_in_options():
    if current_user.is_authenticated:
        return jsonify(ok=False), 422
    options = passkeys.authentication_options(passkeys.SIGN_IN)
    db.session.commit()
    return jsonify(options)


@bp.post("/login/passkey")
@access.allow(*access.EVERYONE)
@limiter.limit(login_limit)
def passkey_sign_in():
    """Volunteers and accounts without a second step. An authority's passkey is its second factor only:
    the password comes first (AC5), so here it is refused with directions."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = PasskeyResponseForm()
    try:
        if not form.validate_on_submit():
            raise passkeys.PasskeyError("malformed", counts=False)
        passkey = passkeys.authenticate(passkeys.SIGN_IN, passkeys.parse_response(form.credential.data))
    except passkeys.PasskeyError as error:
        if error.counts and error.user is not None:
            record_failure(error.user)
        db.session.commit()
        if error.reason in ("missing", "malformed", "challenge"):
            return login_page(LoginForm(formdata=None), problem_text(error)), 422
        # One answer whether the passkey is unknown, wrong, disabled or its account locked (AC8).
        return login_page(LoginForm(formdata=None), _(
            "The passkey could not be used to sign in, or the account is locked for 15 minutes after 5 failed "
            "attempts. Try again, or sign in with your username and password.")), 422
    user = passkey.user
    if mfa.requires_mfa(user):
        db.session.commit()  # the passkey's counter moved
        return login_page(LoginForm(formdata=None), _(
            "Accounts of authorities sign in with username and password first; then use the passkey as the "
            "second step.")), 422
    return finish_sign_in(user, safe_next(form.next.data), mfa_done=False)
