"""The public side of the credentials (docs/rules/credentials.md): the issuer's DID document and JWKS, each issuer's
status list, a document's credential by its verification address, and the check of a pasted credential; for the
holder, the credential of a document in scope as a .json download and as a QR code for a wallet."""
import io
import json

import segno
from flask import abort, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.documents.kinds import KINDS
from portal.documents.scopes import document_by_token, get_document_or_404
from portal.platform import access, audit, downloads
from portal.platform.database import expect_write
from portal.platform.extensions import csrf, db, limiter

from . import bp, keys
from .forms import MAX_TEXT, CheckForm
from .labels import KEY_LABELS, PERIOD_LABELS, STATE_LABELS, problem_texts
from .models import StatusList
from .verify import check, stored_credential

# The verification pages' budget (portal/certificates/verify_views.py, docs/rules/certificates.md#v1): the same
# scope, so looking a document up by its page or by its credential counts once per address.
verify_limit = limiter.shared_limit("30 per minute", scope="verify")
# Public files every verifier fetches; cached briefly so a revocation reaches them within a minute.
SHORT_CACHE = "public, max-age=60"


def _json(body: str | dict, cache: str = SHORT_CACHE, mimetype: str = "application/json"):
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = make_response(text)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"   # web wallets and verifiers on other sites
    return response


@bp.get("/.well-known/did.json")
@access.allow(*access.EVERYONE)
def did_document():
    return _json(keys.did_document(), mimetype="application/did+json")


@bp.get("/.well-known/jwks.json")
@access.allow(*access.EVERYONE)
def jwks():
    return _json(keys.jwks(), mimetype="application/jwk-set+json")


@bp.get("/credentials/status/<key>")
@access.allow(*access.EVERYONE)
def status_list(key):
    # The signed list as stored: one indexed row read, no rebuild (1 million entries in well under 50 ms).
    served = db.session.scalar(select(StatusList.credential).where(StatusList.issuer_key == key[:40]))
    if not served:
        abort(404)
    response = _json(served)
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/verify/<token>/credential.json")
@access.allow(*access.EVERYONE)
@verify_limit
def public_credential(token):
    document = document_by_token(token)
    stored = stored_credential(document) if document is not None else None
    if stored is None:
        abort(404)
    response = _json(stored, cache="no-store")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/documents/<int:document_id>/credential.json")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def download(document_id):
    expect_write()
    document = get_document_or_404(document_id, current_user)
    stored = stored_credential(document) or abort(404)
    audit.record("credential.download", document, code=document.short_code)
    db.session.commit()
    kind = KINDS.get(document.kind)
    name = f"{kind.filename if kind else document.kind}-{document.short_code}.json"
    return downloads.send(json.dumps(stored, ensure_ascii=False, indent=1).encode(), name, "application/json")


@bp.get("/documents/<int:document_id>/credential-qr.png")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def qr(document_id):
    """The QR a wallet scans: the public address of the credential."""
    document = get_document_or_404(document_id, current_user)
    buffer = io.BytesIO()
    segno.make(url_for(".public_credential", token=document.token, _external=True), error="m").save(
        buffer, kind="png", scale=5, border=4)
    return downloads.send(buffer.getvalue(), f"credential-{document.short_code}.png", "image/png", inline=True)


def _parsed(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


@bp.route("/verify/credential", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@csrf.exempt        # checks a text and changes nothing: a verifier's script may post it without a session
@verify_limit
def check_credential():
    if request.method == "POST" and request.is_json:
        if (request.content_length or 0) > 4 * MAX_TEXT:
            abort(413)
        result = check(_parsed(request.get_data(as_text=True)))
        return _json({**result.as_json(), "messages": problem_texts(result)}, cache="no-store")
    form = CheckForm()
    result = check(_parsed(form.credential.data)) if form.validate_on_submit() else None
    wants_json = request.method == "POST" and request.accept_mimetypes.best == "application/json"
    if wants_json and result is not None:
        return _json({**result.as_json(), "messages": problem_texts(result)}, cache="no-store")
    return render_template("credentials/check.html", form=form, result=result,
                           problems=problem_texts(result) if result else [], key_labels=KEY_LABELS, period_labels=PERIOD_LABELS,
                           state_labels=STATE_LABELS, title=_("Check a credential")), 422 if form.errors else 200
