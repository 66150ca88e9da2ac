"""Issuing verifiable documents, the performance-certificate rules and the request workflow.

The reusable API for every feature that issues a document (certificates here; record books
and honor cards elsewhere):

    RECORD_BOOK_KIND = DocumentKind("record_book", _l("Record book"), "pdf/record_book.html", "zh_TW", ...)
    document = issue_document("record_book", person, payload, issuer=county_authority)

issue_document() gives the document a random token (192 bits) and a short code, renders the
PDF through portal.platform.pdf (glyph check, QR with the verification address), stores the PDF, writes
the audit row and marks earlier valid documents of the same kind, person and issuer as
superseded. Everything flushes; the caller commits. For batches, prepare_document() ->
render_document() -> store_document() keep the slow rendering out of the database transaction.
"""
import hashlib
import os
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import extract, func, select

from portal.platform import audit, pdf
from portal.platform.extensions import db
from portal.platform.i18n import format_date
from portal.platform.timeutil import TAIPEI, today_taipei, utcnow
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Authority, Unit
from portal.registry.identity import mask_id, mask_name
from portal.registry.models import Membership, Person
from .models import (DECLINED, ENGLISH_CERTIFICATE, ENGLISH_TRANSCRIPT, ISSUED, OPEN_REQUEST_STATUSES, PERFORMANCE,
                     PREPARED, REQUESTED, REVOKED, SUPERSEDED, VALID, WITHDRAWN, CertificateRequest, Document,
                     DocumentFile)

MIN_HALF_HOURS = 300          # 150 hours (docs/rules/certificates.md#p1)
DUE_DAYS = 7                  # issued within 7 days of the request (docs/rules/certificates.md#p2)
TOKEN_BYTES = 24              # 192 bits; the issue asks for at least 128
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 10              # 50 bits, typed as XXXXX-XXXXX; guessing is rate-limited


