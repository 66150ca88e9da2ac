"""Pages for people: registering API clients (ministry and counties, docs/rules/api.md#api1) and the API's
reference page (/api/v1/docs), rendered from the OpenAPI document with headings and summaries translated."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User
from portal.platform import access, confirm
from portal.platform.extensions import db
from portal.platform.forms import check_version

from .blueprint import spec_of
from .forms import ClientActionForm, ClientForm
from .operations import ClientRefused, register_client, revoke_client, rotate_secret
from .problems import TITLES
from .reference import SCOPE_HELP, operations_of
from .scopes import get_client_or_404, visible_clients

pages_bp = Blueprint("api_clients", __name__)

REGISTRARS = (access.MINISTRY, access.COUNTY)


def refusal_message(code: str) -> str:
    return {"unknown_scope": _("Choose at least one scope."),
            "owner_role": _("The account must be an active unit-staff or authority account."),
            "owner_outside": _("The account is outside your area."),
            "registrar_role": _("Only the ministry or a county registers clients.")}[code]


@pages_bp.route("/api-clients/", methods=["GET", "POST"])
@access.allow(*REGISTRARS)
def clients():
    form = ClientForm()
    if form.validate_on_submit():
        owner = db.session.scalar(select(User).where(User.username == form.owner.data.strip()))
        try:
            if owner is None:
                raise ClientRefused("owner_role")
            credentials = register_client(form.name.data, owner, form.scopes.data, current_user,
                                          rate_limit=form.rate_limit.data or "")
        except ClientRefused as refused:
            db.session.rollback()
            form.owner.errors = [refusal_message(refused.code)]
        else:
            db.session.commit()
            return render_template("api/secret.html", credentials=credentials, rotated=False)
    return render_template("api/clients.html", form=form, clients=visible_clients(current_user),
                           action_form=ClientActionForm(), scope_help=SCOPE_HELP), 422 if form.errors else 200


@pages_bp.post("/api-clients/<int:api_client_id>/rotate")
@access.allow(*REGISTRARS)
def rotate(api_client_id):
    client = get_client_or_404(api_client_id, current_user)
    form = ClientActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".clients"))
    check_version(client, form)
    if not confirm.confirmed():
        return confirm.ask(_("New secret for %(name)s", name=client.name),
                           [_("A new secret is shown once; the partner system must be given it."),
                            _("The old secret and every token issued with it stop working at once.")],
                           _("Yes, make a new secret"), url_for(".clients"))
    credentials = rotate_secret(client)
    db.session.commit()
    return render_template("api/secret.html", credentials=credentials, rotated=True)


@pages_bp.post("/api-clients/<int:api_client_id>/revoke")
@access.allow(*REGISTRARS)
def revoke(api_client_id):
    client = get_client_or_404(api_client_id, current_user)
    form = ClientActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".clients"))
    check_version(client, form)
    if not confirm.confirmed():
        return confirm.ask(_("Revoke %(name)s", name=client.name),
                           [_("The partner system can no longer get tokens."),
                            _("Its tokens are refused from the next call on."),
                            _("This cannot be undone; register a new client to connect again.")],
                           _("Yes, revoke"), url_for(".clients"))
    revoke_client(client)
    db.session.commit()
    flash(_("%(name)s is revoked.", name=client.name), "success")
    return redirect(url_for(".clients"))


@pages_bp.get("/api/v1/docs")
@access.allow(*access.EVERYONE)
def reference():
    spec = spec_of(current_app)
    problems = [(code, title()) for code, title in TITLES.items()]
    return render_template("api/reference.html", operations=operations_of(spec), spec=spec, problems=problems,
                           scope_help=SCOPE_HELP)
