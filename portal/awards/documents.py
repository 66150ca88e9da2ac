"""An awarded award as a verifiable document (docs/rules/awards.md#a11, docs/rules/credentials.md#vc10): a document
of kind "award" through the document engine (portal/documents), issued in the transaction that makes the award
final (the ministry's approval, an authority's import) and revoked with it.

The certificate is bilingual (Chinese first, English under it) on A4, with the verification block of every
document. Its payload is the snapshot the PDF, the verification page and the credential read: the award's name
and what it is given for, the awarding body, the round or year and the hours counted, each in Chinese and English
(English empty when there is none: an imported award of another scheme has only its Chinese name).
"""
import logging
import re
import uuid

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.documents.kinds import DocumentKind
from portal.documents.models import Document, DocumentStatus
from portal.documents.operations import issue_document, revoke_document
from portal.imports.models import ImportBatch
from portal.platform import audit, pdf
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.registry.identity import mask_id
from portal.registry.models import Authority, AuthorityKind

from .labels import round_label
from .models import SCHEME_LABELS, SCHEMES, Award, AwardStatus, tier_label
from .rules import THRESHOLDS

log = logging.getLogger(__name__)

KIND = "award"
TEMPLATE = "pdf/award_certificate.html"
AWARD_KIND = DocumentKind(KIND, _l("Award certificate"), TEMPLATE, "zh_TW", "award", follows=_l("the award"))

_CHINESE_ASIDE = re.compile(r"\s*\([^)]*[\u3400-\u9fff][^)]*\)")     # "bronze medal (銅牌)" → "bronze medal"


def _in(locale: str, make) -> str:
    with force_locale(locale):
        return str(make())


def award_names(award: Award) -> tuple[str, str]:
    """The award's name in Chinese and English. A MOHW scheme's name comes from its labels in both languages; an
    imported award has only its own (Chinese) title, with its tier, and no English name."""
    if award.scheme in SCHEMES:
        zh = _in(DEFAULT_LOCALE, lambda: award.name)
        en = _CHINESE_ASIDE.sub("", _in("en", lambda: award.name))
        return zh, en[:1].upper() + en[1:]
    title = f"{award.title} {award.tier}" if award.tier else award.title
    return title, ""


def award_key(award: Award) -> str:
    """A stable name of what was awarded, for the credential's achievement address: the scheme and tier of a MOHW
    award; for any other award a UUID of its awarding body and title (the same award of the same body, the same
    key)."""
    if award.scheme in SCHEMES:
        return f"{award.scheme}-{award.tier}"
    name = f"award:{award.issuer}|{award.title}|{award.tier or ''}"
    return f"other-{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _descriptions(award: Award, body: str, body_en: str) -> tuple[str, str]:
    if award.scheme in SCHEMES and award.tier in THRESHOLDS.get(award.scheme, {}):
        hours = THRESHOLDS[award.scheme][award.tier] // 2
        zh_tier = _in(DEFAULT_LOCALE, lambda: tier_label(award.scheme, award.tier))
        en_scheme = _in("en", lambda: SCHEME_LABELS[award.scheme])
        en_tier = _CHINESE_ASIDE.sub("", _in("en", lambda: tier_label(award.scheme, award.tier)))
        return (f"志願服務時數累計達{hours}小時以上，經主管機關審核，由{body or '衛生福利部'}頒給{zh_tier}。",
                f"{en_scheme}, {en_tier}: given by the {body_en or 'Ministry of Health and Welfare'} to a "
                f"volunteer with at least {hours:,} hours of service, after review by the competent authority.")
    given_by = f"the {body_en}" if body_en else "its awarding body (whose name is in Chinese only)"
    return (f"由{body}頒發之獎項，經主管機關匯入志願服務紀錄。",
            f"An award given by {given_by}, recorded in the volunteer service record by the authority.")


def _english_name_of(name: str) -> str:
    """The English name of an authority called `name`, if the portal knows one (imported awards name any body)."""
    if not name:
        return ""
    return db.session.scalar(select(Authority.name_en).where(Authority.name == name).limit(1)) or ""