class WorkflowError(Exception):
    """An action that the rules refuse; `messages` are in the user's language."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def taipei_date(value: datetime | None) -> date | None:
    """The Taipei calendar day of a stored naive-UTC timestamp."""
    return value.replace(tzinfo=timezone.utc).astimezone(TAIPEI).date() if value else None


def format_hours(half_hours: int | None) -> str:
    """Half-hours as hours: 300 -> "150", 301 -> "150.5"."""
    half_hours = half_hours or 0
    return str(half_hours // 2) if half_hours % 2 == 0 else f"{half_hours / 2:.1f}"


# ---------------------------------------------------------------------------------------------
# Service summary: what the certificates need from the hours and the memberships

@dataclass(frozen=True)
class HourRow:
    """Hours of one entry as the certificates see them."""
    person_id: int
    unit_id: int
    field_code: str
    start_on: date
    end_on: date
    half_hours: int


HoursSource = Callable[[list[int], int | None], Iterable[HourRow]]


@dataclass
class YearRow:
    year: int
    unit_id: int
    field_code: str
    half_hours: int


@dataclass
class Period:
    unit_id: int
    field_code: str
    joined_on: date
    left_on: date | None
    half_hours: int = 0


@dataclass
class ServiceSummary:
    person_id: int
    first_service_date: date | None = None
    last_service_date: date | None = None
    total_half_hours: int = 0
    rows: list[YearRow] = field(default_factory=list)      # by year, unit and field
    periods: list[Period] = field(default_factory=list)    # memberships, with their hours

    def unit_ids(self) -> list[int]:
        return list(dict.fromkeys([p.unit_id for p in self.periods] + [r.unit_id for r in self.rows]))


def recorded_hours(person_ids: list[int], unit_id: int | None) -> Iterable[HourRow] | None:
    """Active hour entries from the hours feature, summed per person, unit, field and year (by the
    start date, as the hours screens count them); None while that feature is not installed."""
    try:
        from portal.hours.models import ACTIVE, HourEntry
    except ImportError:
        return None
    year = extract("year", HourEntry.start_on)
    query = (select(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, func.min(HourEntry.start_on),
                    func.max(HourEntry.end_on), func.sum(HourEntry.half_hours))
             .where(HourEntry.person_id.in_(person_ids), HourEntry.status == ACTIVE)
             .group_by(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, year))
    if unit_id is not None:
        query = query.where(HourEntry.unit_id == unit_id)
    return [HourRow(pid, uid, field_code, start_on, end_on, int(half))
            for pid, uid, field_code, start_on, end_on, half in db.session.execute(query)]


def service_summaries(person_ids: Iterable[int], unit_id: int | None = None, *,
                      hours_source: HoursSource | None = None) -> dict[int, ServiceSummary]:
    """Service of several people (in one unit, or everywhere) in two queries.

    first_service_date is the earliest of the membership start dates and the hour entries;
    hours come from `hours_source` (tests pass a double), by default the hours feature.
    """
    ids = sorted(set(person_ids))
    summaries = {pid: ServiceSummary(pid) for pid in ids}
    if not ids:
        return summaries
    members = select(Membership).where(Membership.person_id.in_(ids)).order_by(Membership.joined_on, Membership.id)
    if unit_id is not None:
        members = members.where(Membership.unit_id == unit_id)
    for m in db.session.scalars(members):
        s = summaries[m.person_id]
        s.periods.append(Period(m.unit_id, m.field_code, m.joined_on, m.left_on))
        s.first_service_date = min(filter(None, [s.first_service_date, m.joined_on]))
    rows = (hours_source or recorded_hours)(ids, unit_id) or []
    by_year: dict[tuple, int] = defaultdict(int)
    for r in rows:
        s = summaries.get(r.person_id)
        if s is None:
            continue
        s.total_half_hours += r.half_hours
        s.first_service_date = min(filter(None, [s.first_service_date, r.start_on]))
        s.last_service_date = max(filter(None, [s.last_service_date, r.end_on]))
        by_year[(r.person_id, r.start_on.year, r.unit_id, r.field_code)] += r.half_hours
        period = next((p for p in s.periods if p.unit_id == r.unit_id and p.field_code == r.field_code), None)
        if period is None:
            period = next((p for p in s.periods if p.unit_id == r.unit_id), None)
        if period is None:
            period = Period(r.unit_id, r.field_code, r.start_on, r.end_on)
            s.periods.append(period)
        period.half_hours += r.half_hours
    for (pid, year, uid, fcode), half in sorted(by_year.items()):
        summaries[pid].rows.append(YearRow(year, uid, fcode, half))
    return summaries


def service_summary(person_id: int, unit_id: int | None = None, *,
                    hours_source: HoursSource | None = None) -> ServiceSummary:
    return service_summaries([person_id], unit_id, hours_source=hours_source)[person_id]


# ---------------------------------------------------------------------------------------------
# Eligibility for the performance certificate

def one_year_after(day: date) -> date:
    """The first anniversary; from 29 February it is 28 February (365 days later)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 2, 28)


@dataclass
class Eligibility:
    eligible: bool
    on: date
    first_service_date: date | None
    one_year_on: date | None
    half_hours: int
    reasons: list[str]

    @property
    def missing_half_hours(self) -> int:
        return max(MIN_HALF_HOURS - self.half_hours, 0)


def performance_eligibility(summary: ServiceSummary, on: date | None = None) -> Eligibility:
    """≥ 1 year of service and ≥ 150 hours, with the reasons in words when not yet."""
    on = on or today_taipei()
    first = summary.first_service_date
    anniversary = one_year_after(first) if first else None
    reasons = []
    if anniversary is None:
        reasons.append(_("No service is recorded yet."))
    elif anniversary > on:
        reasons.append(_("One year of service is reached on %(date)s (service since %(first)s).",
                         date=format_date(anniversary), first=format_date(first)))
    if summary.total_half_hours < MIN_HALF_HOURS:
        reasons.append(_("%(hours)s of the required 150 hours are recorded; %(missing)s more are needed.",
                         hours=format_hours(summary.total_half_hours),
                         missing=format_hours(MIN_HALF_HOURS - summary.total_half_hours)))
    return Eligibility(not reasons, on, first, anniversary, summary.total_half_hours, reasons)


# ---------------------------------------------------------------------------------------------
# Tokens and short codes

def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_short_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str | None) -> str:
    """What a person typed (any case, spaces, full-width, O for 0, I or L for 1) as a stored short code."""
    raw = unicodedata.normalize("NFKC", text or "").upper()
    raw = "".join(ch for ch in raw if ch.isalnum()).translate(str.maketrans("OIL", "011"))
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return ""
    return f"{raw[:5]}-{raw[5:]}"


