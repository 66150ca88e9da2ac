"""A volunteer activates their account: ID number and birth date, then the code and a password
(docs/rules/accounts.md#act1 to #act5)."""
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.platform import access
from portal.platform.extensions import db

from . import bp, limits
from .forms import ActivationForm, ActivationRequestForm
from .operations import (
    account_of,
    activate,
    check_code,
    newest_code,
    registered_person,
    request_activation,
    use_code,
    username_taken,
    volunteer_password_problems,
)
from .rules import CODE_MINUTES, LINK_MINUTES, MAX_TRIES, Purpose

bp.context_processor(lambda: {"code_minutes": CODE_MINUTES, "link_minutes": LINK_MINUTES})


def public(body, status: int | None = None):
    """Pages of people who are not signed in, about codes: never cached, never sent on as a referrer."""
    response = make_response(body) if status is None else make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/activate", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limits.per_id("id_number", "activate")
@limits.per_address()
def activate_request():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = ActivationRequestForm()
    if form.validate_on_submit():
        request_activation(form.id_number.data, form.birth_date.data, form.channel.data)
        db.session.commit()
        # The same redirect whether or not anyone matched (ACT1): the next page says what may have happened.
        return public(redirect(url_for(".activate_code"), 303))
    return public(render_template("accounts/activate.html", form=form), 422 if form.errors else 200)


@bp.route("/activate/code", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limits.code_entry()
def activate_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = ActivationForm()
    if form.validate_on_submit():
        person = registered_person(form.id_number.data)
        row = newest_code(Purpose.ACTIVATE, person_id=person.id if person else None)
        if not check_code(row, Purpose.ACTIVATE, form.code.data):
            db.session.commit()  # the wrong try counts (ACT3)
            form.code.errors.append(_("This code is not right, has expired or was already used. A code is valid "
                                      "for %(n)d minutes and %(tries)d tries; only the newest code you asked for "
                                      "counts.", n=CODE_MINUTES, tries=MAX_TRIES))
        elif account_of(person) is not None:
            use_code(row)
            db.session.commit()
            return public(render_template("accounts/account_exists.html"))
        elif username_taken(person):
            form.id_number.errors.append(_("An account already uses your ID number as its username. Please ask "
                                           "your unit to sort it out."))
        else:
            form.new.errors.extend(volunteer_password_problems(person, form.new.data))
            if not form.errors:
                user = activate(person, row, form.new.data)
                if user is not None:
                    db.session.commit()
                    flash(_("Your account is ready. Sign in with your ID number as the username (%(username)s) "
                            "and the password you chose.", username=user.username.upper()), "success")
                    return redirect(url_for("auth.login"))
                form.code.errors.append(_("This code was used a moment ago. Please ask for a new one."))
    return public(render_template("accounts/activate_code.html", form=form), 422 if form.errors else 200)
