"""A unit's clerk or supervisor prints an activation code for a volunteer of the unit who has neither phone
nor e-mail (docs/rules/accounts.md#act6): shown once, on a page made for printing."""
from flask import make_response, render_template
from flask_login import current_user

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.scopes import get_person_or_404

from . import bp
from .forms import PrintCodeForm
from .operations import account_of, print_activation_code
from .rules import PRINTED_CODE_DAYS, grouped


@bp.route("/activation-code/<int:person_id>", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def activation_code(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)  # the unit's own volunteers only
    account = account_of(person)
    form = PrintCodeForm()
    if account is None and form.validate_on_submit():
        row, code = print_activation_code(person, current_user)
        db.session.commit()
        response = make_response(render_template("accounts/printed_code.html", person=person, code=grouped(code),
                                                 row=row))
        response.headers["Cache-Control"] = "no-store"  # the code is shown this once, never from a cache
        return response
    return render_template("accounts/print_code.html", person=person, account=account, form=form,
                           days=PRINTED_CODE_DAYS)