def unused_short_code(reserved: set[str] | None = None) -> str:
    reserved = reserved if reserved is not None else set()
    while True:
        code = new_short_code()
        if code not in reserved and not db.session.scalar(select(Document.id).where(Document.short_code == code)):
            reserved.add(code)
            return code


# ---------------------------------------------------------------------------------------------
# Document kinds (portal/kinds.py lists every feature's kinds)

@dataclass(frozen=True)
class DocumentKind:
    code: str
    label: object                       # lazy string for lists and the verification page
    template: str                       # under templates/pdf/
    language: str                       # language of the PDF: "zh_TW" or "en"
    filename: str                       # download name prefix
    rebuild: Callable[[Document, object], dict] | None = None   # fresh payload for a reissue (document, user)


KINDS: dict[str, DocumentKind] = {}


def install_kinds(kinds) -> None:
    """Offer exactly these document kinds (portal/kinds.py lists them; create_app installs them)."""
    KINDS.clear()
    for kind in kinds:
        KINDS[kind.code] = kind


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


# ---------------------------------------------------------------------------------------------
# Issuing: prepare (data) -> render (PDF, no database) -> store (flush, audit, supersede)

def public_base_url() -> str:
    """Where /verify lives, for the QR code: PUBLIC_BASE_URL, else the current request's host."""
    configured = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


@dataclass
class PreparedDocument:
    """Everything a PDF needs, as plain data (no ORM objects), so it can be rendered outside a transaction."""
    kind: str
    person_id: int
    unit_id: int | None
    authority_id: int | None
    issuer_name: str
    issuer_name_en: str
    payload: dict
    token: str
    short_code: str
    issued_on: date
    base_url: str

    @property
    def verify_url(self) -> str:
        return f"{self.base_url}/verify/{self.token}"

    @property
    def verify_form_url(self) -> str:
        return f"{self.base_url}/verify"

    @property
    def qr(self) -> str:
        return pdf.qr_data_uri(self.verify_url)


def prepare_document(kind: str, person: Person, payload: dict, issuer: Unit | Authority, *,
                     base_url: str | None = None, reserved_codes: set[str] | None = None,
                     issued_on: date | None = None) -> PreparedDocument:
    if kind not in KINDS:
        raise KeyError(f"unknown document kind {kind!r}")
    return PreparedDocument(
        kind=kind, person_id=person.id,
        unit_id=issuer.id if isinstance(issuer, Unit) else None,
        authority_id=issuer.id if isinstance(issuer, Authority) else None,
        issuer_name=issuer.name, issuer_name_en=issuer.name_en or "", payload=payload,
        token=new_token(), short_code=unused_short_code(reserved_codes), issued_on=issued_on or today_taipei(),
        base_url=(base_url or public_base_url()).rstrip("/"))


GLYPH_LABELS = {
    "name": _l("Name"), "name_latin": _l("Name in Latin script"), "unit_name": _l("Unit name"),
    "unit_name_en": _l("English unit name"), "issuer_name": _l("Unit name"), "issuer_name_en": _l("English unit name"),
    "prepared_by": _l("Prepared by"), "countersigned_by": _l("Volunteer supervisor"),
    "approved_by": _l("Approved by"), "purpose_note": _l("Purpose"), "course_name": _l("Course"),
}


def glyph_texts(payload: dict) -> dict[str, str]:
    """Every printed text of a payload, labelled for the glyph check's message."""
    texts: dict[str, str] = {}

    def walk(value, key):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and value and value not in texts.values():
            label = str(GLYPH_LABELS.get(key, _l("Text")))
            texts[label if label not in texts else f"{label} ({len(texts) + 1})"] = value
    walk(payload, "")
    return texts


def pdf_context(prepared: PreparedDocument) -> dict:
    return {"doc": prepared, "p": prepared.payload, "as_date": _as_date, "hours": format_hours,
            "field_name": _field_name, "field_name_en": lambda code: FIELD_BY_CODE[code].name_en
            if code in FIELD_BY_CODE else code}


def _as_date(value) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def _field_name(code: str) -> str:
    entry = FIELD_BY_CODE.get(code)
    return entry.name if entry else code


def render_document(prepared: PreparedDocument) -> bytes:
    """The PDF of a prepared document; MissingGlyphError when a name cannot be printed."""
    kind = KINDS[prepared.kind]
    with force_locale(kind.language):
        title = str(kind.label)
        running_head = _("Verification code %(code)s · %(url)s · page ", code=prepared.short_code,
                         url=prepared.verify_form_url)
    return pdf.render_pdf(kind.template, title=title, language=kind.language, check=glyph_texts(prepared.payload),
                          pdf_author=prepared.issuer_name_en if kind.language == "en" else prepared.issuer_name,
                          running_head=running_head, **pdf_context(prepared))