def award_payload(award: Award) -> dict:
    """Everything the certificate prints and the credential asserts (a snapshot: later edits change nothing)."""
    person = award.person
    body = award.issuer or ""
    body_en = _english_name_of(body)
    zh_name, en_name = award_names(award)
    zh_text, en_text = _descriptions(award, body, body_en)
    application = award.application
    payload = {
        "name": person.name, "name_latin": person.name_latin or "", "id_masked": mask_id(person.id_number),
        "award_id": award.id, "scheme": award.scheme, "tier": award.tier or "", "award_key": award_key(award),
        "award_name": zh_name, "award_name_en": en_name,
        "award_description": zh_text, "award_description_en": en_text,
        "awarding_body": body, "awarding_body_en": body_en,
        "year": award.year,
        "round": _in(DEFAULT_LOCALE, lambda: round_label(application.round)) if application is not None else "",
        "round_en": _in("en", lambda: round_label(application.round)) if application is not None else "",
        "awarded_on": award.awarded_on.isoformat() if award.awarded_on else None,
        "source": award.source,
    }
    if award.half_hours is not None:        # the hours the award was given on (an approved application's)
        payload["total_half_hours"] = award.half_hours
    return payload


def ministry() -> Authority | None:
    return db.session.scalar(select(Authority).where(Authority.kind == AuthorityKind.MINISTRY)
                             .order_by(Authority.id).limit(1))


def issue_award_document(award: Award, issuer: Authority | None, user=None, *, render=None) -> Document | None:
    """Issue the award's certificate (flush only) and link it to the award; None when it cannot be printed (a name
    the font lacks: the award stands, `flask awards issue-documents` issues it once the name is corrected) or
    when there is no issuing authority. `issuer` is the authority that made the award final."""
    db.session.flush()      # the award's id and defaults, for the payload
    issuer = issuer or ministry()
    if issuer is None or award.status != AwardStatus.VALID:
        return None
    try:
        document = issue_document(KIND, award.person, award_payload(award), issuer, issued_by=user,
                                  supersede=False, render=render)
    except pdf.MissingGlyphError as exc:
        log.warning("award %s: certificate not issued: %s", award.id, exc)
        audit.record("award.document_missing", award, person_id=award.person_id, problems=exc.messages())
        return None
    award.document_id = document.id
    db.session.flush()
    return document


def revoke_award_document(award: Award, reason: str, user=None) -> None:
    """The award's certificate is revoked with the award (its credential's status bit follows, VC5)."""
    document = db.session.get(Document, award.document_id) if award.document_id else None
    if document is not None and document.status != DocumentStatus.REVOKED:
        revoke_document(document, reason, user)


def issuer_of(award: Award) -> Authority | None:
    """Who issues an earlier award's certificate: the authority whose import recorded it, else the ministry."""
    if award.import_batch_id is not None:
        batch = db.session.get(ImportBatch, award.import_batch_id)
        if batch is not None and batch.authority_id is not None:
            return db.session.get(Authority, batch.authority_id)
    return ministry()


def issue_missing(*, chunk: int = 20, render=None) -> tuple[int, int]:
    """Issue the certificates of valid awards that have none (awards given before migration 0025, or one whose
    name could not be printed); commits every `chunk` awards. Returns (issued, not printable)."""
    ids = db.session.scalars(select(Award.id).where(Award.document_id.is_(None), Award.status == AwardStatus.VALID)
                             .order_by(Award.id)).all()
    issued = failed = 0
    for start in range(0, len(ids), chunk):
        for award in db.session.scalars(select(Award).where(Award.id.in_(ids[start:start + chunk]),
                                                            Award.document_id.is_(None)).order_by(Award.id)):
            if issue_award_document(award, issuer_of(award), None, render=render) is None:
                failed += 1
            else:
                issued += 1
        db.session.commit()
    return issued, failed
