"""Sign-in, sign-out, password change, keeping a session alive."""
import base64
import hashlib
import hmac
import secrets
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from portal.platform import access, audit
from portal.platform.extensions import db, limiter, login_manager
from portal.platform.htmx import is_htmx_request
from portal.platform.params import id_or_none
from portal.platform.timeutil import utcnow

from . import bp, devices, mfa, passkeys, signals
from .forms import ChangePasswordForm, CodeForm, LoginForm, PasskeyNameForm, PasskeyResponseForm
from .models import User
from .operations import authenticate, end_sessions, new_password_problems, record_failure, record_success, set_password
from .passwords import verify_password
from .rules import is_locked, safe_next
from .sessions import enforce_session_limits, require_mfa, require_password_change, warning_after_seconds

bp.before_app_request(enforce_session_limits)
bp.before_app_request(require_mfa)
bp.before_app_request(require_password_change)
bp.app_context_processor(lambda: {"session_warning_after": warning_after_seconds})
PENDING_SECONDS = 300
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _sep, token = session_id.partition(":")
    number = id_or_none(user_id)
    user = db.session.get(User, number) if number is not None else None
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx_request():
        # A redirect would swap the login page into a table cell; send the whole tab there.
        return "", 401, {"HX-Redirect": login_url}
    flash(login_manager.login_message, "info")
    return redirect(login_url)


@bp.route("/login", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            next_url = safe_next(request.args.get("next"))
            if mfa.requires_mfa(user):
                start_second_step(user, next_url)
                db.session.commit()
                return redirect(url_for(".second_step" if mfa.enrolled(user) else ".mfa_setup"))
            return finish_sign_in(user, next_url, mfa_done=False)
        db.session.commit()  # the failure counts although the sign-in is refused
        form.password.errors.append(_("The username or password is incorrect, or the account is "
                                      "locked for 15 minutes after 5 failed attempts."))
    return login_page(form), 422 if form.errors else 200


def login_page(form: LoginForm, passkey_error: str | None = None):
    passkey_form = PasskeyResponseForm(formdata=None, next=safe_next(request.args.get("next")) or "")
    return render_template("auth/login.html", form=form, passkey_form=passkey_form, passkey_error=passkey_error)


def finish_sign_in(user: User, next_url: str | None, mfa_done: bool):
    """The account is in: a new session, the failure count cleared, the device remembered, and the packages
    above auth told (a new device is reported to the account: docs/rules/accounts.md#pk2)."""
    lang = session.get("lang")
    session.clear()  # a new session: nothing from before sign-in survives (fixation)
    if lang and not user.locale:
        user.locale = lang
    record_success(user)
    new_device, device_token = devices.recognise(user, devices.current_token())
    login_user(user)
    session.permanent = True
    session["started_at"] = session["last_seen"] = int(time.time())
    session["mfa"] = mfa_done
    # Receivers only queue work (flushed), committed with the sign-in itself.
    signals.signed_in.send(user, new_device=new_device, user_agent=devices.user_agent())
    db.session.commit()
    # Checked again here: the target waited in the session through the second step (AC9).
    return devices.keep_cookie(redirect(safe_next(next_url) or url_for("main.home")), device_token)


def start_second_step(user: User, next_url: str | None):
    """The password was right; the account is not signed in until its code is too."""
    lang = session.get("lang")
    session.clear()
    session["lang"] = lang
    session["mfa_pending"] = {"user": user.id, "token": user.session_token, "at": int(time.time()),
                              "next": next_url, "nonce": secrets.token_hex(16)}


def pending_user() -> User | None:
    pending = session.get("mfa_pending") or {}
    if int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user", 0))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    if is_locked(user.locked_until, utcnow()):
        return None
    return user


def enrolment_secret(user: User) -> str:
    """The key offered on the set-up page, derived rather than stored until the user proves it works:
    nothing secret sits in the (signed, not encrypted) session cookie."""
    nonce = session["mfa_pending"]["nonce"]
    digest = hmac.new(current_app.secret_key.encode(), f"totp-setup:{user.id}:{user.session_token}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def sign_in_again():
    session.pop("mfa_pending", None)
    flash(_("Please sign in again: the second step has to follow the password within 5 minutes."), "info")
    return redirect(url_for(".login"))


@bp.route("/login/code", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def second_step():
    user = pending_user()
    if user is None:
        return sign_in_again()
    if not mfa.enrolled(user):
        return redirect(url_for(".mfa_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        if mfa.normalized(form.code.data) is None:
            form.code.errors.append(_("Enter the six digits the app shows."))
        elif mfa.accept_code(user, form.code.data):
            return finish_sign_in(user, session["mfa_pending"].get("next"), mfa_done=True)
        else:
            record_failure(user)
            db.session.commit()
            if pending_user() is None:
                return sign_in_again()
            form.code.errors.append(_("The code is not correct or was already used. Wait for the next code "
                                      "in your app and enter it."))
    return second_step_page(user, form), 422 if form.errors else 200


def second_step_page(user: User, form: CodeForm, passkey_error: str | None = None):
    """The code field where the account has the app, the passkey button where it has a passkey."""
    return render_template("auth/second_step.html", form=form, has_totp=bool(user.totp_secret),
                           has_passkey=passkeys.has_passkey(user), passkey_error=passkey_error,
                           passkey_form=PasskeyResponseForm(formdata=None))


@bp.route("/login/setup", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def mfa_setup():
    user = pending_user()
    if user is None:
        return sign_in_again()
    if mfa.enrolled(user):
        return redirect(url_for(".second_step"))
    secret = enrolment_secret(user)
    form = CodeForm()
    if form.validate_on_submit():
        if mfa.enrol(user, secret, form.code.data):
            audit.record("user.mfa_enrolled", user, username=user.username, role=user.role)
            flash(_("Two-step sign-in is set up. From now on you will enter a code from your app after "
                    "your password."), "success")
            return finish_sign_in(user, session["mfa_pending"].get("next"), mfa_done=True)
        form.code.errors.append(_("The code does not match. Check that the app shows the account you just "
                                  "added and that the phone's clock is right."))
    return setup_page(user, form, PasskeyNameForm(formdata=None)), 422 if form.errors else 200


def setup_page(user: User, form: CodeForm, passkey_form: PasskeyNameForm, passkey_error: str | None = None):
    """Set-up of the second step: the authenticator app's QR code, or a passkey instead."""
    uri = mfa.provisioning_uri(user, enrolment_secret(user))
    return render_template("auth/mfa_setup.html", form=form, qr=Markup(mfa.qr_svg(uri)),
                           key=mfa.grouped(enrolment_secret(user)), passkey_form=passkey_form,
                           passkey_error=passkey_error)


@bp.post("/logout")
@access.allow(*access.SIGNED_IN)
def logout():
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/password", methods=["GET", "POST"])
@access.allow(*access.SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            form.new.errors.extend(new_password_problems(current_user, form.new.data))
        if not form.errors:
            user = current_user._get_current_object()
            set_password(user, form.new.data)
            user.must_change_password = False
            signals.password_changed.send(user, how="change")  # receivers queue the e-mail with this commit
            db.session.commit()
            login_user(user)  # this session carries the new token; all others end
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.post("/session/extend")
@access.allow(*access.SIGNED_IN)
def extend_session():
    """The "stay signed in" button: any request resets the idle clock; nothing else to do."""
    return "", 204