def _actor_id(user=None) -> int | None:
    if user is not None:
        return getattr(user, "id", None)
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def store_document(prepared: PreparedDocument, content: bytes, *, issued_by=None, supersede: bool = True) -> Document:
    """Insert the document and its PDF (flush), audit it, and supersede earlier valid ones."""
    document = Document(
        kind=prepared.kind, language=KINDS[prepared.kind].language, person_id=prepared.person_id,
        unit_id=prepared.unit_id, authority_id=prepared.authority_id, token=prepared.token,
        short_code=prepared.short_code, issuer_name=prepared.issuer_name, issuer_name_en=prepared.issuer_name_en,
        total_half_hours=prepared.payload.get("total_half_hours"), payload=prepared.payload,
        issued_at=utcnow(), issued_on=prepared.issued_on, issued_by_id=_actor_id(issued_by), status=VALID)
    db.session.add(document)
    db.session.flush()
    digest = hashlib.sha256(content).hexdigest()
    db.session.add(DocumentFile(document_id=document.id, content=content, sha256=digest, size=len(content)))
    if supersede:
        earlier = db.session.scalars(select(Document).where(
            Document.kind == document.kind, Document.person_id == document.person_id,
            Document.unit_id.is_(None) if document.unit_id is None else Document.unit_id == document.unit_id,
            Document.authority_id.is_(None) if document.authority_id is None
            else Document.authority_id == document.authority_id,
            Document.status == VALID, Document.id != document.id).order_by(Document.id)).all()
        for old in earlier:
            old.status, old.superseded_at = SUPERSEDED, utcnow()
            audit.record("document.supersede", old, by_document=document.id, by_user=_actor_id(issued_by))
        if earlier:
            document.supersedes_id = earlier[-1].id
    db.session.flush()
    audit.record("document.issue", document, kind=document.kind, person_id=document.person_id,
                 unit_id=document.unit_id, authority_id=document.authority_id, code=document.short_code,
                 sha256=digest, hours=format_hours(document.total_half_hours) if document.total_half_hours is not None
                 else None, by_user=_actor_id(issued_by))
    return document


def issue_document(kind: str, person: Person, payload: dict, issuer: Unit | Authority, *, issued_by=None,
                   supersede: bool = True, base_url: str | None = None,
                   render: Callable[[PreparedDocument], bytes] | None = None) -> Document:
    """Issue one verifiable document: token, short code, PDF, register row, audit (flush only).

    `render` replaces the PDF engine (tests and fixtures pass a stand-in)."""
    prepared = prepare_document(kind, person, payload, issuer, base_url=base_url)
    content = (render or render_document)(prepared)
    return store_document(prepared, content, issued_by=issued_by, supersede=supersede)


def revoke_document(document: Document, reason: str, user=None):
    """Revocation is immediate: the verification page reads the status on every request."""
    if document.status == REVOKED:
        raise WorkflowError(_("This document has already been revoked."))
    if not (reason or "").strip():
        raise WorkflowError(_("Please give the reason for the revocation."))
    previous = document.status
    document.status, document.revoked_at = REVOKED, utcnow()
    document.revoked_by_id, document.revoke_reason = _actor_id(user), reason.strip()
    db.session.flush()
    audit.record("document.revoke", document, reason=document.revoke_reason, previous=previous,
                 code=document.short_code)


def reissue_document(document: Document, user=None, *, render=None) -> Document:
    """A new document from the current record (or the same data); the old one becomes superseded."""
    kind = KINDS[document.kind]
    payload = kind.rebuild(document, user) if kind.rebuild else dict(document.payload)
    issuer = document.unit or document.authority
    try:
        new = issue_document(document.kind, document.person, payload, issuer, issued_by=user, render=render)
    except pdf.MissingGlyphError as exc:
        raise WorkflowError(*exc.messages()) from exc
    if document.status == VALID:  # issued by another path (different issuer): supersede explicitly
        document.status, document.superseded_at = SUPERSEDED, utcnow()
        new.supersedes_id = document.id
        audit.record("document.supersede", document, by_document=new.id, by_user=_actor_id(user))
    return new


