"""The public verification pages (docs/rules/certificates.md#v2): by the QR's address or a typed short code, for anyone,
rate-limited, never cached or indexed; what they show comes from portal.documents.verification."""
from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _

from portal.credentials.labels import verification_facts
from portal.documents.models import Document
from portal.documents.scopes import document_by_code, document_by_token
from portal.documents.verification import public_facts
from portal.platform import access
from portal.platform.extensions import limiter
from portal.platform.timeutil import today_taipei

from . import bp
from .forms import VerifyForm

# V1 (docs/rules/certificates.md#v1): per client address, every lookup of either route counts; nationwide
# (every address and, with REDIS_URL, every web host together), only lookups that find nothing count, so
# guessing from many addresses stops while people checking real documents are not counted. The global
# budget and the short code's 65 bits give the odds written in V1.
VERIFY_LIMIT = "30 per minute"
VERIFY_GLOBAL_MISSES = "10000 per day"


def _public(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.vary.add("Accept-Language")
    return response


def _verification(document: Document | None, form: VerifyForm, status: int = 200):
    context = {"document": document, "form": form}
    if document is not None:
        context.update(public_facts(document, today_taipei()))
        context["credential"] = verification_facts(document)   # its signed credential (docs/rules/credentials.md)
    return _public(make_response(render_template("certificates/verify.html", **context), status))


verify_limit = limiter.shared_limit(VERIFY_LIMIT, scope="verify")
verify_global_limit = limiter.shared_limit(
    lambda: current_app.config.get("VERIFY_GLOBAL_MISSES", VERIFY_GLOBAL_MISSES), scope="verify-global",
    key_func=lambda: "nationwide", deduct_when=lambda response: response.status_code == 404)


@bp.get("/verify")
@access.allow(*access.EVERYONE)
@verify_limit
@verify_global_limit
def verify_form():
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return _verification(None, VerifyForm(formdata=None))
    document = document_by_code(form.code.data) if form.validate() else None
    if document is None:
        if not form.code.errors:
            form.code.errors = [_("No document has this verification code. Please check the code and try again.")]
        return _verification(None, form, 404)
    return _verification(document, form)


@bp.get("/verify/<token>")
@access.allow(*access.EVERYONE)
@verify_limit
@verify_global_limit
def verify(token):
    document = document_by_token(token)
    if document is None:
        form = VerifyForm(formdata=None)
        form.code.errors = [_("No document matches this address. Please check it, or type the verification code.")]
        return _verification(None, form, 404)
    return _verification(document, VerifyForm(formdata=None))
