"""The words of a credential check, in the page's language (English msgids, Chinese in the catalog)."""
from flask_babel import lazy_gettext as _l

from . import verify

PROBLEMS = {
    verify.NOT_A_CREDENTIAL: _l("This is not a signed credential."),
    verify.BAD_SIGNATURE: _l("The signature does not match: the credential was changed after it was signed."),
    verify.UNKNOWN_KEY: _l("The credential was not signed with any key of this portal."),
    verify.OTHER_ISSUER: _l("The credential names another issuer."),
    verify.REVOKED: _l("The issuer revoked this credential or replaced it with a newer one."),
    verify.UNKNOWN_STATUS: _l("The credential's status list is not one of this portal."),
    verify.EXPIRED: _l("The credential's period of validity has ended."),
    verify.NOT_YET_VALID: _l("The credential's period of validity has not begun."),
}
KEY_LABELS = {"current": _l("the current key"), "retired": _l("a retired key (kept for verification)"),
              "unknown": _l("an unknown key")}
PERIOD_LABELS = {"valid": _l("current"), "expired": _l("ended"), "not_yet_valid": _l("not begun"),
                 "unknown": _l("unknown")}
STATE_LABELS = {"valid": _l("Valid"), "revoked": _l("Revoked"), "superseded": _l("Superseded"),
                "expired": _l("Expired")}


def problem_texts(result: verify.Result) -> list[str]:
    return [str(PROBLEMS[code]) for code in result.problems]


def verification_facts(document) -> dict | None:
    """The credential part of a document's public verification page, labelled; None when it has none."""
    facts = verify.document_credential(document)
    if facts is None:
        return None
    return {**facts, "state_label": STATE_LABELS.get(facts["state"], facts["state"]),
            "key_label": KEY_LABELS[facts["result"].key]}