def document_file(document: Document) -> bytes:
    stored = db.session.get(DocumentFile, document.id)
    return stored.content if stored is not None else b""


# ---------------------------------------------------------------------------------------------
# Payloads of the three certificate kinds

def _display_name(user) -> str:
    return (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else ""


def performance_payload(person: Person, unit: Unit, summary: ServiceSummary, *, prepared_by: str,
                        countersigned_by: str, until: date | None = None) -> dict:
    fields = list(dict.fromkeys(p.field_code for p in summary.periods)) or [unit.field_code]
    return {
        "name": person.name, "name_latin": person.name_latin or "", "id_masked": mask_id(person.id_number),
        "unit_name": unit.name, "unit_name_en": unit.name_en or "", "unit_code": unit.code,
        "fields": [_field_name(code) for code in fields],
        "first_service_date": summary.first_service_date.isoformat() if summary.first_service_date else None,
        "until": (until or today_taipei()).isoformat(),
        "total_half_hours": summary.total_half_hours,
        "prepared_by": prepared_by, "countersigned_by": countersigned_by,
    }


def _units_by_id(unit_ids: Iterable[int]) -> dict[int, Unit]:
    ids = list(set(unit_ids))
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}


def english_payload(person: Person, issuer: Unit, summary: ServiceSummary, *, purpose: str = "",
                    purpose_note: str = "", approved_by: str = "") -> dict:
    units = _units_by_id(summary.unit_ids())
    periods = [{
        "unit_name_en": units[p.unit_id].name_en, "unit_name": units[p.unit_id].name,
        "field_en": FIELD_BY_CODE[p.field_code].name_en if p.field_code in FIELD_BY_CODE else p.field_code,
        "from": p.joined_on.isoformat(), "to": p.left_on.isoformat() if p.left_on else None,
        "half_hours": p.half_hours,
    } for p in summary.periods]
    return {
        "name_latin": person.name_latin, "name": person.name,
        "issuer_name_en": issuer.name_en, "issuer_name": issuer.name,
        "periods": periods, "total_half_hours": summary.total_half_hours,
        "first_service_date": summary.first_service_date.isoformat() if summary.first_service_date else None,
        "last_service_date": summary.last_service_date.isoformat() if summary.last_service_date else None,
        "purpose": purpose, "purpose_note": purpose_note, "approved_by": approved_by,
    }


def training_rows(person_id: int) -> list[dict]:
    """Verified training for the transcript (empty while the training feature has no model)."""
    try:
        from portal.training.models import TrainingRecord
    except ImportError:
        return []
    records = db.session.scalars(select(TrainingRecord).where(
        TrainingRecord.person_id == person_id, TrainingRecord.status == "verified")
        .order_by(TrainingRecord.completed_on, TrainingRecord.id))
    return [{
        "kind": r.kind, "field_en": FIELD_BY_CODE[r.field_code].name_en if r.field_code in FIELD_BY_CODE else "",
        "course_name": r.course_name or "", "completed_on": r.completed_on.isoformat() if r.completed_on else None,
        "hours": str(r.hours) if r.hours is not None else "",
    } for r in records]


def transcript_payload(person: Person, issuer: Unit, summary: ServiceSummary, *, purpose: str = "",
                       purpose_note: str = "", approved_by: str = "") -> dict:
    payload = english_payload(person, issuer, summary, purpose=purpose, purpose_note=purpose_note,
                              approved_by=approved_by)
    units = _units_by_id(r.unit_id for r in summary.rows)
    years: dict[int, list] = defaultdict(list)
    for r in summary.rows:
        years[r.year].append({"unit_name_en": units[r.unit_id].name_en, "unit_name": units[r.unit_id].name,
                              "field_en": FIELD_BY_CODE[r.field_code].name_en if r.field_code in FIELD_BY_CODE
                              else r.field_code, "half_hours": r.half_hours})
    payload["years"] = [{"year": y, "rows": rows, "half_hours": sum(r["half_hours"] for r in rows)}
                        for y, rows in sorted(years.items())]
    payload["training"] = training_rows(person.id)
    return payload


def _rebuild_request_document(document: Document, user) -> dict:
    """Reissue of a certificate: the current record, signed by the person reissuing it."""
    person, unit, old = document.person, document.unit, document.payload
    if document.kind == PERFORMANCE:
        summary = service_summary(person.id, unit.id)
        return performance_payload(person, unit, summary, prepared_by=old.get("prepared_by", ""),
                                   countersigned_by=_display_name(user) or old.get("countersigned_by", ""))
    summary = service_summary(person.id)
    build = english_payload if document.kind == ENGLISH_CERTIFICATE else transcript_payload
    return build(person, unit, summary, purpose=old.get("purpose", ""), purpose_note=old.get("purpose_note", ""),
                 approved_by=_display_name(user) or old.get("approved_by", ""))


PERFORMANCE_KIND = DocumentKind(PERFORMANCE, _l("Performance certificate"), "pdf/performance_certificate.html",
                           "zh_TW", "performance-certificate", _rebuild_request_document)
ENGLISH_CERTIFICATE_KIND = DocumentKind(ENGLISH_CERTIFICATE, _l("Certificate of Volunteer Service (English)"),
                           "pdf/english_certificate.html", "en", "certificate-of-volunteer-service",
                           _rebuild_request_document)
ENGLISH_TRANSCRIPT_KIND = DocumentKind(ENGLISH_TRANSCRIPT, _l("Volunteer service transcript (English)"),
                           "pdf/english_transcript.html", "en", "volunteer-service-transcript",
                           _rebuild_request_document)

PURPOSE_LABELS = {
    "exchange": _l("Exchange programme"), "study": _l("School or university application"),
    "visa": _l("Visa or residence application"), "work": _l("Job application"), "other": _l("Other"),
}
PURPOSE_LABELS_EN = {"exchange": "Exchange programme", "study": "School or university application",
                     "visa": "Visa or residence application", "work": "Job application", "other": "Other"}


# ---------------------------------------------------------------------------------------------
# Requests: checks before sending, the workflow, and the unit's batch

def english_data_problems(person: Person, unit_ids: Iterable[int]) -> list[str]:
    """Missing Latin name or English unit names, in words, before an English request can be sent."""
    problems = []
    if not (person.name_latin or "").strip():
        problems.append(_("The name in Latin script (as in the passport) is missing."))
    for unit in sorted(_units_by_id(unit_ids).values(), key=lambda u: u.code):
        if not (unit.name_en or "").strip():
            problems.append(_("The unit %(unit)s has no English name yet. The unit has to add it before English "
                              "documents can be made.", unit=unit.name))
    return problems


def glyph_problems_for(person: Person, units: Iterable[Unit], english: bool) -> list[str]:
    texts = {str(_l("Name")): person.name}
    if english or person.name_latin:
        texts[str(_l("Name in Latin script"))] = person.name_latin or ""
    for unit in units:
        texts[f"{_l('Unit name')} {unit.code}"] = unit.name
        if english:
            texts[f"{_l('English unit name')} {unit.code}"] = unit.name_en or ""
    return [p.message() for p in pdf.glyph_problems(texts)]


def request_problems(kind: str, person: Person, unit: Unit, *, hours_source: HoursSource | None = None,
                     on: date | None = None) -> list[str]:
    """Why a request cannot be sent (or a certificate issued) now; empty when it can."""
    if kind == PERFORMANCE:
        summary = service_summary(person.id, unit.id, hours_source=hours_source)
        problems = performance_eligibility(summary, on).reasons
        return problems + glyph_problems_for(person, [unit], english=False)
    summary = service_summary(person.id, hours_source=hours_source)
    unit_ids = [unit.id] + summary.unit_ids()
    return english_data_problems(person, unit_ids) + glyph_problems_for(
        person, _units_by_id(unit_ids).values(), english=True)


def open_request_for(kind: str, person_id: int, unit_id: int) -> CertificateRequest | None:
    return db.session.scalar(select(CertificateRequest).where(
        CertificateRequest.kind == kind, CertificateRequest.person_id == person_id,
        CertificateRequest.unit_id == unit_id, CertificateRequest.status.in_(OPEN_REQUEST_STATUSES)))


def create_request(kind: str, person: Person, unit: Unit, *, origin: str, user=None, purpose: str = "",
                   purpose_note: str = "", hours_source: HoursSource | None = None,
                   on: date | None = None) -> CertificateRequest:
    """A request from the volunteer, or a certificate the unit starts (then already prepared)."""
    if kind not in (PERFORMANCE, ENGLISH_CERTIFICATE, ENGLISH_TRANSCRIPT):
        raise WorkflowError(_("This kind of document cannot be requested here."))
    if kind != PERFORMANCE and origin != "volunteer":
        raise WorkflowError(_("English documents are requested by the volunteer."))
    if not any(m.unit_id == unit.id for m in person.memberships):
        raise WorkflowError(_("The volunteer has no service record in this unit."))
    if open_request_for(kind, person.id, unit.id):
        raise WorkflowError(_("A request for this document is already open at this unit."))
    problems = request_problems(kind, person, unit, hours_source=hours_source, on=on)
    if problems:
        raise WorkflowError(*problems)
    requested_on = on or today_taipei()
    prepared = origin == "unit"
    req = CertificateRequest(
        kind=kind, person_id=person.id, unit_id=unit.id, origin=origin, purpose=purpose, purpose_note=purpose_note,
        status=PREPARED if prepared else REQUESTED, requested_on=requested_on,
        due_on=requested_on + timedelta(days=DUE_DAYS), requested_by_id=_actor_id(user))
    if prepared:
        req.prepared_by_id, req.prepared_at = _actor_id(user), utcnow()
    db.session.add(req)
    db.session.flush()
    audit.record("certificate_request.create", req, kind=kind, person_id=person.id, unit_id=unit.id, origin=origin,
                 purpose=purpose, due_on=req.due_on, status=req.status)
    return req


def _expect(req: CertificateRequest, *statuses: str):
    if req.status not in statuses:
        raise WorkflowError(_("This request has already been handled."))


def prepare_request(req: CertificateRequest, user=None, *, hours_source: HoursSource | None = None):
    """The clerk checks the record and prepares the performance certificate for countersigning."""
    _expect(req, REQUESTED)
    if req.kind != PERFORMANCE:
        raise WorkflowError(_("English documents are approved directly; there is nothing to prepare."))
    problems = request_problems(req.kind, req.person, req.unit, hours_source=hours_source)
    if problems:
        raise WorkflowError(*problems)
    req.status, req.prepared_by_id, req.prepared_at = PREPARED, _actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.prepare", req, person_id=req.person_id, unit_id=req.unit_id)


def request_payload(req: CertificateRequest, user, *, hours_source: HoursSource | None = None,
                    summary: ServiceSummary | None = None) -> dict:
    person, unit = req.person, req.unit
    if req.kind == PERFORMANCE:
        summary = summary or service_summary(person.id, unit.id, hours_source=hours_source)
        return performance_payload(person, unit, summary, prepared_by=_display_name(req.prepared_by),
                                   countersigned_by=_display_name(user))
    summary = summary or service_summary(person.id, hours_source=hours_source)
    build = english_payload if req.kind == ENGLISH_CERTIFICATE else transcript_payload
    return build(person, unit, summary, purpose=PURPOSE_LABELS_EN.get(req.purpose, ""),
                 purpose_note=req.purpose_note, approved_by=_display_name(user))


def check_issuable(req: CertificateRequest, *, hours_source: HoursSource | None = None):
    _expect(req, PREPARED if req.kind == PERFORMANCE else REQUESTED)
    problems = request_problems(req.kind, req.person, req.unit, hours_source=hours_source)
    if problems:
        raise WorkflowError(*problems)


def mark_issued(req: CertificateRequest, document: Document, user=None):
    req.status, req.document_id = ISSUED, document.id
    req.decided_by_id, req.decided_at = _actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.issue", req, document_id=document.id, code=document.short_code,
                 by_user=_actor_id(user))


def issue_for_request(req: CertificateRequest, user=None, *, hours_source: HoursSource | None = None,
                      render=None, base_url: str | None = None) -> Document:
    """Countersign (performance certificate) or approve (English documents) and issue the PDF."""
    check_issuable(req, hours_source=hours_source)
    payload = request_payload(req, user, hours_source=hours_source)
    try:
        document = issue_document(req.kind, req.person, payload, req.unit, issued_by=user, render=render,
                                  base_url=base_url)
    except pdf.MissingGlyphError as exc:
        raise WorkflowError(*exc.messages()) from exc
    mark_issued(req, document, user)
    return document


def decline_request(req: CertificateRequest, reason: str, user=None):
    _expect(req, *OPEN_REQUEST_STATUSES)
    if not (reason or "").strip():
        raise WorkflowError(_("Please give the reason for declining."))
    req.status, req.decline_reason = DECLINED, reason.strip()
    req.decided_by_id, req.decided_at = _actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.decline", req, reason=req.decline_reason)


def withdraw_request(req: CertificateRequest, user=None):
    _expect(req, *OPEN_REQUEST_STATUSES)
    req.status, req.decided_by_id, req.decided_at = WITHDRAWN, _actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.withdraw", req)


def save_latin_name(person: Person, name_latin: str):
    """The volunteer gives the passport spelling while requesting an English document."""
    if person.name_latin != name_latin:
        old = person.name_latin
        person.name_latin = name_latin
        db.session.flush()
        audit.record("person.update", person, name_latin=[old, name_latin], via="certificate request")


def save_unit_english_name(unit: Unit, name_en: str):
    if unit.name_en != name_en:
        old = unit.name_en
        unit.name_en = name_en
        db.session.flush()
        audit.record("unit.update", unit, name_en=[old, name_en], via="documents")


@dataclass
class Candidate:
    person: Person
    summary: ServiceSummary
    eligibility: Eligibility
    open_request: CertificateRequest | None
    valid_document: Document | None

    @property
    def up_to_date(self) -> bool:
        """A valid certificate already states the current hours."""
        return bool(self.valid_document and self.valid_document.total_half_hours == self.summary.total_half_hours)


def unit_candidates(unit: Unit, *, hours_source: HoursSource | None = None, on: date | None = None) -> list[Candidate]:
    """Everyone who served in the unit, with the performance-certificate eligibility of each."""
    people = db.session.scalars(select(Person).join(Membership).where(Membership.unit_id == unit.id)
                                .distinct().order_by(Person.name, Person.id)).all()
    ids = [p.id for p in people]
    summaries = service_summaries(ids, unit.id, hours_source=hours_source)
    open_requests = {r.person_id: r for r in db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.unit_id == unit.id, CertificateRequest.kind == PERFORMANCE,
        CertificateRequest.status.in_(OPEN_REQUEST_STATUSES)))}
    valid = {d.person_id: d for d in db.session.scalars(select(Document).where(
        Document.unit_id == unit.id, Document.kind == PERFORMANCE, Document.status == VALID))}
    return [Candidate(p, summaries[p.id], performance_eligibility(summaries[p.id], on), open_requests.get(p.id),
                      valid.get(p.id)) for p in people]


def prepare_all_eligible(unit: Unit, user=None, *, hours_source: HoursSource | None = None,
                         on: date | None = None) -> list[CertificateRequest]:
    """The unit starts a performance certificate for everyone eligible without an open request
    or an up-to-date valid certificate (the clerk's half of the batch)."""
    created = []
    requested_on = on or today_taipei()
    for c in unit_candidates(unit, hours_source=hours_source, on=on):
        if not c.eligibility.eligible or c.open_request or c.up_to_date:
            continue
        if glyph_problems_for(c.person, [unit], english=False):
            continue  # listed on the candidates page with the message; prepared one by one once fixed
        req = CertificateRequest(kind=PERFORMANCE, person_id=c.person.id, unit_id=unit.id, origin="unit",
                                 status=PREPARED, requested_on=requested_on,
                                 due_on=requested_on + timedelta(days=DUE_DAYS), requested_by_id=_actor_id(user),
                                 prepared_by_id=_actor_id(user), prepared_at=utcnow())
        db.session.add(req)
        created.append(req)
    db.session.flush()
    for req in created:
        audit.record("certificate_request.create", req, kind=PERFORMANCE, person_id=req.person_id, unit_id=unit.id,
                     origin="unit", due_on=req.due_on, status=PREPARED, batch=True)
    return created


def prepared_requests(unit_id: int) -> list[CertificateRequest]:
    return db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.unit_id == unit_id, CertificateRequest.kind == PERFORMANCE,
        CertificateRequest.status == PREPARED).order_by(CertificateRequest.id)).all()


def count_by_status(query_condition) -> dict[str, int]:
    return dict(db.session.execute(select(Document.status, func.count()).where(query_condition)
                                   .group_by(Document.status)).all())


def masked_name(document: Document) -> str:
    """The name as the public page shows it (docs/rules/identity.md#id7: the middle masked, Latin initials)."""
    payload = document.payload or {}
    return mask_name(payload.get("name") or "") or mask_name(payload.get("name_latin") or "")


def masked_latin_name(document: Document) -> str:
    return mask_name((document.payload or {}).get("name_latin") or "")

